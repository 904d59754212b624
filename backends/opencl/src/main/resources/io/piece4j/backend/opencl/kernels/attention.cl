// Causal scaled-dot-product attention with grouped KV heads (layouts as in the backend SPI):
// q (batch, tq, heads, hd); k, v (batch, kvCap, kvHeads, hd); out (batch, tq, heads, hd);
// probs (batch, heads, tq, tk). Query t sits at position tk - tq + t and attends to keys 0..that position;
// query head h reads kv head h / (heads / kvHeads). One work-group of ROW_WG items per query row
// (b, h, t), group number (b * heads + h) * tq + t; its tk scores live in local memory.

__kernel void attention_forward(__global const float* q, long qo, __global const float* k, long ko, __global const float* v, long vo,
                                __global float* out, long oo, __global float* probs, long po,
                                int tq, int tk, int kvCap, int heads, int kvHeads, int hd, float scale,
                                __local float* scores) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0), g = get_group_id(0);
    int t = g % tq, h = (g / tq) % heads, b = g / (tq * heads);
    int kh = h / (heads / kvHeads);
    int last = tk - tq + t;
    __global const float* qr = q + qo + ((long) (b * tq + t) * heads + h) * hd;
    float mx = -INFINITY;
    for (int j = lid; j <= last; j += ROW_WG) {
        __global const float* kr = k + ko + ((long) (b * kvCap + j) * kvHeads + kh) * hd;
        float s = 0.0f;
        for (int d = 0; d < hd; d++) s += qr[d] * kr[d];
        s *= scale;
        scores[j] = s;
        mx = fmax(mx, s);
    }
    mx = group_max(mx, scratch);
    float sum = 0.0f;
    for (int j = lid; j <= last; j += ROW_WG) {
        float e = exp(scores[j] - mx);
        scores[j] = e;
        sum += e;
    }
    sum = group_sum(sum, scratch);
    for (int j = lid; j <= last; j += ROW_WG) scores[j] /= sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    __global float* orow = out + oo + ((long) (b * tq + t) * heads + h) * hd;
    for (int d = lid; d < hd; d += ROW_WG) {
        float acc = 0.0f;
        for (int j = 0; j <= last; j++) acc += scores[j] * v[vo + ((long) (b * kvCap + j) * kvHeads + kh) * hd + d];
        orow[d] = acc;
    }
    if (probs) {
        __global float* pr = probs + po + ((long) (b * heads + h) * tq + t) * tk;
        for (int j = lid; j < tk; j += ROW_WG) pr[j] = j <= last ? scores[j] : 0.0f;
    }
}

// Backward, step 1, per query row (as the forward; kvCap = tk), from the weights P of the forward:
// dP_j = dO . v_j;  dS_j = scale * P_j (dP_j - sum_i P_i dP_i), written to dS (batch, heads, tq, tk) for
// step 2 (zero beyond the causal limit);  dq += sum_j dS_j k_j (when dq is not NULL).
__kernel void attention_backward_query(__global const float* k, long ko, __global const float* v, long vo,
                                       __global const float* probs, long po, __global const float* dOut, long go,
                                       __global float* dq, long dqo, __global float* dS,
                                       int tq, int tk, int heads, int kvHeads, int hd, float scale,
                                       __local float* ds) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0), g = get_group_id(0);
    int t = g % tq, h = (g / tq) % heads, b = g / (tq * heads);
    int kh = h / (heads / kvHeads);
    int last = tk - tq + t;
    long row = ((long) (b * tq + t) * heads + h) * hd;
    __global const float* dor = dOut + go + row;
    __global const float* pr = probs + po + ((long) (b * heads + h) * tq + t) * tk;
    float dot = 0.0f;
    for (int j = lid; j <= last; j += ROW_WG) {
        __global const float* vr = v + vo + ((long) (b * tk + j) * kvHeads + kh) * hd;
        float s = 0.0f;
        for (int d = 0; d < hd; d++) s += dor[d] * vr[d];
        ds[j] = s;
        dot += pr[j] * s;
    }
    dot = group_sum(dot, scratch);
    __global float* dsr = dS + ((long) (b * heads + h) * tq + t) * tk;
    for (int j = lid; j < tk; j += ROW_WG) {
        float x = j <= last ? pr[j] * (ds[j] - dot) * scale : 0.0f;
        if (j <= last) ds[j] = x;
        dsr[j] = x;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (dq) {
        for (int d = lid; d < hd; d += ROW_WG) {
            float acc = 0.0f;
            for (int j = 0; j <= last; j++) acc += ds[j] * k[ko + ((long) (b * tk + j) * kvHeads + kh) * hd + d];
            dq[dqo + row + d] += acc;
        }
    }
}

// Backward, step 2: one work-item per element (b, j, kh, d) of dk and dv, summing over the query heads of
// kv head kh and the queries that attend to key j:  dk += sum dS_tj q_t;  dv += sum P_tj dO_t.
__kernel void attention_backward_kv(__global const float* q, long qo, __global const float* probs, long po,
                                    __global const float* dOut, long go, __global const float* dS,
                                    __global float* dk, long dko, __global float* dv, long dvo,
                                    int batch, int tq, int tk, int heads, int kvHeads, int hd) {
    long e = get_global_id(0);
    if (e >= (long) batch * tk * kvHeads * hd) return;
    int d = e % hd;
    int kh = (e / hd) % kvHeads;
    int j = (e / ((long) hd * kvHeads)) % tk;
    int b = e / ((long) hd * kvHeads * tk);
    int group = heads / kvHeads;
    int t0 = max(0, j - (tk - tq));
    float sk = 0.0f, sv = 0.0f;
    for (int hh = 0; hh < group; hh++) {
        int h = kh * group + hh;
        long prow = ((long) (b * heads + h) * tq) * tk + j;
        for (int t = t0; t < tq; t++) {
            long qrow = ((long) (b * tq + t) * heads + h) * hd + d;
            sk += dS[prow + (long) t * tk] * q[qo + qrow];
            sv += probs[po + prow + (long) t * tk] * dOut[go + qrow];
        }
    }
    if (dk) dk[dko + e] += sk;
    if (dv) dv[dvo + e] += sv;
}
