/*
 * An independent reader of llama2.c's legacy checkpoint format (what llama2.c's run.c reads by default), with
 * the forward pass run.c computes, used to check the .bin files piece4j writes. Written for piece4j from the
 * format's public description; it shares no code with piece4j or llama2.c.
 *
 *   llama2c_legacy_greedy MODEL.bin STEPS ID [ID ...]
 *
 * feeds the prompt ids, then appends the argmax token STEPS times, and prints two lines on stdout:
 * the STEPS greedy ids, and the logits after the last prompt token (%.9g each).
 *
 * Legacy layout, little-endian: int32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
 * (vocab_size < 0: a classifier of its own follows); then float32 token_embedding (vocab, dim), rms_att
 * (layers, dim), wq (layers, dim, dim), wk (layers, kv_dim, dim), wv (layers, kv_dim, dim), wo (layers, dim,
 * dim), rms_ffn (layers, dim), w1 (layers, hidden, dim), w2 (layers, dim, hidden), w3 (layers, hidden, dim),
 * rms_final (dim), two RoPE tables of seq_len * head_size / 2 floats each (skipped), and the classifier
 * (vocab, dim) when vocab_size was negative. The file must end exactly there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what) {
    fprintf(stderr, "llama2c_legacy_greedy: %s\n", what);
    exit(2);
}

typedef struct {
    int dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared;
    const float *tok, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *cls;
} Model;

/* out (rows) = w (rows, cols) @ x (cols) */
static void matvec(float *out, const float *w, const float *x, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        float sum = 0.0f;
        for (int c = 0; c < cols; c++) sum += w[(long) r * cols + c] * x[c];
        out[r] = sum;
    }
}

static void rmsnorm(float *out, const float *x, const float *weight, int n) {
    float ss = 0.0f;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    ss = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int i = 0; i < n; i++) out[i] = weight[i] * (ss * x[i]);
}

static void softmax(float *x, int n) {
    float max = x[0], sum = 0.0f;
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - max); sum += x[i]; }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

/* One position: x holds the token's embedding on entry; logits (vocab) on exit. Caches are (layers, seq, kv_dim). */
static void forward(const Model *m, int token, int pos, float *key_cache, float *value_cache, float *logits) {
    int dim = m->dim, head = dim / m->heads, kv_dim = m->kv_heads * head, hid = m->hidden;
    float *x = malloc(dim * sizeof(float)), *xb = malloc(dim * sizeof(float)), *xb2 = malloc(dim * sizeof(float));
    float *q = malloc(dim * sizeof(float)), *att = malloc((pos + 1) * sizeof(float));
    float *h1 = malloc(hid * sizeof(float)), *h3 = malloc(hid * sizeof(float));
    memcpy(x, m->tok + (long) token * dim, dim * sizeof(float));
    for (int l = 0; l < m->layers; l++) {
        float *k = key_cache + ((long) l * m->seq_len + pos) * kv_dim;
        float *v = value_cache + ((long) l * m->seq_len + pos) * kv_dim;
        rmsnorm(xb, x, m->rms_att + (long) l * dim, dim);
        matvec(q, m->wq + (long) l * dim * dim, xb, dim, dim);
        matvec(k, m->wk + (long) l * kv_dim * dim, xb, kv_dim, dim);
        matvec(v, m->wv + (long) l * kv_dim * dim, xb, kv_dim, dim);
        /* RoPE on adjacent pairs (2i, 2i+1) of each head: angle pos * 10000^(-2i / head) */
        for (int i = 0; i < dim; i += 2) {
            float freq = 1.0f / powf(10000.0f, (i % head) / (float) head);
            float c = cosf(pos * freq), s = sinf(pos * freq);
            for (int which = 0; which < (i < kv_dim ? 2 : 1); which++) {
                float *vec = which == 0 ? q : k;
                float a = vec[i], b = vec[i + 1];
                vec[i] = a * c - b * s;
                vec[i + 1] = a * s + b * c;
            }
        }
        /* causal attention over positions 0..pos; query head h reads key/value head h / (heads / kv_heads) */
        for (int h = 0; h < m->heads; h++) {
            int kvh = h / (m->heads / m->kv_heads);
            for (int t = 0; t <= pos; t++) {
                const float *kt = key_cache + ((long) l * m->seq_len + t) * kv_dim + kvh * head;
                float score = 0.0f;
                for (int i = 0; i < head; i++) score += q[h * head + i] * kt[i];
                att[t] = score / sqrtf((float) head);
            }
            softmax(att, pos + 1);
            for (int i = 0; i < head; i++) xb[h * head + i] = 0.0f;
            for (int t = 0; t <= pos; t++) {
                const float *vt = value_cache + ((long) l * m->seq_len + t) * kv_dim + kvh * head;
                for (int i = 0; i < head; i++) xb[h * head + i] += att[t] * vt[i];
            }
        }
        matvec(xb2, m->wo + (long) l * dim * dim, xb, dim, dim);
        for (int i = 0; i < dim; i++) x[i] += xb2[i];
        /* SwiGLU: w2 (silu(w1 x) * w3 x) */
        rmsnorm(xb, x, m->rms_ffn + (long) l * dim, dim);
        matvec(h1, m->w1 + (long) l * hid * dim, xb, hid, dim);
        matvec(h3, m->w3 + (long) l * hid * dim, xb, hid, dim);
        for (int i = 0; i < hid; i++) h1[i] = h1[i] / (1.0f + expf(-h1[i])) * h3[i];
        matvec(xb2, m->w2 + (long) l * dim * hid, h1, dim, hid);
        for (int i = 0; i < dim; i++) x[i] += xb2[i];
    }
    rmsnorm(x, x, m->rms_final, dim);
    matvec(logits, m->cls, x, m->vocab, dim);
    free(x); free(xb); free(xb2); free(q); free(att); free(h1); free(h3);
}

