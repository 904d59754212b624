package io.piece4j.nn.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One parameter of a checkpoint under its canonical name (e.g. {@code layers.0.attn.wq}), read on demand from the
 * memory-mapped file and converted to float32. Shapes are row-major, matrices (out, in).
 */
public final class CheckpointTensor {
    /** Produces float32 values of elements [first, first + count) of the stored tensor. */
    @FunctionalInterface
    interface Source {
        void read(long first, int count, float[] dst, int dstOffset);
    }

    private final String name;
    private final int[] shape;
    private final ElementType sourceType;
    private final long numel;
    private final Source source;
    private final MemorySegment stored; // the bytes as the file stores them (row-major, sourceType), or null

    CheckpointTensor(String name, int[] shape, ElementType sourceType, Source source) {
        this(name, shape, sourceType, source, null);
    }

    CheckpointTensor(String name, int[] shape, ElementType sourceType, Source source, MemorySegment stored) {
        this.name = name;
        this.shape = shape.clone();
        this.sourceType = sourceType;
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        this.numel = n;
        this.source = source;
        this.stored = stored;
    }

    /** The canonical name (see {@link io.piece4j.nn.LlamaConfig#parameterSpecs()}). */
    public String name() { return name; }

    public int[] shape() { return shape.clone(); }

    /** How the file stores the elements; reads always give float32. */
    public ElementType sourceType() { return sourceType; }

    public long numel() { return numel; }

    /** All elements, converted to float32, into {@code dst[dstOffset .. dstOffset + numel)}. */
    public void readInto(float[] dst, int dstOffset) {
        if (numel > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " has " + numel + " elements, more than one float[] holds: use readRange");
        }
        readRange(0, (int) numel, dst, dstOffset);
    }

    /** Elements [first, first + count) in row-major order, converted to float32, into {@code dst[dstOffset ..]}. */
    public void readRange(long first, int count, float[] dst, int dstOffset) {
        if (first < 0 || count < 0 || first > numel - count) {
            throw new IndexOutOfBoundsException("elements [" + first + ", " + first + " + " + count + ") of " + name
                    + " outside [0, " + numel + ")");
        }
        if (dstOffset < 0 || dstOffset > dst.length - count) {
            throw new IndexOutOfBoundsException(count + " elements at offset " + dstOffset + " do not fit a float["
                    + dst.length + "]");
        }
        source.read(first, count, dst, dstOffset);
    }

    /**
     * All elements, converted to float32, into native-order floats of {@code dst} starting at float index
     * {@code dstIndex}: for off-heap parameter buffers and tensors of more than 2^31 elements.
     */
    public void readInto(MemorySegment dst, long dstIndex) {
        if (dstIndex < 0 || dst.byteSize() / Float.BYTES - dstIndex < numel) {
            throw new IndexOutOfBoundsException(numel + " floats at index " + dstIndex + " do not fit a segment of "
                    + dst.byteSize() + " bytes");
        }
        float[] chunk = new float[(int) Math.min(numel, 1 << 16)];
        for (long done = 0; done < numel; ) {
            int n = (int) Math.min(chunk.length, numel - done);
            source.read(done, n, chunk, 0);
            MemorySegment.copy(chunk, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, (dstIndex + done) * Float.BYTES, n);
            done += n;
        }
    }

    /**
     * Whether the file's own bytes of this tensor can be taken as they are in {@code type} (by {@link #readBf16Bits}
     * or {@link #readQ8_0}), without going through float32.
     */
    public boolean storedAs(ElementType type) {
        return stored != null && sourceType == type;
    }

    /** The tensor's bfloat16 bits as stored, into dst (numel long): no float32 on the way. */
    public void readBf16Bits(short[] dst) {
        requireStored(ElementType.BF16, dst.length);
        MemorySegment.copy(stored, LittleEndian.I16, 0, dst, 0, dst.length);
    }

    /**
     * The tensor's Q8_0 blocks as stored (each 34 bytes: binary16 scale d, 32 int8 values), split into the int8
     * values, into quants (numel long), and the scales as float32, into scales (numel / 32 long): no float32 copy of
     * the values on the way.
     */
    public void readQ8_0(byte[] quants, float[] scales) {
        requireStored(ElementType.Q8_0, quants.length);
        if (scales.length * 32L != quants.length) throw new IllegalArgumentException(scales.length + " scales for " + quants.length + " values");
        int bytes = ElementType.Q8_0.bytesPerBlock;
        for (int b = 0; b < scales.length; b++) {
            scales[b] = Float.float16ToFloat(stored.get(LittleEndian.I16, (long) b * bytes));
            MemorySegment.copy(stored, ValueLayout.JAVA_BYTE, (long) b * bytes + 2, quants, b * 32, 32);
        }
    }

    private void requireStored(ElementType type, long length) {
        if (!storedAs(type)) throw new IllegalStateException(name + " is not stored as " + type + " (it is " + sourceType + ")");
        if (length != numel) throw new IllegalArgumentException(length + " elements for " + name + " of " + numel);
    }

    /** A new array with all elements as float32. */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel)];
        readInto(out, 0);
        return out;
    }

    @Override public String toString() {
        return name + Arrays.toString(shape) + " " + sourceType;
    }
}
