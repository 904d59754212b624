#!/usr/bin/env bash
# gpu-check.sh: checks piece4j's OpenCL backend on a machine with a GPU, from a carried runtime, and
# prints one result line per check.
#
#   bench/gpu-check.sh pack [DIR]     on a build machine (JDK 25, Maven, network): builds piece4j and writes
#                                     DIR/piece4j-gpu-check/ (default DIR: ./target), a tree to carry to the GPU
#                                     machine (under 60 MB): a jlink'ed Java runtime with only the modules piece4j
#                                     needs, the jars, the test classes, the OpenCL ICD loader, and this script.
#   piece4j-gpu-check/gpu-check.sh    on the GPU machine (no Java, no network needed): makes sure the NVIDIA OpenCL
#                                     driver is registered with the ICD loader, then runs the OpenCL conformance suite,
#                                     the golden and PIECE tests and the benchmarks on the opencl backend, beside simd
#                                     on the host's cores and PyTorch on CUDA (float32) where python3 has it.
#
# Result lines look like "RESULT <check> PASS|FAIL|SKIP <detail>"; full logs go to $LOGS (default
# ./gpu-check-logs). Environment: PIECE_OPENCL_DEVICE=N picks the device (see the "devices" check),
# GPU_CHECK_QUICK=1 runs smaller benchmarks, GPU_CHECK_ONLY=tests,matmul,train,generate,torch,table,scale runs
# only those (the driver, loader and devices checks always run). On an H200 all of them take about 5 minutes,
# "scale" (stories110M and the 1.1B TinyLlama shape, with the GPU's peak memory) half of that.
set -uo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
HERE="$(dirname "$SELF")"

