package io.piece4j.backend.opencl;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.Precision;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.Storage;
import io.piece4j.tensor.spi.UnaryOp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * The OpenCL backend: every kernel of the SPI as OpenCL C (resources .../kernels), on one device, with
 * tensors kept in device buffers. Kernels are enqueued on one in-order queue and run asynchronously; the
 * host waits only where the SPI returns numbers: {@link #read} (a tensor read on the host), and the
 * scalars {@link #crossEntropy}, {@link #sumOfSquares} and {@link #sumOfSquaresAt} (a loss, a gradient
 * norm). Writes from the host never wait. {@link #transfers()} counts both directions.
 *
 * <p>Precision: float32 storage and arithmetic, sums over a row or a reduction axis in float32 (in a
 * fixed order, so results are reproducible bit for bit on a device), except the sums the host reads
 * back (sum of squares, cross-entropy), which run in float64 where the device has it.
 * {@link #threads()} is the device's compute-unit count; the host side is one thread.
 */
public final class OpenClBackend implements Backend {
    static final List<String> KERNEL_NAMES = List.of("unary", "unary_backward", "binary", "binary_backward_a", "binary_backward_b",
            "add_scaled", "swiglu", "swiglu_backward", "accumulate_moments", "sum_squares_partial", "sum_axis", "broadcast_axis",
            "matmul_edge", "matmul_cpu", "matmul_tiled", "transpose", "softmax", "softmax_backward", "rmsnorm", "rmsnorm_backward",
            "rmsnorm_weight_grad", "cross_entropy", "cross_entropy_backward", "rope", "attention_forward", "attention_backward_query",
            "attention_backward_kv", "embedding", "embedding_backward", "adamw", "masked_adamw", "masked_adamw_compact", "sampled_matmul",
            "sampled_matmul_compact");

    private final OpenCl cl = OpenCl.get();
    private final OpenClDevice device;
    private final OpenClProgram program;
    private final DeviceProfile profile;
    private final MemorySegment queue;
    private final DeviceMemory memory;
    private final KernelLauncher launch;
    private final IndexUploads indices;
    private final Transfers transfers = new Transfers();
    private final double createSeconds;

    private Arena stagingArena;
    private MemorySegment staging;          // host memory for reads and writes, grown on demand
    private OpenClStorage scratchA, scratchB; // a transposed B; attention's dS; reduction partials
    private boolean closed;

    /** A backend on the selected device ({@link OpenClDevices#selected()}); kernel timing with -Dpiece.opencl.timing=true. */
    public OpenClBackend() {
        this(OpenClDevices.selected(), null, Boolean.getBoolean("piece.opencl.timing"));
    }

    /** A backend on the given device, with the given profile (null: the device's own), timing every kernel or not. */
    public OpenClBackend(OpenClDevice device, DeviceProfile profile, boolean timing) {
        long t0 = System.nanoTime();
        this.device = device;
        this.profile = (profile != null ? profile : DeviceProfile.of(device)).fitTo(device.maxWorkGroupSize());
        this.program = OpenClProgram.on(device, this.profile);
        this.queue = cl.createQueue(program.context, device.id(), timing);
        this.memory = new DeviceMemory(cl, program.context, device);
        this.launch = new KernelLauncher(cl, program.program, queue, KERNEL_NAMES, timing);
        this.indices = new IndexUploads(cl, program.context, transfers);
        JvmSignalHandlers.restore(); // a context, a queue and a compiled program: the driver's last chances to take signals
        this.createSeconds = (System.nanoTime() - t0) / 1e9;
    }

    // ---------------------------------------------------------------- identity

    @Override public String name() { return "opencl"; }

    @Override
    public String description() {
        return "opencl (" + device.name() + ", " + device.typeName() + ", " + device.platformName() + ", profile " + profile.name() + ")";
    }

    @Override public int threads() { return device.computeUnits(); }

    @Override public Precision precision() { return Precision.FLOAT32; }

    public OpenClDevice device() { return device; }

    public DeviceProfile profile() { return profile; }

    /** Seconds the kernel program took to build (paid once per device and profile per JVM, at the first backend). */
    public double programBuildSeconds() { return program.buildSeconds; }

    /** Seconds this backend took to create (context, program when first, queue and kernels). */
    public double createSeconds() { return createSeconds; }

    /** Host-device transfers so far. */
    public Transfers transfers() { return transfers; }

    /** Kernels enqueued so far. */
    public long launches() { return launch.launches(); }

    /** Device time per kernel name {launches, nanoseconds}, when created with timing; waits for the queue. */
    public synchronized Map<String, long[]> kernelTimes() { return launch.times(); }

    /** Device buffers: live, pooled, created and reused. */
    public String memoryStats() { return memory.stats(); }

    /** Waits until every command enqueued so far has finished. */
    public synchronized void finish() { cl.finish(queue); }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cl.finish(queue);
        indices.close();
        launch.close();
        scratchA = scratchB = null;
        memory.close();
        cl.releaseQueue(queue);
        if (stagingArena != null) stagingArena.close();
    }

    // ---------------------------------------------------------------- memory

    private OpenClStorage st(Storage s) {
        if (closed) throw new IllegalStateException("opencl backend is closed");
        if (s instanceof OpenClStorage o && o.backend() == this) return o;
        throw new IllegalArgumentException("opencl: storage belongs to " + s.backend().name() + ", not to this backend");
    }

    private OpenClStorage st(Tensor t) { return t == null ? null : st(t.storage()); }

    private static long off(Tensor t) { return t == null ? 0 : t.offset(); }

    private static void checkRange(Storage s, long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > s.size()) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + length) + ") of storage of " + s.size());
        }
    }

    @Override
    public synchronized Storage allocate(long elements) {
        if (elements < 0) throw new IllegalArgumentException("opencl: cannot allocate " + elements + " elements");
        if (closed) throw new IllegalStateException("opencl backend is closed");
        OpenClStorage s = memory.storage(this, elements);
        fillBytes(s, 0, Math.max(1, elements) * Float.BYTES, 0f);
        return s;
    }

    private MemorySegment staging(long bytes) {
        if (staging == null || staging.byteSize() < bytes) {
            if (stagingArena != null) stagingArena.close();
            stagingArena = Arena.ofShared();
            staging = stagingArena.allocate(Math.max(bytes, 1 << 16), 64);
        }
        return staging;
    }

    /** Copies host data to the device without waiting: a buffer made from the data, copied on the queue. */
    private void upload(OpenClStorage dst, long dstByteOffset, MemorySegment host, long bytes) {
        if (bytes == 0) return;
        MemorySegment tmp = cl.createBuffer(program.context, OpenCl.CL_MEM_READ_ONLY | OpenCl.CL_MEM_COPY_HOST_PTR, bytes, host);
        cl.copy(queue, tmp, dst.mem(), 0, dstByteOffset, bytes);
        cl.releaseMem(tmp); // deleted once the copy has run
        transfers.toDevice(bytes);
    }

    private MemorySegment download(OpenClStorage src, long srcByteOffset, long bytes) {
        MemorySegment host = staging(bytes);
        if (bytes > 0) cl.read(queue, src.mem(), true, srcByteOffset, bytes, host);
        transfers.toHost(bytes);
        return host;
    }

    @Override
    public synchronized void write(Storage dst, long dstOffset, float[] src, int srcOffset, int length) {
        checkRange(dst, dstOffset, length);
        MemorySegment host = staging((long) length * Float.BYTES);
        MemorySegment.copy(src, srcOffset, host, JAVA_FLOAT, 0, length);
        upload(st(dst), dstOffset * Float.BYTES, host, (long) length * Float.BYTES);
    }

    @Override
    public synchronized void read(Storage src, long srcOffset, float[] dst, int dstOffset, int length) {
        checkRange(src, srcOffset, length);
        MemorySegment host = download(st(src), srcOffset * Float.BYTES, (long) length * Float.BYTES);
        MemorySegment.copy(host, JAVA_FLOAT, 0, dst, dstOffset, length);
    }

    @Override
    public synchronized void writeDouble(Storage dst, long dstOffset, double[] src, int srcOffset, int length) {
        float[] f = new float[length];
        for (int i = 0; i < length; i++) f[i] = (float) src[srcOffset + i];
        write(dst, dstOffset, f, 0, length);
    }

    @Override
    public synchronized void readDouble(Storage src, long srcOffset, double[] dst, int dstOffset, int length) {
        float[] f = new float[length];
        read(src, srcOffset, f, 0, length);
        for (int i = 0; i < length; i++) dst[dstOffset + i] = f[i];
    }

    @Override
    public synchronized void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long length) {
        checkRange(src, srcOffset, length);
        checkRange(dst, dstOffset, length);
        if (length > 0) cl.copy(queue, st(src).mem(), st(dst).mem(), srcOffset * Float.BYTES, dstOffset * Float.BYTES, length * Float.BYTES);
    }

    @Override
    public synchronized void fill(Storage dst, long offset, long length, float value) {
        checkRange(dst, offset, length);
        fillBytes(st(dst), offset * Float.BYTES, length * Float.BYTES, value);
    }

    private void fillBytes(OpenClStorage s, long byteOffset, long bytes, float value) {
        if (bytes == 0) return;
        MemorySegment pattern = staging(Float.BYTES).asSlice(0, Float.BYTES);
        pattern.set(JAVA_FLOAT, 0, value);
        cl.fill(queue, s.mem(), pattern, byteOffset, bytes); // the pattern is copied by the call
    }

    /** A scratch buffer of at least the given elements (contents undefined); reused across calls, safe on the in-order queue. */
    private OpenClStorage scratchA(long elements) {
        if (scratchA == null || scratchA.size() < elements) scratchA = memory.storage(this, elements);
        return scratchA;
    }

    private OpenClStorage scratchB(long elements) {
        if (scratchB == null || scratchB.size() < elements) scratchB = memory.storage(this, elements);
        return scratchB;
    }

    /** The device copy of a host int array (uploaded once while the same array keeps coming back). */
    private MemorySegment ints(int[] a) {
        return indices.of(a);
    }

    // ---------------------------------------------------------------- elementwise

    /**
     * Work-group size of the one-item-per-element kernels: fixed, so a driver that compiles a kernel per
     * work-group size (PoCL) compiles each once.
     */
    private int elementGroup() { return profile.elementGroup(); }

    private static int code(UnaryOp op) {
        return switch (op) {
            case EXP -> 0;
            case LOG -> 1;
            case SILU -> 2;
            case NEG -> 3;
            case SQUARE -> 4;
            case SQRT -> 5;
        };
    }

    private static int code(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
        };
    }

    private KernelLauncher tensor(KernelLauncher k, Tensor t) {
        return k.buffer(st(t)).l(off(t));
    }

    @Override
    public synchronized void unary(UnaryOp op, Tensor x, Tensor y) {
        KernelLauncher k = launch.kernel("unary").i(code(op));
        tensor(tensor(k, x), y).i(x.size()).run(x.size(), elementGroup());
    }

    @Override
    public synchronized void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        KernelLauncher k = launch.kernel("unary_backward").i(code(op));
        tensor(tensor(tensor(tensor(k, x), y), dy), dx).i(x.size()).run(x.size(), elementGroup());
    }

    @Override
    public synchronized void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        KernelLauncher k = launch.kernel("binary").i(code(op));
        tensor(tensor(k, a), b).i(b.size());
        tensor(k, out).i(a.size()).run(a.size(), elementGroup());
    }

    @Override
    public synchronized void binaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dOut, Tensor da, Tensor db) {
        if (da != null) {
            KernelLauncher k = launch.kernel("binary_backward_a").i(code(op));
            tensor(k, b).i(b.size());
            tensor(tensor(k, dOut), da).i(a.size()).run(a.size(), elementGroup());
        }
        if (db != null) {
            KernelLauncher k = launch.kernel("binary_backward_b").i(code(op));
            tensor(tensor(k, a), b).i(b.size());
            tensor(tensor(k, dOut), db).i(a.size()).run(b.size(), elementGroup());
        }
    }

    @Override
    public synchronized void addScaled(Tensor dst, Tensor src, float alpha) {
        tensor(tensor(launch.kernel("add_scaled"), dst), src).i(dst.size()).f(alpha).run(dst.size(), elementGroup());
    }

    @Override
    public synchronized double sumOfSquares(Tensor x) {
        return sumOfSquares(x, null, x.size());
    }

    /** Sum of squares of x[e] for e in [0, n) or e = idx[0..n): chunk partials on the device, added in double here. */
    private double sumOfSquares(Tensor x, int[] idx, int n) {
        if (n == 0) return 0;
        int chunks = (n + profile.reduceChunk() - 1) / profile.reduceChunk();
        int accBytes = device.fp64() ? 8 : 4;
        OpenClStorage partial = scratchB((long) chunks * accBytes / Float.BYTES + 1);
        tensor(launch.kernel("sum_squares_partial"), x).mem(idx == null ? MemorySegment.NULL : ints(idx)).i(n).buffer(partial)
                .localBytes((long) profile.reduceGroup() * accBytes)
                .run(new long[] {(long) chunks * profile.reduceGroup()}, new long[] {profile.reduceGroup()});
        MemorySegment host = download(partial, 0, (long) chunks * accBytes);
        double s = 0;
        for (int c = 0; c < chunks; c++) s += device.fp64() ? host.getAtIndex(JAVA_DOUBLE, c) : host.getAtIndex(JAVA_FLOAT, c);
        return s;
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public synchronized void sumAxis(Tensor x, Tensor out, int outer, int n, int inner, float alpha, boolean accumulate) {
        tensor(tensor(launch.kernel("sum_axis"), x), out).i(outer).i(n).i(inner).f(alpha).flag(accumulate)
                .run((long) outer * inner, elementGroup());
    }

    @Override
    public synchronized void broadcastAxis(Tensor dOut, Tensor dx, int outer, int n, int inner, float alpha) {
        tensor(tensor(launch.kernel("broadcast_axis"), dOut), dx).i(outer).i(n).i(inner).f(alpha)
                .run((long) outer * n * inner, elementGroup());
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public synchronized void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, int batch, int m, int n, int k,
                                    long strideB, boolean accumulate) {
        if (batch == 0 || m == 0 || n == 0) return;
        OpenClStorage as = st(a), bs = st(b), cs = st(c);
        if (k == 0) {
            if (!accumulate) fillBytes(cs, c.offset() * Float.BYTES, (long) batch * m * n * Float.BYTES, 0f);
            return;
        }
        if (!profile.cpuMatmul()) {
            int rtsM = profile.tileM() / profile.wptM(), rtsN = profile.tileN() / profile.wptN();
            long groupsM = (m + profile.tileM() - 1) / profile.tileM(), groupsN = (n + profile.tileN() - 1) / profile.tileN();
            launch.kernel("matmul_tiled").buffer(as).l(a.offset()).flag(transA).buffer(bs).l(b.offset()).flag(transB)
                    .buffer(cs).l(c.offset()).i(m).i(n).i(k).l(strideB).flag(accumulate)
                    .run(new long[] {groupsN * rtsN, groupsM * rtsM, batch}, new long[] {rtsN, rtsM, 1});
            return;
        }
        int rm = profile.mmRows(), cols = 16 * profile.mmColumnVectors(); // one work-item's block of C
        int mFull = m - m % rm, nFull = n - n % cols;
        if (mFull == 0 || nFull == 0) {
            matmulEdge(as, a.offset(), transA, bs, b.offset(), transB, cs, c.offset(), batch, m, n, k, strideB, accumulate, 0, 0, m, n);
            return;
        }
        OpenClStorage vb = bs;
        long vbOffset = b.offset(), vbStride = strideB;
        if (transB) { // the vector kernel streams rows of B: store it (k, n) first
            int copies = strideB == 0 ? 1 : batch;
            vb = scratchA((long) copies * k * n);
            launch.kernel("transpose").buffer(bs).l(b.offset()).l(strideB).buffer(vb).l(0).l((long) k * n).i(n).i(k)
                    .run(new long[] {(k + 15) / 16 * 16L, (n + 15) / 16 * 16L, copies}, new long[] {16, 16, 1});
            vbOffset = 0;
            vbStride = strideB == 0 ? 0 : (long) k * n;
        }
        int columnItems = nFull / cols, group = 1;
        for (int g = Math.min(profile.mmGroupColumns(), columnItems); g >= 1; g--) if (columnItems % g == 0) { group = g; break; }
        launch.kernel("matmul_cpu").buffer(as).l(a.offset()).flag(transA).buffer(vb).l(vbOffset).buffer(cs).l(c.offset())
                .i(m).i(n).i(k).l(vbStride).flag(accumulate)
                .run(new long[] {columnItems, mFull / rm, batch}, new long[] {group, 1, 1});
        if (nFull < n) matmulEdge(as, a.offset(), transA, bs, b.offset(), transB, cs, c.offset(), batch, m, n, k, strideB, accumulate, 0, nFull, m, n - nFull);
        if (mFull < m) matmulEdge(as, a.offset(), transA, bs, b.offset(), transB, cs, c.offset(), batch, m, n, k, strideB, accumulate, mFull, 0, m - mFull, nFull);
    }

    private void matmulEdge(OpenClStorage a, long ao, boolean transA, OpenClStorage b, long bo, boolean transB, OpenClStorage c, long co,
                            int batch, int m, int n, int k, long strideB, boolean accumulate, int i0, int j0, int rows, int cols) {
        launch.kernel("matmul_edge").buffer(a).l(ao).flag(transA).buffer(b).l(bo).flag(transB).buffer(c).l(co)
                .i(m).i(n).i(k).l(strideB).flag(accumulate).i(i0).i(j0).i(rows).i(cols).i(batch)
                .run((long) batch * rows * cols, elementGroup());
    }

    // ---------------------------------------------------------------- transformer kernels

    private void rows(KernelLauncher k, int rows) {
        k.run(new long[] {(long) rows * profile.rowGroup()}, new long[] {profile.rowGroup()});
    }

    @Override
    public synchronized void softmax(Tensor x, Tensor y, int rows, int cols) {
        rows(tensor(tensor(launch.kernel("softmax"), x), y).i(cols), rows);
    }

    @Override
    public synchronized void softmaxBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
        rows(tensor(tensor(tensor(launch.kernel("softmax_backward"), y), dy), dx).i(cols), rows);
    }

    @Override
    public synchronized void rmsnorm(Tensor x, Tensor weight, Tensor y, Tensor rstd, int rows, int cols, float eps) {
        rows(tensor(tensor(tensor(tensor(launch.kernel("rmsnorm"), x), weight), y), rstd).i(cols).f(eps), rows);
    }

    @Override
    public synchronized void rmsnormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor dy, Tensor dx, Tensor dWeight, int rows, int cols) {
        if (dx != null) rows(tensor(tensor(tensor(tensor(tensor(launch.kernel("rmsnorm_backward"), x), weight), rstd), dy), dx).i(cols), rows);
        if (dWeight != null) {
            tensor(tensor(tensor(tensor(launch.kernel("rmsnorm_weight_grad"), x), rstd), dy), dWeight).i(rows).i(cols).run(cols, elementGroup());
        }
    }

    @Override
    public synchronized void rope(Tensor x, Tensor y, Tensor cos, Tensor sin, int batch, int seq, int heads, int headDim, int posOffset,
                                  RopeLayout layout, boolean inverse, boolean accumulate) {
        int pairs = batch * seq * heads * (headDim / 2);
        tensor(tensor(tensor(tensor(launch.kernel("rope"), x), y), cos), sin).i(seq).i(heads).i(headDim).i(posOffset)
                .flag(layout == RopeLayout.INTERLEAVED).flag(inverse).flag(accumulate).i(pairs).run(pairs, elementGroup());
    }

    private long scoresBytes(int tk) {
        long bytes = (long) Math.max(1, tk) * Float.BYTES;
        if (bytes + (long) profile.rowGroup() * Float.BYTES + 1024 > device.localMemBytes()) {
            throw new IllegalArgumentException("opencl: attention over " + tk + " keys needs " + bytes + " bytes of local memory; "
                    + device.name() + " has " + device.localMemBytes());
        }
        return bytes;
    }

    @Override
    public synchronized void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor probs, int batch, int tq, int tk, int kvCapacity,
                                       int heads, int kvHeads, int headDim) {
        KernelLauncher kl = tensor(tensor(tensor(tensor(tensor(launch.kernel("attention_forward"), q), k), v), out), probs);
        rows(kl.i(tq).i(tk).i(kvCapacity).i(heads).i(kvHeads).i(headDim).f((float) (1.0 / Math.sqrt(headDim))).localBytes(scoresBytes(tk)),
                batch * heads * tq);
    }

    @Override
    public synchronized void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor dOut, Tensor dq, Tensor dk, Tensor dv,
                                               int batch, int tq, int tk, int heads, int kvHeads, int headDim) {
        if (dq == null && dk == null && dv == null) return;
        OpenClStorage dS = scratchA((long) batch * heads * tq * tk);
        KernelLauncher kl = tensor(tensor(tensor(tensor(tensor(launch.kernel("attention_backward_query"), k), v), probs), dOut), dq);
        rows(kl.buffer(dS).i(tq).i(tk).i(heads).i(kvHeads).i(headDim).f((float) (1.0 / Math.sqrt(headDim))).localBytes(scoresBytes(tk)),
                batch * heads * tq);
        if (dk != null || dv != null) {
            long items = (long) batch * tk * kvHeads * headDim;
            KernelLauncher kv = tensor(tensor(tensor(launch.kernel("attention_backward_kv"), q), probs), dOut).buffer(dS);
            tensor(tensor(kv, dk), dv).i(batch).i(tq).i(tk).i(heads).i(kvHeads).i(headDim).run(items, elementGroup());
        }
    }

    @Override
    public synchronized void swiglu(Tensor gate, Tensor up, Tensor out) {
        tensor(tensor(tensor(launch.kernel("swiglu"), gate), up), out).i(gate.size()).run(gate.size(), elementGroup());
    }

    @Override
    public synchronized void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp) {
        if (dGate == null && dUp == null) return;
        tensor(tensor(tensor(tensor(tensor(launch.kernel("swiglu_backward"), gate), up), dOut), dGate), dUp).i(gate.size())
                .run(gate.size(), elementGroup());
    }

    @Override
    public synchronized void embedding(Tensor table, int[] ids, Tensor out, int dim) {
        if (ids.length == 0) return;
        tensor(tensor(launch.kernel("embedding"), table).mem(ints(ids)), out).i(dim).i(ids.length).run((long) ids.length * dim, elementGroup());
    }

    @Override
    public synchronized void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable, int dim) {
        if (ids.length == 0) return;
        tensor(tensor(launch.kernel("embedding_backward"), dOut).mem(ints(ids)), dTable).i(dim).i(ids.length).run(dim, elementGroup());
    }

    @Override
    public synchronized double crossEntropy(Tensor logits, int[] targets, Tensor probs, int rows, int vocab) {
        if (rows == 0) return 0;
        int accBytes = device.fp64() ? 8 : 4;
        OpenClStorage rowLoss = scratchB((long) rows * accBytes / Float.BYTES + 1);
        KernelLauncher k = tensor(launch.kernel("cross_entropy"), logits).mem(ints(targets));
        rows(tensor(k, probs).buffer(rowLoss).i(vocab), rows);
        MemorySegment host = download(rowLoss, 0, (long) rows * accBytes);
        double total = 0;
        for (int r = 0; r < rows; r++) total += device.fp64() ? host.getAtIndex(JAVA_DOUBLE, r) : host.getAtIndex(JAVA_FLOAT, r);
        return total;
    }

    @Override
    public synchronized void crossEntropyBackward(Tensor probs, int[] targets, Tensor dLogits, int rows, int vocab, float scale) {
        KernelLauncher k = tensor(launch.kernel("cross_entropy_backward"), probs).mem(ints(targets));
        tensor(k, dLogits).i(rows).i(vocab).f(scale).run((long) rows * vocab, elementGroup());
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public synchronized void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                                   float weightDecay, float bias1, float bias2) {
        tensor(tensor(tensor(tensor(launch.kernel("adamw"), param), grad), m), v).i(param.size()).f(lr).f(beta1).f(beta2).f(eps)
                .f(weightDecay).f(bias1).f(bias2).run(param.size(), elementGroup());
    }

    // ---------------------------------------------------------------- PIECE

    @Override
    public synchronized void accumulateMoments(Tensor g, Tensor sum, Tensor sumSq) {
        tensor(tensor(tensor(launch.kernel("accumulate_moments"), g), sum), sumSq).i(g.size()).run(g.size(), elementGroup());
    }

    @Override
    public synchronized double sumOfSquaresAt(Tensor x, int[] idx) {
        return sumOfSquares(x, idx, idx.length);
    }

    @Override
    public synchronized void maskedAdamw(Tensor param, Tensor grad, int[] idx, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                         float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        if (idx.length == 0) return;
        KernelLauncher k = tensor(tensor(launch.kernel("masked_adamw"), param), grad).mem(ints(idx));
        tensor(tensor(k, m), v).i(idx.length).f(lr).f(beta1).f(beta2).f(eps).f(weightDecay).f(bias1).f(bias2).f(gradScale)
                .run(idx.length, elementGroup());
    }

    @Override
    public synchronized void sampledMatmul(Tensor dY, Tensor x, int[] localIdx, Tensor dW, int tokens, int outDim, int inDim) {
        if (localIdx.length == 0) return;
        KernelLauncher k = tensor(tensor(launch.kernel("sampled_matmul"), dY), x).mem(ints(localIdx));
        tensor(k, dW).i(tokens).i(outDim).i(inDim).i(localIdx.length).run(localIdx.length, elementGroup());
    }

    // ---------------------------------------------------------------- PIECE with compact gradients (on the device, no dense temporary)

    @Override
    public synchronized void sampledMatmulCompact(Tensor dY, Tensor x, int[] localIdx, Tensor dValues, int tokens, int outDim, int inDim) {
        if (localIdx.length == 0) return;
        KernelLauncher k = tensor(tensor(launch.kernel("sampled_matmul_compact"), dY), x).mem(ints(localIdx));
        tensor(k, dValues).i(tokens).i(outDim).i(inDim).i(localIdx.length).run(localIdx.length, elementGroup());
    }

    @Override
    public synchronized void maskedAdamwCompact(Tensor param, int[] idx, Tensor gradValues, Tensor m, Tensor v, float lr, float beta1,
                                                float beta2, float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        if (idx.length == 0) return;
        KernelLauncher k = tensor(tensor(launch.kernel("masked_adamw_compact"), param), gradValues).mem(ints(idx));
        tensor(tensor(k, m), v).i(idx.length).f(lr).f(beta1).f(beta2).f(eps).f(weightDecay).f(bias1).f(bias2).f(gradScale)
                .run(idx.length, elementGroup());
    }
}
