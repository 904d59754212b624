package io.piece4j.tensor;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Storage;

import java.util.Arrays;

/**
 * A row-major float32 tensor: a backend's storage, an offset into it and a shape. Views (reshape,
 * row slices) share storage. The numbers are reached only through {@link #toArray()} and
 * {@link #copyFrom(float[])}, so the storage may live on a device.
 *
 * <p>A tensor that {@link #requiresGrad()} gets a gradient tensor of the same shape when a backward pass
 * reaches it. Leaf tensors (parameters) keep their gradient, and may be given one that is a view into a
 * flat gradient buffer ({@link #setGrad}); intermediate tensors lose theirs when the tape is cleared.
 */
public final class Tensor {
    private final Backend backend;
    private final Storage storage;
    private final long offset;
    private final int[] shape;
    private final long numel;

    private boolean requiresGrad;
    private boolean leaf = true;
    private Tensor grad;
    private String name;

    Tensor(Storage storage, long offset, int[] shape) {
        this.backend = storage.backend();
        this.storage = storage;
        this.offset = offset;
        this.shape = shape.clone();
        this.numel = Shape.numel(shape);
        if (offset < 0 || offset + numel > storage.size()) {
            throw new IllegalArgumentException("view " + Shape.str(shape) + " at offset " + offset
                    + " does not fit storage of " + storage.size() + " elements");
        }
    }

    // ---------------------------------------------------------------- creation

    public static Tensor zeros(Backend backend, int... shape) {
        return new Tensor(backend.allocate(Shape.numel(shape)), 0, shape);
    }

    /**
     * Zeros for an op's output: storage of the {@link ActivationArena} open on this thread for the backend (a
     * training step), else a fresh allocation as {@link #zeros}. Only ops call it; their outputs do not outlive
     * the step that made them.
     */
    public static Tensor activation(Backend backend, int... shape) {
        return fromArena(backend, true, shape);
    }

    /**
     * As {@link #activation}, for an op whose kernel writes every element before anything reads it (a matrix product
     * without accumulation, the softmax that cross-entropy keeps): storage reused from the arena is not zero-filled
     * first. That fill was a pass over the step's largest tensors, the logits and their softmax (2 x 262 MB at
     * stories15M, 8 x 256), for values the kernel then overwrote. Tests run with the arena's NaN poison, so an op
     * that does not write everything shows NaN rather than another step's numbers.
     */
    public static Tensor activationToOverwrite(Backend backend, int... shape) {
        return fromArena(backend, false, shape);
    }

    /**
     * Hands the storage of a tensor taken from the open arena ({@link #activation}) back before the step ends: for
     * scratch that one backward step makes and reads itself, so that the same step of the next layer gets the same
     * buffer instead of a new one. The tensor must not be read afterwards. A tensor not from the arena is left alone.
     */
    public void releaseActivation() {
        ActivationArena arena = ActivationArena.current(backend);
        if (arena != null) arena.release(storage);
    }

    /** Storage of the arena open on this thread for backend (zero-filled if zeroed), else a fresh zero allocation. */
    private static Tensor fromArena(Backend backend, boolean zeroed, int... shape) {
        ActivationArena arena = ActivationArena.current(backend);
        if (arena == null) return zeros(backend, shape);
        return new Tensor(arena.take(Shape.numel(shape), zeroed), 0, shape);
    }

    public static Tensor full(Backend backend, float value, int... shape) {
        Tensor t = zeros(backend, shape);
        backend.fill(t.storage, 0, t.numel, value);
        return t;
    }

    public static Tensor ones(Backend backend, int... shape) {
        return full(backend, 1f, shape);
    }

    public static Tensor of(Backend backend, float[] values, int... shape) {
        Tensor t = zeros(backend, shape);
        if (values.length != t.numel) {
            throw new IllegalArgumentException(values.length + " values for shape " + Shape.str(shape));
        }
        t.copyFrom(values);
        return t;
    }

