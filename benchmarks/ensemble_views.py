#!/usr/bin/env python
"""Which views a test-time self-ensemble of the shipped model should average (issue 28's max tier).

Each variant averages the model's frames over a set of views of the window: "o" as given, "r" played
backwards (frames reversed, times negated), "f" mirrored left to right, "rf" both. Held-out-frame protocol
(BENCHMARK.md) on the first --max-frames frames of the evaluation clips, x2 and x4; PSNR is deterministic,
the s/frame column is only indicative (one run, the machine shared). `DiffusionInterpolator(ensemble=2)`
is the "o+r" row, `ensemble=4` the "o+r+f+rf" row.

Usage: python benchmarks/ensemble_views.py [--max-frames 40] [--out benchmarks/results/ensemble_views]
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
from report import command_line, write_report

from vidiff.diffusion.interpolator import DiffusionInterpolator
from vidiff.io.reader import VideoReader
from vidiff.metrics.bench import resolve_clip
from vidiff.metrics.protocol import score_interpolator

ROOT = Path(__file__).resolve().parent.parent
VIEWS = (("o",), ("o", "r"), ("o", "f"), ("o", "rf"), ("o", "r", "f", "rf"))


class Views:
    """The mean of `base`'s frames over `views` of each window (any subset, unlike `ensemble`)."""

    def __init__(self, base: DiffusionInterpolator, views: tuple[str, ...]) -> None:
        self.base, self.views, self.context = base, views, base.context

    def interpolate(self, a, b, ts):
        return self.interpolate_window([a, b], [0.0, 1.0], list(ts))

    def interpolate_window(self, frames, times, targets):
        made = [self.base._view(v.replace("o", ""), frames, times, targets) for v in self.views]
        mean = np.mean([np.stack(m).astype(np.float32) for m in made], 0)
        return list(np.clip(mean + 0.5, 0, 255).astype(np.uint8))


def frames(path: Path, n: int):
    for f in VideoReader(path):
        if f.index >= n:
            return
        yield f.image


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-frames", type=int, default=40)
    ap.add_argument("--out", default="benchmarks/results/ensemble_views")
    args = ap.parse_args(argv)
    base, rows = DiffusionInterpolator(), []
    for clip in ("bikes", "carphone_pristine"):
        for k in (2, 4):
            for views in VIEWS:
                path = resolve_clip(clip)
                s = score_interpolator(frames(path, args.max_frames), Fraction(k), Views(base, views))
                rows.append({"clip": clip, "factor": k, "views": "+".join(views), "psnr": s.summary()["psnr"],
                             "s_per_frame": s.summary()["s_per_frame"]})  # fmt: skip
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    cases = [(c, k) for c in ("bikes", "carphone_pristine") for k in (2, 4)]
    by = {(r["views"], r["clip"], r["factor"]): r["psnr"] for r in rows}
    lines = [
        "# Test-time self-ensembles of the shipped model: which views to average",
        "",
        f"Command: `{command_line('ensemble_views.py', argv)}`",
        "",
        f"PSNR (dB) over the held-out frames of the first {args.max_frames} frames; gain over one pass.",
        "",
        "| views | " + " | ".join(f"{c} x{k}" for c, k in cases) + " | mean gain |",
        "| --- | " + " | ".join("---" for _ in cases) + " | --- |",
    ]
    for views in ("+".join(v) for v in VIEWS):
        gains = [by[(views, c, k)] - by[("o", c, k)] for c, k in cases]
        cells = [f"{by[(views, c, k)]:.3f} ({g:+.3f})" for (c, k), g in zip(cases, gains, strict=True)]
        lines.append(f"| {views} | " + " | ".join(cells) + f" | {sum(gains) / len(gains):+.3f} |")
    write_report(ROOT / args.out, command_line("ensemble_views.py", argv), rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
