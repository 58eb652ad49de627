#!/usr/bin/env python
"""Does a better optical flow make a better prior? DIS settings against the default (PRESET_MEDIUM).

x2 on a clip: every odd frame rebuilt from its two neighbours with `DISFlow` (the `dis` method and the
model's prior), the flows computed with each setting; pairs across a scene cut are skipped. Reports mean
PSNR and seconds per frame. Written for issue 7's evidence table (is the flow the bottleneck?).

Usage: .venv/bin/python benchmarks/prior_flow.py [--input bikes] [--out benchmarks/results/prior_flow]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from vidiff.flow import DISFlow, _gray
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.quality import psnr
from vidiff.scenes import detect_cuts

SETTINGS: dict[str, dict] = {
    "medium (default)": {},
    "medium + occlusion weights": {"occlusion": True},
    "finest scale 0": {"finest": 0},
    "finest scale 0 + 10 variational iterations": {"finest": 0, "var": 10},
    "10 variational + 25 gradient iterations": {"var": 10, "gd": 25},
    "patch stride 2": {"stride": 2},
}


def flows(a: np.ndarray, b: np.ndarray, s: dict) -> tuple[np.ndarray, np.ndarray]:
    d = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    if "finest" in s:
        d.setFinestScale(s["finest"])
    if "var" in s:
        d.setVariationalRefinementIterations(s["var"])
    if "gd" in s:
        d.setGradientDescentIterations(s["gd"])
    if "stride" in s:
        d.setPatchStride(s["stride"])
    ga, gb = _gray(a), _gray(b)
    return d.calc(ga, gb, None), d.calc(gb, ga, None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default="bikes")
    ap.add_argument("--out", default="benchmarks/results/prior_flow")
    args = ap.parse_args()
    fr = read_frames(sample_clip(args.input))
    cuts = set(detect_cuts(fr))
    idx = [i for i in range(1, len(fr) - 1, 2) if i not in cuts and i + 1 not in cuts]
    lines = [
        f"# DIS settings as the prior's flow: {args.input} x2, {len(idx)} held-out frames",
        "",
        f"Command: `python benchmarks/prior_flow.py --input {args.input}`",
        "",
        "| setting | PSNR dB | vs default | s/frame |",
        "| --- | --- | --- | --- |",
    ]
    base = None
    for name, s in SETTINGS.items():
        dis = DISFlow(occlusion=bool(s.get("occlusion")))
        t0, ps = time.perf_counter(), []
        for i in idx:
            f_ab, f_ba = flows(fr[i - 1], fr[i + 1], s)
            ps.append(psnr(dis.interpolate_with_flows(fr[i - 1], fr[i + 1], [0.5], f_ab, f_ba)[0], fr[i]))
        secs = (time.perf_counter() - t0) / len(idx)
        mean = float(np.mean(ps))
        base = mean if base is None else base
        lines.append(f"| {name} | {mean:.3f} | {mean - base:+.3f} | {secs:.3f} |")
        print(lines[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.input}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
