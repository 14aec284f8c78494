#!/usr/bin/env bash
# perf/gpu-check.sh OUTDIR [BUNDLE.tar.xz]
#
# Runs on a rented GPU machine (NVIDIA driver + CUDA, no .NET SDK, no network), within 8 minutes:
#  1. unpacks the GpuBundle archive (build.cake target GpuBundle: self-contained JIT `mobilenet` with the GPU backends);
#  2. checks the GPU backend's outputs against the native CPU backend (`mobilenet compare`) on the zoo's MobileNetV1/V2
#     and, when MNA_MODELS names the shared models folder and the CLI can load files, the small shared models;
#  3. `mobilenet bench --backend $GPU` and `--backend cpu` for MobileNetV2 1.0/224 and V1 1.0/224 at batch 1, 8, 64;
#  4. when PyTorch with CUDA is installed: torchvision mobilenet_v2 at the same batch sizes (perf/torch_peer.py);
#  5. writes every result as JSON into OUTDIR (one file per run, plus env.json and summary.json/summary.txt).
# Exit status: 0 when every check passed and every run produced its JSON, 1 otherwise (all JSON is still written).
#
# Environment:
#   MNA_GPU_BACKEND        backend under test (default ilgpu-cuda; ilgpu-cpu stands in on a machine without a GPU)
#   MNA_GPU_CHECK_SMALL=1  small sizes for a dry run (V2 0.35/96 and V1 0.25/128, batches 1 and 2, few runs)
#   MNA_MODELS             shared models folder (tflite/, onnx/) for the file-model checks
#   MNA_GPU_CHECK_BUDGET   seconds for the whole script (default 480); steps that would start later are skipped
#   MNA_BUNDLE             the archive (default: 2nd argument, else mobilenet-gpu-linux-x64.tar.xz beside this script
#                          or in the current directory); MNA_CLI: use this mobilenet executable instead of unpacking
set -uo pipefail

