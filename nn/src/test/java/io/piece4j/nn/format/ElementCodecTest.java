package io.piece4j.nn.format;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversions checked against values worked out by hand from the IEEE 754, bfloat16 and GGML specifications. */
class ElementCodecTest {
    @Test
    void f16DecodesSpecificationExamples() {
        assertEquals(1.0f, ElementCodec.f16ToFloat((short) 0x3C00));
        assertEquals(-2.0f, ElementCodec.f16ToFloat((short) 0xC000));
        assertEquals(65504.0f, ElementCodec.f16ToFloat((short) 0x7BFF), "largest finite half");
        assertEquals(0x1p-24f, ElementCodec.f16ToFloat((short) 0x0001), "smallest subnormal half");
        assertEquals(0x1p-14f, ElementCodec.f16ToFloat((short) 0x0400), "smallest normal half");
        assertEquals(0.333251953125f, ElementCodec.f16ToFloat((short) 0x3555), "nearest half to 1/3");
        assertEquals(Float.NEGATIVE_INFINITY, ElementCodec.f16ToFloat((short) 0xFC00));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(ElementCodec.f16ToFloat((short) 0x8000)));
        assertTrue(Float.isNaN(ElementCodec.f16ToFloat((short) 0x7E00)));
    }

    @Test
    void f16EncodingRoundsToNearestEven() {
        assertEquals((short) 0x3C00, ElementCodec.floatToF16(1.0f + 0x1p-11f), "halfway between 1 and 1+2^-10 goes to even 1");
        assertEquals((short) 0x3C02, ElementCodec.floatToF16(1.0f + 3 * 0x1p-11f), "halfway up to even 1+2^-9");
        assertEquals((short) 0x7C00, ElementCodec.floatToF16(65520f), "65520 rounds past the largest half to infinity");
        assertEquals((short) 0x7BFF, ElementCodec.floatToF16(65519f));
    }

    @Test
    void bf16IsTheUpperHalfOfAFloat() {
        assertEquals(1.0f, ElementCodec.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.0f, ElementCodec.bf16ToFloat((short) 0xC000));
        assertEquals(3.140625f, ElementCodec.bf16ToFloat((short) 0x4049), "pi in bfloat16");
        assertEquals(0x1p-133f, ElementCodec.bf16ToFloat((short) 0x0001), "smallest subnormal bfloat16");
    }

    @Test
    void bf16EncodingRoundsToNearestEvenAndKeepsNaN() {
        assertEquals((short) 0x3F80, ElementCodec.floatToBf16(1.0f + 0x1p-8f), "halfway between 1 and 1+2^-7 goes to even 1");
        assertEquals((short) 0x3F82, ElementCodec.floatToBf16(1.0f + 3 * 0x1p-8f), "halfway up to even 1+2^-6");
        assertEquals((short) 0x3F81, ElementCodec.floatToBf16(1.0f + 0x1p-8f + 0x1p-20f), "just above halfway rounds up");
        assertEquals((short) 0x4049, ElementCodec.floatToBf16((float) Math.PI));
        short nan = ElementCodec.floatToBf16(Float.intBitsToFloat(0x7F800001)); // a NaN whose payload is in the low bits
        assertTrue(Float.isNaN(ElementCodec.bf16ToFloat(nan)), "NaN must not round to infinity, got " + Integer.toHexString(nan & 0xFFFF));
    }

    @Test
    void q8_0BlockIsScaleTimesSignedBytes() {
        // two blocks: d = 0.5 (0x3800) with q = -128 .. -97, then d = -2 (0xC000) with q = 0 .. 31
        ByteBuffer b = ByteBuffer.allocate(68).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x3800);
        for (int j = 0; j < 32; j++) b.put((byte) (-128 + j));
        b.putShort((short) 0xC000);
        for (int j = 0; j < 32; j++) b.put((byte) j);
        float[] expected = new float[64];
        for (int j = 0; j < 32; j++) {
            expected[j] = 0.5f * (-128 + j);   // -64, -63.5, ..., -48.5
            expected[32 + j] = -2f * j;        // -0, -2, ..., -62 (d * 0 keeps the sign of d)
        }
        float[] all = new float[64];
        ElementCodec.decode(ElementType.Q8_0, MemorySegment.ofArray(b.array()), 0, 64, all, 0);
        assertBitsEqual(expected, all, "Q8_0 two blocks");
        float[] across = new float[6];
        ElementCodec.decode(ElementType.Q8_0, MemorySegment.ofArray(b.array()), 29, 6, across, 0);
        assertBitsEqual(new float[] {-49.5f, -49f, -48.5f, -0f, -2f, -4f}, across, "Q8_0 range across the block boundary");
    }

    @Test
    void q4_0BlockHoldsLowNibblesThenHighNibblesMinusEight() {
        // d = 2 (0x4000); byte j = j | (15 - j) << 4, so x[j] = 2 * (j - 8) and x[j + 16] = 2 * (7 - j)
        ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x4000);
        for (int j = 0; j < 16; j++) b.put((byte) (j | (15 - j) << 4));
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            expected[j] = 2f * (j - 8);
            expected[j + 16] = 2f * (7 - j);
        }
        float[] out = new float[32];
        ElementCodec.decode(ElementType.Q4_0, MemorySegment.ofArray(b.array()), 0, 32, out, 0);
        assertBitsEqual(expected, out, "Q4_0 block");
    }

    @Test
    void f16AndBf16TensorsDecodeLittleEndian() {
        byte[] f16 = {0x00, 0x3C, 0x00, (byte) 0xC0, (byte) 0xFF, 0x7B};
        float[] out = new float[3];
        ElementCodec.decode(ElementType.F16, MemorySegment.ofArray(f16), 0, 3, out, 0);
        assertBitsEqual(new float[] {1f, -2f, 65504f}, out, "F16 bytes 00 3C, 00 C0, FF 7B");
        byte[] bf16 = {(byte) 0x80, 0x3F, 0x49, 0x40};
        float[] two = new float[2];
        ElementCodec.decode(ElementType.BF16, MemorySegment.ofArray(bf16), 0, 2, two, 0);
        assertBitsEqual(new float[] {1f, 3.140625f}, two, "BF16 bytes 80 3F, 49 40");
    }
}
