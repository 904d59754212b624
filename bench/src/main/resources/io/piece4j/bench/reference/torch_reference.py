#!/usr/bin/env python3
"""PyTorch reference for `piece bench compare`: the same Llama shape and the same four jobs as piece4j.

  python3 torch_reference.py --threads 2 --dim 288 --layers 6 --heads 6 --kv-heads 6 --hidden 768 \
      --vocab 32000 --seq-len 256 --batch 8 --steps 3 --importance-batches 16 --ratio 0.001 --gen-tokens 200

Jobs, each timed after an untimed warm-up, on random weights and random tokens (speed does not depend on
the values):
  full        one training step: forward, cross-entropy, backward, gradient clipping at 1, AdamW (foreach)
  importance  PIECE-S over N batches: forward + backward per batch, G += g, H += g^2 (embeddings excluded),
              then the score |G| / sqrt(H + 1) and the global top-k
  masked      one PIECE step under that top-k mask: forward, backward (dense, as autograd gives it; tensors
              without a masked entry get no gradient), clipping and AdamW on the k masked coordinates only
  generate    batch-1 greedy decoding with a KV cache, tokens per second (median of 3 timed runs)
Prints one JSON line with the figures, torch's version, its BLAS and the OpenBLAS core type that ran.

--device cuda runs the same jobs on the GPU in float32 with TF32 off (the fair reference for piece4j's
opencl backend, whose kernels are plain float32), synchronising before every clock read.
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F


class Llama(torch.nn.Module):
    """Llama block stack: RMSNorm, RoPE, grouped KV heads, SwiGLU, output head tied to the embeddings unless --untied-head."""

    def __init__(self, a):
        super().__init__()
        self.a = a
        hd = a.dim // a.heads
        self.hd = hd
        self.tok = torch.nn.Embedding(a.vocab, a.dim)
        self.layers = torch.nn.ModuleList()
        for _ in range(a.layers):
            blk = torch.nn.Module()
            blk.attn_norm = torch.nn.Parameter(torch.ones(a.dim))
            blk.wq = torch.nn.Linear(a.dim, a.heads * hd, bias=False)
            blk.wk = torch.nn.Linear(a.dim, a.kv_heads * hd, bias=False)
            blk.wv = torch.nn.Linear(a.dim, a.kv_heads * hd, bias=False)
            blk.wo = torch.nn.Linear(a.heads * hd, a.dim, bias=False)
            blk.ffn_norm = torch.nn.Parameter(torch.ones(a.dim))
            blk.w1 = torch.nn.Linear(a.dim, a.hidden, bias=False)
            blk.w2 = torch.nn.Linear(a.hidden, a.dim, bias=False)
            blk.w3 = torch.nn.Linear(a.dim, a.hidden, bias=False)
            self.layers.append(blk)
        self.norm = torch.nn.Parameter(torch.ones(a.dim))
        self.head = torch.nn.Linear(a.dim, a.vocab, bias=False) if a.untied_head else None  # TinyLlama's own head
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        ang = torch.outer(torch.arange(a.seq_len, dtype=torch.float32), inv)
        self.register_buffer("cos", torch.cos(ang), persistent=False)  # (seq_len, hd/2)
        self.register_buffer("sin", torch.sin(ang), persistent=False)

    @staticmethod
    def rmsnorm(x, w, eps=1e-5):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rope(self, x, pos):  # x (B, T, H, hd), pairs (2i, 2i+1)
        cos, sin = self.cos[pos].unsqueeze(1), self.sin[pos].unsqueeze(1)  # (T, 1, hd/2)
        u, v = x[..., 0::2], x[..., 1::2]
        return torch.stack((u * cos - v * sin, u * sin + v * cos), dim=-1).flatten(-2)

    def forward(self, tokens, cache=None, start=0):
        a, hd = self.a, self.hd
        B, T = tokens.shape
        pos = torch.arange(start, start + T)
        x = self.tok(tokens)
        for i, blk in enumerate(self.layers):
            h = self.rmsnorm(x, blk.attn_norm)
            q = self.rope(blk.wq(h).view(B, T, a.heads, hd), pos)
            k = self.rope(blk.wk(h).view(B, T, a.kv_heads, hd), pos)
            v = blk.wv(h).view(B, T, a.kv_heads, hd)
            if cache is not None:
                ck, cv = cache[i]
                ck[:, start:start + T] = k
                cv[:, start:start + T] = v
                k, v = ck[:, :start + T], cv[:, :start + T]
            rep = a.heads // a.kv_heads
            if rep > 1:
                k, v = k.repeat_interleave(rep, dim=2), v.repeat_interleave(rep, dim=2)
            q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, H, T, hd)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)                   # (B, H, T, start + T)
            if T > 1:
                att = att.masked_fill(torch.ones(T, start + T, dtype=torch.bool).triu(start + 1), float("-inf"))
            y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(B, T, a.heads * hd)
            x = x + blk.wo(y)
            h = self.rmsnorm(x, blk.ffn_norm)
            x = x + blk.w2(F.silu(blk.w1(h)) * blk.w3(h))
        h = self.rmsnorm(x, self.norm)
        return self.head(h) if self.head is not None else h @ self.tok.weight.t()  # (B, T, vocab)


ON_GPU = False  # set from --device: the jobs' tensors live on the GPU


def sync():
    """Waits for the GPU's queued work, so that a clock read after it counts that work (nothing on the CPU)."""
    if ON_GPU:
        torch.cuda.synchronize()


