package io.piece4j.tensor.cpu;

import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.UnaryOp;

/**
 * The CPU kernels, written once as plain loops over flat arrays with double accumulation. The reference
 * backend runs all of them; the SIMD backend replaces the hot ones with Vector API versions and calls
 * these for the rest. Every argument is (buffer, offset) plus explicit sizes; shapes were checked above.
 * Loops run in a fixed order, so results do not depend on anything but the inputs.
 */
public final class CpuKernels {
    private CpuKernels() {}

    // ---------------------------------------------------------------- elementwise

    static double silu(double x) { return x / (1.0 + Math.exp(-x)); }

    static double siluGrad(double x) {
        double s = 1.0 / (1.0 + Math.exp(-x));
        return s * (1.0 + x * (1.0 - s));
    }

    public static void unary(UnaryOp op, Buf x, int xo, Buf y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            double v = x.get(xo + i);
            y.set(yo + i, switch (op) {
                case EXP -> Math.exp(v);
                case LOG -> Math.log(v);
                case SILU -> silu(v);
                case NEG -> -v;
                case SQUARE -> v * v;
                case SQRT -> Math.sqrt(v);
            });
        }
    }

    /** dx += dy * f'(x); y = f(x) from the forward. */
    public static void unaryBackward(UnaryOp op, Buf x, int xo, Buf y, int yo, Buf dy, int dyo, Buf dx, int dxo, int n) {
        for (int i = 0; i < n; i++) {
            double g = dy.get(dyo + i);
            double d = switch (op) {
                case EXP -> y.get(yo + i);
                case LOG -> 1.0 / x.get(xo + i);
                case SILU -> siluGrad(x.get(xo + i));
                case NEG -> -1.0;
                case SQUARE -> 2.0 * x.get(xo + i);
                case SQRT -> 0.5 / y.get(yo + i);
            };
            dx.add(dxo + i, g * d);
        }
    }

    /** out (n) = a (n) op b, b of bn elements: n (same), a row of bn (broadcast over rows), or 1. */
    public static void binary(BinaryOp op, Buf a, int ao, Buf b, int bo, int bn, Buf out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            double x = a.get(ao + i);
            double y = b.get(bo + (bn == n ? i : i % bn));
            out.set(oo + i, switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            });
        }
    }

    /** da += g * d/da, db += sum over broadcast rows of g * d/db. da or db may be null. */
    public static void binaryBackward(BinaryOp op, Buf a, int ao, Buf b, int bo, int bn, Buf g, int go,
                                      Buf da, int dao, Buf db, int dbo, int n) {
        double[] dbAcc = db == null ? null : new double[bn]; // (bn) broadcast reduction in double
        for (int i = 0; i < n; i++) {
            int bi = bn == n ? i : i % bn;
            double gi = g.get(go + i);
            double x = a.get(ao + i);
            double y = b.get(bo + bi);
            if (da != null) {
                da.add(dao + i, switch (op) {
                    case ADD, SUB -> gi;
                    case MUL -> gi * y;
                    case DIV -> gi / y;
                });
            }
            if (dbAcc != null) {
                dbAcc[bi] += switch (op) {
                    case ADD -> gi;
                    case SUB -> -gi;
                    case MUL -> gi * x;
                    case DIV -> -gi * x / (y * y);
                };
            }
        }
        if (db != null) for (int j = 0; j < bn; j++) db.add(dbo + j, dbAcc[j]);
    }

    public static void addScaled(Buf dst, int dso, Buf src, int so, int n, double alpha) {
        for (int i = 0; i < n; i++) dst.add(dso + i, alpha * src.get(so + i));
    }

    public static double sumOfSquares(Buf x, int xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) { double v = x.get(xo + i); s += v * v; }
        return s;
    }

    // ---------------------------------------------------------------- reductions

    /** x viewed (outer, n, inner): out[o][i] (+)= alpha * sum_j x[o][j][i]. */
    public static void sumAxis(Buf x, int xo, Buf out, int oo, int outer, int n, int inner, double alpha, boolean accumulate) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) s += x.get(xo + (o * n + j) * inner + i);
                int idx = oo + o * inner + i;
                out.set(idx, (accumulate ? out.get(idx) : 0.0) + alpha * s);
            }
        }
    }

    /** dx viewed (outer, n, inner): dx[o][j][i] += alpha * dOut[o][i]. */
    public static void broadcastAxis(Buf dOut, int go, Buf dx, int dxo, int outer, int n, int inner, double alpha) {
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < inner; i++)
                    dx.add(dxo + (o * n + j) * inner + i, alpha * dOut.get(go + o * inner + i));
    }

    // ---------------------------------------------------------------- matmul

    /**
     * C (m, n) (+)= op(A) (m, k) @ op(B) (k, n), for each of batch matrices (strides m*k, strideB, m*n).
     * The reference: one double dot product per output element.
     */
    public static void matmul(Buf a, int ao, boolean transA, Buf b, int bo, boolean transB, Buf c, int co,
                              int batch, int m, int n, int k, int strideB, boolean accumulate) {
        for (int bt = 0; bt < batch; bt++) {
            int a0 = ao + bt * m * k, b0 = bo + bt * strideB, c0 = co + bt * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transA ? a.get(a0 + p * m + i) : a.get(a0 + i * k + p);
                        double bv = transB ? b.get(b0 + j * k + p) : b.get(b0 + p * n + j);
                        s += av * bv;
                    }
                    int idx = c0 + i * n + j;
                    c.set(idx, accumulate ? c.get(idx) + s : s);
                }
            }
        }
    }

    // ---------------------------------------------------------------- softmax

    public static void softmax(Buf x, int xo, Buf y, int yo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, yr = yo + r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, x.get(xr + j));
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.exp(x.get(xr + j) - max);
            for (int j = 0; j < cols; j++) y.set(yr + j, Math.exp(x.get(xr + j) - max) / sum);
        }
    }

    /** dx += y * (dy - sum(dy * y)) per row. */
    public static void softmaxBackward(Buf y, int yo, Buf dy, int dyo, Buf dx, int dxo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += dy.get(dyo + r * cols + j) * y.get(yo + r * cols + j);
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                dx.add(dxo + i, y.get(yo + i) * (dy.get(dyo + i) - dot));
            }
        }
    }

    // ---------------------------------------------------------------- rmsnorm

    /** y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps), per row of cols. */
    public static void rmsnorm(Buf x, int xo, Buf w, int wo, Buf y, int yo, Buf rstd, int ro, int rows, int cols, double eps) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, yr = yo + r * cols;
            double ss = 0;
            for (int j = 0; j < cols; j++) { double v = x.get(xr + j); ss += v * v; }
            double rs = 1.0 / Math.sqrt(ss / cols + eps);
            rstd.set(ro + r, rs);
            for (int j = 0; j < cols; j++) y.set(yr + j, x.get(xr + j) * rs * w.get(wo + j));
        }
    }

    /**
     * Needs x and rstd from the forward. With y_j = w_j x_j r:
     * dx_j += r w_j dy_j - (r^3 / cols) x_j sum_i(dy_i w_i x_i);  dw_j += sum over rows of dy_j x_j r.
     */
    public static void rmsnormBackward(Buf x, int xo, Buf w, int wo, Buf rstd, int ro, Buf dy, int dyo,
                                       Buf dx, int dxo, Buf dw, int dwo, int rows, int cols) {
        double[] dwAcc = dw == null ? null : new double[cols]; // (cols)
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, gr = dyo + r * cols;
            double rs = rstd.get(ro + r);
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += dy.get(gr + j) * w.get(wo + j) * x.get(xr + j);
            double c = rs * rs * rs * dot / cols;
            for (int j = 0; j < cols; j++) {
                double xj = x.get(xr + j), gj = dy.get(gr + j);
                if (dx != null) dx.add(dxo + r * cols + j, rs * w.get(wo + j) * gj - c * xj);
                if (dwAcc != null) dwAcc[j] += gj * xj * rs;
            }
        }
        if (dw != null) for (int j = 0; j < cols; j++) dw.add(dwo + j, dwAcc[j]);
    }

    // ---------------------------------------------------------------- rope

    /** x, y (batch, seq, heads, headDim); cos, sin (maxSeq, headDim / 2). y may be x. */
    public static void rope(Buf x, int xo, Buf y, int yo, Buf cos, int co, Buf sin, int so, int batch, int seq, int heads,
                            int headDim, int posOffset, RopeLayout layout, boolean inverse, boolean accumulate) {
        int half = headDim / 2;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int p = posOffset + t;
                for (int h = 0; h < heads; h++) {
                    int base = ((b * seq + t) * heads + h) * headDim;
                    for (int i = 0; i < half; i++) {
                        int iu = layout == RopeLayout.INTERLEAVED ? 2 * i : i;
                        int iv = layout == RopeLayout.INTERLEAVED ? 2 * i + 1 : i + half;
                        double c = cos.get(co + p * half + i);
                        double s = sin.get(so + p * half + i);
                        if (inverse) s = -s;
                        double u = x.get(xo + base + iu), v = x.get(xo + base + iv);
                        double ru = u * c - v * s, rv = u * s + v * c;
                        if (accumulate) {
                            y.add(yo + base + iu, ru);
                            y.add(yo + base + iv, rv);
                        } else {
                            y.set(yo + base + iu, ru);
                            y.set(yo + base + iv, rv);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- attention

    /**
     * q (batch, tq, heads, hd); k, v (batch, kvCap, kvHeads, hd); out (batch, tq, heads, hd);
     * probs (batch, heads, tq, tk) or null. Query t sits at position tk - tq + t.
     */
    public static void attention(Buf q, int qo, Buf k, int ko, Buf v, int vo, Buf out, int oo, Buf probs, int po,
                                 int batch, int tq, int tk, int kvCap, int heads, int kvHeads, int hd) {
        double scale = 1.0 / Math.sqrt(hd);
        int group = heads / kvHeads;
        double[] p = new double[tk]; // (tk) scores, then weights
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                for (int t = 0; t < tq; t++) {
                    int last = tk - tq + t; // attends keys 0..last
                    int qBase = qo + ((b * tq + t) * heads + h) * hd;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= last; j++) {
                        int kBase = ko + ((b * kvCap + j) * kvHeads + kh) * hd;
                        double s = 0;
                        for (int d = 0; d < hd; d++) s += q.get(qBase + d) * k.get(kBase + d);
                        p[j] = s * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= last; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
                    for (int j = 0; j <= last; j++) p[j] /= sum;
                    int oBase = oo + ((b * tq + t) * heads + h) * hd;
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        for (int j = 0; j <= last; j++) acc += p[j] * v.get(vo + ((b * kvCap + j) * kvHeads + kh) * hd + d);
                        out.set(oBase + d, acc);
                    }
                    if (probs != null) {
                        int pBase = po + ((b * heads + h) * tq + t) * tk;
                        for (int j = 0; j < tk; j++) probs.set(pBase + j, j <= last ? p[j] : 0.0);
                    }
                }
            }
        }
    }

    /**
     * Needs q, k, v and the weights P from the forward. With S = scale * q.k and O = P V:
     * dV_j += P_j dO;  dP_j = dO . v_j;  dS_j = P_j (dP_j - sum_i P_i dP_i);
     * dq += scale * sum_j dS_j k_j;  dk_j += scale * dS_j q.
     */
    public static void attentionBackward(Buf q, int qo, Buf k, int ko, Buf v, int vo, Buf probs, int po, Buf dOut, int go,
                                         Buf dq, int dqo, Buf dk, int dko, Buf dv, int dvo,
                                         int batch, int tq, int tk, int heads, int kvHeads, int hd) {
        double scale = 1.0 / Math.sqrt(hd);
        int group = heads / kvHeads;
        double[] dp = new double[tk]; // (tk)
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                for (int t = 0; t < tq; t++) {
                    int last = tk - tq + t;
                    int qBase = ((b * tq + t) * heads + h) * hd;
                    int pBase = po + ((b * heads + h) * tq + t) * tk;
                    double dot = 0;
                    for (int j = 0; j <= last; j++) {
                        int vBase = ((b * tk + j) * kvHeads + kh) * hd;
                        double s = 0;
                        for (int d = 0; d < hd; d++) s += dOut.get(go + qBase + d) * v.get(vo + vBase + d);
                        dp[j] = s;
                        dot += probs.get(pBase + j) * s;
                    }
                    for (int j = 0; j <= last; j++) {
                        double pj = probs.get(pBase + j);
                        double ds = pj * (dp[j] - dot) * scale;
                        int kBase = ((b * tk + j) * kvHeads + kh) * hd;
                        for (int d = 0; d < hd; d++) {
                            if (dq != null) dq.add(dqo + qBase + d, ds * k.get(ko + kBase + d));
                            if (dk != null) dk.add(dko + kBase + d, ds * q.get(qo + qBase + d));
                            if (dv != null) dv.add(dvo + kBase + d, pj * dOut.get(go + qBase + d));
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- swiglu

    public static void swiglu(Buf gate, int go, Buf up, int uo, Buf out, int oo, int n) {
        for (int i = 0; i < n; i++) out.set(oo + i, silu(gate.get(go + i)) * up.get(uo + i));
    }

    public static void swigluBackward(Buf gate, int go, Buf up, int uo, Buf dOut, int doo, Buf dGate, int dgo,
                                      Buf dUp, int duo, int n) {
        for (int i = 0; i < n; i++) {
            double g = gate.get(go + i), d = dOut.get(doo + i);
            if (dGate != null) dGate.add(dgo + i, d * up.get(uo + i) * siluGrad(g));
            if (dUp != null) dUp.add(duo + i, d * silu(g));
        }
    }

    // ---------------------------------------------------------------- embedding

    public static void embedding(Buf table, int to, int[] ids, Buf out, int oo, int dim) {
        for (int t = 0; t < ids.length; t++)
            for (int d = 0; d < dim; d++) out.set(oo + t * dim + d, table.get(to + ids[t] * dim + d));
    }

    public static void embeddingBackward(Buf dOut, int go, int[] ids, Buf dTable, int dto, int dim) {
        for (int t = 0; t < ids.length; t++)
            for (int d = 0; d < dim; d++) dTable.add(dto + ids[t] * dim + d, dOut.get(go + t * dim + d));
    }

    // ---------------------------------------------------------------- cross-entropy

    /** Returns sum over rows with target >= 0 of -log softmax(logits)[target]; probs receives the softmax. */
    public static double crossEntropy(Buf logits, int lo, int[] targets, Buf probs, int po, int rows, int vocab) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            int base = lo + r * vocab, pBase = po + r * vocab;
            if (targets[r] < 0) {
                for (int j = 0; j < vocab; j++) probs.set(pBase + j, 0.0);
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits.get(base + j));
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(logits.get(base + j) - max);
            for (int j = 0; j < vocab; j++) probs.set(pBase + j, Math.exp(logits.get(base + j) - max) / sum);
            total += Math.log(sum) + max - logits.get(base + targets[r]);
        }
        return total;
    }

    public static void crossEntropyBackward(Buf probs, int po, int[] targets, Buf dLogits, int dlo, int rows, int vocab, double scale) {
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t < 0) continue;
            for (int j = 0; j < vocab; j++) {
                double g = probs.get(po + r * vocab + j) - (j == t ? 1.0 : 0.0);
                dLogits.add(dlo + r * vocab + j, scale * g);
            }
        }
    }

    // ---------------------------------------------------------------- optimizer

    /** AdamW as torch.optim.AdamW (decoupled weight decay, bias correction, eps outside the sqrt). */
    public static void adamw(Buf p, int po, Buf g, int go, Buf m, int mo, Buf v, int vo, int n, double lr, double beta1,
                             double beta2, double eps, double weightDecay, double bias1, double bias2) {
        for (int i = 0; i < n; i++) adamwAt(p, po + i, g.get(go + i), m, mo + i, v, vo + i, lr, beta1, beta2, eps, weightDecay, bias1, bias2);
    }

    /** One coordinate of AdamW; dense and masked AdamW share it, so a full mask gives the same bits. */
    static void adamwAt(Buf p, int pi, double gi, Buf m, int mi, Buf v, int vi, double lr, double beta1, double beta2,
                        double eps, double weightDecay, double bias1, double bias2) {
        double decayed = p.get(pi) * (1.0 - lr * weightDecay);
        double mNew = beta1 * m.get(mi) + (1.0 - beta1) * gi;
        double vNew = beta2 * v.get(vi) + (1.0 - beta2) * gi * gi;
        m.set(mi, mNew);
        v.set(vi, vNew);
        p.set(pi, decayed - lr / bias1 * m.get(mi) / (Math.sqrt(v.get(vi)) / Math.sqrt(bias2) + eps));
    }

    /** AdamW at coordinates idx[j] only, moments m[j], v[j]; the gradient is scaled by gradScale first. */
    public static void maskedAdamw(Buf p, int po, Buf g, int go, int[] idx, Buf m, int mo, Buf v, int vo, double lr, double beta1,
                                   double beta2, double eps, double weightDecay, double bias1, double bias2, double gradScale) {
        maskedAdamw(p, po, g, go, false, idx, m, mo, v, vo, lr, beta1, beta2, eps, weightDecay, bias1, bias2, gradScale);
    }

    /** maskedAdamw whose gradient is compact: coordinate idx[j] reads g[go + j]. */
    public static void maskedAdamwCompact(Buf p, int po, int[] idx, Buf g, int go, Buf m, int mo, Buf v, int vo, double lr,
                                          double beta1, double beta2, double eps, double weightDecay, double bias1, double bias2,
                                          double gradScale) {
        maskedAdamw(p, po, g, go, true, idx, m, mo, v, vo, lr, beta1, beta2, eps, weightDecay, bias1, bias2, gradScale);
    }

    private static void maskedAdamw(Buf p, int po, Buf g, int go, boolean compact, int[] idx, Buf m, int mo, Buf v, int vo,
                                    double lr, double beta1, double beta2, double eps, double weightDecay, double bias1,
                                    double bias2, double gradScale) {
        for (int j = 0; j < idx.length; j++) {
            int gi0 = go + (compact ? j : idx[j]);
            double gi = gradScale == 1.0 ? g.get(gi0) : (float) (g.get(gi0) * gradScale);
            adamwAt(p, po + idx[j], gi, m, mo + j, v, vo + j, lr, beta1, beta2, eps, weightDecay, bias1, bias2);
        }
    }

    // ---------------------------------------------------------------- PIECE

    public static void accumulateMoments(Buf g, int go, Buf sum, int so, Buf sumSq, int qo, int n) {
        for (int i = 0; i < n; i++) {
            double x = g.get(go + i);
            sum.add(so + i, x);
            sumSq.add(qo + i, x * x);
        }
    }

    public static double sumOfSquaresAt(Buf x, int xo, int[] idx) {
        double s = 0;
        for (int i : idx) { double v = x.get(xo + i); s += v * v; }
        return s;
    }

    /**
     * dW[e] += sum_t dY[t][e / inDim] * x[t][e % inDim] for e in localIdx. The rows of dY and columns of x
     * that the indices touch are first copied out as contiguous (tokens) vectors, so each coordinate is one
     * sequential dot product instead of two strided walks over the whole batch.
     */
    public static void sampledMatmul(Buf dY, int yo, Buf x, int xo, int[] localIdx, Buf dW, int wo, int tokens, int outDim, int inDim) {
        sampledMatmul(dY, yo, x, xo, localIdx, dW, wo, false, tokens, outDim, inDim);
    }

    /** sampledMatmul into a compact buffer: the sum for localIdx[j] goes to dValues[vo + j]. */
    public static void sampledMatmulCompact(Buf dY, int yo, Buf x, int xo, int[] localIdx, Buf dValues, int vo, int tokens,
                                            int outDim, int inDim) {
        sampledMatmul(dY, yo, x, xo, localIdx, dValues, vo, true, tokens, outDim, inDim);
    }

    private static void sampledMatmul(Buf dY, int yo, Buf x, int xo, int[] localIdx, Buf dW, int wo, boolean compact, int tokens,
                                      int outDim, int inDim) {
        int[] rowSlot = new int[outDim], colSlot = new int[inDim];
        java.util.Arrays.fill(rowSlot, -1);
        java.util.Arrays.fill(colSlot, -1);
        int rows = 0, cols = 0;
        for (int e : localIdx) {
            if (rowSlot[e / inDim] < 0) rowSlot[e / inDim] = rows++;
            if (colSlot[e % inDim] < 0) colSlot[e % inDim] = cols++;
        }
        double[] dyT = new double[rows * tokens], xT = new double[cols * tokens]; // (rows, T), (cols, T)
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < outDim; r++) if (rowSlot[r] >= 0) dyT[rowSlot[r] * tokens + t] = dY.get(yo + t * outDim + r);
            for (int c = 0; c < inDim; c++) if (colSlot[c] >= 0) xT[colSlot[c] * tokens + t] = x.get(xo + t * inDim + c);
        }
        for (int j = 0; j < localIdx.length; j++) {
            int e = localIdx[j];
            int a = rowSlot[e / inDim] * tokens, b = colSlot[e % inDim] * tokens;
            double s = 0;
            for (int t = 0; t < tokens; t++) s += dyT[a + t] * xT[b + t];
            dW.add(wo + (compact ? j : e), s);
        }
    }
}
