#!/usr/bin/env bash
# Run HERE (network to PyPI), before benchmarks/gpu_check.sh runs on the GPU machine (no registry there):
# fills .gpu-carry/ (git-ignored) with what that machine's image lacks, small enough to travel with the tree
# (the device tool carries 64 MiB a call, tree included):
#   wheels/  av, diffusers, omegaconf (vendors its antlr4), xformers: `pip download --only-binary=:all:
#            --python-version 3.12 --platform manylinux_2_28/_2_17/2014 x86_64 --no-deps`, each repacked
#            with LZMA members (pip's zipfile reads them); kept between runs (repacking av takes minutes)
#   cache/rife/flownet.pkl.xz  RIFE v4's weights less the two training-only tensors (`teacher`, `caltime`:
#            vidiff.peers.rife never loads them), LZMA-compressed; gpu_check.sh unpacks it
#   bigbuckbunny.mp4  the 1280x720 sample clip
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
"$PY" - "$DEST/dl" "$DEST/wheels" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1:]
for name in sorted(os.listdir(src)):
    out = os.path.join(dst, name)
    if not os.path.exists(out):
        with zipfile.ZipFile(os.path.join(src, name)) as zi, zipfile.ZipFile(out + ".part", "w", zipfile.ZIP_LZMA) as zo:
            for info in zi.infolist():
                zo.writestr(info, zi.read(info), compress_type=zipfile.ZIP_LZMA)
        os.replace(out + ".part", out)
    print(f"{name}: {os.path.getsize(os.path.join(src, name)) / 2**20:.1f} -> {os.path.getsize(out) / 2**20:.1f} MiB")
PY
rm -rf "$DEST/dl"
"$PY" - "$DEST/cache/rife/flownet.pkl.xz" <<'PY'
import io, lzma, os, sys
import torch
from vidiff.fetch import rife_weights_path
path = rife_weights_path()
if path is None:
    sys.exit("RIFE's weights are not cached: run `vidiff fetch rife` first")
sd = torch.load(path, map_location="cpu", weights_only=True)
keep = {k: v for k, v in sd.items() if k.removeprefix("module.").split(".")[0] not in ("teacher", "caltime")}
buf = io.BytesIO()
torch.save(keep, buf)
with open(sys.argv[1], "wb") as f:
    f.write(lzma.compress(buf.getvalue(), preset=6))
print(f"flownet.pkl: {os.path.getsize(path) / 2**20:.1f} MiB -> {len(keep)} of {len(sd)} tensors, {os.path.getsize(sys.argv[1]) / 2**20:.1f} MiB")
PY
cp "$("$PY" -c "from vidiff.io.samples import sample_clip; print(sample_clip('bigbuckbunny'))")" "$DEST/bigbuckbunny.mp4"
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
