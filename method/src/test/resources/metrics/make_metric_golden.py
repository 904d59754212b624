#!/usr/bin/env python3
"""Golden values for piece4j's BLEU-4 and edit similarity, from the libraries TRACE's evaluation uses.

BLEU-4: NLTK's sentence_bleu with weights (1/4,)*4 and its default (no) smoothing, over TRACE's
tokenisation (re.split on whitespace or '.', empty pieces dropped). Edit similarity: python-Levenshtein's
ratio, (|a| + |b| - indel distance) / (|a| + |b|), which is what fuzzywuzzy's fuzz.ratio computes (times 100,
rounded) when python-Levenshtein is installed.

Run with Debian's python3 (apt-get install python3-nltk python3-levenshtein):
    /usr/bin/python3 make_metric_golden.py > metric_golden.json
"""
import json
import random
import re
import warnings

import Levenshtein
import nltk
from nltk.translate.bleu_score import sentence_bleu


def tokenize(text):
    return [t for t in re.split(r'\s|\.', text) if len(t) > 0]


def bleu4(prediction, reference):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # NLTK warns when an n-gram order has no match
        return sentence_bleu([tokenize(reference)], tokenize(prediction), (0.25, 0.25, 0.25, 0.25))


def main():
    rng = random.Random(20251130)
    words = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran.", "to", "Mat", "cat,"]
    cases = [
        ("the cat sat on the mat", "the cat sat on the mat"),
        ("the cat sat on the rug", "the cat sat on the mat"),
        ("the cat sat on", "the cat sat on the mat"),
        ("a b a b a b", "a b a b c d"),
        ("the the the the the the the", "the cat is on the mat"),
        ("The cat.Sat on the mat today", "The cat sat on the mat"),
        ("def f(x):\n    return x + 1", "def f(x):\n    return x - 1"),
        ("für die Stadt Zürich gilt", "für die Stadt Bern gilt heute"),
        ("\U0001F600 ok then we go", "ok then we go \U0001F600"),
    ]
    for _ in range(200):
        ref = " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
        if rng.random() < 0.5:
            # a noisy copy of the reference: shared n-grams, repeats and brevity both ways
            tokens = ref.split()
            pred_tokens = [t if rng.random() < 0.7 else rng.choice(words) for t in tokens]
            if rng.random() < 0.3:
                pred_tokens = pred_tokens[: rng.randint(1, len(pred_tokens))]
            if rng.random() < 0.3:
                pred_tokens += [rng.choice(words) for _ in range(rng.randint(1, 4))]
            pred = " ".join(pred_tokens)
        else:
            pred = " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
        cases.append((pred, ref))
    out = []
    for pred, ref in cases:
        out.append({"prediction": pred, "reference": ref,
                    "bleu4": bleu4(pred, ref),
                    "edit_similarity": Levenshtein.ratio(pred, ref)})
    print(json.dumps({"generator": "make_metric_golden.py", "nltk": nltk.__version__, "cases": out},
                     ensure_ascii=True, indent=0))


if __name__ == "__main__":
    main()
