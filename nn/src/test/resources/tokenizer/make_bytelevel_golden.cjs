// Golden ids for piece4j's byte-level BPE (GPT-2 / Llama 3 kind), from an independent implementation:
// OpenAI's tiktoken (Rust, compiled to WebAssembly; npm package "tiktoken").
//
// For two real rank tables shipped in that package it keeps the first ranks (a small vocabulary that still
// holds every single byte and the commonest English pieces), then writes:
//   <name>.tokenizer.json  a Hugging Face tokenizer.json: vocabulary in GPT-2's byte-to-character form,
//                          merges derived from the ranks, the split regex and special tokens
//   <name>.golden.json     [{"text": ..., "ids": [...]}]: what tiktoken itself gives for the test strings
// gpt2-tiny uses GPT-2's split pattern and its ByteLevel pre-tokenizer; llama3-tiny uses cl100k's ranks with
// the split pattern Llama 3 shares with cl100k, given as a Split pre-tokenizer, and Llama 3's special tokens.
//
// Run by make_tokenizer_golden.sh (which installs tiktoken); by hand: NODE_PATH=<dir>/node_modules node this.cjs
"use strict";
const fs = require("fs");
const path = require("path");
const { Tiktoken } = require("tiktoken");

const HERE = __dirname;

const TESTS = [
  "The quick brown fox jumps over the lazy dog.",
  "Hello world, hello WORLD! I'm sure they'RE fine; we'll see what DON'T works.",
  "Größe, Straße, Mädchen: schön über alles",
  "我们今天去公园散步。",
  "emoji 🙂 and ZWJ 👩‍💻 and 𝄞 (4-byte)",
  "def f(x):\n\treturn x + 1  # code\n\n\n    end   ",
  "numbers 1234567 and 3.14159, 2024-01-02",
  "non\u00a0breaking \u2003spaces (Unicode white space) and trailing   \n  ",
];

// GPT-2's table from bytes to printable characters: printable Latin-1 bytes stand for themselves, the other
// 68 bytes take the code points 256, 257, ... in byte order.
function byteToChar() {
  const table = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}
const BYTE_CHAR = byteToChar();
const visible = (bytes) => Array.from(bytes, (b) => BYTE_CHAR[b]).join("");

// The package's rank tables are one line: "! <first rank> <base64 token> <base64 token> ..."
function loadRanks(name) {
  const file = require.resolve("tiktoken/encoders/" + name + ".json");
  const enc = JSON.parse(fs.readFileSync(file, "utf8"));
  const fields = enc.bpe_ranks.split("\n")[0].split(" ");
  if (fields[1] !== "0") throw new Error(name + ": expected ranks from 0, got " + fields[1]);
  return { tokens: fields.slice(2).map((t) => Buffer.from(t, "base64")), pat: enc.pat_str };
}

// Merges as Hugging Face writes them for a rank table: for each token, every split into two tokens of the
// table, ordered by the token's rank, then the ranks of the left and right parts.
function mergesOf(tokens) {
  const rank = new Map(tokens.map((t, i) => [t.toString("latin1"), i]));
  const merges = [];
  tokens.forEach((t, r) => {
    const local = [];
    for (let cut = 1; cut < t.length; cut++) {
      const a = t.subarray(0, cut).toString("latin1"), b = t.subarray(cut).toString("latin1");
      if (rank.has(a) && rank.has(b)) local.push([rank.get(a), rank.get(b)]);
    }
    local.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (const [a, b] of local) merges.push(visible(tokens[a]) + " " + visible(tokens[b]));
  });
  return merges;
}

function write(name, source, keep, specialNames, preTokenizer, ignoreMerges) {
  const { tokens: all, pat } = loadRanks(source);
  const tokens = all.slice(0, keep);
  const singles = new Set(tokens.filter((t) => t.length === 1).map((t) => t[0]));
  if (singles.size !== 256) throw new Error(name + ": the first " + keep + " ranks hold only " + singles.size + " single bytes");
  const special = {};
  specialNames.forEach((s, i) => (special[s] = keep + i));

  const bfe = "! 0 " + tokens.map((t) => t.toString("base64")).join(" ");
  const enc = new Tiktoken(bfe, special, pat);
  const golden = TESTS.concat(specialNames.length > 1 ? [specialNames[0] + "Hi there" + specialNames[specialNames.length - 1]]
                                                      : ["end" + specialNames[0] + " next"])
    .map((text) => ({ text, ids: Array.from(enc.encode(text, "all")) }));
  for (const g of golden) {
    const back = Buffer.from(enc.decode(Uint32Array.from(g.ids))).toString("utf8");
    if (back !== g.text) throw new Error(name + ": tiktoken does not round-trip " + JSON.stringify(g.text));
  }
  enc.free();

  const vocab = {};
  tokens.forEach((t, i) => (vocab[visible(t)] = i));
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialNames.map((s, i) => ({ id: keep + i, content: s, single_word: false, lstrip: false, rstrip: false,
                                                 normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: preTokenizer(pat),
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
             fuse_unk: false, byte_fallback: false, ignore_merges: ignoreMerges, vocab, merges: mergesOf(tokens) },
  };
  fs.writeFileSync(path.join(HERE, name + ".tokenizer.json"), JSON.stringify(json, null, 1) + "\n");
  fs.writeFileSync(path.join(HERE, name + ".golden.json"), "[\n" + golden.map((g) => " " + JSON.stringify(g)).join(",\n") + "\n]\n");
  console.log(name + ": " + tokens.length + " ranks + " + specialNames.length + " special, " + golden.length + " golden strings");
}

write("gpt2-tiny", "gpt2", 1000, ["<|endoftext|>"],
      () => ({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }), false);
write("llama3-tiny", "cl100k_base", 1500, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"],
      (pat) => ({ type: "Sequence", pretokenizers: [
        { type: "Split", pattern: { Regex: pat }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] }), true);
