package io.piece4j.piece.continual;

import io.piece4j.piece.data.TaskRecord;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 of everything in a suite that decides scores: tasks in order, their records, metrics and limits, the probe. */
final class SuiteDigest {
    private SuiteDigest() {}

    static String of(Suite s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (SuiteTask t : s.tasks()) {
                add(md, "task " + t.name() + " " + t.metric().cliName() + " " + t.maxNewTokens() + " " + t.maxPromptTokens() + " " + t.maxAnswerTokens());
                add(md, t.train());
                add(md, t.valid());
                add(md, t.test());
            }
            if (s.probe() != null) {
                add(md, "probe " + s.probe().primary() + " " + s.probe().skillsMetric().cliName() + " " + s.probe().skillsMaxNewTokens());
                add(md, s.probe().heldout() == null ? "" : s.probe().heldout());
                add(md, s.probe().skills());
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(MessageDigest md, List<TaskRecord> records) {
        add(md, "records " + records.size());
        for (TaskRecord r : records) { add(md, r.prompt()); add(md, r.answer()); }
    }

    /** Length-prefixed, so ("ab", "c") and ("a", "bc") differ. */
    private static void add(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
    }
}
