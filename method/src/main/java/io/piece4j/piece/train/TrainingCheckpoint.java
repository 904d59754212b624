package io.piece4j.piece.train;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.piece4j.piece.HeaderedFile;
import io.piece4j.piece.TensorBytes;
import io.piece4j.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A resumable training state on disk: "PIECE-CKPT 1", one line of JSON (position, settings, losses,
 * CRC-32 of each section), then the sections as little-endian arrays: parameters (P float32), the
 * optimizer's first and second moments (k float32 each) and the trained indices (k int32).
 * Written to a temporary file, forced to disk, then renamed over the old checkpoint, so a crash during
 * a write leaves the previous checkpoint intact.
 *
 * <p>There is no live random state to save: epoch e's batch order is a function of (seed, e), so the
 * data position (epoch, next micro-batch) is the whole story.
 */
public final class TrainingCheckpoint {
    private static final String MAGIC = "PIECE-CKPT 1\n";

    /** The training position and bookkeeping. */
    public record State(int epoch, int nextMicroBatch, long optimizerStep, long totalSteps, String settings,
                        String task, List<Double> losses) {}

    /** A loaded checkpoint. */
    public record Loaded(State state, float[] params, float[] m, float[] v, int[] indices) {}

    private TrainingCheckpoint() {}

    /** Test hook: when > 0, the write fails after this many bytes, as a crash mid-write would. */
    static long failAfterBytes = -1;

    public static void write(Path path, State state, Tensor params, Tensor m, Tensor v, int[] indices) throws IOException {
        long p = params.numel();
        int k = indices.length;
        long crcParams = crc(params, p), crcM = crc(m, k), crcV = crc(v, k);
        CRC32 ci = new CRC32();
        ByteBuffer idxBytes = ByteBuffer.allocate(4 * k).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : indices) idxBytes.putInt(i);
        ci.update(idxBytes.array());

        ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(header)) {
            g.writeStartObject();
            g.writeNumberField("epoch", state.epoch());
            g.writeNumberField("next_micro_batch", state.nextMicroBatch());
            g.writeNumberField("optimizer_step", state.optimizerStep());
            g.writeNumberField("total_steps", state.totalSteps());
            g.writeStringField("settings", state.settings());
            g.writeStringField("task", state.task());
            g.writeArrayFieldStart("losses");
            for (double l : state.losses()) g.writeNumber(l);
            g.writeEndArray();
            g.writeNumberField("parameter_count", p);
            g.writeNumberField("k", k);
            g.writeNumberField("crc32_params", crcParams);
            g.writeNumberField("crc32_m", crcM);
            g.writeNumberField("crc32_v", crcV);
            g.writeNumberField("crc32_indices", ci.getValue());
            g.writeEndObject();
        }
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Sink sink = new Sink(ch);
            sink.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
            sink.put(header.toByteArray());
            sink.put(new byte[] {'\n'});
            writeFloats(sink, params, p);
            writeFloats(sink, m, k);
            writeFloats(sink, v, k);
            sink.put(idxBytes.array());
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Counts bytes so the crash test can stop a write midway. */
    private static final class Sink {
        final FileChannel ch;
        long written;
        Sink(FileChannel ch) { this.ch = ch; }
        void put(byte[] b) throws IOException {
            if (failAfterBytes > 0 && written + b.length > failAfterBytes) {
                ByteBuffer part = ByteBuffer.wrap(b, 0, (int) (failAfterBytes - written));
                while (part.hasRemaining()) ch.write(part);
                throw new IOException("simulated crash after " + failAfterBytes + " bytes");
            }
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining()) ch.write(bb);
            written += b.length;
        }
    }

    private static void writeFloats(Sink sink, Tensor t, long n) throws IOException {
        TensorBytes.stream(t, n, (buf, len) -> sink.put(java.util.Arrays.copyOf(buf, len)));
    }

    private static long crc(Tensor t, long n) throws IOException {
        CRC32 c = new CRC32();
        TensorBytes.stream(t, n, (buf, len) -> c.update(buf, 0, len));
        return c.getValue();
    }

    public static Loaded read(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
        int eol = HeaderedFile.headerEnd(all, MAGIC, "training checkpoint", path);
        long epoch = -1, next = -1, optStep = -1, total = -1, p = -1, k = -1, cp = -1, cm = -1, cv = -1, cidx = -1;
        String settings = null, task = null;
        List<Double> losses = new ArrayList<>();
        try (JsonParser jp = new JsonFactory().createParser(all, magic.length, eol - magic.length)) {
            if (jp.nextToken() != JsonToken.START_OBJECT) throw new IOException(path + ": header is not a JSON object");
            while (jp.nextToken() == JsonToken.FIELD_NAME) {
                String f = jp.currentName();
                JsonToken t = jp.nextToken();
                switch (f) {
                    case "epoch" -> epoch = jp.getLongValue();
                    case "next_micro_batch" -> next = jp.getLongValue();
                    case "optimizer_step" -> optStep = jp.getLongValue();
                    case "total_steps" -> total = jp.getLongValue();
                    case "settings" -> settings = jp.getText();
                    case "task" -> task = jp.getText();
                    case "parameter_count" -> p = jp.getLongValue();
                    case "k" -> k = jp.getLongValue();
                    case "crc32_params" -> cp = jp.getLongValue();
                    case "crc32_m" -> cm = jp.getLongValue();
                    case "crc32_v" -> cv = jp.getLongValue();
                    case "crc32_indices" -> cidx = jp.getLongValue();
                    case "losses" -> { while (jp.nextToken() != JsonToken.END_ARRAY) losses.add(jp.getDoubleValue()); }
                    default -> { if (t.isStructStart()) jp.skipChildren(); }
                }
            }
        }
        if (p < 0 || k < 0 || epoch < 0 || next < 0 || optStep < 0 || settings == null) {
            throw new IOException(path + ": header lacks one of epoch, next_micro_batch, optimizer_step, parameter_count, k, settings");
        }
        long expected = (p + 3 * k) * 4;
        if (all.length - (eol + 1) != expected) {
            throw new IOException(path + ": fields 'parameter_count' = " + p + " and 'k' = " + k + " need " + expected
                    + " bytes of data, the file has " + (all.length - eol - 1) + " (truncated?)");
        }
        ByteBuffer b = ByteBuffer.wrap(all, eol + 1, (int) expected).order(ByteOrder.LITTLE_ENDIAN);
        float[] params = floats(b, (int) p), m = floats(b, (int) k), v = floats(b, (int) k);
        int[] idx = new int[(int) k];
        for (int i = 0; i < idx.length; i++) idx[i] = b.getInt();
        check(path, "crc32_params", cp, crcOf(params));
        check(path, "crc32_m", cm, crcOf(m));
        check(path, "crc32_v", cv, crcOf(v));
        CRC32 ci = new CRC32();
        ci.update(all, (int) (eol + 1 + (p + 2 * k) * 4), (int) (4 * k));
        check(path, "crc32_indices", cidx, ci.getValue());
        return new Loaded(new State((int) epoch, (int) next, optStep, total, settings, task, losses), params, m, v, idx);
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = b.getFloat();
        return out;
    }

    private static long crcOf(float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        CRC32 c = new CRC32();
        c.update(bb.array());
        return c.getValue();
    }

    private static void check(Path path, String field, long want, long got) throws IOException {
        if (want != got) throw new IOException(path + ": field '" + field + "' = " + want + " but the data give " + got + " (corrupted)");
    }
}
