#!/usr/bin/env python
"""Flicker of clip extension (issue 6 criterion): extend bikes by 4 frames from the 3 before, at frames
40/100/150/200 (inside shots), with each scheme; report mean |F(i+1) - F(i)| of the generated segment
(from the last observed frame on) over the same for the real frames. 1.0 is ideal; 0.8-1.2 is the target.
Also the PSNR of the new frames against the real ones, beside repeating the last observed frame.

Usage: .venv/bin/python benchmarks/generate_flicker.py [--method dis|diffusion] [--out benchmarks/results/generate]
(dis: the classical prior alone; diffusion: refined by the shipped models, as `vidiff generate --method diffusion`)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from vidiff.generate.schemes import SCHEMES, extend_frames, mean_step
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.quality import psnr

STARTS = (40, 100, 150, 200)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", choices=("dis", "diffusion"), default="dis")
    ap.add_argument("--steps", type=int, default=1, help="sampler steps for --method diffusion")
    ap.add_argument("--out", default="benchmarks/results/generate")
    args = ap.parse_args()
    refiner = None
    if args.method == "diffusion":
        from vidiff.generate.refine import DiffusionRefiner

        refiner = DiffusionRefiner(steps=args.steps)
    frames = read_frames(sample_clip("bikes"))
    lines = [
        f"# Extension by 4 frames from 3 observed on bikes, method {args.method}",
        "",
        f"Command: `python benchmarks/generate_flicker.py --method {args.method} --steps {args.steps}`"
        if args.method == "diffusion"
        else "Command: `python benchmarks/generate_flicker.py`",
        "",
        "| scheme | "
        + " | ".join(f"flicker at {s}" for s in STARTS)
        + " | flicker mean | PSNR | repeat PSNR | s/frame |",
        "| --- |" + " --- |" * (len(STARTS) + 4),
    ]
    for scheme in SCHEMES:
        ratios, gen, rep, secs = [], [], [], []
        for s in STARTS:
            t0 = time.perf_counter()
            new = extend_frames(frames[s - 3 : s], 4, scheme=scheme, refiner=refiner)
            secs.append((time.perf_counter() - t0) / 4)
            ratios.append(
                np.mean(mean_step([frames[s - 1], *new])) / np.mean(mean_step(frames[s - 1 : s + 4]))
            )
            gen += [psnr(g, t) for g, t in zip(new, frames[s : s + 4], strict=True)]
            rep += [psnr(frames[s - 1], t) for t in frames[s : s + 4]]
        cells = " | ".join(f"{r:.3f}" for r in ratios)
        lines.append(
            f"| {scheme} | {cells} | {np.mean(ratios):.3f} | {np.mean(gen):.2f} | {np.mean(rep):.2f} | {np.mean(secs):.3f} |"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"extend_{args.method}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
