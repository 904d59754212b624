package io.piece4j.nn.format;

import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.Q8Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Conversions between stored element types and float32. Decoding reads a tensor's bytes (a segment that starts
 * at the tensor's first byte) from element {@code first} for {@code count} elements.
 */
public final class ElementCodec {
    private ElementCodec() {}

    /** binary16 bits to float: exact (every half is a float). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to binary16 bits, rounding to nearest even; overflow gives infinity, NaN stays NaN. */
    public static short floatToF16(float x) {
        return Float.floatToFloat16(x);
    }

    /** bfloat16 bits to float: exact, the bits are the top half of the float's. */
    public static float bf16ToFloat(short bits) {
        return Bf16Matrix.toFloat(bits);
    }

    /** float to bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN instead of rounding to infinity. */
    public static short floatToBf16(float x) {
        return Bf16Matrix.toBf16(x);
    }

    /**
     * GGML Q8_0 encoding of x (a multiple of 32 long) as ggml's reference quantizer does it: per block of 32,
     * d = max|x| / 127, q = round(x * (1 / d)) half away from zero (0 when d is 0), and d stored as binary16.
     * Returns the blocks (x.length / 32 x 34 bytes: d, then q[32]).
     */
    public static byte[] encodeQ8_0(float[] x) {
        if (x.length % 32 != 0) throw new IllegalArgumentException(x.length + " values: Q8_0 needs a multiple of 32");
        byte[] out = new byte[x.length / 32 * 34], q = new byte[32];
        for (int b = 0; b < x.length / 32; b++) {
            // the quantiser decoding uses (Q8Matrix), so a file written here holds the numbers decoding would
            short half = Float.floatToFloat16(Q8Matrix.quantizeBlock(x, b * 32, q, 0)); // exact: the scale is a binary16 value
            out[b * 34] = (byte) half;
            out[b * 34 + 1] = (byte) (half >> 8);
            System.arraycopy(q, 0, out, b * 34 + 2, 32);
        }
        return out;
    }

    /**
     * Decodes {@code count} elements starting at element {@code first} of a tensor stored as {@code type} in
     * {@code data} into {@code dst[dstOffset ..]}. The caller has checked the range against the tensor.
     */
    static void decode(ElementType type, MemorySegment data, long first, int count, float[] dst, int dstOffset) {
        switch (type) {
            case F32 -> MemorySegment.copy(data, LittleEndian.F32, first * 4, dst, dstOffset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) dst[dstOffset + i] = Float.float16ToFloat(data.get(LittleEndian.I16, (first + i) * 2));
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) dst[dstOffset + i] = bf16ToFloat(data.get(LittleEndian.I16, (first + i) * 2));
            }
            case Q8_0 -> decodeQ8_0(data, first, count, dst, dstOffset);
            case Q4_0 -> decodeQ4_0(data, first, count, dst, dstOffset);
            case Q8_LLAMA2C -> throw new IllegalArgumentException("Q8_LLAMA2C keeps values and scales apart; decode it with its scales");
        }
    }

    // block (34 bytes): d fp16 | q[32] int8;  x[j] = d * q[j]
    private static void decodeQ8_0(MemorySegment data, long first, int count, float[] dst, int dstOffset) {
        long block = -1;
        float d = 0;
        for (int i = 0; i < count; i++) {
            long e = first + i;
            long b = e >>> 5;
            if (b != block) {
                block = b;
                d = Float.float16ToFloat(data.get(LittleEndian.I16, b * 34));
            }
            dst[dstOffset + i] = d * data.get(ValueLayout.JAVA_BYTE, b * 34 + 2 + (e & 31));
        }
    }

    // block (18 bytes): d fp16 | qs[16];  x[j] = d * ((qs[j] & 0xF) - 8), x[j + 16] = d * ((qs[j] >> 4) - 8)
    private static void decodeQ4_0(MemorySegment data, long first, int count, float[] dst, int dstOffset) {
        long block = -1;
        float d = 0;
        for (int i = 0; i < count; i++) {
            long e = first + i;
            long b = e >>> 5;
            if (b != block) {
                block = b;
                d = Float.float16ToFloat(data.get(LittleEndian.I16, b * 18));
            }
            int j = (int) (e & 31);
            int packed = data.get(ValueLayout.JAVA_BYTE, b * 18 + 2 + (j & 15)) & 0xFF;
            int nibble = j < 16 ? packed & 0x0F : packed >>> 4;
            dst[dstOffset + i] = d * (nibble - 8);
        }
    }
}
