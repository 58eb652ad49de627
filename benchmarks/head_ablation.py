"""Which of the fusion model's two output heads earns its PSNR: copies of a model with one head silenced.

The U-Net (vidiff.models.unet3d) ends in two zero-initialised heads whose outputs are added: `conv_out`, the
residual (detail no candidate has), and `conv_fuse`, per-pixel weights on the candidates' differences from
μ. This writes three copies of a model folder: `nores` (residual × 0), `halfres` (residual × 0.5) and
`nofuse` (fusion weights 0, so only the residual is left), to be scored beside the original with

    vidiff bench --input bikes carphone_pristine --factor 2 4 \
        --methods diffusion@OUT/nores,diffusion@OUT/halfres,diffusion@OUT/nofuse

Usage: python benchmarks/head_ablation.py [--model vidiff/weights/default] [--out runs/head_ablation]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

WEIGHTS = "unet/diffusion_pytorch_model.safetensors"
VARIANTS = {"nores": ("conv_out.", 0.0), "halfres": ("conv_out.", 0.5), "nofuse": ("conv_fuse.", 0.0)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="vidiff/weights/default", help="a model folder (vidiff.json + unet/)")
    p.add_argument("--out", default="runs/head_ablation", help="where the three copies go")
    args = p.parse_args(argv)
    src = Path(args.model)
    state = load_file(src / WEIGHTS)
    for name, (prefix, factor) in VARIANTS.items():
        dst = Path(args.out) / name
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
        save_file({k: v * factor if k.startswith(prefix) else v for k, v in state.items()}, dst / WEIGHTS)
        print(f"{dst}: {prefix}* x {factor}")


if __name__ == "__main__":
    main()
