// Token embedding: out (tokens, dim) = rows ids[t] of table (vocab, dim); one item per element.
__kernel void embedding(__global const float* table, long to, __global const int* ids, __global float* out, long oo,
                        int dim, int tokens) {
    long e = get_global_id(0);
    if (e >= (long) tokens * dim) return;
    int t = e / dim, d = e % dim;
    out[oo + e] = table[to + (long) ids[t] * dim + d];
}

// Scatter-add dTable[ids[t]] += dOut[t] in token order: one item per column d, so repeated ids add in order
// and no two items write the same element.
__kernel void embedding_backward(__global const float* dOut, long go, __global const int* ids, __global float* dTable, long dto,
                                 int dim, int tokens) {
    int d = get_global_id(0);
    if (d >= dim) return;
    for (int t = 0; t < tokens; t++) dTable[dto + (long) ids[t] * dim + d] += dOut[go + (long) t * dim + d];
}
