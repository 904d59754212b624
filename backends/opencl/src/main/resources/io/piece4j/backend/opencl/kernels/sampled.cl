// The weight gradient of y = x W^T at chosen coordinates only (PIECE's sparse weight gradient):
// dW[e] += sum_t dY[t][e / inDim] * x[t][e % inDim] for e = idx[j]; one item per coordinate, tokens in order.
// dY (tokens, outDim), x (tokens, inDim), dW (outDim, inDim).
inline float sampled_dot(__global const float* dY, long yo, __global const float* x, long xo, int e, int tokens, int outDim,
                         int inDim) {
    int r = e / inDim, c = e % inDim;
    float s = 0.0f;
    for (int t = 0; t < tokens; t++) s = fma(dY[yo + (long) t * outDim + r], x[xo + (long) t * inDim + c], s);
    return s;
}

__kernel void sampled_matmul(__global const float* dY, long yo, __global const float* x, long xo, __global const int* idx,
                             __global float* dW, long wo, int tokens, int outDim, int inDim, int count) {
    int j = get_global_id(0);
    if (j >= count) return;
    int e = idx[j];
    dW[wo + e] += sampled_dot(dY, yo, x, xo, e, tokens, outDim, inDim);
}

// The same sums stored compactly: dV[j] += the sum for e = idx[j] (dV has count entries, no (outDim, inDim) buffer).
// The same sampled_dot as sampled_matmul, so value j is bit for bit sampled_matmul's dW[idx[j]].
__kernel void sampled_matmul_compact(__global const float* dY, long yo, __global const float* x, long xo,
                                     __global const int* idx, __global float* dV, long vo, int tokens, int outDim, int inDim,
                                     int count) {
    int j = get_global_id(0);
    if (j >= count) return;
    dV[vo + j] += sampled_dot(dY, yo, x, xo, idx[j], tokens, outDim, inDim);
}
