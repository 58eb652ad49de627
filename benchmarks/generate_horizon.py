#!/usr/bin/env python
"""How far clip extension carries (issue 33 item 7): extend real clips by up to `--horizon` frames from the 3
before, at starts inside long shots, and report per horizon k (frame intervals past the last observed frame)
the flicker ratio of step k (mean |F(k) - F(k-1)| of the new frames over that of the real ones; 1 is ideal,
0.8-1.2 the target of issue 6), the PSNR of the k-th new frame against the real one, and its gain over
repeating the last observed frame.

The carry limit is the last k before the flicker ratio (mean over the clips and starts) leaves 0.8-1.2 and
stays out up to the horizon: past it the new frames change much more than real motion does (they tear and
smear). It is `vidiff.generate.clip.MAX_EXTEND_FRAMES`, the bound of `extend_frames` and `--extend`.

Usage: python benchmarks/generate_horizon.py [--horizon 40] [--out benchmarks/results/generate_horizon]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from vidiff.generate.schemes import SCHEMES, _frames_past
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.quality import psnr

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from report import command_line, write_report  # noqa: E402

# starts with at least 40 real frames after them in the same shot (bikes' cuts: 30, 76, 137, 187, 242;
# carphone, 120 frames, has none)
STARTS = {"bikes": (36, 80, 140, 190), "carphone_pristine": (10, 45, 79)}


def _step(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(b.astype(np.float32) - a)))


def _detail(a: np.ndarray) -> float:
    """Mean absolute gradient (0-255 units per pixel): a smear lowers it."""
    g = a.astype(np.float32).mean(axis=2)
    return float(np.mean(np.abs(np.diff(g, axis=0))) + np.mean(np.abs(np.diff(g, axis=1))))


def measure(frames: list[np.ndarray], start: int, horizon: int, scheme: str) -> list[dict[str, float]]:
    """Per horizon k: PSNR of the extension and of the frozen last frame against the real frame k, and
    the flicker ratio of step k."""
    # the schemes without extend_frames' bound (MAX_EXTEND_FRAMES), which this measures; as extend_frames
    new = list(_frames_past(frames[start - 3 : start], horizon, scheme, stride=2, context=3, refiner=None))
    real = frames[start - 1 : start + horizon]
    gen = [frames[start - 1], *new]
    return [
        {
            "k": k,
            "psnr": psnr(gen[k], real[k]),
            "repeat_psnr": psnr(real[0], real[k]),
            "flicker": _step(gen[k - 1], gen[k]) / max(_step(real[k - 1], real[k]), 1e-6),
            "detail": _detail(gen[k]) / max(_detail(real[k]), 1e-6),
        }
        for k in range(1, horizon + 1)
    ]


def carry_limit(flicker: list[float], lo: float = 0.8, hi: float = 1.2) -> int:
    """The last horizon k (1-based) before `flicker[k-1]` leaves [lo, hi] and stays out to the end."""
    k = len(flicker)
    while k and not lo <= flicker[k - 1] <= hi:
        k -= 1
    return k


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--horizon", type=int, default=40)
    ap.add_argument("--out", default="benchmarks/results/generate_horizon")
    args = ap.parse_args(argv)
    rows = []
    for clip, starts in STARTS.items():
        frames = read_frames(sample_clip(clip), max(starts) + args.horizon + 1)
        for scheme in SCHEMES:
            for s in starts:
                rows += [
                    {"clip": clip, "scheme": scheme, "start": s, **r}
                    for r in measure(frames, s, args.horizon, scheme)
                ]
    clips = list(STARTS)

    def mean(key: str, scheme: str, k: int, clip: str | None = None) -> float:
        rs = [r for r in rows if r["scheme"] == scheme and r["k"] == k and clip in (None, r["clip"])]
        return float(np.mean([r[key] if key != "gain" else r["psnr"] - r["repeat_psnr"] for r in rs]))

    ks = range(1, args.horizon + 1)
    limits = {sc: carry_limit([mean("flicker", sc, k) for k in ks]) for sc in SCHEMES}
    lines = [
        f"# How far extension carries: up to {args.horizon} frames from 3 observed",
        "",
        f"Command: `{command_line('generate_horizon.py', argv)}`",
        "",
        "Starts: " + "; ".join(f"{c} " + ", ".join(map(str, STARTS[c])) for c in clips) + ". flicker: mean "
        "over the clips and starts of the new frames' step k over the real one (1 is ideal); gain: PSNR of new "
        "frame k minus that of repeating the last observed frame, per clip.",
        "",
        "**Carry limit** (last k before the flicker ratio leaves 0.8-1.2 for good): "
        + ", ".join(f"{sc} {v}" for sc, v in limits.items()),
        "",
        "| k | "
        + " | ".join(
            f"{sc[:4]} flicker | " + " | ".join(f"{sc[:4]} PSNR {c[:8]} | gain" for c in clips)
            for sc in SCHEMES
        )
        + " |",
        "| --- |" + " --- |" * (len(SCHEMES) * (1 + 2 * len(clips))),
    ]
    for k in ks:
        cells = [
            f"{mean('flicker', sc, k):.2f} | "
            + " | ".join(f"{mean('psnr', sc, k, c):.2f} | {mean('gain', sc, k, c):+.2f}" for c in clips)
            for sc in SCHEMES
        ]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    write_report(args.out, command_line("generate_horizon.py", argv), rows, lines)


if __name__ == "__main__":
    main()
