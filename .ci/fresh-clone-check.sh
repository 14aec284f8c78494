#!/usr/bin/env bash
# The README's two commands as a new user runs them: in a fresh clone of HEAD (with ../shared beside it), with
# glslc, glslangValidator, qemu-* and clang* taken off PATH (a machine with only the .NET SDK, g++ and cmake would not
# have them) and CI unset (so tests that need an optional component skip with their reason instead of failing).
# Writes fresh-clone-main.result and fresh-clone-tests.result into RESULTS (default OUT); exits 1 when either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="${OUT:-$ROOT/artifacts/fresh-clone}"
RESULTS="${RESULTS:-$OUT}"
SHARED="$(cd "${MNA_SHARED:-$ROOT/../shared}" && pwd)"
rm -rf "$OUT"
mkdir -p "$OUT/machine" "$OUT/bin" "$RESULTS"
git clone -q --no-hardlinks "$ROOT" "$OUT/machine/MobileNetAccel"
ln -s "$SHARED" "$OUT/machine/shared"

# PATH: every command of this machine except the ones a fresh Debian 12 + .NET SDK + g++ + cmake lacks.
removed=()
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}" "$(dirname "$(readlink -f "$(command -v dotnet)")")"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    b=$(basename "$f")
    case "$b" in
      glslc*|glslang*|qemu-*|clang*) removed+=("$f"); continue ;;
    esac
    [ -x "$f" ] && [ ! -d "$f" ] && [ ! -e "$OUT/bin/$b" ] && ln -s "$f" "$OUT/bin/$b"
  done
done
echo "PATH without glslc, glslang*, qemu-*, clang* (${#removed[@]} commands taken off, e.g. $(printf '%s ' "${removed[@]}" | tr ' ' '\n' | grep -E '/(glslc|qemu-aarch64|clang)$' | sort -u | tr '\n' ' '))"
for t in glslc qemu-aarch64 clang; do
  if PATH="$OUT/bin" command -v "$t" > /dev/null; then echo "fresh-clone: $t is still on PATH" >&2; exit 1; fi
done

run() { # log command...
  local log=$1; shift
  (cd "$OUT/machine/MobileNetAccel" && env -u CI PATH="$OUT/bin" "$@") > "$log" 2>&1
}
fails=0
echo "--- README main job command"
if run "$OUT/main.log" dotnet run -c Release --project src/Managed/MobileNetAccel.Cli -- classify --model ../shared/models/tflite/mobilenet_v2_1.0_224_quant.tflite --labels ../shared/models/tflite/imagenet_labels.txt ../shared/images/grace_hopper.bmp \
   && grep -Eq '^[0-9.]+: 653 military uniform$' "$OUT/main.log"; then
  grep -E '^[0-9.]+: ' "$OUT/main.log" | head -1
  echo "fresh-clone-main: passed" > "$RESULTS/fresh-clone-main.result"
else
  tail -30 "$OUT/main.log"
  echo "fresh-clone-main: failed (see $OUT/main.log)" > "$RESULTS/fresh-clone-main.result"; fails=1
fi
echo "--- README test command"
if run "$OUT/test.log" dotnet test MobileNetAccel.sln -c Release; then
  grep -E "^(Passed|Failed)!" "$OUT/test.log"
  echo "fresh-clone-tests: passed" > "$RESULTS/fresh-clone-tests.result"
else
  grep -E "^(Passed|Failed)!|Failed [A-Za-z]|error" "$OUT/test.log" | head -40
  echo "fresh-clone-tests: failed (see $OUT/test.log)" > "$RESULTS/fresh-clone-tests.result"; fails=1
fi
# What skipped, and why (the reasons are the point: a user must see what is missing).
grep -E "^\s+Skipped " -A1 "$OUT/test.log" | head -20 || true
exit "$fails"
