#!/usr/bin/env bash
# Run HERE (network to PyPI), before benchmarks/gpu_check.sh runs on the GPU machine (no registry there):
# fills .gpu-carry/ (git-ignored) with what that machine's image lacks, small enough to travel with the tree
# (the device tool carries 64 MiB a call, tree included):
#   wheels/  av, diffusers, omegaconf (vendors its antlr4), xformers: `pip download --only-binary=:all:
#            --python-version 3.12 --platform manylinux_2_28/_2_17/2014 x86_64 --no-deps`, then each
#            repacked with LZMA members (pip's zipfile reads them; av 35.8 -> ~14 MB)
#   cache/rife/flownet.pkl  RIFE v4's weights (sha256 checked by vidiff.fetch)
#   bigbuckbunny.mp4        the 1280x720 sample clip
# The image has torch, numpy, opencv-python-headless, safetensors, accelerate, huggingface_hub (diffusers
# needs >=1.32: it has 1.33), filelock, tqdm, pyyaml, regex, requests, pillow (KINDS.md); diffusers'
# importlib_metadata is only imported on Python < 3.8. Prints the total that travels.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python}"
DEST=.gpu-carry
PKGS=(av==18.1.0 diffusers==0.42.1 omegaconf==2.4.0 xformers==0.0.35)
rm -rf "$DEST" && mkdir -p "$DEST/wheels" "$DEST/cache/rife" "$DEST/dl"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$DEST/dl" "${PKGS[@]}"
"$PY" - "$DEST/dl" "$DEST/wheels" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1:]
for name in sorted(os.listdir(src)):
    with zipfile.ZipFile(os.path.join(src, name)) as zi, zipfile.ZipFile(os.path.join(dst, name), "w", zipfile.ZIP_LZMA) as zo:
        for info in zi.infolist():
            zo.writestr(info, zi.read(info), compress_type=zipfile.ZIP_LZMA)
    print(f"{name}: {os.path.getsize(os.path.join(src, name)) / 2**20:.1f} -> {os.path.getsize(os.path.join(dst, name)) / 2**20:.1f} MiB")
PY
rm -rf "$DEST/dl"
W=$("$PY" -c "from vidiff.fetch import rife_weights_path as p; print(p() or '')")
[ -n "$W" ] || { echo "RIFE's weights are not cached: run vidiff fetch rife first" >&2; exit 1; }
cp "$W" "$DEST/cache/rife/flownet.pkl"
cp "$("$PY" -c "from vidiff.io.samples import sample_clip; print(sample_clip('bigbuckbunny'))")" "$DEST/bigbuckbunny.mp4"
carry=$(du -sb "$DEST" | cut -f1)
tree=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
total=$((carry + tree))
echo "carry $DEST: $((carry / 1048576)) MiB; tree: $((tree / 1048576)) MiB; together $((total / 1048576)) MiB of 64"
[ "$total" -lt $((64 * 1048576)) ] || { echo "over the 64 MiB a call carries" >&2; exit 1; }
