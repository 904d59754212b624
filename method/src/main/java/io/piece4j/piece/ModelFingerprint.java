package io.piece4j.piece;

import io.piece4j.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a model's parameters (float32 little-endian, layout order), read in chunks. */
public final class ModelFingerprint {
    private ModelFingerprint() {}

    public static String of(Tensor params) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            int chunk = 1 << 16;
            float[] buf = new float[chunk];
            ByteBuffer bytes = ByteBuffer.allocate(chunk * 4).order(ByteOrder.LITTLE_ENDIAN);
            long n = params.numel();
            for (long s = 0; s < n; s += chunk) {
                int len = (int) Math.min(chunk, n - s);
                params.backend().read(params.storage(), params.offset() + s, buf, 0, len);
                bytes.clear();
                bytes.asFloatBuffer().put(buf, 0, len);
                md.update(bytes.array(), 0, len * 4);
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
