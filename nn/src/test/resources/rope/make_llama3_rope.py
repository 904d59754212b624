#!/usr/bin/python3
"""Independent values of Llama 3.1's RoPE frequency scaling ("rope_type": "llama3"), for piece4j's tests.

Run from the repository root (Debian's PyTorch: apt-get install -y python3-torch):

    /usr/bin/python3 nn/src/test/resources/rope/make_llama3_rope.py

It writes nn/src/test/resources/rope/llama3_rope.txt. For each case, the scaled inverse frequencies are computed
the way Hugging Face transformers computes them (the function behind rope_type "llama3": float32 tensors,
torch.where over the three wavelength bands, the medium band interpolated as (1 - s) * f / factor + s * f), and the
per-frequency divisors the way llama.cpp's converter writes rope_freqs.weight (1, factor, or 1 / ((1 - s) / factor
+ s)), here in float64. The script is written from the published formula; it imports neither library.

File format, one record per line, fields separated by spaces:
    case NAME head_dim theta factor low_freq_factor high_freq_factor original_max_position_embeddings
    inv_freq F_0 ... F_(head_dim/2 - 1)        transformers' float32 values, printed exactly
    divisors D_0 ... D_(head_dim/2 - 1)        float64, printed with 17 significant digits
"""

import math
import os

import torch

CASES = [
    # name, head_dim, theta, factor, low, high, original context
    ("llama-3.1-8b", 128, 500000.0, 8.0, 1.0, 4.0, 8192),
    ("llama-3.2-1b", 64, 500000.0, 32.0, 1.0, 4.0, 8192),
    ("small-two-in-band", 16, 10000.0, 4.0, 1.0, 8.0, 256),
]

OUT = os.path.join("nn", "src", "test", "resources", "rope", "llama3_rope.txt")


def transformers_llama3_inv_freq(head_dim, theta, factor, low, high, original):
    """float32, following the structure of transformers' llama3 rope initialisation."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(torch.float32) / head_dim))
    low_freq_wavelen = original / low
    high_freq_wavelen = original / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (original / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, inv_freq_llama)


def llama_cpp_divisors(head_dim, theta, factor, low, high, original):
    """float64: what llama.cpp's converter stores in rope_freqs.weight, one divisor per frequency."""
    out = []
    for i in range(0, head_dim, 2):
        freq = 1.0 / theta ** (i / head_dim)
        wavelen = 2 * math.pi / freq
        if wavelen < original / high:
            out.append(1.0)
        elif wavelen > original / low:
            out.append(factor)
        else:
            s = (original / wavelen - low) / (high - low)
            out.append(1 / ((1 - s) / factor + s))
    return out


def main():
    lines = []
    for name, hd, theta, factor, low, high, original in CASES:
        f = transformers_llama3_inv_freq(hd, theta, factor, low, high, original)
        d = llama_cpp_divisors(hd, theta, factor, low, high, original)
        banded = sum(1 for x in d if 1 < x < factor)
        if banded == 0:
            raise SystemExit(f"{name}: no frequency falls in the interpolated band")
        lines.append(f"case {name} {hd} {theta!r} {factor!r} {low!r} {high!r} {original}")
        lines.append("inv_freq " + " ".join(repr(float(x)) for x in f.tolist()))
        lines.append("divisors " + " ".join(f"{x:.17g}" for x in d))
        print(f"{name:18s} head_dim {hd:3d}: {banded} of {hd // 2} frequencies in the interpolated band")
    with open(OUT, "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
