#!/usr/bin/python3
"""Golden reference files for piece4j's tiny Llama, computed by an independent PyTorch Llama.

Run from the repository root:

    /usr/bin/python3 tests/golden/make_golden.py

It writes, under tests/src/test/resources/golden/:
    tiny-llama/          the model with an untied output head, and
    tiny-llama-tied/     one whose output head is its token embedding (as every llama2.c checkpoint), each with
        model.safetensors   the weights, Hugging Face Llama names, F32
        config.json         the LlamaForCausalLM config of those weights
        model.bin           the same weights in llama2.c's legacy (version 0) checkpoint format
        expected.safetensors inputs, logits, loss, every gradient, an SGD loss trajectory,
                            a greedy decode and PIECE importance sums
        checksums.txt       sha256 of the files above (`sha256sum -c checksums.txt` in that folder)
    adamw/               torch.optim.AdamW with torch.nn.utils.clip_grad_norm_, one and two steps, on all
                         coordinates of a vector and on a subset of them (PIECE's masked update)
        expected.safetensors, checksums.txt

Weights are drawn in float32 from a seeded generator; every computation (forward, loss, gradients,
SGD, decoding, importance) runs in float64 on those float32 values, and results are rounded to
float32 only when written. The output is deterministic: two runs give the same bytes.
See tests/golden/README.md for the exact layout of every file.
"""

import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch

GOLDEN_DIR = os.path.join("tests", "src", "test", "resources", "golden")

# ---------------------------------------------------------------------------------------------
# Configuration

DIM = 32
N_LAYERS = 2
N_HEADS = 4
N_KV_HEADS = 2
HEAD_DIM = DIM // N_HEADS        # 8; the third model has WIDE_HEAD_DIM instead
WIDE_HEAD_DIM = 12               # head_dim != dim / heads: q_proj is (48, 32), o_proj (32, 48)
HIDDEN_DIM = 77                  # odd on purpose: no kernel may assume a multiple of the vector width
VOCAB = 67
MAX_SEQ_LEN = 32
RMS_EPS = 1e-5
ROPE_THETA = 10000.0
BOS, EOS = 1, 2

SEED = 20240617                  # the untied model
ADAMW_SEED = SEED + 2
WIDE_HEAD_SEED = SEED + 14       # of SEED + 4 .. SEED + 15, the one with a varied greedy decode (check 5) and the widest
                                 # smallest top-1/top-2 logit gap (0.044)
TIED_SEED = SEED + 3             # the first seed after SEED whose tied model passes the greedy check (check 5) at
                                 # EMBED_STD_TIED: random tied models tend to repeat one token

# Standard deviations of the initial weights. Projections use 1/sqrt(fan_in) so that every block
# changes the residual stream by O(1) and attention is neither uniform nor one-hot; the output head
# uses 1/sqrt(dim) so that the logits have a standard deviation near 1.
EMBED_STD = 1.0
EMBED_STD_TIED = 0.2             # a tied embedding is also the output head: logits with a standard deviation near 1
NORM_NOISE_STD = 0.1             # RMSNorm weights are 1 + 0.1 * N(0, 1)

BATCH, SEQ = 2, 12               # the main batch
PROMPT_LEN_MAIN = (4, 2)         # prompt positions (target -1) at the start of each row
IMP_BATCH, IMP_SEQ = 2, 10       # each of the two importance batches
PROMPT_LEN_IMP = ((3, 5), (2, 4))

SGD_STEPS, SGD_LR = 5, 0.1
GREEDY_PROMPT = [1, 7, 13, 21]
GREEDY_MAX_LEN = 24              # total length, prompt included (llama2.c's -n)

# ---------------------------------------------------------------------------------------------
# Parameters: canonical piece4j name -> (Hugging Face name, shape). The order is the order of the
# flat parameter buffer in piece4j and the order of the llama2.c file within each kind.


