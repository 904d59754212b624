#!/usr/bin/env bash
# The bundled study of docs/results/README.md (issue 7 item 7, issue 8), cut to one session's time on a 2-core
# machine: three of the six bundled tasks, 200 training and 40 test records each, 3 epochs, for the method
# comparison; all six with the full training split for the benchmark's learnability check; a 4x base; then the full benchmark (all six tasks, every method, 3 seeds) at the comparison's budget. Run from
# the repository root; OUT (default study/) receives one folder per stage. About 5 hours on 2 cores.
set -euo pipefail
OUT=${OUT:-study}
./piece bundled --out "$OUT/bundled"          # the suite (seed 2026) and the committed base model, extracted
BASE="$OUT/bundled/base.gguf"
SUITE="$OUT/bundled"
COMMON=(--model "$BASE" --tokenizer byte --suite "$SUITE" --tasks stance,code,translate --max-train 200 --max-test 40 --epochs 3 --threads 2)
best_lr() { # best_lr DIR PREFIX: the sweep's rate with the best validation OP for variants named PREFIX@..., ties to the smaller
  python3 -c "import json;r=json.load(open('$1/results.json'))['methods'];b=max((v['OP'],-v['lr']) for k,v in r.items() if k.startswith('$2@'));print(-b[1])"
}

# 0: learning rates, chosen on the validation split (never the test split)
./piece continual "${COMMON[@]}" --methods seqft,piece-s,random --lr-sweep 1e-4,3e-4,1e-3 --seeds 1 --eval-split valid --out "$OUT/lr-sweep"
LR_S=$(best_lr "$OUT/lr-sweep" piece-s)     # masked methods (piece-f takes piece-s's rate)
LR_F=$(best_lr "$OUT/lr-sweep" seqft)       # methods that train the whole model

# 1: PIECE's ratio sweep (0.1 %, 1 %, 5 %) beside a random mask and SeqFT, 3 seeds
./piece continual "${COMMON[@]}" --methods piece-s,piece-f,random,seqft,piece-s@0.01,piece-s@0.05,piece-f@0.01,piece-f@0.05 \
    --seeds 1,2,3 --lr-from "$OUT/lr-sweep" --lr piece-f="$LR_S" --out "$OUT/ratios"

# 2: the other continual-learning methods, one seed, rates by family
./piece continual "${COMMON[@]}" --methods ewc,lwf,gem,replay,replay-online,migu,seqlora,olora,layernorm --seeds 1 \
    --lr ewc="$LR_F",lwf="$LR_F",gem="$LR_F",replay="$LR_F",replay-online="$LR_F",migu="$LR_F",seqlora="$LR_S",olora="$LR_S",layernorm="$LR_S" \
    --out "$OUT/baselines"

# 3: PIECE-S with the RMSNorm gains excluded from selection, the three ratios, 3 seeds
./piece continual "${COMMON[@]}" --methods piece-s,piece-s@0.01,piece-s@0.05 --eligible no-norms --seeds 1,2,3 \
    --lr-from "$OUT/lr-sweep" --out "$OUT/no-norms"

# 4: the benchmark's own check: SeqFT learns every one of the six tasks (400 training records, 12 epochs, a rate
#    that learns rather than the sweep's, which favours keeping), and loses the probe
./piece continual --model "$BASE" --tokenizer byte --suite "$SUITE" --methods seqft --lr seqft=3e-4 --seeds 1 --epochs 12 \
    --max-test 50 --threads 2 --out "$OUT/learnability"

# 5: a base 4x larger (the bundled-4x preset, 16.7M parameters), pretrained here on the same corpus for 500 steps
#    (2.0M tokens: what fitted the session; not committed), then PIECE-S at the three ratios and SeqFT, one seed,
#    the 3.9M base's learning rates
./piece pretrain --config bundled-4x --corpus "$SUITE/corpus/train.txt" --heldout "$SUITE/corpus/heldout.txt" --steps 500 \
    --batch 4 --accumulation 4 --lr 1e-3 --warmup 50 --seed 2026 --threads 2 --checkpoint-every 25 --eval-every 100 \
    --log-every 10 --out "$OUT/base4x/base4x.gguf" --type f16 --resume
COMMON_4X=(--model "$OUT/base4x/base4x.gguf" "${COMMON[@]:2}")   # COMMON with the larger base
./piece continual "${COMMON_4X[@]}" --methods piece-s,piece-s@0.01,piece-s@0.05,seqft --seeds 1 \
    --lr-from "$OUT/lr-sweep" --out "$OUT/size-4x"

# 6: the full bundled benchmark: all six tasks, every method, 3 seeds, at the comparison's budget (200 training and
#    40 test records a task, 3 epochs) and the sweep's rates by family. 13 variants x 3 seeds; about 95 minutes on
#    2 cores (run here as two one-thread processes over disjoint methods whose runs/ were then merged and the
#    report written by --resume; the numbers do not depend on the thread count)
./piece continual --model "$BASE" --tokenizer byte --suite "$SUITE" --max-train 200 --max-test 40 --epochs 3 --threads 2 \
    --methods all --seeds 1,2,3 --lr-from "$OUT/lr-sweep" \
    --lr piece-f="$LR_S",ewc="$LR_F",lwf="$LR_F",gem="$LR_F",replay="$LR_F",replay-online="$LR_F",migu="$LR_F",seqlora="$LR_S",olora="$LR_S",layernorm="$LR_S" \
    --out "$OUT/full"

python3 docs/results/tables.py "$OUT/lr-sweep" "$OUT/ratios" "$OUT/baselines" "$OUT/no-norms" "$OUT/learnability" "$OUT/size-4x" "$OUT/full"
