#!/usr/bin/env bash
# Builds bench/gpu/pack/ (git-ignored), a self-contained folder for a GPU machine without Node.js:
#   node.xz          this machine's node binary, stripped and xz-compressed
#   bench.mjs        esbuild bundle of bench/gpu/entry.ts (bench/train.ts + tfjs + the app's training core)
#   node_modules/webgpu/{index.js,package.json,dist/linux-x64/dawn.node}   Dawn for Node
#   lib/libvulkan.so.1   the Vulkan loader (this machine's, else Debian's libvulkan1), used where the machine has none
#   egl/libEGL.so.1, libGLdispatch.so.0   GLVND, where the machine has none: NVIDIA's Vulkan driver needs its
#                        libGLdispatch, and Dawn's OpenGL ES backend its EGL loader (NVIDIA's EGL driver)
# Then: bash bench/gpu/run.sh  (there), results in $OUT/gpu.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACK=bench/gpu/pack
KEEP=$( [ -f "$PACK/node.xz" ] && [ "$PACK/node.xz" -nt "$(command -v node)" ] && echo 1 || true)
[ -n "$KEEP" ] && mv "$PACK/node.xz" /tmp/bench-node.xz.keep
rm -rf "$PACK" && mkdir -p "$PACK/node_modules/webgpu/dist/linux-x64" "$PACK/lib" "$PACK/egl"
npx esbuild bench/gpu/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile="$PACK/bench.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$PACK/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$PACK/node_modules/webgpu/dist/linux-x64/"
# the Vulkan loader: this machine's, else extracted from Debian's libvulkan1 package (apt-get download)
if ! cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$PACK/lib/" 2>/dev/null; then
  D=$(mktemp -d); (cd "$D" && apt-get download -q libvulkan1 >/dev/null 2>&1 && dpkg-deb -x libvulkan1_*.deb x) \
    && cp -L "$D"/x/usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$PACK/lib/" || echo "prepare: no libvulkan.so.1 to pack"
  rm -rf "$D"
fi
for L in libEGL.so.1 libGLdispatch.so.0; do cp -L "/usr/lib/x86_64-linux-gnu/$L" "$PACK/egl/" 2>/dev/null || echo "prepare: no $L here to pack"; done
if [ -n "$KEEP" ]; then mv /tmp/bench-node.xz.keep "$PACK/node.xz"   # compressing node takes minutes on 2 cores
else
  NODE_BIN=$(command -v node)
  strip -o "$PACK/node" "$NODE_BIN" 2>/dev/null || cp "$NODE_BIN" "$PACK/node"
  xz -T2 -6 "$PACK/node"
fi
du -sh "$PACK" && ls -la "$PACK"