# ------------------------------------------------------------------------------------------ pack
pack() {
  set -e
  local root out java_home jdk lib
  root="$(cd "$HERE/.." && pwd)"
  out="${1:-$root/target}/piece4j-gpu-check"
  "$root/piece" build >&2
  java_home="$("$root/piece" --show-command devices | sed -n 's|^\([^ ]*\)/bin/java .*|\1|p')"
  [ -x "$java_home/bin/jlink" ] || { echo "gpu-check: no jlink in $java_home (need a full JDK 25)" >&2; exit 1; }
  # the JUnit console launcher of the JUnit version the build uses (Jupiter 5.x.y runs on Platform 1.x.y)
  local jupiter platform console
  jupiter="$(sed -n 's|.*<junit.version>\(5\.[0-9.]*\)</junit.version>.*|\1|p' "$root/pom.xml")"
  platform="1.${jupiter#5.}"
  (cd "$root" && ./piece mvn -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform") >&2
  console="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$platform/junit-platform-console-standalone-$platform.jar"
  [ -f "$console" ] || { echo "gpu-check: $console did not resolve" >&2; exit 1; }

  rm -rf "$out" && mkdir -p "$out/lib" "$out/test-classes" "$out/opencl"
  # java.base and the Vector API for piece4j, java.management and jdk.unsupported for JMH, java.logging for both,
  # jdk.management for the per-thread allocation counters that bench train reads (com.sun.management)
  "$java_home/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector \
      --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$out/runtime" 2>&1 | grep -v 'incubator modules' >&2 || true
  if command -v strip >/dev/null 2>&1; then strip --strip-unneeded "$out/runtime/lib/server/libjvm.so" || true; fi
  cp "$root"/bench/target/lib/*.jar "$out/lib/"
  # the bundled base model (7.8 MB in the piece jar) serves the demo, which the check never runs: the carried
  # copy of the jar goes without it, so the tree stays under 60 MB (BundledBase reports it absent)
  local jar_file unpacked
  for jar_file in "$out"/lib/piece4j-piece-*.jar; do
    unpacked="$(mktemp -d)"
    (cd "$unpacked" && "$java_home/bin/jar" xf "$jar_file" && rm -f io/piece4j/piece/bundled/base.gguf \
       && rm -f "$jar_file" && "$java_home/bin/jar" cfM "$jar_file" .)
    rm -rf "$unpacked"
  done
  (cd "$root/bench/target/classes" && "$java_home/bin/jar" cf "$out/lib/piece4j-bench.jar" .)
  cp "$console" "$out/lib/junit-platform-console-standalone.jar"
  # test classes stay a directory: the golden test opens its resources as files
  cp -r "$root/tests/target/test-classes/." "$out/test-classes/"
  cp -r "$root/backends/opencl/target/test-classes/." "$out/test-classes/"
  # the ICD loader, for a machine whose NVIDIA driver came without one
  for l in $(ldconfig -p 2>/dev/null | sed -n 's|.*libOpenCL\.so\.1 (libc6,x86-64) => \(.*\)|\1|p'); do
    cp -L "$l" "$out/opencl/libOpenCL.so.1" && break
  done
  cp "$SELF" "$out/gpu-check.sh" && chmod +x "$out/gpu-check.sh"
  cp "$root/bench/src/main/resources/io/piece4j/bench/reference/torch_reference.py" "$out/"
  git -C "$root" rev-parse HEAD > "$out/COMMIT" 2>/dev/null || true
  local bytes
  bytes="$(du -sb "$out" | cut -f1)"
  echo "gpu-check: wrote $out ($bytes bytes); carry it to the GPU machine and run $out/gpu-check.sh" >&2
  [ "$bytes" -lt 60000000 ] || echo "gpu-check: WARNING: the tree is $bytes bytes, over the 60 MB (60,000,000 bytes) budget" >&2
}

# ------------------------------------------------------------------------------------------ run
wanted() { # wanted CHECK: true unless GPU_CHECK_ONLY is set and does not name CHECK
  [ -z "${GPU_CHECK_ONLY:-}" ] || [[ ",$GPU_CHECK_ONLY," == *",$1,"* ]]
}

piece() { # piece ARGS...: the CLI on the carried runtime
  "$java" "${opts[@]}" -cp "$cp" io.piece4j.cli.PieceCli "$@"
}

result() { # result CHECK STATUS DETAIL...
  local check="$1" status="$2"; shift 2
  printf 'RESULT %-12s %-4s %s\n' "$check" "$status" "$*"
}

find_nvidia_opencl() { # prints the path of libnvidia-opencl.so.1, or nothing
  local p
  p="$(ldconfig -p 2>/dev/null | sed -n 's|.*libnvidia-opencl\.so\.1 (libc6,x86-64) => \(.*\)|\1|p' | head -n 1)"
  if [ -n "$p" ]; then echo "$p"; return; fi
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/wsl/lib \
           /usr/local/cuda/lib64 /usr/local/cuda/compat /run/nvidia/driver/usr/lib/x86_64-linux-gnu; do
    [ -e "$d/libnvidia-opencl.so.1" ] && { echo "$d/libnvidia-opencl.so.1"; return; }
  done
}

run_checks() {
  java="$HERE/runtime/bin/java" logs="${LOGS:-$PWD/gpu-check-logs}"
  mkdir -p "$logs"
  [ -x "$java" ] || { echo "gpu-check: no runtime at $HERE/runtime; make the tree with 'bench/gpu-check.sh pack'" >&2; exit 1; }
  echo "gpu-check: piece4j $(cat "$HERE/COMMIT" 2>/dev/null || echo '(unknown commit)'), logs in $logs"
  if command -v nvidia-smi >/dev/null 2>&1; then
    result gpu PASS "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)"
  else
    result gpu SKIP "nvidia-smi not found"
  fi

  # 1. the NVIDIA driver's ICD file (NVIDIA containers often mount the library without it)
  local nv vendors="/etc/OpenCL/vendors"
  nv="$(find_nvidia_opencl)"
  if [ -z "$nv" ]; then
    result driver SKIP "no libnvidia-opencl.so.1 found; using the drivers registered in $vendors: $(ls "$vendors" 2>/dev/null | tr '\n' ' ')"
  elif grep -qs "libnvidia-opencl" "$vendors"/*.icd; then
    result driver PASS "$nv, already registered ($(grep -ls libnvidia-opencl "$vendors"/*.icd | tr '\n' ' '))"
  elif mkdir -p "$vendors" 2>/dev/null && echo "libnvidia-opencl.so.1" > "$vendors/nvidia.icd" 2>/dev/null; then
    # the loader resolves the name through the dynamic linker; fall back to the full path when it is not on its path
    ldconfig -p 2>/dev/null | grep libnvidia-opencl.so.1 >/dev/null || echo "$nv" > "$vendors/nvidia.icd"
    result driver PASS "$nv, registered now in $vendors/nvidia.icd"
  else
    local own="$logs/vendors"
    mkdir -p "$own" && cp "$vendors"/*.icd "$own/" 2>/dev/null; echo "$nv" > "$own/nvidia.icd"
    export OCL_ICD_VENDORS="$own"
    result driver PASS "$nv, $vendors not writable: registered in $own (OCL_ICD_VENDORS)"
  fi

  # 2. the ICD loader: the system's, else the carried copy
  # piece.commit: the commit the carried jars were built from (the working directory here may be any checkout)
  opts=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss16m
        "-Dpiece.commit=$(cat "$HERE/COMMIT" 2>/dev/null || echo unknown)")
  if ldconfig -p 2>/dev/null | grep 'libOpenCL\.so\.1 ' >/dev/null; then
    result loader PASS "system libOpenCL.so.1"
  elif [ -f "$HERE/opencl/libOpenCL.so.1" ]; then
    opts+=("-Dpiece.opencl.library=$HERE/opencl/libOpenCL.so.1")
    result loader PASS "carried $HERE/opencl/libOpenCL.so.1"
  else
    result loader FAIL "no libOpenCL.so.1 on this machine and none carried"
  fi
  [ -n "${PIECE_OPENCL_DEVICE:-}" ] && opts+=("-Dpiece.opencl.device=$PIECE_OPENCL_DEVICE")
  cp="$HERE/lib/*"

  # 3. devices
  if piece devices > "$logs/devices.txt" 2>&1 && grep -q '^selected: device' "$logs/devices.txt"; then
    local sel
    sel="$(sed -n 's/^selected: device \([0-9]*\).*/\1/p' "$logs/devices.txt")"
    result devices PASS "$(grep -c '^  device' "$logs/devices.txt") device(s); selected $(grep "^  device $sel:" "$logs/devices.txt" | sed 's/^  device //; s/; driver.*//')"
  else
    result devices FAIL "$(tail -n 3 "$logs/devices.txt" | tr '\n' ' ')"
  fi

  # 4. the conformance, golden and PIECE suites on every backend found, opencl included (and required)
  if wanted tests; then run_tests; fi
  if wanted matmul; then run_matmul; fi
  if wanted train; then run_train; fi
  if wanted generate; then run_generate; fi
  if wanted torch; then run_torch; fi
  if wanted table; then run_table; fi
  if wanted scale; then run_scale; fi
}

run_tests() {
  local classes=(io.piece4j.tests.BackendConformanceTest io.piece4j.tests.GoldenLlamaTest io.piece4j.tests.MaskedOptimizerTest
                 io.piece4j.tests.SparseGradientTest io.piece4j.tests.OpenClPieceRunTest
                 io.piece4j.backend.opencl.OpenClBindingsTest io.piece4j.backend.opencl.OpenClKernelsTest)
  local select=()
  for c in "${classes[@]}"; do select+=(--select-class "$c"); done
  # the console launcher takes no wildcard: name every jar
  local testcp="$HERE/test-classes" jar
  for jar in "$HERE"/lib/*.jar; do [[ "$jar" == *junit-platform-console* ]] || testcp="$testcp:$jar"; done
  "$java" "${opts[@]}" -Dpiece.expect.backends=simd,opencl -jar "$HERE/lib/junit-platform-console-standalone.jar" execute \
      --disable-banner --disable-ansi-colors --details=tree --class-path "$testcp" "${select[@]}" > "$logs/tests.txt" 2>&1
  local code=$? ok failed skipped
  ok="$(sed -n 's/.*\[ *\([0-9]*\) tests successful *\].*/\1/p' "$logs/tests.txt")"
  failed="$(sed -n 's/.*\[ *\([0-9]*\) tests failed *\].*/\1/p' "$logs/tests.txt")"
  skipped="$(sed -n 's/.*\[ *\([0-9]*\) tests skipped *\].*/\1/p' "$logs/tests.txt")"
  if [ "$code" = 0 ] && [ "${failed:-1}" = 0 ]; then
    result tests PASS "${ok:-?} passed, ${skipped:-?} skipped ($(printf '%s ' "${classes[@]##*.}"))"
  else
    result tests FAIL "${ok:-?} passed, ${failed:-?} failed, ${skipped:-?} skipped; see $logs/tests.txt"
  fi
}

# 5. benchmarks on the opencl backend, each with simd measured in the same run
size=2048 batch=8 seq=256 iters=5 tokens=200
[ "${GPU_CHECK_QUICK:-0}" = 1 ] && { size=512; batch=2; seq=64; iters=2; tokens=32; }

run_matmul() {
  local b
  for b in opencl simd; do
    if piece bench matmul --backend "$b" --size "$size" --warmup "$iters" --iterations "$iters" --json > "$logs/matmul-$b.txt" 2>&1; then
      result "matmul-$b" PASS "$(grep '^matmul' "$logs/matmul-$b.txt" | tail -n 1)"
    else
      result "matmul-$b" FAIL "see $logs/matmul-$b.txt"
    fi
  done
}

run_train() {
  local mode
  for mode in full masked importance; do
    if piece bench train --backend opencl --config stories15M --batch "$batch" --seq "$seq" --mode "$mode" --steps 3 --json \
         > "$logs/train-$mode.txt" 2>&1; then
      result "train-$mode" PASS "$(grep "^train $mode" "$logs/train-$mode.txt" | tail -n 1) $(grep '^reference' "$logs/train-$mode.txt" | tail -n 1)"
    else
      result "train-$mode" FAIL "see $logs/train-$mode.txt"
    fi
  done
}

run_generate() { # batch-1 greedy decoding of the stories15M shape, fp32, on the GPU and on the host's cores
  local b
  for b in opencl simd; do
    if piece bench generate --backend "$b" --config stories15M --tokens "$tokens" --json > "$logs/generate-$b.txt" 2>&1; then
      result "generate-$b" PASS "$(grep '^generate' "$logs/generate-$b.txt" | tail -n 1)"
    else
      result "generate-$b" FAIL "see $logs/generate-$b.txt"
    fi
  done
}

has_cuda_torch() {
  python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1
}

torch_summary() { # torch_summary FILE: the figures of torch_reference's JSON line
  python3 -c 'import json, sys
r = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
print(" ".join("%s %.0f tokens/s" % (j, r[j + "_tokens_per_second"]) for j in ("full", "masked", "importance", "generate")
               if j + "_tokens_per_second" in r), "(torch %s, %s, %d parameters)" % (r["torch"], r.get("gpu"), r["parameters"]))' "$1"
}

run_torch() { # PyTorch on CUDA, float32 with TF32 off: the same shape and jobs as piece4j's (bench compare's script)
  if ! has_cuda_torch; then result torch SKIP "no python3 with a CUDA build of PyTorch"; return; fi
  if python3 "$HERE/torch_reference.py" --device cuda --threads "$(nproc)" --batch "$batch" --seq-len "$seq" --steps 5 \
       --gen-tokens "$tokens" > "$logs/torch.txt" 2>&1; then
    result torch PASS "stories15M $batch x $seq: $(torch_summary "$logs/torch.txt")"
  else
    result torch FAIL "see $logs/torch.txt"
  fi
}

peak_gpu_memory() { # peak_gpu_memory CMD...: runs CMD, then prints the peak of nvidia-smi's memory.used (MiB) while it ran
  local samples="$logs/.memory" sampler="" rc
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$samples" 2>/dev/null & sampler=$!
  fi
  "$@"; rc=$?
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    echo "GPU memory peak $(sort -n "$samples" | tail -n 1) MiB" >&2
  fi
  return $rc
}

run_scale() { # larger shapes on opencl (stories110M, the 1.1B TinyLlama shape), with PyTorch CUDA beside them
  local name config b s modes mode line
  for name in stories110M tinyllama-1.1B; do
    config="$name" b="$batch" s="$seq" modes="full masked importance"
    [ "$name" = tinyllama-1.1B ] && { b=1; s=512; modes="full masked"; }
    [ "${GPU_CHECK_QUICK:-0}" = 1 ] && { config=tiny; b=2; s=32; }
    for mode in $modes; do
      # --reference none: the GPU memory peak is the masked run's own (its importance pass at setup included)
      if peak_gpu_memory piece bench train --backend opencl --config "$config" --batch "$b" --seq "$s" --mode "$mode" --reference none \
           --steps 3 --json > "$logs/scale-$name-$mode.txt" 2>&1; then
        line="$(grep "^train $mode" "$logs/scale-$name-$mode.txt" | tail -n 1)"
        result "scale-$mode" PASS "$config $b x $s: $line$(grep '^GPU memory peak' "$logs/scale-$name-$mode.txt" | tail -n 1 | sed 's/^/; /')"
      else
        result "scale-$mode" FAIL "$config: see $logs/scale-$name-$mode.txt"
      fi
    done
    if has_cuda_torch && [ "${GPU_CHECK_QUICK:-0}" != 1 ]; then
      local shape=(--dim 768 --layers 12 --heads 12 --kv-heads 12 --hidden 2048 --seq-len "$s" --batch "$b")
      [ "$name" = tinyllama-1.1B ] && shape=(--dim 2048 --layers 22 --heads 32 --kv-heads 4 --hidden 5632 --seq-len "$s" --batch "$b" --untied-head)
      if peak_gpu_memory python3 "$HERE/torch_reference.py" --device cuda --threads "$(nproc)" --steps 3 "${shape[@]}" \
           --jobs full,importance,masked > "$logs/scale-$name-torch.txt" 2>&1; then
        result scale-torch PASS "$name $b x $s: $(torch_summary "$logs/scale-$name-torch.txt")"
      else
        result scale-torch FAIL "$name: see $logs/scale-$name-torch.txt"
      fi
    fi
  done
}

run_table() {
  if piece bench backends --backends simd,opencl --batch "$batch" --seq "$seq" > "$logs/backends.txt" 2>&1; then
    result table PASS "kernel and step table in $logs/backends.txt"
    sed -n '/^| kernel/,/^$/p' "$logs/backends.txt"
    grep '^- opencl' "$logs/backends.txt"
  else
    result table FAIL "see $logs/backends.txt"
  fi
}

case "${1:-run}" in
  pack) shift; pack "$@" ;;
  run) run_checks ;;
  *) echo "usage: $0 pack [DIR] | run" >&2; exit 2 ;;
esac