if [ $# -lt 1 ]; then
  sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
GPU=${MNA_GPU_BACKEND:-ilgpu-cuda}
SMALL=${MNA_GPU_CHECK_SMALL:-0}
BUDGET=${MNA_GPU_CHECK_BUDGET:-480}
START=$SECONDS
FAILED=0
log() { echo "[gpu-check $(date +%T) +$((SECONDS - START))s] $*" | tee -a "$OUT/gpu-check.log" >&2; }
left() { echo $((BUDGET - (SECONDS - START))); }

# ---- 1. bundle ----------------------------------------------------------------------------------------------------
if [ -n "${MNA_CLI:-}" ]; then
  CLI=$MNA_CLI
else
  BUNDLE=${MNA_BUNDLE:-${2:-}}
  for c in "$BUNDLE" "$HERE/mobilenet-gpu-linux-x64.tar.xz" "$HERE/../mobilenet-gpu-linux-x64.tar.xz" "$PWD/mobilenet-gpu-linux-x64.tar.xz"; do
    if [ -n "$c" ] && [ -f "$c" ]; then BUNDLE=$c; break; fi
  done
  if [ -z "$BUNDLE" ] || [ ! -f "$BUNDLE" ]; then
    log "no bundle found (pass it as the 2nd argument or MNA_BUNDLE; build it with: dotnet cake --target=GpuBundle)"
    exit 2
  fi
  mkdir -p "$OUT/bundle"
  log "unpacking $BUNDLE"
  tar -C "$OUT/bundle" -xJf "$BUNDLE" || { log "cannot unpack $BUNDLE"; exit 2; }
  CLI=$OUT/bundle/mobilenet/mobilenet
  [ -f "$OUT/bundle/perf/torch_peer.py" ] && HERE=$OUT/bundle/perf
fi
chmod +x "$CLI" 2>/dev/null || true
export DOTNET_CLI_TELEMETRY_OPTOUT=1

# ---- environment --------------------------------------------------------------------------------------------------
{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"host\": \"$(hostname)\","
  echo "  \"kernel\": \"$(uname -sr)\","
  echo "  \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/"/\\"/g')\","
  echo "  \"cpu_count\": $(nproc),"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "  \"gpu\": \"$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 | sed 's/"/\\"/g')\","
  else
    echo "  \"gpu\": null,"
  fi
  echo "  \"backend\": \"$GPU\","
  echo "  \"small\": $([ "$SMALL" = 1 ] && echo true || echo false),"
  echo "  \"cli\": \"$CLI\""
  echo "}"
} > "$OUT/env.json"
log "environment: $(tr -d '\n' < "$OUT/env.json")"

# run NAME SECONDS CMD... : runs CMD with a timeout, stdout to OUTDIR/NAME.json, stderr to OUTDIR/NAME.err
run() {
  local name=$1 limit=$2; shift 2
  local remaining; remaining=$(left)
  if [ "$remaining" -lt 5 ]; then
    log "SKIP $name: out of time budget"
    echo "{\"skipped\": \"time budget of ${BUDGET}s exhausted\"}" > "$OUT/$name.json"
    FAILED=1
    return
  fi
  [ "$limit" -gt "$remaining" ] && limit=$remaining
  local t0=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
  local rc=$?
  if [ $rc -ne 0 ]; then
    FAILED=1
    log "FAIL $name (exit $rc after $((SECONDS - t0))s): $(tail -c 400 "$OUT/$name.err" | tr '\n' ' ')"
    [ -s "$OUT/$name.json" ] || echo "{\"failed\": true, \"exit\": $rc}" > "$OUT/$name.json"
  else
    log "ok   $name ($((SECONDS - t0))s)"
  fi
  [ -s "$OUT/$name.err" ] || rm -f "$OUT/$name.err"
}

if [ "$SMALL" = 1 ]; then
  CHECKS=("v2 0.35 96 1" "v1 0.25 128 1" "v2 0.35 96 2")
  BENCH_MODELS=("v2 0.35 96" "v1 0.25 128")
  BATCHES=(1 2)
else
  CHECKS=("v2 1.0 224 1" "v1 1.0 224 1" "v2 0.35 96 1" "v1 0.25 128 1" "v2 1.0 224 8")
  BENCH_MODELS=("v2 1.0 224" "v1 1.0 224")
  BATCHES=(1 8 64)
fi

# ---- 2. correctness -----------------------------------------------------------------------------------------------
for c in "${CHECKS[@]}"; do
  read -r arch alpha res batch <<< "$c"
  run "check-$GPU-$arch-$alpha-$res-b$batch" 90 "$CLI" compare --backend "$GPU" --reference cpu --arch "$arch" --alpha "$alpha" --resolution "$res" --batch "$batch" --json
done
if [ -n "${MNA_MODELS:-}" ]; then
  if "$CLI" compare --help 2>/dev/null | grep -q -- '--model'; then
    for f in "$MNA_MODELS"/tflite/*.tflite "$MNA_MODELS"/onnx/mobilenet_v2_0.35_96.onnx "$MNA_MODELS"/onnx/mobilenet_v1_0.25_128.onnx; do
      [ -f "$f" ] || continue
      name="check-$GPU-$(basename "$f" | tr '.' '_')"
      before=$FAILED
      run "$name" 90 "$CLI" compare --backend "$GPU" --reference cpu --model "$f" --json
      if [ -f "$OUT/$name.err" ] && grep -q "unknown model format" "$OUT/$name.err"; then
        # this build cannot read that format (yet): not a failure of the GPU backend
        log "note: $(basename "$f"): format not supported by this mobilenet build; skipped"
        echo "{\"skipped\": \"model format not supported by this mobilenet build\"}" > "$OUT/$name.json"
        FAILED=$before
      fi
    done
  else
    log "note: this mobilenet build cannot load model files yet (no 'compare --model'); shared models not checked"
    echo "{\"skipped\": \"mobilenet compare has no --model option in this build\"}" > "$OUT/check-shared-models.json"
  fi
fi

# ---- 3. benchmarks ------------------------------------------------------------------------------------------------
# runs per case: enough samples for a median without eating the budget (the CPU backend at batch 64 is the slow one).
runs_for() { # backend batch
  if [ "$SMALL" = 1 ]; then echo 3; return; fi
  case "$1:$2" in
    cpu:1) echo 30 ;; cpu:8) echo 8 ;; cpu:*) echo 3 ;;
    *:1) echo 200 ;; *:8) echo 100 ;; *) echo 30 ;;
  esac
}
for m in "${BENCH_MODELS[@]}"; do
  read -r arch alpha res <<< "$m"
  for batch in "${BATCHES[@]}"; do
    for backend in "$GPU" cpu; do
      runs=$(runs_for "$backend" "$batch")
      run "bench-$backend-$arch-$alpha-$res-b$batch" 120 "$CLI" bench --backend "$backend" --arch "$arch" --alpha "$alpha" --resolution "$res" \
        --batch "$batch" --runs "$runs" --warmup 3 --json
    done
  done
done

# ---- 4. peer: PyTorch + cuDNN -------------------------------------------------------------------------------------
PEER_BATCHES=$(IFS=,; echo "${BATCHES[*]}")
if command -v python3 >/dev/null 2>&1 && python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  PEER_RES=224; [ "$SMALL" = 1 ] && PEER_RES=96
  run "peer-torch-mobilenet_v2" 150 python3 "$HERE/torch_peer.py" --batches "$PEER_BATCHES" --resolution "$PEER_RES"
else
  log "note: PyTorch with CUDA not found; no peer timing"
  echo "{\"available\": false, \"reason\": \"python3 with torch and CUDA not found\"}" > "$OUT/peer-torch-mobilenet_v2.json"
fi

# ---- 4b. Vulkan backend on the same GPU (perf/gpu-check-vulkan.sh; MNA_GPU_CHECK_VULKAN=0 skips it) -------------
if [ "${MNA_GPU_CHECK_VULKAN:-1}" = 1 ]; then
  bash "$HERE/gpu-check-vulkan.sh" "$OUT" "$CLI" || FAILED=1
fi

# ---- 5. summary ---------------------------------------------------------------------------------------------------
if command -v python3 >/dev/null 2>&1; then
  python3 - "$OUT" "$GPU" <<'PY' || FAILED=1
import glob, json, os, sys
out, gpu = sys.argv[1], sys.argv[2]
def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except Exception as e:  # noqa: BLE001
        return {"unreadable": str(e)}
checks = {os.path.basename(p)[6:-5]: load(p) for p in sorted(glob.glob(os.path.join(out, "check-*.json")))}
bench = [load(p) for p in sorted(glob.glob(os.path.join(out, "bench-*.json")))]
peer = load(os.path.join(out, "peer-torch-mobilenet_v2.json"))
lines = ["checks:"]
for k, v in checks.items():
    lines.append(f"  {k}: " + (f"{'PASS' if v.get('pass') else 'FAIL'} max|d| {v.get('max_abs_diff', float('nan')):.3e} top-1 {v.get('top1_agree')}/{v.get('batch')}" if "pass" in v else json.dumps(v)))
lines.append("bench (median ms per inference, images/s):")
rows = []
for b in bench:
    if "median_ms" not in b:
        continue
    rows.append({k: b.get(k) for k in ("model", "backend", "device", "batch", "median_ms", "min_ms", "p95_ms", "images_per_s", "init_ms", "first_ms")})
    lines.append(f"  {b['model']:<22} {b['backend']:<12} batch {b['batch']:>3}: median {b['median_ms']:9.3f} ms  {b['images_per_s']:10.1f} img/s  (init {b['init_ms']:.0f} ms, first {b['first_ms']:.1f} ms)")
ratios = []
if peer.get("available"):
    lines.append(f"peer {peer['peer']} on {peer.get('gpu')} (torch {peer.get('torch')}, cuDNN {peer.get('cudnn')}):")
    for c in peer.get("cases", []):
        lines.append(f"  batch {c['batch']:>3} {c['variant']:<17}: median {c['median_ms']:9.3f} ms  {c['images_per_s']:10.1f} img/s")
        mine = [r for r in rows if r["backend"] == gpu and r["batch"] == c["batch"] and r["model"].startswith("MobileNetV2")]
        if mine:
            ratios.append({"batch": c["batch"], "variant": c["variant"], "mobilenet_ms": mine[0]["median_ms"], "torch_ms": c["median_ms"],
                           "torch_over_mobilenet_time": c["median_ms"] / mine[0]["median_ms"]})
    for r in ratios:
        lines.append(f"  ratio batch {r['batch']:>3} ({r['variant']}): torch {r['torch_ms']:.3f} ms / mobilenet {gpu} {r['mobilenet_ms']:.3f} ms = {r['torch_over_mobilenet_time']:.2f}")
else:
    lines.append(f"peer: not available ({peer.get('reason', peer)})")
summary = {"checks": checks, "bench": rows, "peer": peer, "ratios_v2": ratios,
           "all_checks_pass": all(v.get("pass") for v in checks.values() if "skipped" not in v)}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if summary["all_checks_pass"] else 1)
PY
fi
log "done in $((SECONDS - START))s; results in $OUT$([ $FAILED = 0 ] || echo ' (with failures)')"
exit $FAILED
