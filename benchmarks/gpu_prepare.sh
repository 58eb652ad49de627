#!/usr/bin/env bash
# Run HERE (network to PyPI), before benchmarks/gpu_check.sh runs on the GPU machine (no registry there):
# fills .gpu-carry/ (git-ignored) with what that machine's image lacks, small enough to travel with the tree
# (the device tool carries 64 MiB a call, tree included):
#   wheels/  av, diffusers, omegaconf (vendors its antlr4), xformers: `pip download --only-binary=:all:
#            --python-version 3.12 --platform manylinux_2_28/_2_17/2014 x86_64 --no-deps`, each repacked
#            with LZMA members, diffusers less the pipelines no vidiff backend loads (benchmarks/gpu_carry.py
#            repack); kept between runs (repacking av takes minutes)
#   cache/rife/flownet.pkl.xz  RIFE v4's weights less two training-only tensors, LZMA (gpu_carry.py rife);
#            gpu_check.sh unpacks it
#   bigbuckbunny.mp4  the 1280x720 sample clip's first 60 frames, stream copy (gpu_carry.py clip)
# xformers' wheel is dropped when the whole would leave under 1 MiB of the 64. The image has torch, numpy,
# opencv-python-headless, safetensors, accelerate, huggingface_hub (diffusers needs >=1.32: it has 1.33),
# filelock, tqdm, pyyaml, regex, requests, pillow (KINDS.md); diffusers imports importlib_metadata only on
# Python < 3.8. Prints the sizes that travel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python}"
DEST=.gpu-carry
PKGS=(av==18.1.0 diffusers==0.42.1 omegaconf==2.4.0 xformers==0.0.35)
rm -rf "$DEST/dl" "$DEST/cache" && mkdir -p "$DEST/wheels" "$DEST/cache/rife" "$DEST/dl"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$DEST/dl" "${PKGS[@]}"
"$PY" benchmarks/gpu_carry.py repack "$DEST/dl" "$DEST/wheels"
rm -rf "$DEST/dl"
"$PY" benchmarks/gpu_carry.py rife "$DEST/cache/rife/flownet.pkl.xz"
"$PY" benchmarks/gpu_carry.py clip "$DEST/bigbuckbunny.mp4"
total() {
  carry=$(du -sb "$DEST" | cut -f1)
  tree=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
  echo $((carry + tree))
}
if [ "$(total)" -gt $((63 * 1048576)) ]; then
  rm -f "$DEST"/wheels/xformers-*.whl
  echo "note: xformers' wheel left out (the carry would leave under 1 MiB of the 64): SDPA only"
fi
echo "carry $DEST: $(($(du -sb "$DEST" | cut -f1) / 1024)) KiB; carry + tree: $(($(total) / 1024)) KiB of $((64 * 1024))"
[ "$(total)" -lt $((64 * 1048576)) ] || { echo "over the 64 MiB a call carries" >&2; exit 1; }
