#!/usr/bin/env bash
# Oversubscription check (issue #19): P `mobilenet bench` processes at once, each with T threads, against the same
# P processes with 1 thread each, in alternating rounds so that both see the same background load. Prints the worst
# median of each round and the ratio worst(T threads) / worst(1 thread); the target is <= 1.5.
#   perf/oversubscribe.sh [CLI] [MODEL]   env: PROCS (4) THREADS (2) RUNS (300) ROUNDS (3)
#   MNA_CHECK_RATIO=1.5: exit 1 unless the best round's ratio is at most that (CI)
# CLI defaults to the Release build of src/Managed/MobileNetAccel.Cli; pass an older build to compare.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="${1:-$ROOT/src/Managed/MobileNetAccel.Cli/bin/Release/net10.0/mobilenet}"
MODEL="${2:-${MNA_SHARED:-$ROOT/../shared}/models/onnx/mobilenet_v2_0.35_96.onnx}"
PROCS="${PROCS:-4}" THREADS="${THREADS:-2}" RUNS="${RUNS:-300}" ROUNDS="${ROUNDS:-3}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
round() { # threads tag
  local pids=()
  for i in $(seq 1 "$PROCS"); do
    "$CLI" bench --model "$MODEL" --threads "$1" --runs "$RUNS" --warmup 20 --json > "$TMP/$2.$i.json" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  python3 - "$TMP" "$2" "$PROCS" <<'PY'
import json, sys
d, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = [json.load(open(f"{d}/{tag}.{i}.json"))["median_ms"] for i in range(1, n + 1)]
print(f"{tag}: medians " + " ".join(f"{x:.3f}" for x in m) + f" ms; worst {max(m):.3f}")
open(f"{d}/{tag}.worst", "w").write(str(max(m)))
PY
}
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cpus; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cli: $CLI; model: $MODEL; $PROCS processes x $RUNS runs"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  round 1 "r$r-t1"
  round "$THREADS" "r$r-t$THREADS"
  ratio=$(python3 -c "print(f'{float(open(\"$TMP/r$r-t$THREADS.worst\").read())/float(open(\"$TMP/r$r-t1.worst\").read()):.2f}')")
  echo "round $r: worst median with $THREADS threads / with 1 thread = $ratio (load $(cut -d' ' -f1 /proc/loadavg))"
  ratios+=("$ratio")
done
echo "ratios: ${ratios[*]} (target <= 1.5)"
if [ -n "${MNA_CHECK_RATIO:-}" ]; then
  python3 -c "import sys; r=[float(x) for x in sys.argv[2:]]; sys.exit(0 if min(r) <= float(sys.argv[1]) else 1)" "$MNA_CHECK_RATIO" "${ratios[@]}"
fi