def parameter_layout(tied, hd=HEAD_DIM):
    q_dim, kv_dim = N_HEADS * hd, N_KV_HEADS * hd
    layout = [("tok_embeddings", "model.embed_tokens.weight", (VOCAB, DIM))]
    for i in range(N_LAYERS):
        hf = f"model.layers.{i}."
        layout += [
            (f"layers.{i}.attn_norm", hf + "input_layernorm.weight", (DIM,)),
            (f"layers.{i}.attn.wq", hf + "self_attn.q_proj.weight", (q_dim, DIM)),
            (f"layers.{i}.attn.wk", hf + "self_attn.k_proj.weight", (kv_dim, DIM)),
            (f"layers.{i}.attn.wv", hf + "self_attn.v_proj.weight", (kv_dim, DIM)),
            (f"layers.{i}.attn.wo", hf + "self_attn.o_proj.weight", (DIM, q_dim)),
            (f"layers.{i}.mlp_norm", hf + "post_attention_layernorm.weight", (DIM,)),
            (f"layers.{i}.mlp.w_gate", hf + "mlp.gate_proj.weight", (HIDDEN_DIM, DIM)),
            (f"layers.{i}.mlp.w_up", hf + "mlp.up_proj.weight", (HIDDEN_DIM, DIM)),
            (f"layers.{i}.mlp.w_down", hf + "mlp.down_proj.weight", (DIM, HIDDEN_DIM)),
        ]
    layout += [("norm", "model.norm.weight", (DIM,))]
    if not tied:
        layout += [("output", "lm_head.weight", (VOCAB, DIM))]
    return layout


def initial_weights(gen, tied, hd=HEAD_DIM):
    """float32 weights, drawn in the layout's order from one generator."""
    weights = {}
    for name, _, shape in parameter_layout(tied, hd):
        noise = torch.randn(shape, generator=gen, dtype=torch.float32)
        if len(shape) == 1:
            w = 1.0 + NORM_NOISE_STD * noise
        elif name == "tok_embeddings":
            w = (EMBED_STD_TIED if tied else EMBED_STD) * noise
        else:
            w = noise / math.sqrt(shape[1])   # fan_in = in_features of the (out, in) matrix
        weights[name] = w.to(torch.float32)
    return weights


# ---------------------------------------------------------------------------------------------
# The model, float64. `rope` selects the layout: "half" rotates pairs (j, j + hd/2) (Hugging Face
# rotate_half), "interleaved" rotates pairs (2j, 2j + 1) (Meta, llama2.c, GGUF).


def rope_angles(seq_len, hd=HEAD_DIM):
    inv_freq = ROPE_THETA ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)  # (hd/2,)
    pos = torch.arange(seq_len, dtype=torch.float64)
    return torch.outer(pos, inv_freq)  # (T, hd/2)


def apply_rope(x, rope):
    # x: (B, T, heads, hd)
    T, hd = x.shape[1], x.shape[-1]
    ang = rope_angles(T, hd).to(x.dtype)
    cos, sin = torch.cos(ang)[None, :, None, :], torch.sin(ang)[None, :, None, :]  # (1, T, 1, hd/2)
    if rope == "half":
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)
    if rope == "interleaved":
        x1, x2 = x[..., 0::2], x[..., 1::2]
        y1, y2 = x1 * cos - x2 * sin, x2 * cos + x1 * sin
        return torch.stack([y1, y2], dim=-1).reshape(x.shape)
    raise ValueError(rope)


def rmsnorm(x, w):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + RMS_EPS) * w


def attention(n, p, i, rope):
    B, T, _ = n.shape
    hd = p[f"layers.{i}.attn.wq"].shape[0] // N_HEADS
    q = (n @ p[f"layers.{i}.attn.wq"].T).view(B, T, N_HEADS, hd)
    k = (n @ p[f"layers.{i}.attn.wk"].T).view(B, T, N_KV_HEADS, hd)
    v = (n @ p[f"layers.{i}.attn.wv"].T).view(B, T, N_KV_HEADS, hd)
    q, k = apply_rope(q, rope), apply_rope(k, rope)
    group = N_HEADS // N_KV_HEADS
    kv_of_head = torch.arange(N_HEADS) // group           # query head h reads kv head h // group
    k, v = k[:, :, kv_of_head, :], v[:, :, kv_of_head, :]  # (B, T, H, hd)
    scores = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(hd)  # (B, H, T, T)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~causal, float("-inf"))
    att = torch.softmax(scores, dim=-1)
    out = torch.einsum("bhts,bshd->bthd", att, v).reshape(B, T, N_HEADS * hd)
    return out @ p[f"layers.{i}.attn.wo"].T


