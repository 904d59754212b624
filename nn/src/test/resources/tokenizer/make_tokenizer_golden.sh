#!/bin/sh
# Regenerates the tokenizer golden files in this folder from two independent implementations:
#   SentencePiece (Debian's python3-sentencepiece)  -> spm-tiny.*     (make_tokenizer_golden.py)
#   tiktoken (npm, Rust compiled to WebAssembly)     -> gpt2-tiny.*, llama3-tiny.*  (make_bytelevel_golden.cjs)
# The outputs are committed; the Java tests need neither Python nor Node. Run as root (installs packages).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)

apt-get update -qq
apt-get install -y -qq python3-sentencepiece nodejs >/dev/null
# Debian's nodejs needs its npm package; a NodeSource nodejs carries npm itself and conflicts with it
command -v npm >/dev/null || apt-get install -y -qq npm >/dev/null

/usr/bin/python3 "$HERE/make_tokenizer_golden.py"

NPM_DIR=$(mktemp -d)
trap 'rm -rf "$NPM_DIR"' EXIT
(cd "$NPM_DIR" && npm install --silent --no-audit --no-fund tiktoken@1.0.22)
NODE_PATH="$NPM_DIR/node_modules" node "$HERE/make_bytelevel_golden.cjs"
