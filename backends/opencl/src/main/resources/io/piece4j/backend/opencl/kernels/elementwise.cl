// Elementwise kernels: one work-item per element, n items.

// y = f(x)
__kernel void unary(int op, __global const float* x, long xo, __global float* y, long yo, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = x[xo + i], r;
    switch (op) {
        case OP_EXP: r = exp(v); break;
        case OP_LOG: r = log(v); break;
        case OP_SILU: r = silu_of(v); break;
        case OP_NEG: r = -v; break;
        case OP_SQUARE: r = v * v; break;
        default: r = sqrt(v); break;
    }
    y[yo + i] = r;
}

// dx += dy * f'(x), with y = f(x) from the forward
__kernel void unary_backward(int op, __global const float* x, long xo, __global const float* y, long yo,
                             __global const float* dy, long dyo, __global float* dx, long dxo, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float d;
    switch (op) {
        case OP_EXP: d = y[yo + i]; break;
        case OP_LOG: d = 1.0f / x[xo + i]; break;
        case OP_SILU: d = silu_grad(x[xo + i]); break;
        case OP_NEG: d = -1.0f; break;
        case OP_SQUARE: d = 2.0f * x[xo + i]; break;
        default: d = 0.5f / y[yo + i]; break;
    }
    dx[dxo + i] += dy[dyo + i] * d;
}

// out (n) = a (n) op b, where b has bn elements: n, a row of a (repeated over rows), or 1
__kernel void binary(int op, __global const float* a, long ao, __global const float* b, long bo, int bn,
                     __global float* out, long oo, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float x = a[ao + i], y = b[bo + (bn == n ? i : i % bn)], r;
    switch (op) {
        case OP_ADD: r = x + y; break;
        case OP_SUB: r = x - y; break;
        case OP_MUL: r = x * y; break;
        default: r = x / y; break;
    }
    out[oo + i] = r;
}

// da += g * d(a op b)/da
__kernel void binary_backward_a(int op, __global const float* b, long bo, int bn, __global const float* g, long go,
                                __global float* da, long dao, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float gi = g[go + i], y = b[bo + (bn == n ? i : i % bn)];
    da[dao + i] += (op == OP_MUL) ? gi * y : (op == OP_DIV) ? gi / y : gi;
}

// db[j] += sum over the elements i that read b[j] (i = j, j + bn, j + 2 bn, ...) of g * d(a op b)/db:
// one work-item per element of b, adding in increasing i, so no two items write the same output. The sum
// is compensated (Kahan): with b a single number it runs over the whole tensor, and a plain float32 sum's
// error would grow with its length.
__kernel void binary_backward_b(int op, __global const float* a, long ao, __global const float* b, long bo, int bn,
                                __global const float* g, long go, __global float* db, long dbo, int n) {
    int j = get_global_id(0);
    if (j >= bn) return;
    float y = b[bo + j], s = 0.0f, lost = 0.0f;
    for (int i = j; i < n; i += bn) {
        float gi = g[go + i], x = a[ao + i], term;
        switch (op) {
            case OP_ADD: term = gi; break;
            case OP_SUB: term = -gi; break;
            case OP_MUL: term = gi * x; break;
            default: term = -gi * x / (y * y); break;
        }
        float t = term - lost, sum = s + t;
        lost = (sum - s) - t;
        s = sum;
    }
    db[dbo + j] += s;
}

// dst += alpha * src
__kernel void add_scaled(__global float* dst, long dso, __global const float* src, long so, int n, float alpha) {
    int i = get_global_id(0);
    if (i >= n) return;
    dst[dso + i] += alpha * src[so + i];
}

// out = silu(gate) * up
__kernel void swiglu(__global const float* gate, long go, __global const float* up, long uo, __global float* out, long oo, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    out[oo + i] = silu_of(gate[go + i]) * up[uo + i];
}

// dGate += dOut * up * silu'(gate), dUp += dOut * silu(gate); either may be NULL
__kernel void swiglu_backward(__global const float* gate, long go, __global const float* up, long uo,
                              __global const float* dOut, long doo, __global float* dGate, long dgo,
                              __global float* dUp, long duo, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float g = gate[go + i], d = dOut[doo + i];
    if (dGate) dGate[dgo + i] += d * up[uo + i] * silu_grad(g);
    if (dUp) dUp[duo + i] += d * silu_of(g);
}

// PIECE's importance accumulators: sum += g, sumSq += g * g
__kernel void accumulate_moments(__global const float* g, long go, __global float* sum, long so,
                                 __global float* sumSq, long qo, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float x = g[go + i];
    sum[so + i] += x;
    sumSq[qo + i] += x * x;
}
