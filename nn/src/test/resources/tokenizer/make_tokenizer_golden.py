#!/usr/bin/python3
"""Golden ids for piece4j's SentencePiece-style tokenizer, from an independent implementation.

Trains a small BPE model with Debian's SentencePiece (apt-get install python3-sentencepiece), with the
settings Llama 2 uses (byte fallback, identity normalisation, dummy prefix, spaces kept), then writes:
  spm-tiny.model           the SentencePiece model (for reference)
  spm-tiny.tokenizer.bin   the same vocabulary in llama2.c's tokenizer.bin format ("▁" written as " ")
  spm-tiny.tokenizer.json  a Hugging Face tokenizer.json (Llama 2 layout; merges derived from the scores)
  spm-tiny.golden.json     [{"text": ..., "ids": [...]}]: what sentencepiece's own encoder gives (no BOS/EOS)
Run by make_tokenizer_golden.sh, or alone: /usr/bin/python3 nn/src/test/resources/tokenizer/make_tokenizer_golden.py
"""
import json, os, struct
import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = """The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.
Once upon a time there was a little girl who liked to play in the garden with her friends.
Über den Wolken muss die Freiheit wohl grenzenlos sein. Größe, Straße, schön, Mädchen.
def train(model, data):\n    for batch in data:\n        loss = model(batch)\n        loss.backward()
for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }
我们今天去公园散步。天气很好。
Numbers: 12 345 6789 and 3.14159; emoji are rare here.
""" * 20
TESTS = [
    "Hello world",
    "The quick brown fox",
    "  two leading spaces and  double",
    "Größe und Straße",
    "我们去公园",
    "emoji 🙂 and 👩‍💻 together",
    "def f(x):\n\treturn x + 1",
    "unseen: Ωμέγα ✓",
    " leading space, trailing space ",
    "three   spaces\n\nnew lines",
]

def main():
    corpus = os.path.join(HERE, "spm-corpus.txt.tmp")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write(CORPUS)
    prefix = os.path.join(HERE, "spm-tiny")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=700, byte_fallback=True,
        character_coverage=0.9995, normalization_rule_name="identity", add_dummy_prefix=True,
        remove_extra_whitespaces=False, split_digits=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=1, minloglevel=2)
    os.remove(corpus)
    os.remove(prefix + ".vocab")
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    scores = [sp.get_score(i) for i in range(n)]

    # llama2.c tokenizer.bin: max length, then (score, length, bytes) per token; "▁" becomes " "
    blobs = [p.replace("\u2581", " ").encode("utf-8") for p in pieces]
    with open(prefix + ".tokenizer.bin", "wb") as f:
        f.write(struct.pack("<i", max(len(b) for b in blobs)))
        for b, s in zip(blobs, scores):
            f.write(struct.pack("<fi", s, len(b)))
            f.write(b)

    # tokenizer.json: merges are every split of a piece into two pieces, ranked by the merged piece's score
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for i in sorted(range(n), key=lambda i: (-scores[i], i)):
        p = pieces[i]
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i):
            continue
        for cut in range(1, len(p)):
            a, b = p[:cut], p[cut:]
            if a in vocab and b in vocab:
                merges.append((vocab[p], vocab[a], vocab[b], a + " " + b))
    merges.sort(key=lambda m: (-scores[m[0]], m[1], m[2]))
    tj = {
        "version": "1.0",
        "added_tokens": [{"id": 0, "content": "<unk>", "special": True}, {"id": 1, "content": "<s>", "special": True},
                         {"id": 2, "content": "</s>", "special": True}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                      {"type": "ByteFallback"}, {"type": "Fuse"},
                                                      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True,
                  "vocab": vocab, "merges": [m[3] for m in merges]},
    }
    with open(prefix + ".tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=1, sort_keys=False)

    golden = []
    for t in TESTS:
        ids = sp.encode(t)
        assert sp.decode(ids) == t, (t, sp.decode(ids))
        golden.append(json.dumps({"text": t, "ids": ids}, ensure_ascii=False, separators=(",", ":")))
    with open(prefix + ".golden.json", "w", encoding="utf-8") as f:
        f.write("[\n " + ",\n ".join(golden) + "\n]\n")

main()
