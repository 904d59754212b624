// Reductions.

// partial[g] = sum of x[e]^2 over the g-th chunk of RED_CHUNK positions e of [0, n), where e is the
// position itself, or idx[position] when idx is given (the gradient norm over a mask). One work-group of
// RED_WG items per chunk; the host adds the partials in chunk order in double. The chunking depends only
// on n, so the norm over all positions and over the index list 0..n-1 give the same bits.
__kernel void sum_squares_partial(__global const float* x, long xo, __global const int* idx, int n,
                                  __global acc_t* partial, __local acc_t* scratch) {
    int lid = get_local_id(0), grp = get_group_id(0);
    int start = grp * RED_CHUNK, end = min(n, start + RED_CHUNK);
    acc_t s = 0;
    for (int p = start + lid; p < end; p += RED_WG) {
        acc_t v = x[xo + (idx ? idx[p] : p)];
        s += v * v;
    }
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = RED_WG / 2; h > 0; h >>= 1) {
        if (lid < h) scratch[lid] += scratch[lid + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) partial[grp] = scratch[0];
}

// x viewed as (outer, n, inner): out[o][i] (+)= alpha * sum_j x[o][j][i]; one item per (o, i)
__kernel void sum_axis(__global const float* x, long xo, __global float* out, long oo, int outer, int n, int inner,
                       float alpha, int accumulate) {
    int e = get_global_id(0);
    if (e >= outer * inner) return;
    int o = e / inner, i = e % inner;
    float s = 0.0f;
    for (int j = 0; j < n; j++) s += x[xo + ((long) o * n + j) * inner + i];
    out[oo + e] = (accumulate ? out[oo + e] : 0.0f) + alpha * s;
}

// dx viewed as (outer, n, inner): dx[o][j][i] += alpha * dOut[o][i]; one item per element of dx
__kernel void broadcast_axis(__global const float* dOut, long go, __global float* dx, long dxo, int outer, int n, int inner,
                             float alpha) {
    long e = get_global_id(0);
    if (e >= (long) outer * n * inner) return;
    int i = e % inner;
    int o = e / ((long) n * inner);
    dx[dxo + e] += alpha * dOut[go + (long) o * inner + i];
}
