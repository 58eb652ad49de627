#!/usr/bin/env python
"""What benchmarks/gpu_prepare.sh packs for the GPU check, small enough to travel with the tree (the device
tool carries 64 MiB a call, tree included):

- `repack SRC DST`: each downloaded wheel rewritten with LZMA members (pip's zipfile reads them); the
  diffusers wheel less the pipeline folders that no backend of vidiff loads (vidiff.generate.backends:
  Wan, LTX-Video, CogVideoX, SVD; stable_diffusion kept, they import from it), about 3 MiB less.
  diffusers imports its pipelines lazily, so the rest never notice (tests/test_video_backends.py and
  tests/test_svd.py pass over the stripped wheel).
- `rife OUT.xz`: RIFE v4's weights less the two training-only tensors (`teacher`, `caltime`:
  vidiff.peers.rife never loads them), LZMA-compressed; gpu_check.sh unpacks it.
- `clip OUT.mp4 [--frames N]`: the bigbuckbunny sample (1280x720) cut to its first N packets by stream
  copy (decode order, so every reference a packet needs comes before it: all N decode, none re-encoded).

Usage: python benchmarks/gpu_carry.py repack DL_DIR WHEEL_DIR | rife OUT.xz | clip OUT.mp4 [--frames N]
"""

from __future__ import annotations

import argparse
import io
import lzma
import os
import re
import sys
import zipfile

DIFFUSERS_KEEP = {"wan", "ltx", "cogvideo", "stable_video_diffusion", "stable_diffusion"}
RIFE_DROP = ("teacher", "caltime")


def _dropped(wheel: str, member: str) -> bool:
    m = re.match(r"diffusers/(?:modular_)?pipelines/([^/]+)/", member)
    return wheel.startswith("diffusers-") and m is not None and m.group(1) not in DIFFUSERS_KEEP


def repack(src: str, dst: str) -> None:
    for name in sorted(os.listdir(src)):
        out = os.path.join(dst, name)
        if not os.path.exists(out):
            with zipfile.ZipFile(os.path.join(src, name)) as zi, zipfile.ZipFile(out + ".part", "w") as zo:
                for info in zi.infolist():
                    if not _dropped(name, info.filename):
                        zo.writestr(info, zi.read(info), compress_type=zipfile.ZIP_LZMA)
            os.replace(out + ".part", out)
        mib = os.path.getsize(os.path.join(src, name)) / 2**20, os.path.getsize(out) / 2**20
        print(f"{name}: {mib[0]:.1f} -> {mib[1]:.1f} MiB")


def rife(out: str) -> None:
    import torch

    from vidiff.fetch import rife_weights_path

    path = rife_weights_path()
    if path is None:
        sys.exit("RIFE's weights are not cached: run `vidiff fetch rife` first")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    keep = {k: v for k, v in sd.items() if k.removeprefix("module.").split(".")[0] not in RIFE_DROP}
    buf = io.BytesIO()
    torch.save(keep, buf)
    with open(out, "wb") as f:
        f.write(lzma.compress(buf.getvalue(), preset=6))
    mib = os.path.getsize(path) / 2**20, os.path.getsize(out) / 2**20
    print(f"flownet.pkl: {mib[0]:.1f} MiB -> {len(keep)} of {len(sd)} tensors, {mib[1]:.1f} MiB")


def clip(out: str, frames: int) -> None:
    import av

    from vidiff.io.samples import sample_clip

    with av.open(str(sample_clip("bigbuckbunny"))) as src, av.open(out, "w") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream_from_template(vin)
        n = 0
        for pkt in src.demux(vin):
            if pkt.size and n < frames:
                pkt.stream = vout
                dst.mux(pkt)
                n += 1
    print(f"bigbuckbunny.mp4: its first {n} packets (stream copy), {os.path.getsize(out) / 2**10:.0f} KiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("verb", choices=["repack", "rife", "clip"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument(
        "--frames", type=int, default=60, help="clip: packets kept (default 60; the check uses 48)"
    )
    a = ap.parse_args()
    {"repack": lambda: repack(*a.paths[:2]), "rife": lambda: rife(a.paths[0]),
     "clip": lambda: clip(a.paths[0], a.frames)}[a.verb]()  # fmt: skip


if __name__ == "__main__":
    main()
