#!/bin/sh
# Runs LlamaCppInteropTest: llama.cpp itself opens a GGUF written by `piece convert --tokenizer` and must decode
# piece's greedy ids and tokenize like sentencepiece. llama.cpp comes from the npm package node-llama-cpp and its
# prebuilt CPU binaries, installed once into a cache folder (a download, so this is not part of ./piece test).
#
#   tests/interop/llamacpp.sh            (PIECE_LLAMACPP_DIR overrides the cache folder)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${PIECE_LLAMACPP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/piece4j/node-llama-cpp}
VERSION=3.22.1
case "$(node -p 'process.platform + "-" + process.arch')" in
  linux-x64) BINARIES=linux-x64 ;;
  linux-arm64) BINARIES=linux-arm64 ;;
  darwin-arm64) BINARIES=mac-arm64-metal ;;
  darwin-x64) BINARIES=mac-x64 ;;
  *) echo "llamacpp.sh: no prebuilt node-llama-cpp binaries chosen for this platform" >&2; exit 1 ;;
esac
mkdir -p "$DIR"
if [ ! -d "$DIR/node_modules/node-llama-cpp" ]; then
  [ -f "$DIR/package.json" ] || echo '{"name": "piece-llamacpp", "private": true}' > "$DIR/package.json"
  # only the CPU binaries of this platform (the optional CUDA/Vulkan ones are large); no build from source
  (cd "$DIR" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund \
     "node-llama-cpp@$VERSION" "@node-llama-cpp/$BINARIES@$VERSION")
fi
cd "$ROOT"
exec ./piece mvn test -pl tests -am -Dtest=LlamaCppInteropTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dpiece.interop.llamacpp="$DIR" -Dpiece.interop.require=true
