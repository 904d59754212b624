#!/usr/bin/env python3
"""Writes a tiny llama2.c model twice, from one seeded set of weights:

  tiny-f32.bin   version 1: float32, the 256-byte header
  tiny-int8.bin  version 2: the same weights quantized to int8 in llama2.c's current layout

The int8 file follows the format as llama2.c's runq.c reads it and its export.py (version 2) writes it:
a 256-byte header (u32 magic 0x616b3432, i32 version 2, i32 dim, hidden_dim, n_layers, n_heads,
n_kv_heads, vocab_size, seq_len, u8 shared_classifier, i32 group_size, zeros), the rmsnorm weights in
float32 (attention norms of all layers, ffn norms of all layers, final norm), then every matrix in the
order tok_embeddings, wq, wk, wv, wo, w1, w2, w3 (each kind for all layers in turn), classifier if not
shared, each written as its int8 values immediately followed by its float32 scales.

Quantization per group of group_size consecutive values: scale = max|w| / 127, q = round(w / scale)
(half to even), computed in float32. Only numpy is needed. Run from this folder:

    python3 make_llama2c_int8.py
"""
import struct

import numpy as np

SEED = 20240611
DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ = 32, 64, 2, 4, 2, 64, 32
GROUP = 32          # export.py starts at 64 and halves until it divides dim; 32 here
MAGIC = 0x616B3432


def weights(rng):
    """Matrices ~ N(0, 1/fan_in) so activations stay O(1) and the logits have clear maxima; norms near 1."""
    head = DIM // HEADS
    kv = KV_HEADS * head

    def matrix(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def norm():
        return (1 + 0.1 * rng.standard_normal(DIM)).astype(np.float32)

    w = {"tok": (rng.standard_normal((VOCAB, DIM))).astype(np.float32)}
    w["att_norm"] = [norm() for _ in range(LAYERS)]
    w["ffn_norm"] = [norm() for _ in range(LAYERS)]
    w["wq"] = [matrix(DIM, DIM) for _ in range(LAYERS)]
    w["wk"] = [matrix(kv, DIM) for _ in range(LAYERS)]
    w["wv"] = [matrix(kv, DIM) for _ in range(LAYERS)]
    w["wo"] = [matrix(DIM, DIM) for _ in range(LAYERS)]
    w["w1"] = [matrix(HIDDEN, DIM) for _ in range(LAYERS)]
    w["w2"] = [matrix(DIM, HIDDEN) for _ in range(LAYERS)]
    w["w3"] = [matrix(HIDDEN, DIM) for _ in range(LAYERS)]
    w["norm"] = norm()
    w["cls"] = (3 * rng.standard_normal((VOCAB, DIM)) / np.sqrt(DIM)).astype(np.float32)
    return w


def header(version, extra):
    h = struct.pack("<Ii7iB", MAGIC, version, DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ, 0) + extra
    return h + b"\0" * (256 - len(h))


def matrices(w):
    out = [w["tok"]]
    for kind in ("wq", "wk", "wv", "wo", "w1", "w2", "w3"):
        out += w[kind]
    out.append(w["cls"])  # shared_classifier = 0
    return out


def norms(w):
    return w["att_norm"] + w["ffn_norm"] + [w["norm"]]


def quantize(m):
    groups = m.reshape(-1, GROUP).astype(np.float32)
    scale = (np.abs(groups).max(axis=1) / np.float32(127)).astype(np.float32)
    safe = np.where(scale == 0, np.float32(1), scale).astype(np.float32)
    q = np.round(groups / safe[:, None]).astype(np.int8)
    return q.reshape(-1), scale


def main():
    w = weights(np.random.default_rng(SEED))
    with open("tiny-f32.bin", "wb") as f:
        f.write(header(1, b""))
        for t in norms(w) + matrices(w):
            f.write(t.astype("<f4").tobytes())
    with open("tiny-int8.bin", "wb") as f:
        f.write(header(2, struct.pack("<i", GROUP)))
        for t in norms(w):
            f.write(t.astype("<f4").tobytes())
        for m in matrices(w):
            q, scale = quantize(m)
            f.write(q.tobytes())
            f.write(scale.astype("<f4").tobytes())


if __name__ == "__main__":
    main()
