#!/usr/bin/env bash
# perf/gpu-check.sh OUTDIR [BUNDLE.tar.xz]
#
# MINIMAL version (written with the Vulkan backend while the ILGPU work's full script — correctness checks, ILGPU
# benches, the PyTorch peer, a summary — had not landed; that script replaces this one and keeps the call to
# perf/gpu-check-vulkan.sh before its summary).
# On a GPU machine without .NET or network: unpacks the GpuBundle archive (or uses MNA_CLI), then writes JSON into
# OUTDIR: env.json; the Vulkan checks and benches (perf/gpu-check-vulkan.sh); `mobilenet bench --backend cpu` and, when
# the CLI has it, `--backend ilgpu-cuda`, for MobileNetV2 1.0/224 and V1 1.0/224 at batch 1, 8, 64.
set -uo pipefail
[ $# -ge 1 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -n "${MNA_CLI:-}" ]; then
  CLI=$MNA_CLI
else
  BUNDLE=${MNA_BUNDLE:-${2:-$HERE/mobilenet-gpu-linux-x64.tar.xz}}
  [ -f "$BUNDLE" ] || { echo "no bundle at $BUNDLE (2nd argument, MNA_BUNDLE or MNA_CLI)"; exit 2; }
  mkdir -p "$OUT/bundle" && tar -C "$OUT/bundle" -xJf "$BUNDLE" || { echo "cannot unpack $BUNDLE"; exit 2; }
  CLI=$OUT/bundle/mobilenet/mobilenet
fi
{
  echo "{ \"date\": \"$(date -u +%FT%TZ)\", \"cpu_count\": $(nproc),"
  echo "  \"gpu\": \"$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)\" }"
} > "$OUT/env.json"
status=0
bash "$HERE/gpu-check-vulkan.sh" "$OUT" "$CLI" || status=1
backends=(cpu)
# ILGPU's CUDA backend when this CLI has it (an unknown backend fails at once).
timeout 60 "$CLI" bench --backend ilgpu-cuda --arch v2 --alpha 0.35 --resolution 96 --runs 1 --warmup 0 > /dev/null 2>&1 && backends+=(ilgpu-cuda)
for arch in v2 v1; do
  for batch in 1 8 64; do
    for b in "${backends[@]}"; do
      runs=20; [ "$b" = cpu ] && [ "$batch" -gt 1 ] && runs=3
      name="bench-$b-$arch-1.0-224-b$batch"
      timeout 150 "$CLI" bench --backend "$b" --arch "$arch" --alpha 1.0 --resolution 224 --batch "$batch" --runs "$runs" \
        --warmup 2 --json > "$OUT/$name.json" 2> "$OUT/$name.err" && echo "ok   $name" || { echo "FAIL $name"; status=1; }
      [ -s "$OUT/$name.err" ] || rm -f "$OUT/$name.err"
    done
  done
done
exit $status
