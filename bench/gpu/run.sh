#!/usr/bin/env bash
# Runs the packed Node WebGPU benchmark on a GPU machine (see prepare.sh). Uses the machine's NVIDIA Vulkan
# driver (no VK_ICD_FILENAMES override unless no ICD manifest exists, then one is written for the NVIDIA
# library); where Vulkan gives no adapter, the bench falls back to Dawn's OpenGL ES backend on NVIDIA's EGL
# driver (cli/node-gpu.ts), for which this script supplies the GLVND loader and vendor file when missing.
# Writes $OUT/gpu.json (+ env.txt with what the machine has). Extra args go to the bench.
set -uo pipefail
cd "$(dirname "$0")/pack"
OUT=${OUT:-$PWD/out}; mkdir -p "$OUT"; export OUT
T=$(mktemp -d)
{ echo "== nvidia-smi"; nvidia-smi -L 2>&1; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "== icd"; ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
  echo "== libs"; ldconfig -p 2>/dev/null | grep -Ei "vulkan|GLX_nvidia|nvidia-vk|EGL|GLdispatch" ; uname -a; nproc
  echo "== egl vendors"; ls /usr/share/glvnd/egl_vendor.d /etc/glvnd/egl_vendor.d 2>&1; } > "$OUT/env.txt" 2>&1
if command -v xz >/dev/null; then xz -dc node.xz > "$T/node"
else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open('node.xz'), open(sys.argv[1],'wb'))" "$T/node"; fi
chmod +x "$T/node"
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || export LD_LIBRARY_PATH="$PWD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# GLVND first: NVIDIA's Vulkan driver (libGLX_nvidia.so.0) cannot give vkCreateInstance without its
# libGLdispatch.so.0, and the OpenGL ES fallback needs its EGL loader. The packed ones where the machine
# has none, and a vendor file naming NVIDIA's EGL driver where GLVND has none for it.
# Dawn opens the unversioned libEGL.so: link it to the machine's GLVND loader, or the packed one.
mkdir -p "$T/egl"
if ! ldconfig -p 2>/dev/null | grep -q 'libEGL.so ' || [ -n "${PACKED_EGL:-}" ]; then
  SYS=$(ldconfig -p 2>/dev/null | grep -o '/[^ ]*/libEGL.so.1$' | head -1)
  if [ -n "$SYS" ] && [ -z "${PACKED_EGL:-}" ]; then ln -s "$SYS" "$T/egl/libEGL.so"
  else cp egl/* "$T/egl/" && ln -s libEGL.so.1 "$T/egl/libEGL.so"; fi
  export LD_LIBRARY_PATH="$T/egl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "run.sh: libEGL.so -> $(readlink "$T/egl/libEGL.so")" >> "$OUT/env.txt"
fi
if ! ls /usr/share/glvnd/egl_vendor.d/*nvidia* >/dev/null 2>&1 && ! ls /etc/glvnd/egl_vendor.d/*nvidia* >/dev/null 2>&1; then
  NV=$(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libEGL_nvidia.so.0' | head -1)
  if [ -n "$NV" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s"}}\n' "$NV" > "$T/10_nvidia.json"
    export __EGL_VENDOR_LIBRARY_FILENAMES="$T/10_nvidia.json"; echo "run.sh: EGL vendor file for $NV" >> "$OUT/env.txt"
  fi
fi
# Pick the first Vulkan setup on which Dawn finds an adapter: the machine's own ICD manifest, then a
# manifest written for each libGLX_nvidia.so.0 the linker knows (container mounts can differ).
probe() { "$T/node" --input-type=module -e "import { create } from './node_modules/webgpu/index.js';
  const a = await create([]).requestAdapter(); console.log(a ? 'vulkan adapter: ' + a.info.description + ' / ' + a.info.device : 'no vulkan adapter'); process.exit(a ? 0 : 1);" 2>>"$OUT/env.txt"; }
if ! probe >> "$OUT/env.txt"; then
  for LIB in $(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libGLX_nvidia.so.0') /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0; do
    [ -e "$LIB" ] || continue
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3"}}\n' "$LIB" > "$T/icd.json"
    export VK_ICD_FILENAMES="$T/icd.json"
    echo "run.sh: trying an ICD manifest for $LIB" | tee -a "$OUT/env.txt"; ldd "$LIB" 2>&1 | grep -i "not found" >> "$OUT/env.txt"
    probe >> "$OUT/env.txt" && break
    unset VK_ICD_FILENAMES
  done
fi
cat /usr/share/vulkan/icd.d/*.json >> "$OUT/env.txt" 2>&1
export EGL_PLATFORM=surfaceless
"$T/node" --input-type=module -e "import { create } from './node_modules/webgpu/index.js';
  const a = await create(['backend=opengles']).requestAdapter({ featureLevel: 'compatibility' });
  console.log(a ? 'opengles adapter: ' + a.info.description + ' / ' + a.info.device : 'no opengles adapter'); process.exit(0);" >> "$OUT/env.txt" 2>&1
"$T/node" --version
"$T/node" bench.mjs "$@" 2>&1 | tee "$OUT/log.txt"
rc=${PIPESTATUS[0]}
rm -rf "$T"
exit $rc
