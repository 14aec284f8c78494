#!/usr/bin/env bash
# Folders through the mobilenet CLI (issue #15): classify and segment a folder of 200 photographs (copies of
# ../shared/images in nested folders) plus 3 corrupt files: every good one gets a result line as it comes, every bad one
# a line on stderr, the summary says 200 and 3, the exit status is 1.   perf/folder-cli-check.sh [CLI] [SHARED]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="${1:-$ROOT/src/Managed/MobileNetAccel.Cli/bin/Release/net10.0/mobilenet}"
SHARED="${2:-${MNA_SHARED:-$ROOT/../shared}}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
Q="$SHARED/models/tflite/mobilenet_v1_0.25_128_quant.tflite"
L="$SHARED/models/tflite/imagenet_labels.txt"
S="$SHARED/models/segmentation/deeplabv3_mnv2_dm05_pascal_quant.tflite"
SL="$SHARED/models/segmentation/pascal_voc_segmentation_labels.txt"
mkdir -p "$TMP/photos/a/b" "$TMP/photos/c" "$TMP/few"
srcs=("$SHARED/images/bird.bmp" "$SHARED/images/cat.bmp" "$SHARED/images/grace_hopper.bmp" "$SHARED/images/hot_dog.jpg")
dirs=("" a a/b c)
for i in $(seq 0 199); do
  src="${srcs[$((i % 4))]}"; cp "$src" "$TMP/photos/${dirs[$((i / 4 % 4))]}/photo$(printf %03d "$i").${src##*.}"
done
head -c 50000 "$SHARED/images/hot_dog.jpg" > "$TMP/photos/a/truncated.jpg"
head -c 4096 /dev/urandom > "$TMP/photos/c/noise.png"
: > "$TMP/photos/empty.bmp"
echo "not an image" > "$TMP/photos/a/notes.txt"
cp "$SHARED/images/grace_hopper.bmp" "$TMP/few/"; cp "$TMP/photos/a/truncated.jpg" "$TMP/few/"
fails=0
check() { # name condition-text condition
  if eval "$3"; then echo "ok   $1: $2"; else echo "FAIL $1: $2"; fails=$((fails + 1)); fi
}
start=$(date +%s%N)
"$CLI" classify --model "$Q" --labels "$L" --top 1 --json "$TMP/photos" > "$TMP/out" 2> "$TMP/err"; rc=$?
secs=$(( ($(date +%s%N) - start) / 1000000 ))
check classify "exit $rc (1 expected)" '[ "$rc" = 1 ]'
check classify "$(grep -c '"top"' "$TMP/out") result lines (200)" '[ "$(grep -c "\"top\"" "$TMP/out")" = 200 ]'
check classify "$(grep -c '"error"' "$TMP/out") error lines (3)" '[ "$(grep -c "\"error\"" "$TMP/out")" = 3 ]'
check classify "summary: $(tail -n 1 "$TMP/err")" 'tail -n 1 "$TMP/err" | grep -q "^200 classified, 3 failed"'
check classify "no stack trace" '! grep -q "   at " "$TMP/err"'
echo "     classify: 203 files in ${secs} ms"
start=$(date +%s%N)
"$CLI" segment --model "$S" --labels "$SL" --json --mask "$TMP/masks" --overlay "$TMP/overlays" "$TMP/few" > "$TMP/out" 2> "$TMP/err"; rc=$?
secs=$(( ($(date +%s%N) - start) / 1000000 ))
check segment "exit $rc (1 expected)" '[ "$rc" = 1 ]'
check segment "person in grace_hopper" 'grep -q "\"person\"" "$TMP/out"'
check segment "mask and overlay PNGs" '[ -s "$TMP/masks/grace_hopper_mask.png" ] && [ -s "$TMP/overlays/grace_hopper_overlay.png" ]'
check segment "summary: $(tail -n 1 "$TMP/err")" 'tail -n 1 "$TMP/err" | grep -q "^1 segmented, 1 failed"'
echo "     segment: 2 files in ${secs} ms"
[ "$fails" = 0 ]
