#!/usr/bin/env bash
# Compiles the Vulkan backend's GLSL compute shaders (src/Managed/MobileNetAccel.Vulkan/Shaders/*.comp) to SPIR-V.
# The .spv files are kept in the repository (Shaders/spirv/) so that a build needs no glslc; after editing a shader,
# run this script and commit the .spv files with the shader.
#   build/compile-shaders.sh           rewrite Shaders/spirv/*.spv
#   build/compile-shaders.sh --check   compile to a temporary folder and fail if any committed .spv differs (CI)
# GLSLC overrides the compiler (default: glslc from Debian 12's glslc package, shaderc 2023.2).
set -euo pipefail
cd "$(dirname "$0")/.."
SHADERS=src/Managed/MobileNetAccel.Vulkan/Shaders
OUT=$SHADERS/spirv
GLSLC="${GLSLC:-glslc}"
check=0
[ "${1:-}" = "--check" ] && check=1
command -v "$GLSLC" > /dev/null || { echo "compile-shaders: $GLSLC not found (Debian: apt-get install glslc)" >&2; exit 1; }
version=$("$GLSLC" --version)   # not piped into head: with pipefail, glslc's SIGPIPE would end the script
echo "${version%%$'\n'*}"
dest=$OUT
if [ "$check" = 1 ]; then
  dest=$(mktemp -d)
  trap 'rm -rf "$dest"' EXIT
fi
mkdir -p "$dest"
status=0
for src in "$SHADERS"/*.comp; do
  name=$(basename "$src" .comp)
  "$GLSLC" --target-env=vulkan1.1 -O -Werror -I "$SHADERS" -o "$dest/$name.spv" "$src"
  if [ "$check" = 1 ]; then
    if ! cmp -s "$dest/$name.spv" "$OUT/$name.spv"; then
      echo "compile-shaders: $OUT/$name.spv differs from glslc's output for $src (run build/compile-shaders.sh and commit)" >&2
      status=1
    fi
  fi
done
if [ "$check" = 1 ]; then
  # A committed .spv without a shader is stale too.
  for spv in "$OUT"/*.spv; do
    [ -f "$SHADERS/$(basename "$spv" .spv).comp" ] || { echo "compile-shaders: $spv has no shader" >&2; status=1; }
  done
  [ "$status" = 0 ] && echo "compile-shaders: all $(ls "$SHADERS"/*.comp | wc -l) committed SPIR-V files match glslc's output"
fi
exit "$status"