def forward(p, tokens, rope="half"):
    """logits (B, T, V) for tokens (B, T); p maps canonical names to float64 tensors. Without an "output"
    entry the head is the token embedding itself (tied), so its gradient sums both uses."""
    x = p["tok_embeddings"][tokens]  # (B, T, D)
    for i in range(N_LAYERS):
        h = x + attention(rmsnorm(x, p[f"layers.{i}.attn_norm"]), p, i, rope)
        n = rmsnorm(h, p[f"layers.{i}.mlp_norm"])
        gate, up = n @ p[f"layers.{i}.mlp.w_gate"].T, n @ p[f"layers.{i}.mlp.w_up"].T  # (B, T, F)
        x = h + (torch.nn.functional.silu(gate) * up) @ p[f"layers.{i}.mlp.w_down"].T
    head = p["output"] if "output" in p else p["tok_embeddings"]
    return rmsnorm(x, p["norm"]) @ head.T


def mean_loss(logits, targets):
    """Mean cross-entropy over positions whose target is not -1."""
    keep = targets != -1
    logp = torch.log_softmax(logits, dim=-1)[keep]  # (N, V)
    return -logp.gather(1, targets[keep][:, None]).mean()


def loss_and_grads(weights64, tokens, targets):
    p = {k: v.detach().clone().requires_grad_(True) for k, v in weights64.items()}
    logits = forward(p, tokens)
    loss = mean_loss(logits, targets)
    loss.backward()
    return logits.detach(), loss.detach(), {k: v.grad.detach() for k, v in p.items()}


# ---------------------------------------------------------------------------------------------
# Data


def batch(gen, rows, seq, prompt_lens):
    """tokens (rows, seq) starting with BOS, other ids drawn from [3, V); targets = next tokens,
    -1 on the first prompt_lens[r] positions of row r."""
    body = torch.randint(3, VOCAB, (rows, seq), generator=gen, dtype=torch.int64)
    stream = torch.cat([torch.full((rows, 1), BOS, dtype=torch.int64), body], dim=1)  # (rows, seq+1)
    tokens, targets = stream[:, :-1].clone(), stream[:, 1:].clone()
    for r, n in enumerate(prompt_lens):
        targets[r, :n] = -1
    return tokens, targets


def greedy(weights64, prompt):
    """Greedy decode with full recomputation; returns (ids, smallest top-1/top-2 logit gap)."""
    ids, min_gap = list(prompt), float("inf")
    with torch.no_grad():
        while len(ids) < GREEDY_MAX_LEN:
            last = forward(weights64, torch.tensor([ids]))[0, -1]  # (V,)
            best = int(torch.nonzero(last == last.max())[0])       # ties -> lowest id
            top2 = torch.topk(last, 2).values
            min_gap = min(min_gap, float(top2[0] - top2[1]))
            if best in (BOS, EOS):
                break
            ids.append(best)
    return ids, min_gap


# ---------------------------------------------------------------------------------------------
# File formats

SAFETENSORS_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}


def write_safetensors(path, arrays, metadata):
    """arrays: name -> numpy array (<f4 or <i8). Header keys sorted; data ordered by element size
    (largest first, so I64 data is 8-byte aligned) then name; header padded with spaces to a
    multiple of 8 bytes, as the reference implementation does."""
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    header, offset = {"__metadata__": metadata}, 0
    for name in order:
        a = arrays[name]
        header[name] = {"dtype": SAFETENSORS_DTYPES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(np.ascontiguousarray(arrays[name]).tobytes())


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    inverse = {v: k for k, v in SAFETENSORS_DTYPES.items()}
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a: 8 + n + b], dtype=inverse[e["dtype"]]).reshape(e["shape"])
    return out


