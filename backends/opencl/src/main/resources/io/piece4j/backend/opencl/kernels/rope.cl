// Rotary embedding of x (batch, seq, heads, headDim) into y (may be x): one work-item per rotated pair
// (u, v) = (2i, 2i + 1) (interleaved: llama2.c, GGUF) or (i, i + headDim / 2) (half-split: Hugging Face),
// rotated by the angle of position posOffset + t, whose cos and sin are tables (maxSeq, headDim / 2);
// inverse rotates backwards (the backward pass); accumulate adds into y.
__kernel void rope(__global const float* x, long xo, __global float* y, long yo, __global const float* cosT, long co,
                   __global const float* sinT, long so, int seq, int heads, int headDim, int posOffset,
                   int interleaved, int inverse, int accumulate, int pairs) {
    int e = get_global_id(0);
    if (e >= pairs) return;
    int halfDim = headDim / 2;
    int i = e % halfDim;
    int row = e / halfDim;                 // (b * seq + t) * heads + h
    int t = (row / heads) % seq;
    int p = posOffset + t;
    long base = (long) row * headDim;
    int iu = interleaved ? 2 * i : i, iv = interleaved ? 2 * i + 1 : i + halfDim;
    float c = cosT[co + (long) p * halfDim + i], s = sinT[so + (long) p * halfDim + i];
    if (inverse) s = -s;
    float u = x[xo + base + iu], v = x[xo + base + iv];
    float ru = u * c - v * s, rv = u * s + v * c;
    if (accumulate) {
        y[yo + base + iu] += ru;
        y[yo + base + iv] += rv;
    } else {
        y[yo + base + iu] = ru;
        y[yo + base + iv] = rv;
    }
}
