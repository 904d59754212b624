// AdamW as torch.optim.AdamW computes it (decoupled weight decay, bias correction, eps outside the root).
// Dense and masked AdamW share adamw_at, so a full mask gives the same bits as the dense step.
inline void adamw_at(__global float* p, long pi, float g, __global float* m, long mi, __global float* v, long vi,
                     float lr, float beta1, float beta2, float eps, float weightDecay, float bias1, float bias2) {
    float decayed = p[pi] * (1.0f - lr * weightDecay);
    float mNew = beta1 * m[mi] + (1.0f - beta1) * g;
    float vNew = beta2 * v[vi] + (1.0f - beta2) * g * g;
    m[mi] = mNew;
    v[vi] = vNew;
    p[pi] = decayed - lr / bias1 * mNew / (sqrt(vNew) / sqrt(bias2) + eps);
}

__kernel void adamw(__global float* p, long po, __global const float* g, long go, __global float* m, long mo,
                    __global float* v, long vo, int n, float lr, float beta1, float beta2, float eps, float weightDecay,
                    float bias1, float bias2) {
    int i = get_global_id(0);
    if (i >= n) return;
    adamw_at(p, po + i, g[go + i], m, mo + i, v, vo + i, lr, beta1, beta2, eps, weightDecay, bias1, bias2);
}

// AdamW at coordinates idx[j] of p only, moments m[j], v[j]; the gradient is scaled by gradScale (clipping)
__kernel void masked_adamw(__global float* p, long po, __global const float* g, long go, __global const int* idx,
                           __global float* m, long mo, __global float* v, long vo, int count, float lr, float beta1, float beta2,
                           float eps, float weightDecay, float bias1, float bias2, float gradScale) {
    int j = get_global_id(0);
    if (j >= count) return;
    long at = idx[j];
    float gi = g[go + at];
    if (gradScale != 1.0f) gi = gi * gradScale;
    adamw_at(p, po + at, gi, m, mo + j, v, vo + j, lr, beta1, beta2, eps, weightDecay, bias1, bias2);
}

// masked_adamw with a compact gradient: coordinate idx[j] of p takes gradient g[j] (count entries), moments m[j], v[j]
__kernel void masked_adamw_compact(__global float* p, long po, __global const float* g, long go, __global const int* idx,
                                   __global float* m, long mo, __global float* v, long vo, int count, float lr, float beta1,
                                   float beta2, float eps, float weightDecay, float bias1, float bias2, float gradScale) {
    int j = get_global_id(0);
    if (j >= count) return;
    float gi = g[go + j];
    if (gradScale != 1.0f) gi = gi * gradScale;
    adamw_at(p, po + idx[j], gi, m, mo + j, v, vo + j, lr, beta1, beta2, eps, weightDecay, bias1, bias2);
}
