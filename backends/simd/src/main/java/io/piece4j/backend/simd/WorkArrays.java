package io.piece4j.backend.simd;

import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * Work arrays of one use site, one per thread, grown on demand and kept: once the sizes of a training step
 * have been seen, kernels allocate nothing per call. Contents are left from the previous call; a caller
 * writes every element it reads. A is the array type (float[], double[], int[]).
 */
final class WorkArrays<A> {
    private final IntFunction<A> allocate;
    private final ToIntFunction<A> length;
    private final ThreadLocal<A> arrays;

    private WorkArrays(IntFunction<A> allocate, ToIntFunction<A> length) {
        this.allocate = allocate;
        this.length = length;
        this.arrays = ThreadLocal.withInitial(() -> allocate.apply(0));
    }

    static WorkArrays<float[]> floats() { return new WorkArrays<>(float[]::new, a -> a.length); }

    static WorkArrays<double[]> doubles() { return new WorkArrays<>(double[]::new, a -> a.length); }

    static WorkArrays<int[]> ints() { return new WorkArrays<>(int[]::new, a -> a.length); }

    /** This thread's array of at least n elements. */
    A atLeast(int n) {
        A a = arrays.get();
        if (length.applyAsInt(a) < n) {
            a = allocate.apply(n);
            arrays.set(a);
        }
        return a;
    }
}
