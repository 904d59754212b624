package io.piece4j.distributed;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** SHA-256 names for shipped inputs and run folders: the same inputs get the same folder on every machine. */
final class Digests {
    private Digests() {}

    static String ofFiles(Map<String, byte[]> files) {
        MessageDigest d = sha256();
        for (var e : new TreeMap<>(files).entrySet()) {
            d.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(e.getValue());
        }
        return HexFormat.of().formatHex(d.digest(), 0, 12);
    }

    static String ofStrings(String... parts) {
        MessageDigest d = sha256();
        for (String p : parts) {
            d.update(p.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        }
        return HexFormat.of().formatHex(d.digest(), 0, 12);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