int main(int argc, char **argv) {
    if (argc < 4) die("usage: llama2c_legacy_greedy MODEL.bin STEPS ID [ID ...]");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die("cannot open the model file");
    int header[7];
    if (fread(header, sizeof(int), 7, f) != 7) die("file shorter than the 28-byte header");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    Model m = {header[0], header[1], header[2], header[3], header[4], abs(header[5]), header[6], header[5] > 0};
    if (m.dim <= 0 || m.hidden <= 0 || m.layers <= 0 || m.heads <= 0 || m.kv_heads <= 0 || m.vocab <= 0 || m.seq_len <= 0
        || m.dim % m.heads != 0 || m.heads % m.kv_heads != 0) die("header does not describe a model");
    long head = m.dim / m.heads, kv_dim = m.kv_heads * head, L = m.layers, D = m.dim, H = m.hidden, V = m.vocab;
    long floats = V * D + L * D + L * D * D + 2 * L * kv_dim * D + L * D * D + L * D + 3 * L * H * D + D
                  + m.seq_len * head + (m.shared ? 0 : V * D);
    if (size != 28 + 4 * floats) {
        fprintf(stderr, "llama2c_legacy_greedy: file is %ld bytes, the legacy layout of this header needs %ld\n", size, 28 + 4 * floats);
        return 2;
    }
    float *w = malloc(4 * floats);
    fseek(f, 28, SEEK_SET);
    if ((long) fread(w, 4, floats, f) != floats) die("short read");
    fclose(f);
    const float *p = w;
    m.tok = p; p += V * D;
    m.rms_att = p; p += L * D;
    m.wq = p; p += L * D * D;
    m.wk = p; p += L * kv_dim * D;
    m.wv = p; p += L * kv_dim * D;
    m.wo = p; p += L * D * D;
    m.rms_ffn = p; p += L * D;
    m.w1 = p; p += L * H * D;
    m.w2 = p; p += L * D * H;
    m.w3 = p; p += L * H * D;
    m.rms_final = p; p += D;
    p += m.seq_len * head / 2; /* freq_cis_real */
    p += m.seq_len * head / 2; /* freq_cis_imag */
    m.cls = m.shared ? m.tok : p;

    int steps = atoi(argv[2]), prompt = argc - 3;
    if (steps < 1 || prompt + steps > m.seq_len) die("prompt + steps must fit seq_len");
    float *key_cache = calloc(L * m.seq_len * kv_dim, sizeof(float)), *value_cache = calloc(L * m.seq_len * kv_dim, sizeof(float));
    float *logits = malloc(V * sizeof(float)), *prompt_logits = malloc(V * sizeof(float));
    int token = 0, pos = 0;
    for (; pos < prompt; pos++) {
        token = atoi(argv[3 + pos]);
        if (token < 0 || token >= m.vocab) die("prompt id outside the vocabulary");
        forward(&m, token, pos, key_cache, value_cache, logits);
    }
    memcpy(prompt_logits, logits, V * sizeof(float));
    for (int s = 0; s < steps; s++) {
        int best = 0;
        for (int i = 1; i < m.vocab; i++) if (logits[i] > logits[best]) best = i;
        printf(s == 0 ? "%d" : " %d", best);
        if (s + 1 < steps) forward(&m, best, pos++, key_cache, value_cache, logits);
    }
    printf("\n");
    for (int i = 0; i < m.vocab; i++) printf(i == 0 ? "%.9g" : " %.9g", prompt_logits[i]);
    printf("\n");
    return 0;
}
