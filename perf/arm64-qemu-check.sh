#!/usr/bin/env bash
# linux-arm64 native-AOT `mobilenet` (NEON kernels) under qemu-aarch64 against the x64 AOT build (issue 6, "Also").
# Runs `mobilenet run` on small shared ONNX and TFLite models with both binaries and compares:
#   ONNX float32: arm64 vs the PyTorch reference output (.output.f32) and vs x64, max abs diff <= 1e-4.
#   TFLite uint8: arm64 vs x64, bit-identical (see the note above the TFLite loop).
# and checks that the arm64 binary really dispatches to the NEON kernels.
# Prints PASS/FAIL per case; exits non-zero on any failure.
# Env: ARM64_DIR / X64_DIR  published CLIs (published here when missing), MNA_SHARED (default: ../shared beside the repo or an ancestor),
#      OUT (scratch folder, default artifacts/arm64-check).
# All shared models are run (measured under qemu-user on the 2-core dev machine: V1 1.0/224 ~16 s, V2 1.0/224 ~12 s,
# the small ones 2-9 s each; the whole check ~1-2 min once both CLIs are published).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED="${MNA_SHARED:-}"
if [ -z "$SHARED" ]; then # a folder `shared` beside the repo root or beside one of its ancestors (worktrees)
  d=$ROOT; while [ "$d" != / ] && [ ! -d "$d/../shared/models" ]; do d=$(dirname "$d"); done
  SHARED=$(cd "$d/../shared" && pwd)
fi
OUT="${OUT:-$ROOT/artifacts/arm64-check}"
ARM64_DIR="${ARM64_DIR:-$OUT/cli-arm64}"
X64_DIR="${X64_DIR:-$OUT/cli-x64}"
SYSROOT=/usr/aarch64-linux-gnu
mkdir -p "$OUT"

if [ ! -x "$ARM64_DIR/mobilenet" ]; then
  # Cross native-AOT: clang as compiler/linker with --target=aarch64-linux-gnu (the ILC targets add it); SysRoot=/
  # because Debian's cross libc (libc6-dev-arm64-cross) lives in /usr/aarch64-linux-gnu and its linker scripts name
  # absolute paths there (SysRoot=/usr/aarch64-linux-gnu would prefix them twice).
  dotnet publish src/Managed/MobileNetAccel.Cli -c Release -r linux-arm64 -p:PublishAot=true \
    -p:CppCompilerAndLinker=clang -p:SysRoot=/ -o "$ARM64_DIR"
fi
if [ ! -x "$X64_DIR/mobilenet" ]; then
  dotnet publish src/Managed/MobileNetAccel.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$X64_DIR"
fi
# Both the executable and the shipped libmna.so must be aarch64 ELF files (e_machine 183 = EM_AARCH64).
python3 - "$ARM64_DIR/mobilenet" "$ARM64_DIR/libmna.so" <<'PY'
import struct, sys
for p in sys.argv[1:]:
    h = open(p, 'rb').read(20)
    if h[:4] != b'\x7fELF' or struct.unpack('<H', h[18:20])[0] != 183:
        sys.exit(f"FAIL {p} is not an aarch64 ELF file")
PY

fails=0
compare() { # kind a b tol label
  if python3 - "$@" <<'PY'
import array, sys
kind, a, b, tol, label = sys.argv[1:6]
def load(p):
    raw = open(p, 'rb').read()
    if kind == 'f32':
        v = array.array('f'); v.frombytes(raw); return list(v)
    return list(raw)
x, y = load(a), load(b)
if len(x) != len(y) or not x:
    print(f"FAIL {label}: sizes {len(x)} vs {len(y)}"); sys.exit(1)
d = max(abs(p - q) for p, q in zip(x, y))
ndiff = sum(1 for p, q in zip(x, y) if p != q)
ok = d <= float(tol)
print(f"{'PASS' if ok else 'FAIL'} {label}: max |diff| = {d:.3g} (tol {tol}), {ndiff}/{len(x)} elements differ")
sys.exit(0 if ok else 1)
PY
  then :; else fails=$((fails+1)); fi
}

