#!/usr/bin/env bash
# The packages as a user gets them: packs (Cake target Pack: sizes, both libmna.so), then builds samples/Classify
# -- a consumer outside the solution, PackageReference from artifacts/packages -- and checks that it says
# "military uniform" for grace_hopper when run (JIT), published native-AOT for linux-x64 and run, and published
# native-AOT for linux-arm64 and run under qemu-aarch64 (with zero publish warnings); checks that the README's
# program is the sample's source; installs the mobilenet tool from the packages and classifies with it.
# Writes one NAME.result file per check into RESULTS (default OUT); exits 1 when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="${OUT:-$ROOT/artifacts/package-check}"
RESULTS="${RESULTS:-$OUT}"
SHARED="${MNA_SHARED:-$ROOT/../shared}"
MODEL="$SHARED/models/tflite/mobilenet_v2_1.0_224_quant.tflite"
LABELS="$SHARED/models/tflite/imagenet_labels.txt"
PHOTO="$SHARED/images/grace_hopper.bmp"
PKG="$ROOT/artifacts/packages"
SAMPLE="$ROOT/samples/Classify"
rm -rf "$OUT"
mkdir -p "$OUT" "$RESULTS"
fails=0
result() { # name status [detail]
  echo "package-$1: $2${3:+ ($3)}" > "$RESULTS/package-$1.result"
  echo "package-$1: $2${3:+ ($3)}"
  [ "$2" = passed ] || fails=$((fails + 1))
}
# The first line of label_image-style output must be grace_hopper's class.
uniform() { head -1 "$1" | grep -Eq '^[0-9.]+: 653 military uniform$'; }

echo "--- pack"
if ! { dotnet tool restore && dotnet cake --target=Pack; } > "$OUT/pack.log" 2>&1; then
  tail -30 "$OUT/pack.log"
  result pack failed "see $OUT/pack.log"
  exit 1
fi
grep -a "MB (limit" "$OUT/pack.log" | sed 's/\x1b\[[0-9;]*m//g'
result pack passed
V=$(ls "$PKG"/MobileNetAccel.[0-9]*.nupkg | sed 's|.*/MobileNetAccel\.\(.*\)\.nupkg|\1|')
echo "version $V"
# A package of the same version already in the global packages folder (repacked without a new commit) would be used
# instead of the new one: drop it.
NUGET_ROOT="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$NUGET_ROOT/mobilenetaccel/$V" "$NUGET_ROOT/mobilenet/$V"

echo "--- README program = samples/Classify/Program.cs"
if python3 - "$ROOT/README.md" "$SAMPLE/Program.cs" <<'PY'
import sys
readme, program = open(sys.argv[1]).read(), open(sys.argv[2]).read()
marker = "<!-- the source of samples/Classify/Program.cs (CI checks they are equal) -->"
if marker not in readme:
    sys.exit("README has no marked copy of samples/Classify/Program.cs")
rest = readme.split(marker, 1)[1].lstrip("\n")
if not rest.startswith("```csharp\n"):
    sys.exit("the marker is not followed by a ```csharp block")
block = rest[len("```csharp\n"):].split("\n```", 1)[0] + "\n"
if block != program:
    import difflib
    sys.stdout.writelines(difflib.unified_diff(program.splitlines(True), block.splitlines(True), "Program.cs", "README.md"))
    sys.exit("README's program differs from samples/Classify/Program.cs")
PY
then result readme-program passed; else result readme-program failed; fi

cd "$SAMPLE"
rm -rf bin obj
props="-p:MobileNetAccelVersion=$V"
echo "--- sample: restore from the packages, run (JIT)"
if dotnet restore $props > "$OUT/restore.log" 2>&1 \
   && dotnet run -c Release --no-restore $props -- "$MODEL" "$LABELS" "$PHOTO" > "$OUT/jit.txt" 2> "$OUT/jit.err" \
   && uniform "$OUT/jit.txt"; then
  cat "$OUT/jit.txt"; result sample-jit passed
else
  cat "$OUT/restore.log" "$OUT/jit.txt" "$OUT/jit.err" | tail -30; result sample-jit failed
fi

publish() { # rid outdir extra-args...
  local rid=$1 dir=$2; shift 2
  dotnet publish -c Release -r "$rid" $props "$@" -o "$dir" > "$dir.log" 2>&1 || { tail -30 "$dir.log"; return 1; }
  if grep -E "warning [A-Z]+[0-9]+" "$dir.log"; then echo "publish for $rid has warnings"; return 1; fi
}
echo "--- sample: native AOT linux-x64"
if publish linux-x64 "$OUT/aot-x64" && "$OUT/aot-x64/Classify" "$MODEL" "$LABELS" "$PHOTO" > "$OUT/aot-x64.txt" && uniform "$OUT/aot-x64.txt"; then
  head -1 "$OUT/aot-x64.txt"; result sample-aot-x64 passed
else
  cat "$OUT/aot-x64.txt" 2>/dev/null; result sample-aot-x64 failed
fi

echo "--- sample: native AOT linux-arm64 (cross: clang, Debian's arm64 libc), run under qemu-aarch64"
elf_arm64() { python3 -c "import sys; h=open(sys.argv[1],'rb').read(20); sys.exit(0 if h[:4]==b'\x7fELF' and h[18]|h[19]<<8 == 183 else 1)" "$1"; }
if publish linux-arm64 "$OUT/aot-arm64" -p:CppCompilerAndLinker=clang -p:SysRoot=/ \
   && elf_arm64 "$OUT/aot-arm64/Classify" && elf_arm64 "$OUT/aot-arm64/libmna.so" \
   && qemu-aarch64 -L /usr/aarch64-linux-gnu "$OUT/aot-arm64/Classify" "$MODEL" "$LABELS" "$PHOTO" > "$OUT/aot-arm64.txt" \
   && uniform "$OUT/aot-arm64.txt"; then
  head -1 "$OUT/aot-arm64.txt"; result sample-aot-arm64 passed
else
  cat "$OUT/aot-arm64.txt" 2>/dev/null; result sample-aot-arm64 failed "the executable and libmna.so must be aarch64, the output military uniform"
fi
rm -rf bin obj
cd "$ROOT"

echo "--- the mobilenet tool from the packages"
if dotnet tool install mobilenet --tool-path "$OUT/tool" --version "$V" --add-source "$PKG" > "$OUT/tool.log" 2>&1 \
   && "$OUT/tool/mobilenet" classify --model "$MODEL" --labels "$LABELS" "$PHOTO" > "$OUT/tool.txt" && uniform "$OUT/tool.txt"; then
  head -1 "$OUT/tool.txt"; result tool passed
else
  cat "$OUT/tool.log" "$OUT/tool.txt" 2>/dev/null | tail -20; result tool failed
fi
exit $((fails > 0))
