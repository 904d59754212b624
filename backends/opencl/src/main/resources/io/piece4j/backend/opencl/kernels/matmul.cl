// Matrix products: for each of batch matrices (dimension 2 of the range), C (m, n) (+)= op(A) (m, k) @ op(B) (k, n).
// A is stored (m, k) or, if transA, (k, m); B is stored (k, n) or, if transB, (n, k). Batch strides are
// m*k for A, strideB for B (0 shares one B) and m*n for C. Every kernel sums p = 0..k-1 in order with fma.

#define A_AT(i, p) (transA ? a[(long) (p) * m + (i)] : a[(long) (i) * k + (p)])
#define B_AT(p, j) (transB ? b[(long) (j) * k + (p)] : b[(long) (p) * n + (j)])

// One work-item per element of the rectangle rows [i0, i0 + rows) x columns [j0, j0 + cols) of each of
// batch matrices, numbered (bt * rows + ii) * cols + jj: the products too small for the blocked kernels,
// and the edges those leave.
__kernel void matmul_edge(__global const float* a, long ao, int transA, __global const float* b, long bo, int transB,
                          __global float* c, long co, int m, int n, int k, long strideB, int accumulate,
                          int i0, int j0, int rows, int cols, int batch) {
    long e = get_global_id(0);
    if (e >= (long) batch * rows * cols) return;
    int jj = e % cols, ii = (e / cols) % rows, bt = e / ((long) cols * rows);
    int i = i0 + ii, j = j0 + jj;
    a += ao + (long) bt * m * k;
    b += bo + bt * strideB;
    c += co + (long) bt * m * n;
    float s = 0.0f;
    for (int p = 0; p < k; p++) s = fma(A_AT(i, p), B_AT(p, j), s);
    long at = (long) i * n + j;
    c[at] = accumulate ? c[at] + s : s;
}