    /** Normal(0, std^2) values drawn from rng in row-major order. */
    public static Tensor randn(Backend backend, Rng rng, float std, int... shape) {
        float[] v = new float[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        return of(backend, v, shape);
    }

    /** Uniform in [lo, hi) drawn from rng in row-major order. */
    public static Tensor uniform(Backend backend, Rng rng, float lo, float hi, int... shape) {
        float[] v = new float[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
        return of(backend, v, shape);
    }

    /** A tensor over existing storage (a parameter inside a flat buffer, say). */
    public static Tensor view(Storage storage, long offset, int... shape) {
        return new Tensor(storage, offset, shape);
    }

    // ---------------------------------------------------------------- facts

    public Backend backend() { return backend; }
    public Storage storage() { return storage; }
    public long offset() { return offset; }
    public int[] shape() { return shape.clone(); }
    public int dim(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }
    public int rank() { return shape.length; }
    public long numel() { return numel; }
    public int size() { return Math.toIntExact(numel); }
    public String name() { return name; }
    public Tensor named(String name) { this.name = name; return this; }

    // ---------------------------------------------------------------- host access

    public float[] toArray() {
        float[] out = new float[size()];
        backend.read(storage, offset, out, 0, out.length);
        return out;
    }

    public double[] toDoubleArray() {
        double[] out = new double[size()];
        backend.readDouble(storage, offset, out, 0, out.length);
        return out;
    }

    /** The only element of a one-element tensor. */
    public float item() {
        if (numel != 1) throw new IllegalStateException("item() of a tensor of shape " + Shape.str(shape));
        return toArray()[0];
    }

    public Tensor copyFrom(float[] values) {
        if (values.length != numel) throw new IllegalArgumentException(values.length + " values for " + this);
        backend.write(storage, offset, values, 0, values.length);
        return this;
    }

    public Tensor copyFromDouble(double[] values) {
        if (values.length != numel) throw new IllegalArgumentException(values.length + " values for " + this);
        backend.writeDouble(storage, offset, values, 0, values.length);
        return this;
    }

    public Tensor copyFrom(Tensor src) {
        checkSameSize(src);
        backend.copy(src.storage, src.offset, storage, offset, numel);
        return this;
    }

    public void fill(float value) { backend.fill(storage, offset, numel, value); }

    public void zero() { fill(0f); }

    /** An independent copy (no autograd link). */
    public Tensor copy() {
        return zeros(backend, shape).copyFrom(this);
    }

    // ---------------------------------------------------------------- views

    /** Same storage, another shape with the same number of elements; gradients flow through. */
    public Tensor reshape(int... newShape) {
        if (Shape.numel(newShape) != numel) {
            throw new IllegalArgumentException("cannot reshape " + Shape.str(shape) + " to " + Shape.str(newShape));
        }
        Tensor out = new Tensor(storage, offset, newShape);
        return Autograd.record(out, g -> {
            if (!leaf && grad == null && out.grad == g) {
                // the first gradient to reach an intermediate tensor: take out's buffer over, seen in this shape,
                // instead of zero-filling a new one and adding g into it (two passes over the logits' gradient, 262 MB
                // at stories15M, 8 x 256); out lets go of it, so the buffer goes back to the arena with this tensor's
                // gradient, not with out's
                grad = new Tensor(g.storage, g.offset, shape);
                out.grad = null;
            } else {
                backend.addScaled(this.gradForAccumulation(), g, 1f);
            }
        }, this);
    }

    /** Rows [start, start + count) along the first axis; gradients flow into the same rows. */
    public Tensor rows(int start, int count) {
        if (start < 0 || count < 0 || start + count > shape[0]) {
            throw new IllegalArgumentException("rows [" + start + ", " + (start + count) + ") of " + Shape.str(shape));
        }
        long rowSize = numel / Math.max(shape[0], 1);
        int[] s = shape.clone();
        s[0] = count;
        Tensor out = new Tensor(storage, offset + start * rowSize, s);
        return Autograd.record(out, g -> backend.addScaled(this.gradForAccumulation().rowsNoGrad(start, count), g, 1f), this);
    }

    /**
     * Columns from .. from + count of a one-row tensor (1, N), as a (1, count) view with no autograd link: one token's
     * q, k and v (or gate and up) as stretches of the joined projection's output row.
     */
    public Tensor columnsNoGrad(int from, int count) {
        if (shape.length != 2 || shape[0] != 1 || from < 0 || count < 1 || from + count > shape[1]) {
            throw new IllegalArgumentException("columns " + from + " .. " + (from + count) + " of " + Shape.str(shape) + ": expected a (1, N) tensor and a range inside it");
        }
        return view(storage, offset + from, 1, count);
    }

    /** A row view with no autograd link (for kernels and optimizers). */
    public Tensor rowsNoGrad(int start, int count) {
        long rowSize = numel / Math.max(shape[0], 1);
        int[] s = shape.clone();
        s[0] = count;
        return new Tensor(storage, offset + start * rowSize, s);
    }

    /** A view of the same numbers with no autograd link, in another shape. */
    public Tensor viewAs(int... newShape) {
        if (Shape.numel(newShape) != numel) {
            throw new IllegalArgumentException("cannot view " + Shape.str(shape) + " as " + Shape.str(newShape));
        }
        return new Tensor(storage, offset, newShape);
    }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() { return requiresGrad; }

    /** Makes this a leaf that collects a gradient (a parameter). */
    public Tensor requireGrad() {
        return requireGrad(true);
    }

    /** Turns gradient collection of this leaf on or off (a frozen parameter records no backward step). */
    public Tensor requireGrad(boolean on) {
        if (!leaf) throw new IllegalStateException("requireGrad on a tensor computed by an op: " + this);
        this.requiresGrad = on;
        return this;
    }

    void markNeedsGrad() {
        this.requiresGrad = true;
        this.leaf = false;
    }

    /** The gradient, or null if no backward pass has reached this tensor yet. */
    public Tensor grad() { return grad; }

    /** Uses the given tensor (a view into a flat gradient buffer, say) as this leaf's gradient. */
    public void setGrad(Tensor g) {
        if (g != null) checkSameSize(g);
        this.grad = g;
    }

    /** The gradient, allocated as zeros on first use. Ops accumulate into it. */
    public Tensor gradForAccumulation() {
        if (grad == null) grad = leaf ? zeros(backend, shape) : activation(backend, shape);
        return grad;
    }

    /**
     * The gradient for an op whose backward kernel writes every element of it, and whether that kernel must overwrite
     * it or add to it. An intermediate tensor's first contribution takes its storage from the arena without the zero
     * fill and overwrites it; later ones, and a leaf's, add ({@link #gradForAccumulation}). That fill was a pass over
     * each input gradient of the step's matrix products and rotations: zero fills took 3.3 % of a stories15M step's
     * samples (JFR) before, 0.5 % (other ops') after.
     */
    public GradTarget gradForWriting() {
        if (grad != null || leaf) return new GradTarget(gradForAccumulation(), false);
        grad = activationToOverwrite(backend, shape);
        return new GradTarget(grad, true);
    }

    /** A gradient and whether the op writing it overwrites (first contribution) or accumulates. */
    public record GradTarget(Tensor grad, boolean overwrite) {}

    void dropIntermediateGrad() {
        if (!leaf) grad = null;
    }

    /**
     * Drops the gradient of an intermediate tensor once the backward step that reads it has run, handing its
     * storage back to the open activation arena (if it came from there) for the rest of the backward pass.
     */
    void releaseIntermediateGrad() {
        if (leaf || grad == null) return;
        ActivationArena arena = ActivationArena.current(backend);
        if (arena != null) arena.release(grad.storage);
        grad = null;
    }

    /**
     * Backpropagates from this one-element tensor (a loss): its gradient is seeded with 1 and every
     * recorded step runs in reverse. Leaf gradients accumulate.
     */
    public void backward() {
        if (numel != 1) throw new IllegalStateException("backward() needs a scalar, got " + Shape.str(shape));
        if (!requiresGrad) throw new IllegalStateException("backward() on a tensor that does not depend on any parameter");
        Tensor g = gradForAccumulation();
        g.fill(1f);
        Autograd.runBackward();
        if (!leaf) grad = null;
    }

    // ---------------------------------------------------------------- checks

    public void checkSameSize(Tensor other) {
        if (other.numel != numel) {
            throw new IllegalArgumentException("size mismatch: " + Shape.str(shape) + " vs " + Shape.str(other.shape));
        }
    }

    @Override
    public String toString() {
        return "Tensor" + (name == null ? "" : "(" + name + ")") + Arrays.toString(shape) + "@" + backend.name();
    }
}
