#!/usr/bin/env python3
"""Markdown tables of a `piece continual` output folder's results.json (the study's tables in README.md).
Usage: tables.py DIR [DIR ...]"""
import json, sys

def fmt(x, d=3):
    return "-" if x is None else f"{x:.{d}f}"

for d in sys.argv[1:]:
    r = json.load(open(f"{d}/results.json"))
    tasks = r["tasks"] if isinstance(r["tasks"][0], str) else [t["name"] for t in r["tasks"]]
    print(f"\n`{d}` ({', '.join(tasks)}; seeds per variant in the table)\n")
    print("| variant | lr | trains | seeds | OP | BWT | learned R[t][t] per task | probe skills: base -> after each task | held-out NLL: base -> final |")
    print("|---|---:|---:|---:|---:|---:|---|---|---|")
    for name, v in r["methods"].items():
        seeds = len(v["seeds"])
        op = fmt(v["OP"]) + (f" ± {v['OP_std']:.3f}" if seeds > 1 else "")
        bwt = fmt(v["BWT"]) + (f" ± {v['BWT_std']:.3f}" if seeds > 1 else "")
        learned = " / ".join(f"{v['R'][i][i]:.2f}" for i in range(len(tasks)))
        probe = " -> ".join(f"{p:.2f}" for p in v["probe"])
        nll = ""
        pc = v.get("probes", {}).get("corpus")
        # per-seed parts: heldout NLL lives in the runs' state; results.json keeps the primary per probe
        ps = v.get("per_seed", [])
        base_nll = r["base"]["probes"]["corpus"]["parts"]["heldout_nll"] if "base" in r and "probes" in r["base"] else None
        finals = [s["probes"][-1]["corpus"]["parts"]["heldout_nll"] for s in ps if s.get("probes")]
        nll = "-" if not finals else f"{fmt(base_nll, 2)} -> " + " / ".join(f"{x:.2f}" for x in finals)
        print(f"| {name} | {v['lr']:.0e} | {100 * v['trainable_fraction']:.3g} % | {seeds} | {op} | {bwt} | {learned} | {probe} | {nll} |")
