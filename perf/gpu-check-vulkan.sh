#!/usr/bin/env bash
# The Vulkan part of perf/gpu-check.sh: records the Vulkan driver setup, then runs `mobilenet bench --backend vulkan`
# for MobileNetV2 1.0/224 at batch 1, 8 and 64, one JSON file per run in OUTDIR.
#   perf/gpu-check-vulkan.sh OUTDIR MOBILENET
# MOBILENET is the unpacked CLI (JIT or AOT). The CLI loads the system's libvulkan.so.1, else the one the bundle
# carries beside it (published with -p:BundleVulkanLoader=true); the GPU driver provides the ICD. A machine without
# a Vulkan ICD (e.g. a container started without the "graphics" driver capability) is reported, not an error.
set -uo pipefail
OUT=${1:?usage: gpu-check-vulkan.sh OUTDIR MOBILENET}
MN=${2:?usage: gpu-check-vulkan.sh OUTDIR MOBILENET}
mkdir -p "$OUT"
PER_RUN_TIMEOUT=${VULKAN_BENCH_TIMEOUT:-150}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "system loader: $(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libvulkan.so.1' | head -1 || true)"
  echo "bundled loader: $(ls "$(dirname "$MN")/libvulkan.so.1" 2>/dev/null || echo none)"
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    [ -d "$d" ] && echo "ICDs in $d: $(ls "$d" | tr '\n' ' ')"
  done
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | sed -n '/Devices:/,$p'
} > "$OUT/vulkan-setup.txt" 2>&1

status=0
# Correctness first, when the CLI has `compare` (Vulkan vs the native CPU backend, same input; tolerance on the
# softmax output as in tests/MobileNetAccel.Vulkan.Tests: |Δ| <= 1e-5 + 1e-3·p).
if "$MN" compare --help > /dev/null 2>&1; then
  for spec in "v2 1.0 224 1" "v2 1.0 224 8" "v1 1.0 224 1" "v2 0.35 96 8" "v1 0.25 128 8"; do
    set -- $spec
    name="vulkan-compare-$1-$2-$3-b$4"
    if timeout "$PER_RUN_TIMEOUT" "$MN" compare --arch "$1" --alpha "$2" --resolution "$3" --batch "$4" --backend vulkan \
        --reference cpu --abs 1e-5 --rel 1e-3 --json > "$OUT/$name.json" 2> "$OUT/$name.err"; then
      echo "$name: ok"
    else
      echo "$name: failed (exit $?), see $OUT/$name.json / .err"
      status=1
    fi
  done
fi
for batch in 1 8 64; do
  name="vulkan-v2-1.0-224-b$batch"
  if timeout "$PER_RUN_TIMEOUT" "$MN" bench --arch v2 --alpha 1.0 --resolution 224 --backend vulkan --batch "$batch" \
      --runs 20 --warmup 3 --json > "$OUT/$name.json" 2> "$OUT/$name.err"; then
    echo "$name: ok"
  else
    echo "$name: failed (exit $?), see $OUT/$name.err"
    status=1
  fi
done
exit $status
