#!/usr/bin/env bash
# Bad inputs through the mobilenet CLI (issue #19): each must end with exit status 2 and one line on stderr that names
# the problem — no stack trace, no classification, no hang.   perf/reliability-cli-check.sh [CLI] [SHARED]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="${1:-$ROOT/src/Managed/MobileNetAccel.Cli/bin/Release/net10.0/mobilenet}"
SHARED="${2:-${MNA_SHARED:-$ROOT/../shared}}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
Q="$SHARED/models/tflite/mobilenet_v2_1.0_224_quant.tflite"
L="$SHARED/models/tflite/imagenet_labels.txt"
O="$SHARED/models/onnx/mobilenet_v2_0.35_96.onnx"
head -c 50232 "$SHARED/images/hot_dog.jpg" > "$TMP/t.jpg"
head -c 60 "$SHARED/images/cat.bmp" > "$TMP/t.bmp"
ln -s /dev/zero "$TMP/zero.onnx"
mkfifo "$TMP/fifo.tflite"
fails=0
expect() { # name expected-text command...
  local name="$1" want="$2"; shift 2
  timeout 60 "$@" > "$TMP/out" 2> "$TMP/err"; local rc=$?
  local lines; lines=$(wc -l < "$TMP/err")
  if [ "$rc" = 2 ] && [ "$lines" -le 1 ] && grep -q -- "$want" "$TMP/err" && ! grep -q "   at " "$TMP/err" && [ ! -s "$TMP/out" ]; then
    echo "ok   $name: $(cat "$TMP/err")"
  else
    echo "FAIL $name: exit $rc, stderr: $(head -c 400 "$TMP/err"), stdout: $(head -c 200 "$TMP/out")"; fails=$((fails + 1))
  fi
}
expect "truncated JPEG" "truncated" "$CLI" classify --model "$Q" --labels "$L" "$TMP/t.jpg"
expect "BMP cut after its header" "t.bmp" "$CLI" classify --model "$Q" --labels "$L" "$TMP/t.bmp"
expect "model linked to /dev/zero" "not a regular file" "$CLI" info --model "$TMP/zero.onnx"
expect "model is a FIFO" "not a regular file" "$CLI" bench --model "$TMP/fifo.tflite" --runs 1
expect "batch 100000" "elements" "$CLI" bench --model "$O" --batch 100000 --runs 1
expect "run with a wrong-sized input" "bytes" "$CLI" run --model "$O" --input "$TMP/t.jpg" --output "$TMP/y"
[ "$fails" = 0 ]