def half_split_to_interleaved(w, n_heads):
    """Rows of a q or k projection (n_heads*hd, in): per head, HF row j < hd/2 becomes row 2j and
    HF row hd/2 + j becomes row 2j + 1 (the inverse of the permutation in HF's convert_llama_weights)."""
    hd = w.shape[0] // n_heads
    w = w.reshape(n_heads, 2, hd // 2, -1)  # [head][half][j][in]
    return w.transpose(1, 2).reshape(n_heads * hd, -1)  # [head][j][half][in]


def llama2c_legacy_bytes(w32):
    """llama2.c version-0 checkpoint: 7 int32 header then float32 tensors, weights stacked over
    layers by kind. vocab_size is negative when the classifier is not shared with the embedding
    (and wcls then follows the RoPE tables); positive when it is shared (no wcls)."""
    tied = "output" not in w32
    def stack(kind, permute_heads=None):
        mats = [w32[f"layers.{i}.{kind}"] for i in range(N_LAYERS)]
        if permute_heads:
            mats = [half_split_to_interleaved(m, permute_heads) for m in mats]
        return torch.stack(mats)

    ang = rope_angles(MAX_SEQ_LEN)
    parts = [
        w32["tok_embeddings"],
        stack("attn_norm"),
        stack("attn.wq", N_HEADS), stack("attn.wk", N_KV_HEADS), stack("attn.wv"), stack("attn.wo"),
        stack("mlp_norm"),
        stack("mlp.w_gate"), stack("mlp.w_down"), stack("mlp.w_up"),
        w32["norm"],
        torch.cos(ang).to(torch.float32), torch.sin(ang).to(torch.float32),  # (seq_len, hd/2) each
    ] + ([] if tied else [w32["output"]])
    header = struct.pack("<7i", DIM, HIDDEN_DIM, N_LAYERS, N_HEADS, N_KV_HEADS, VOCAB if tied else -VOCAB, MAX_SEQ_LEN)
    return header + b"".join(t.contiguous().numpy().astype("<f4").tobytes() for t in parts)


def read_llama2c_legacy(raw):
    """Inverse of llama2c_legacy_bytes: canonical name -> float64 tensor, q/k rows interleaved."""
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack("<7i", raw[:28])
    floats = torch.from_numpy(np.frombuffer(raw[28:], dtype="<f4").copy()).to(torch.float64)
    hd, kv_dim, tied, vocab = dim // heads, kv_heads * (dim // heads), vocab > 0, abs(vocab)
    shapes = [("tok_embeddings", (vocab, dim)), ("attn_norm", (layers, dim)),
              ("attn.wq", (layers, dim, dim)), ("attn.wk", (layers, kv_dim, dim)),
              ("attn.wv", (layers, kv_dim, dim)), ("attn.wo", (layers, dim, dim)),
              ("mlp_norm", (layers, dim)), ("mlp.w_gate", (layers, hidden, dim)),
              ("mlp.w_down", (layers, dim, hidden)), ("mlp.w_up", (layers, hidden, dim)),
              ("norm", (dim,)), ("freq_cis_real", (seq_len, hd // 2)),
              ("freq_cis_imag", (seq_len, hd // 2))] + ([] if tied else [("output", (vocab, dim))])
    p, at = {}, 0
    for kind, shape in shapes:
        n = math.prod(shape)
        t, at = floats[at:at + n].reshape(shape), at + n
        if kind in ("tok_embeddings", "norm", "output", "freq_cis_real", "freq_cis_imag"):
            p[kind] = t
        else:
            p.update({f"layers.{i}.{kind}": t[i] for i in range(layers)})
    check(at == floats.numel(), f"model.bin has {floats.numel() - at} floats after wcls")
    return p


def hf_config(tied, hd=HEAD_DIM):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": DIM,
        "intermediate_size": HIDDEN_DIM,
        "num_hidden_layers": N_LAYERS,
        "num_attention_heads": N_HEADS,
        "num_key_value_heads": N_KV_HEADS,
        "head_dim": hd,
        "vocab_size": VOCAB,
        "max_position_embeddings": MAX_SEQ_LEN,
        "rms_norm_eps": RMS_EPS,
        "rope_theta": ROPE_THETA,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": tied,
        "bos_token_id": BOS,
        "eos_token_id": EOS,
        "torch_dtype": "float32",
    }


# ---------------------------------------------------------------------------------------------
# Checks that the script's own pieces agree with each other


def check(condition, message):
    if not condition:
        sys.exit("make_golden.py: check failed: " + message)


def check_interleaved_layout(weights64, tokens):
    """The llama2.c file's permuted q/k rows with interleaved RoPE must give the HF logits."""
    permuted = dict(weights64)
    for i in range(N_LAYERS):
        permuted[f"layers.{i}.attn.wq"] = half_split_to_interleaved(weights64[f"layers.{i}.attn.wq"], N_HEADS)
        permuted[f"layers.{i}.attn.wk"] = half_split_to_interleaved(weights64[f"layers.{i}.attn.wk"], N_KV_HEADS)
    with torch.no_grad():
        diff = (forward(weights64, tokens, "half") - forward(permuted, tokens, "interleaved")).abs().max()
    check(diff < 1e-12, f"interleaved forward differs from half-split by {diff:.3e}")
    return float(diff)


def check_gradients_by_finite_differences(weights64, tokens, targets, grads):
    """Central differences on two coordinates of every parameter (float64, step 1e-6)."""
    gen = torch.Generator().manual_seed(SEED + 99)
    worst = 0.0
    with torch.no_grad():
        for name in weights64:
            flat = weights64[name].reshape(-1)
            for idx in torch.randint(0, flat.numel(), (2,), generator=gen).tolist():
                def loss_at(delta):
                    p = dict(weights64)
                    w = flat.clone()
                    w[idx] += delta
                    p[name] = w.reshape(weights64[name].shape)
                    return float(mean_loss(forward(p, tokens), targets))
                numeric = (loss_at(1e-6) - loss_at(-1e-6)) / 2e-6
                analytic = float(grads[name].reshape(-1)[idx])
                err = abs(numeric - analytic) / max(1e-6, abs(numeric) + abs(analytic))
                worst = max(worst, err)
    check(worst < 1e-5, f"finite-difference gradient relative error {worst:.3e}")
    return worst


# ---------------------------------------------------------------------------------------------


def f32(t):
    return t.detach().to(torch.float32).contiguous().numpy().astype("<f4")


def i64(t):
    return t.detach().to(torch.int64).contiguous().numpy().astype("<i8")


def write_checksums(out_dir, names):
    with open(os.path.join(out_dir, "checksums.txt"), "w") as f:
        for name in names:
            with open(os.path.join(out_dir, name), "rb") as g:
                f.write(f"{hashlib.sha256(g.read()).hexdigest()}  {name}\n")


def make_model(out_dir, seed, tied, hd=HEAD_DIM):
    """The model files and expected values of one tiny Llama, all drawn from one generator. llama2.c's format
    derives the head size from dim / heads, so a model with another head_dim gets no model.bin."""
    gen = torch.Generator().manual_seed(seed)
    with_bin = hd == DIM // N_HEADS
    w32 = initial_weights(gen, tied, hd)
    w64 = {k: v.to(torch.float64) for k, v in w32.items()}
    tokens, targets = batch(gen, BATCH, SEQ, PROMPT_LEN_MAIN)
    imp_batches = [batch(gen, IMP_BATCH, IMP_SEQ, PROMPT_LEN_IMP[m]) for m in range(2)]

    # reference state: logits, loss, gradients (tied: the embedding's gradient sums its two uses)
    logits, loss, grads = loss_and_grads(w64, tokens, targets)
    rope_diff = check_interleaved_layout(w64, tokens)
    fd_err = check_gradients_by_finite_differences(w64, tokens, targets, grads)

    # SGD trajectory: loss before each of the updates w -= lr * g, weights kept in float64
    sgd_losses, w = [], dict(w64)
    for _ in range(SGD_STEPS):
        _, step_loss, g = loss_and_grads(w, tokens, targets)
        sgd_losses.append(float(step_loss))
        w = {k: w[k] - SGD_LR * g[k] for k in w}
    check(sgd_losses[-1] < sgd_losses[0], f"SGD did not lower the loss: {sgd_losses}")

    # greedy decoding
    greedy_ids, greedy_gap = greedy(w64, GREEDY_PROMPT)
    generated = greedy_ids[len(GREEDY_PROMPT):]
    check(len(generated) >= 8 and len(set(generated)) >= 5,
          f"greedy decode is degenerate: {greedy_ids}")

    # PIECE importance over two batches
    imp_grads = [loss_and_grads(w64, tk, tg)[2] for tk, tg in imp_batches]
    imp = {}
    for name in w64:
        g0, g1 = imp_grads[0][name], imp_grads[1][name]
        G, H = g0 + g1, g0 * g0 + g1 * g1
        imp[f"imp.G.{name}"], imp[f"imp.H.{name}"] = f32(G), f32(H)
        imp[f"imp.piece_s.{name}"] = f32(G.abs() / torch.sqrt(H + 1.0))

    # files
    os.makedirs(out_dir, exist_ok=True)
    hf_names = {name: hf for name, hf, _ in parameter_layout(tied, hd)}
    write_safetensors(os.path.join(out_dir, "model.safetensors"),
                      {hf_names[k]: f32(v) for k, v in w32.items()}, {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config(tied, hd), f, indent=2, sort_keys=True)
        f.write("\n")
    if with_bin:
        with open(os.path.join(out_dir, "model.bin"), "wb") as f:
            f.write(llama2c_legacy_bytes(w32))

    expected = {
        "tokens": i64(tokens), "targets": i64(targets),
        "logits": f32(logits), "loss": f32(loss.reshape(1)),
        "sgd_losses": f32(torch.tensor(sgd_losses, dtype=torch.float64)),
        "greedy_prompt": i64(torch.tensor(GREEDY_PROMPT)), "greedy_ids": i64(torch.tensor(greedy_ids)),
    }
    expected.update({f"grad.{k}": f32(v) for k, v in grads.items()})
    for m, (tk, tg) in enumerate(imp_batches):
        expected[f"imp_tokens_{m}"], expected[f"imp_targets_{m}"] = i64(tk), i64(tg)
    expected.update(imp)
    write_safetensors(os.path.join(out_dir, "expected.safetensors"), expected,
                      {"generator": "tests/golden/make_golden.py", "seed": str(seed)})

    # read everything back through the writers' inverse and compare
    bin_diff = float("nan")
    if with_bin:
        with open(os.path.join(out_dir, "model.bin"), "rb") as f:
            from_bin = read_llama2c_legacy(f.read())
        ang = rope_angles(MAX_SEQ_LEN)
        check(torch.equal(from_bin.pop("freq_cis_real"), torch.cos(ang).float().double())
              and torch.equal(from_bin.pop("freq_cis_imag"), torch.sin(ang).float().double()), "model.bin freq_cis")
        check(("output" in from_bin) != tied, "model.bin classifier sharing")
        with torch.no_grad():
            bin_diff = float((forward(from_bin, tokens, "interleaved") - logits).abs().max())
        check(bin_diff < 1e-12, f"model.bin with interleaved RoPE differs from the HF logits by {bin_diff:.3e}")
    back = read_safetensors(os.path.join(out_dir, "model.safetensors"))
    check(all(np.array_equal(back[hf_names[k]], f32(v)) for k, v in w32.items()), "model.safetensors round trip")
    back = read_safetensors(os.path.join(out_dir, "expected.safetensors"))
    check(all(np.array_equal(back[k], v) for k, v in expected.items()), "expected.safetensors round trip")

    names = ["config.json", "expected.safetensors"] + (["model.bin"] if with_bin else []) + ["model.safetensors"]
    write_checksums(out_dir, names)

    n_params = sum(v.numel() for v in w32.values())
    print(f"== {out_dir} ({'tied' if tied else 'untied'} head, head_dim {hd}, seed {seed})")
    print(f"parameters            {n_params}")
    print(f"logits std            {float(logits.std()):.4f}  (min {float(logits.min()):.3f}, max {float(logits.max()):.3f})")
    print(f"loss                  {float(loss):.9f}  (ln V = {math.log(VOCAB):.4f})")
    print(f"sgd_losses            {[round(x, 6) for x in sgd_losses]}")
    print(f"greedy_ids            {greedy_ids}  ({len(set(generated))} distinct generated, "
          f"smallest top-1/top-2 logit gap {greedy_gap:.4f})")
    print(f"interleaved vs half   max |logit difference| {rope_diff:.3e} (permuted weights), "
          f"{bin_diff:.3e} (read back from model.bin)")
    print(f"finite differences    worst relative gradient error {fd_err:.3e}")
    for name in names:
        print(f"{name:21s} {os.path.getsize(os.path.join(out_dir, name))} bytes")


# ---------------------------------------------------------------------------------------------
# AdamW: torch.optim.AdamW after torch.nn.utils.clip_grad_norm_, on a vector of N coordinates (dense) and on
# K of them (PIECE's masked update: the optimizer sees only the masked coordinates, their gradient norm is the
# one clipped, the others never change). Hyperparameters are the float32 values the Java code uses.

ADAMW_N, ADAMW_K = 1000, 300
ADAMW_LR, ADAMW_BETA1, ADAMW_BETA2, ADAMW_EPS, ADAMW_WD, ADAMW_MAX_NORM = (
    float(np.float32(x)) for x in (1e-2, 0.9, 0.95, 1e-8, 0.1, 1.0))
ADAMW_GRAD_STD = (0.1, 0.01)     # step 1 is clipped (norm about 3.2 > 1), step 2 is not (about 0.32)


def adamw_steps(p0, grads):
    """float64 parameters after each AdamW step, and the gradient norms clip_grad_norm_ returned."""
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.AdamW([p], lr=ADAMW_LR, betas=(ADAMW_BETA1, ADAMW_BETA2), eps=ADAMW_EPS,
                            weight_decay=ADAMW_WD)
    after, norms = [], []
    for g in grads:
        p.grad = g.clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_([p], ADAMW_MAX_NORM)))
        opt.step()
        after.append(p.detach().clone())
    return after, norms


def make_adamw(out_dir, seed):
    gen = torch.Generator().manual_seed(seed)
    p0 = torch.randn(ADAMW_N, generator=gen, dtype=torch.float32).to(torch.float64)
    grads = [(std * torch.randn(ADAMW_N, generator=gen, dtype=torch.float32)).to(torch.float32).to(torch.float64)
             for std in ADAMW_GRAD_STD]
    idx = torch.sort(torch.randperm(ADAMW_N, generator=gen)[:ADAMW_K]).values

    dense, dense_norms = adamw_steps(p0, grads)
    sub, masked_norms = adamw_steps(p0[idx], [g[idx] for g in grads])
    masked = []
    for s in sub:
        full = p0.clone()
        full[idx] = s
        masked.append(full)
    check(dense_norms[0] > ADAMW_MAX_NORM > dense_norms[1] and masked_norms[0] > ADAMW_MAX_NORM > masked_norms[1],
          f"step 1 must clip and step 2 must not: dense norms {dense_norms}, masked norms {masked_norms}")

    expected = {
        "settings": f32(torch.tensor([ADAMW_LR, ADAMW_BETA1, ADAMW_BETA2, ADAMW_EPS, ADAMW_WD, ADAMW_MAX_NORM],
                                     dtype=torch.float64)),
        "params0": f32(p0), "grad.1": f32(grads[0]), "grad.2": f32(grads[1]), "mask_indices": i64(idx),
        "dense.step1": f32(dense[0]), "dense.step2": f32(dense[1]), "dense.grad_norms": f32(torch.tensor(dense_norms)),
        "masked.step1": f32(masked[0]), "masked.step2": f32(masked[1]),
        "masked.grad_norms": f32(torch.tensor(masked_norms)),
    }
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "expected.safetensors"), expected,
                      {"generator": "tests/golden/make_golden.py", "seed": str(seed), "torch": torch.__version__})
    back = read_safetensors(os.path.join(out_dir, "expected.safetensors"))
    check(all(np.array_equal(back[k], v) for k, v in expected.items()), "adamw expected.safetensors round trip")
    write_checksums(out_dir, ["expected.safetensors"])
    update = (dense[1] - p0).abs()
    print(f"== {out_dir} (seed {seed})")
    print(f"gradient norms        dense {[round(x, 4) for x in dense_norms]}, masked {[round(x, 4) for x in masked_norms]}")
    print(f"two-step update       max |p2 - p0| {float(update.max()):.4e}, min {float(update.min()):.4e}")


def main():
    torch.set_num_threads(1)  # one thread: reductions in a fixed order, so the bytes never change
    torch.use_deterministic_algorithms(True)
    make_model(os.path.join(GOLDEN_DIR, "tiny-llama"), SEED, tied=False)
    make_model(os.path.join(GOLDEN_DIR, "tiny-llama-tied"), TIED_SEED, tied=True)
    make_model(os.path.join(GOLDEN_DIR, "tiny-llama-head12"), WIDE_HEAD_SEED, tied=False, hd=WIDE_HEAD_DIM)
    make_adamw(os.path.join(GOLDEN_DIR, "adamw"), ADAMW_SEED)


if __name__ == "__main__":
    main()
