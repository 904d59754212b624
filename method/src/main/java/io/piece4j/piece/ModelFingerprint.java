package io.piece4j.piece;

import io.piece4j.tensor.Tensor;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a model's parameters (float32 little-endian, layout order), read in chunks. */
public final class ModelFingerprint {
    private ModelFingerprint() {}

    public static String of(Tensor params) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            TensorBytes.stream(params, params.numel(), (buf, len) -> md.update(buf, 0, len));
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
