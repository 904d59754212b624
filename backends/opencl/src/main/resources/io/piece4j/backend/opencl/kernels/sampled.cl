// The weight gradient of y = x W^T at chosen coordinates only (PIECE's sparse weight gradient):
// dW[e] += sum_t dY[t][e / inDim] * x[t][e % inDim] for e = idx[j]; one item per coordinate, tokens in order.
// dY (tokens, outDim), x (tokens, inDim), dW (outDim, inDim).
__kernel void sampled_matmul(__global const float* dY, long yo, __global const float* x, long xo, __global const int* idx,
                             __global float* dW, long wo, int tokens, int outDim, int inDim, int count) {
    int j = get_global_id(0);
    if (j >= count) return;
    int e = idx[j];
    int r = e / inDim, c = e % inDim;
    float s = 0.0f;
    for (int t = 0; t < tokens; t++) s = fma(dY[yo + (long) t * outDim + r], x[xo + (long) t * inDim + c], s);
    dW[wo + e] += s;
}