def timed(fn, steps):
    fn()  # warm-up
    times = []
    for _ in range(steps):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def openblas_core():
    """The OpenBLAS core type and build of the BLAS library this process loaded, or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if ".so" in line.split()[-1] and "blas" in line.split()[-1].lower()})
    except OSError:
        return None
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {"library": p, "core": lib.openblas_get_corename().decode(), "config": lib.openblas_get_config().decode()}
        except (OSError, AttributeError):
            continue
    return None


def main():
    ap = argparse.ArgumentParser()
    for name, default in [("threads", 2), ("dim", 288), ("layers", 6), ("heads", 6), ("kv-heads", 6), ("hidden", 768),
                          ("vocab", 32000), ("seq-len", 256), ("batch", 8), ("steps", 3), ("importance-batches", 16),
                          ("gen-tokens", 200), ("seed", 1)]:
        ap.add_argument("--" + name, type=int, default=default)
    ap.add_argument("--ratio", type=float, default=0.001)
    ap.add_argument("--jobs", default="full,importance,masked,generate")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU (float32, TF32 off)")
    ap.add_argument("--untied-head", action="store_true", help="an output head of its own (TinyLlama), not the embeddings'")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.device != "cpu":
        global ON_GPU
        ON_GPU = True
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_default_device(a.device)
    torch.manual_seed(a.seed)
    jobs = a.jobs.split(",")
    model = Llama(a)
    n_params = sum(p.numel() for p in model.parameters())
    tokens = torch.randint(0, a.vocab, (a.batch, a.seq_len))
    targets = torch.roll(tokens, -1, 1)
    result = {"program": "torch_reference", "torch": torch.__version__, "threads": torch.get_num_threads(), "device": a.device,
              "parameters": n_params, "batch": a.batch, "seq": a.seq_len, "steps": a.steps}

    def loss_fn():
        logits = model(tokens)
        return F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), targets[:, :-1].reshape(-1))

    if "full" in jobs:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0, foreach=True)

        def full_step():
            opt.zero_grad(set_to_none=False)
            loss_fn().backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        s = timed(full_step, a.steps)
        result["full_seconds_per_step"] = s
        result["full_tokens_per_second"] = a.batch * a.seq_len / s
        del opt

    mask = None
    if "importance" in jobs or "masked" in jobs:
        model.tok.weight.requires_grad_(False)  # input embeddings (and so the tied head) are never eligible
        eligible = [p for p in model.parameters() if p.requires_grad]
        n_eligible = sum(p.numel() for p in eligible)
        k = max(1, int(math.floor(a.ratio * n_eligible)))

        def importance_pass():
            g_sum = [torch.zeros_like(p) for p in eligible]
            h_sum = [torch.zeros_like(p) for p in eligible]
            for _ in range(a.importance_batches):
                for p in eligible:
                    p.grad = None
                loss_fn().backward()
                for p, g, h in zip(eligible, g_sum, h_sum):
                    g.add_(p.grad)
                    h.addcmul_(p.grad, p.grad)
            score = torch.cat([(g.abs() / torch.sqrt(h + 1)).flatten() for g, h in zip(g_sum, h_sum)])
            return torch.topk(score, k, sorted=False).indices
        sync()
        t0 = time.perf_counter()
        mask = importance_pass()
        sync()
        seconds = time.perf_counter() - t0
        result["importance_batches"] = a.importance_batches
        result["importance_seconds"] = seconds
        result["importance_tokens_per_second"] = a.importance_batches * a.batch * a.seq_len / seconds
        result["k"] = k

    if "masked" in jobs:
        # the mask's flat indices, split per tensor; tensors without a masked entry get no gradient
        offsets, local = [], []
        start = 0
        sorted_mask = torch.sort(mask).values
        for p in eligible:
            sel = sorted_mask[(sorted_mask >= start) & (sorted_mask < start + p.numel())] - start
            local.append(sel)
            start += p.numel()
        trainable = [(p, idx) for p, idx in zip(eligible, local) if idx.numel() > 0]
        for p in eligible:
            p.requires_grad_(False)
        for p, _ in trainable:
            p.requires_grad_(True)
        state = [(torch.zeros(idx.numel()), torch.zeros(idx.numel())) for _, idx in trainable]
        step_no = [0]

        def masked_step(lr=1e-5, b1=0.9, b2=0.95, eps=1e-8):
            for p, _ in trainable:
                p.grad = None
            loss_fn().backward()
            g = [p.grad.view(-1)[idx] for p, idx in trainable]
            norm = torch.sqrt(sum((x * x).sum() for x in g))
            scale = min(1.0, 1.0 / (float(norm) + 1e-6))
            step_no[0] += 1
            bias1, bias2 = 1 - b1 ** step_no[0], 1 - b2 ** step_no[0]
            with torch.no_grad():
                for (p, idx), gi, (m, v) in zip(trainable, g, state):
                    gi = gi * scale
                    m.mul_(b1).add_(gi, alpha=1 - b1)
                    v.mul_(b2).addcmul_(gi, gi, value=1 - b2)
                    upd = (m / bias1) / (torch.sqrt(v / bias2) + eps)
                    p.view(-1).index_add_(0, idx, upd, alpha=-lr)
        s = timed(masked_step, a.steps)
        result["masked_seconds_per_step"] = s
        result["masked_tokens_per_second"] = a.batch * a.seq_len / s
        result["masked_tensors_with_gradient"] = len(trainable)

    if "generate" in jobs:
        n = min(a.gen_tokens, a.seq_len - 1)
        hd = a.dim // a.heads

        @torch.no_grad()
        def decode():
            cache = [(torch.zeros(1, a.seq_len, a.kv_heads, hd), torch.zeros(1, a.seq_len, a.kv_heads, hd)) for _ in range(a.layers)]
            tok = torch.tensor([[1]])
            for i in range(n):
                logits = model(tok, cache, i)
                tok = logits[:, -1].argmax(-1, keepdim=True)
        decode()
        times = []
        for _ in range(3):
            sync()
            t0 = time.perf_counter()
            decode()
            sync()
            times.append(time.perf_counter() - t0)
        result["generate_tokens"] = n
        result["generate_tokens_per_second"] = n / statistics.median(times)

    if a.device != "cpu":
        result["gpu"] = torch.cuda.get_device_name()
    result["blas"] = openblas_core()
    blas_info = [w.strip(" ,") for w in torch.__config__.show().split() if w.startswith("BLAS_INFO=")]
    result["torch_blas_info"] = blas_info[0] if blas_info else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