// CPU kernel: each work-item computes MM_RM rows x (16 MM_CW) columns of C as MM_RM x MM_CW float16
// accumulators (one vector register each), streaming MM_CW float16 of a row of B and broadcasting
// elements of A. B must be stored (k, n) (the host transposes it first otherwise). The range covers whole
// blocks only: (n / (16 MM_CW), m / MM_RM, batch). The barrier after each k-block of MM_KC makes a CPU
// runtime run that block for every item of the work-group before the next one, so the block's panels of
// A and B stay in cache.
#define MM_COLS (16 * MM_CW)
__kernel void matmul_cpu(__global const float* a, long ao, int transA, __global const float* b, long bo,
                         __global float* c, long co, int m, int n, int k, long strideB, int accumulate) {
    int j = get_global_id(0) * MM_COLS, i = get_global_id(1) * MM_RM, bt = get_global_id(2);
    a += ao + (long) bt * m * k;
    b += bo + bt * strideB;
    c += co + (long) bt * m * n;
    float16 acc[MM_RM][MM_CW];
    for (int r = 0; r < MM_RM; r++) for (int q = 0; q < MM_CW; q++) acc[r][q] = (float16) (0.0f);
    for (int p0 = 0; p0 < k; p0 += MM_KC) {
        int pe = min(k, p0 + MM_KC);
        for (int p = p0; p < pe; p++) {
            float16 bv[MM_CW];
            for (int q = 0; q < MM_CW; q++) bv[q] = vload16(q, b + (long) p * n + j);
            for (int r = 0; r < MM_RM; r++) {
                float16 av = (float16) (transA ? a[(long) p * m + i + r] : a[(long) (i + r) * k + p]);
                for (int q = 0; q < MM_CW; q++) acc[r][q] = fma(av, bv[q], acc[r][q]);
            }
        }
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
    for (int r = 0; r < MM_RM; r++) {
        __global float* cr = c + (long) (i + r) * n + j;
        for (int q = 0; q < MM_CW; q++) vstore16(accumulate ? vload16(q, cr) + acc[r][q] : acc[r][q], q, cr);
    }
}

// GPU kernel: a work-group of (TILE_N / WPT_N, TILE_M / WPT_M) items computes a TILE_M x TILE_N block of C;
// tiles of TILE_K columns of op(A) and rows of op(B) are staged in local memory (read so that neighbouring
// items read neighbouring addresses in either layout), and each item keeps WPT_M x WPT_N sums in
// registers, its rows and columns strided by the group's extent so local reads do not collide.
#define RTS_M (TILE_M / WPT_M)
#define RTS_N (TILE_N / WPT_N)
__kernel __attribute__((reqd_work_group_size(RTS_N, RTS_M, 1)))
void matmul_tiled(__global const float* a, long ao, int transA, __global const float* b, long bo, int transB,
                  __global float* c, long co, int m, int n, int k, long strideB, int accumulate) {
    __local float As[TILE_K][TILE_M];
    __local float Bs[TILE_K][TILE_N];
    int tx = get_local_id(0), ty = get_local_id(1), bt = get_global_id(2);
    int tid = ty * RTS_N + tx;
    int i0 = get_group_id(1) * TILE_M, j0 = get_group_id(0) * TILE_N;
    a += ao + (long) bt * m * k;
    b += bo + bt * strideB;
    c += co + (long) bt * m * n;
    float acc[WPT_M][WPT_N];
    for (int r = 0; r < WPT_M; r++) for (int q = 0; q < WPT_N; q++) acc[r][q] = 0.0f;
    for (int p0 = 0; p0 < k; p0 += TILE_K) {
        for (int e = tid; e < TILE_K * TILE_M; e += RTS_M * RTS_N) {
            int pp = transA ? e / TILE_M : e % TILE_K, ii = transA ? e % TILE_M : e / TILE_K;
            int i = i0 + ii, p = p0 + pp;
            As[pp][ii] = (i < m && p < k) ? A_AT(i, p) : 0.0f;
        }
        for (int e = tid; e < TILE_K * TILE_N; e += RTS_M * RTS_N) {
            int pp = transB ? e % TILE_K : e / TILE_N, jj = transB ? e / TILE_K : e % TILE_N;
            int j = j0 + jj, p = p0 + pp;
            Bs[pp][jj] = (j < n && p < k) ? B_AT(p, j) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        int pend = min(TILE_K, k - p0);
        for (int pp = 0; pp < pend; pp++) {
            float av[WPT_M], bv[WPT_N];
            for (int r = 0; r < WPT_M; r++) av[r] = As[pp][ty + r * RTS_M];
            for (int q = 0; q < WPT_N; q++) bv[q] = Bs[pp][tx + q * RTS_N];
            for (int r = 0; r < WPT_M; r++) for (int q = 0; q < WPT_N; q++) acc[r][q] = fma(av[r], bv[q], acc[r][q]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int r = 0; r < WPT_M; r++) {
        int i = i0 + ty + r * RTS_M;
        if (i >= m) continue;
        for (int q = 0; q < WPT_N; q++) {
            int j = j0 + tx + q * RTS_N;
            if (j >= n) continue;
            long at = (long) i * n + j;
            c[at] = accumulate ? c[at] + acc[r][q] : acc[r][q];
        }
    }
}

// out (cols, rows) = in (rows, cols) transposed, for each of batch matrices (dimension 2) with the given
// strides. A work-group of 16 x 16 items moves one 16 x 16 tile through local memory, so both the reads
// and the writes run along rows (a CPU writes whole cache lines, a GPU coalesces).
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void transpose(__global const float* in, long io, long inStride, __global float* out, long oo, long outStride,
               int rows, int cols) {
    __local float tile[16][17];
    int tx = get_local_id(0), ty = get_local_id(1), bt = get_global_id(2);
    int c0 = get_group_id(0) * 16, r0 = get_group_id(1) * 16;
    in += io + bt * inStride;
    out += oo + bt * outStride;
    if (r0 + ty < rows && c0 + tx < cols) tile[ty][tx] = in[(long) (r0 + ty) * cols + c0 + tx];
    barrier(CLK_LOCAL_MEM_FENCE);
    // item (tx, ty) writes out[c0 + ty][r0 + tx] = in[r0 + tx][c0 + ty]
    if (c0 + ty < cols && r0 + tx < rows) out[(long) (c0 + ty) * rows + r0 + tx] = tile[tx][ty];
}