run_both() { # name model input
  local name=$1 model=$2 input=$3 t0 t1
  t0=$(date +%s.%N)
  qemu-aarch64 -L "$SYSROOT" "$ARM64_DIR/mobilenet" run --model "$model" --input "$input" --output "$OUT/$name.arm64.out"
  t1=$(date +%s.%N)
  "$X64_DIR/mobilenet" run --model "$model" --input "$input" --output "$OUT/$name.x64.out"
  echo "$name: arm64 under qemu $(python3 -c "print(f'{$t1-$t0:.1f}')") s"
}

# The arm64 CLI must pick the NEON kernels (bench --json reports "kernels"), else this would test the scalar path only.
kern=$(qemu-aarch64 -L "$SYSROOT" "$ARM64_DIR/mobilenet" bench --arch v2 --alpha 0.35 --resolution 96 --runs 1 --warmup 0 --json \
  | python3 -c "import json,sys; print(json.load(sys.stdin)['kernels'])")
if [ "$kern" = Neon ]; then echo "PASS arm64 kernels = $kern"; else echo "FAIL arm64 kernels = $kern (expected Neon)"; fails=$((fails+1)); fi
# and the NEON dotprod integer kernels (qemu's default CPU, max, has dotprod)
ikern=$(qemu-aarch64 -L "$SYSROOT" "$ARM64_DIR/mobilenet" bench --arch v2 --alpha 0.35 --resolution 96 --runs 1 --warmup 0 --json \
  | python3 -c "import json,sys; print(json.load(sys.stdin)['integer_kernels'])")
if [ "$ikern" = neondot ]; then echo "PASS arm64 integer kernels = $ikern"; else echo "FAIL arm64 integer kernels = $ikern (expected neondot)"; fails=$((fails+1)); fi

# ONNX float32. 1e-4 abs is the project's ONNX tolerance against PyTorch; NEON (4-wide FMA, different accumulation
# order) and AVX2/AVX-512 sum in different orders, so arm64 vs x64 differ by rounding only, far below 1e-4.
for m in mobilenet_v1_1.0_224 mobilenet_v1_0.25_128 mobilenet_v2_1.0_224 mobilenet_v2_0.35_96; do
  run_both "onnx-$m" "$SHARED/models/onnx/$m.onnx" "$SHARED/models/onnx/$m.input.f32"
  compare f32 "$OUT/onnx-$m.arm64.out" "$SHARED/models/onnx/$m.output.f32" 1e-4 "onnx $m arm64 vs pytorch"
  compare f32 "$OUT/onnx-$m.arm64.out" "$OUT/onnx-$m.x64.out" 1e-4 "onnx $m arm64 vs x64"
done

# TFLite uint8. The integer kernels (NEON dotprod on arm64, AVX-512 VNNI / AVX2 on x64) give the scalar reference's
# bytes by construction (docs/INT8.md: exact int32 accumulation, one requantization formula with one float multiply,
# -ffp-contract=off, round to nearest even), and the steps done in C# are the same IL (RyuJIT/ILC never contract a*b+c
# into an FMA). So bit-identical outputs are expected and asserted (tolerance 0); measured: 0 elements differ on all
# three models, and on both sides the same bytes as the reference table (IntegerKernelTableTests).
check_u8() { compare u8 "$1" "$2" 0 "$3"; }
for spec in mobilenet_v1_0.25_128_quant:128 mobilenet_v1_0.5_160_quant:160 mobilenet_v2_1.0_224_quant:224; do
  m=${spec%%:*}; r=${spec##*:}
  run_both "tflite-$m" "$SHARED/models/tflite/$m.tflite" "$SHARED/models/tflite/reference/inputs/${r}x${r}__cat.rgb.u8"
  check_u8 "$OUT/tflite-$m.arm64.out" "$OUT/tflite-$m.x64.out" "tflite $m arm64 vs x64"
done

if [ "$fails" -eq 0 ]; then echo "arm64-qemu-check: all cases PASS"; else echo "arm64-qemu-check: $fails case(s) FAIL"; fi
[ "$fails" -eq 0 ]
