package io.piece4j.backend.simd;

/**
 * Work arrays of one use site, one per thread, grown on demand and kept: once the sizes of a training step
 * have been seen, kernels allocate nothing per call. Contents are left from the previous call; a caller
 * writes every element it reads.
 */
final class WorkArrays {
    private WorkArrays() {}

    /** float arrays. */
    static final class Floats {
        private final ThreadLocal<float[]> arrays = ThreadLocal.withInitial(() -> new float[0]);

        /** This thread's array of at least n floats. */
        float[] atLeast(int n) {
            float[] a = arrays.get();
            if (a.length < n) {
                a = new float[n];
                arrays.set(a);
            }
            return a;
        }
    }

    /** double arrays. */
    static final class Doubles {
        private final ThreadLocal<double[]> arrays = ThreadLocal.withInitial(() -> new double[0]);

        double[] atLeast(int n) {
            double[] a = arrays.get();
            if (a.length < n) {
                a = new double[n];
                arrays.set(a);
            }
            return a;
        }
    }

    /** int arrays. */
    static final class Ints {
        private final ThreadLocal<int[]> arrays = ThreadLocal.withInitial(() -> new int[0]);

        int[] atLeast(int n) {
            int[] a = arrays.get();
            if (a.length < n) {
                a = new int[n];
                arrays.set(a);
            }
            return a;
        }
    }
}
