#!/usr/bin/env bash
# perf/gpu-check-vulkan.sh OUTDIR MOBILENET
#
# The Vulkan part of perf/gpu-check.sh (which calls it; in a fuller gpu-check.sh, call it before the summary, same OUTDIR):
#  - records the Vulkan setup (loader, ICDs, devices) in OUTDIR/vulkan-setup.txt;
#  - `mobilenet compare --backend vulkan --reference cpu` on the zoo's MobileNetV1/V2 -> check-vulkan-*.json
#    (tolerance on the softmax output as in tests/MobileNetAccel.Vulkan.Tests: |Δ| <= 1e-5 + 1e-3·p);
#  - `mobilenet bench --backend vulkan` for MobileNetV2 1.0/224 at batch 1, 8, 64 -> bench-vulkan-*.json.
# File names follow gpu-check.sh's check-*/bench-* convention so its summary lists the Vulkan results too.
# MOBILENET is the unpacked CLI (JIT or AOT). It loads the system's libvulkan.so.1, else the one the bundle carries
# beside it (published with -p:BundleVulkanLoader=true); the GPU driver provides the ICD. A machine whose driver has
# no Vulkan ICD (e.g. a container started without the "graphics" driver capability) fails the runs with
# "no Vulkan device", recorded in the .err files.
# Environment: MNA_GPU_CHECK_SMALL=1 (dry run: small models, batches 1 and 2), VULKAN_RUN_TIMEOUT (s per run, 120).
set -uo pipefail
OUT=${1:?usage: gpu-check-vulkan.sh OUTDIR MOBILENET}
MN=${2:?usage: gpu-check-vulkan.sh OUTDIR MOBILENET}
mkdir -p "$OUT"
LIMIT=${VULKAN_RUN_TIMEOUT:-120}
SMALL=${MNA_GPU_CHECK_SMALL:-0}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "system loader: $(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libvulkan.so.1' | head -1)"
  echo "bundled loader: $(ls "$(dirname "$MN")/libvulkan.so.1" 2>/dev/null || echo none)"
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    [ -d "$d" ] && echo "ICDs in $d: $(ls "$d" | tr '\n' ' ')"
  done
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | sed -n '/Devices:/,$p'
} > "$OUT/vulkan-setup.txt" 2>&1

status=0
run() { # NAME CMD...
  local name=$1; shift
  if timeout "$LIMIT" "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"; then
    echo "ok   $name"
  else
    local rc=$?
    echo "FAIL $name (exit $rc): $(tail -c 300 "$OUT/$name.err" | tr '\n' ' ')"
    [ -s "$OUT/$name.json" ] || echo "{\"failed\": true, \"exit\": $rc}" > "$OUT/$name.json"
    status=1
  fi
  [ -s "$OUT/$name.err" ] || rm -f "$OUT/$name.err"
}

if [ "$SMALL" = 1 ]; then
  CHECKS=("v2 0.35 96 1" "v1 0.25 128 2")
  BENCH=("v2 0.35 96 1" "v2 0.35 96 2")
  RUNS=3
else
  CHECKS=("v2 1.0 224 1" "v2 1.0 224 8" "v1 1.0 224 1" "v2 0.35 96 8" "v1 0.25 128 8")
  BENCH=("v2 1.0 224 1" "v2 1.0 224 8" "v2 1.0 224 64")
  RUNS=50
fi

if "$MN" --help 2>/dev/null | grep -qE '^ +compare '; then
  for c in "${CHECKS[@]}"; do
    read -r arch alpha res batch <<< "$c"
    run "check-vulkan-$arch-$alpha-$res-b$batch" "$MN" compare --backend vulkan --reference cpu --arch "$arch" --alpha "$alpha" \
      --resolution "$res" --batch "$batch" --abs 1e-5 --rel 1e-3 --json
  done
else
  echo "note: this mobilenet has no 'compare' command; Vulkan outputs not checked"
fi
for b in "${BENCH[@]}"; do
  read -r arch alpha res batch <<< "$b"
  run "bench-vulkan-$arch-$alpha-$res-b$batch" "$MN" bench --backend vulkan --arch "$arch" --alpha "$alpha" --resolution "$res" \
    --batch "$batch" --runs "$RUNS" --warmup 3 --json
done
exit $status
