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

    CheckpointTensor(String name, int[] shape, ElementType sourceType, Source source) {
        this.name = name;
        this.shape = shape.clone();
        this.sourceType = sourceType;
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        this.numel = n;
        this.source = source;
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
