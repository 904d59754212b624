package io.piece4j.nn.format;

/**
 * How a checkpoint stores a tensor's elements. Every type converts to float32 on reading; block types store
 * {@code blockSize} elements in {@code bytesPerBlock} bytes, blocks running along the innermost dimension.
 */
public enum ElementType {
    F32(1, 4),
    /** IEEE 754 binary16. */
    F16(1, 2),
    /** bfloat16: the upper 16 bits of a float32. */
    BF16(1, 2),
    /** GGML Q8_0: blocks of 32 as (fp16 scale d, 32 x int8 q); x = d * q. */
    Q8_0(32, 34),
    /** GGML Q4_0: blocks of 32 as (fp16 scale d, 16 bytes of nibbles); x[j] = d * (low nibble - 8), x[j+16] = d * (high nibble - 8). */
    Q4_0(32, 18),
    /**
     * llama2.c version 2: a weight's int8 values followed by its float32 scales, one per group of {@code group_size}
     * values; x = scale[i / group_size] * q[i].
     */
    Q8_LLAMA2C(0, 0);

    /** Elements per block (1 for plain types; 0 where the layout has no fixed block). */
    public final int blockSize;
    /** Bytes per block (0 where the layout has no fixed block). */
    public final int bytesPerBlock;

    ElementType(int blockSize, int bytesPerBlock) {
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }
}
