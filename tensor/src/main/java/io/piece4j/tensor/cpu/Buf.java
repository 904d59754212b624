package io.piece4j.tensor.cpu;

/**
 * An array of numbers as the shared CPU kernels see it: float32 for normal work, float64 for the
 * reference backend's gradient checks. The kernels compute in double either way; a float buffer
 * rounds on store. Two final implementations keep the call sites bimorphic, which HotSpot inlines.
 */
public sealed interface Buf permits Buf.F32, Buf.F64 {
    double get(int i);

    void set(int i, double v);

    int length();

    default void add(int i, double v) { set(i, get(i) + v); }

    final class F32 implements Buf {
        public final float[] a;
        public F32(float[] a) { this.a = a; }
        @Override public double get(int i) { return a[i]; }
        @Override public void set(int i, double v) { a[i] = (float) v; }
        @Override public void add(int i, double v) { a[i] = (float) (a[i] + v); }
        @Override public int length() { return a.length; }
    }

    final class F64 implements Buf {
        public final double[] a;
        public F64(double[] a) { this.a = a; }
        @Override public double get(int i) { return a[i]; }
        @Override public void set(int i, double v) { a[i] = v; }
        @Override public void add(int i, double v) { a[i] += v; }
        @Override public int length() { return a.length; }
    }
}
