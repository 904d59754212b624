// Row kernels: one work-group of ROW_WG items per row; item l handles columns l, l + ROW_WG, ...
// Sums over a row are taken per item in column order, then across items in a fixed tree (group_sum).

// y = softmax(x) per row of cols
__kernel void softmax(__global const float* x, long xo, __global float* y, long yo, int cols) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0);
    long base = (long) get_group_id(0) * cols;
    x += xo + base;
    y += yo + base;
    float mx = -INFINITY;
    for (int j = lid; j < cols; j += ROW_WG) mx = fmax(mx, x[j]);
    mx = group_max(mx, scratch);
    float s = 0.0f;
    for (int j = lid; j < cols; j += ROW_WG) s += exp(x[j] - mx);
    s = group_sum(s, scratch);
    for (int j = lid; j < cols; j += ROW_WG) y[j] = exp(x[j] - mx) / s;
}

// dx += y * (dy - sum(dy * y)) per row
__kernel void softmax_backward(__global const float* y, long yo, __global const float* dy, long dyo,
                               __global float* dx, long dxo, int cols) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0);
    long base = (long) get_group_id(0) * cols;
    y += yo + base;
    dy += dyo + base;
    dx += dxo + base;
    float dot = 0.0f;
    for (int j = lid; j < cols; j += ROW_WG) dot += dy[j] * y[j];
    dot = group_sum(dot, scratch);
    for (int j = lid; j < cols; j += ROW_WG) dx[j] += y[j] * (dy[j] - dot);
}

// y = x / sqrt(mean(x^2) + eps) * w per row; rstd[row] = 1 / sqrt(mean(x^2) + eps)
__kernel void rmsnorm(__global const float* x, long xo, __global const float* w, long wo, __global float* y, long yo,
                      __global float* rstd, long ro, int cols, float eps) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0), row = get_group_id(0);
    long base = (long) row * cols;
    x += xo + base;
    y += yo + base;
    w += wo;
    float ss = 0.0f;
    for (int j = lid; j < cols; j += ROW_WG) ss += x[j] * x[j];
    ss = group_sum(ss, scratch);
    float rs = 1.0f / sqrt(ss / cols + eps);
    if (lid == 0) rstd[ro + row] = rs;
    for (int j = lid; j < cols; j += ROW_WG) y[j] = x[j] * rs * w[j];
}

// With y_j = w_j x_j r (r = rstd of the row, kept by the forward):
// dx_j += r w_j dy_j - (r^3 / cols) x_j sum_i(dy_i w_i x_i). The weight gradient is rmsnorm_weight_grad.
__kernel void rmsnorm_backward(__global const float* x, long xo, __global const float* w, long wo, __global const float* rstd, long ro,
                               __global const float* dy, long dyo, __global float* dx, long dxo, int cols) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0), row = get_group_id(0);
    long base = (long) row * cols;
    x += xo + base;
    dy += dyo + base;
    dx += dxo + base;
    w += wo;
    float rs = rstd[ro + row];
    float dot = 0.0f;
    for (int j = lid; j < cols; j += ROW_WG) dot += dy[j] * w[j] * x[j];
    dot = group_sum(dot, scratch);
    float cf = rs * rs * rs * dot / cols;
    for (int j = lid; j < cols; j += ROW_WG) dx[j] += rs * w[j] * dy[j] - cf * x[j];
}

// dw[j] += sum over rows of dy[row][j] x[row][j] rstd[row]; one item per column, rows in order
__kernel void rmsnorm_weight_grad(__global const float* x, long xo, __global const float* rstd, long ro,
                                  __global const float* dy, long dyo, __global float* dw, long dwo, int rows, int cols) {
    int j = get_global_id(0);
    if (j >= cols) return;
    float s = 0.0f;
    for (int r = 0; r < rows; r++) {
        long at = (long) r * cols + j;
        s += dy[dyo + at] * x[xo + at] * rstd[ro + r];
    }
    dw[dwo + j] += s;
}

// Softmax cross-entropy of one row of logits (vocab) per work-group. Rows whose target is negative get
// zero probabilities and zero loss. rowLoss[row] = -log softmax(logits)[target], summed by the host.
__kernel void cross_entropy(__global const float* logits, long lo, __global const int* targets, __global float* probs, long po,
                            __global acc_t* rowLoss, int vocab) {
    __local float scratch[ROW_WG];
    int lid = get_local_id(0), row = get_group_id(0);
    long base = (long) row * vocab;
    logits += lo + base;
    probs += po + base;
    int t = targets[row];
    if (t < 0) {
        for (int j = lid; j < vocab; j += ROW_WG) probs[j] = 0.0f;
        if (lid == 0) rowLoss[row] = 0;
        return;
    }
    float mx = -INFINITY;
    for (int j = lid; j < vocab; j += ROW_WG) mx = fmax(mx, logits[j]);
    mx = group_max(mx, scratch);
    float s = 0.0f;
    for (int j = lid; j < vocab; j += ROW_WG) s += exp(logits[j] - mx);
    s = group_sum(s, scratch);
    for (int j = lid; j < vocab; j += ROW_WG) probs[j] = exp(logits[j] - mx) / s;
    if (lid == 0) rowLoss[row] = (acc_t) log(s) + (acc_t) mx - (acc_t) logits[t];
}

// dLogits += scale * (probs - onehot(target)) on rows whose target is not negative; one item per element
__kernel void cross_entropy_backward(__global const float* probs, long po, __global const int* targets, __global float* dLogits,
                                     long dlo, int rows, int vocab, float scale) {
    long e = get_global_id(0);
    if (e >= (long) rows * vocab) return;
    int row = e / vocab, j = e % vocab;
    int t = targets[row];
    if (t < 0) return;
    dLogits[dlo + e] += scale * (probs[po + e] - (j == t ? 1.0f : 0.0f));
}
