#!/usr/bin/env python
"""Test-time adaptation of the shipped learned-fusion model on a clip's own kept frames (issue 12, "+ adapt").

For each clip and factor of the held-out-frame protocol (BENCHMARK.md), only the frames the protocol
KEEPS are used (the rebuilt ones are never seen): they are written losslessly (libx264rgb, crf 0) as
a training clip, and the shipped model is fine-tuned on it for --steps steps (its own recipe, real
windows only, `train.init=default`) — test-time adaptation as in MetaVFI (Choi et al., TPAMI 2022). The
adapted model is then benched against the shipped one on the same clip and factor, in one invocation.

Writes runs/adapt/<clip>_x<f>/ (training run, model) and benchmarks/results/adapt/<clip>_x<f>/ (bench),
and benchmarks/results/adapt/summary.md (a table with the training time).

Usage: .venv/bin/python benchmarks/adapt.py [--clips bikes carphone_pristine] [--factors 2 4] [--steps 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def kept_clip(clip: str, factor: int, path: Path) -> int:
    """Write the protocol's kept frames of `clip` at `factor` to `path`, lossless RGB; their count."""
    import av

    from vidiff.io.reader import read_frames
    from vidiff.io.samples import sample_clip
    from vidiff.metrics.protocol import kept_indices, parse_factor

    frames = read_frames(sample_clip(clip))
    kept = [frames[i] for i in kept_indices(len(frames), parse_factor(str(factor)))]
    h, w = kept[0].shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264rgb", rate=25)
        s.width, s.height, s.pix_fmt = w, h, "rgb24"
        s.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        for f in kept:
            c.mux(s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        c.mux(s.encode())
    return len(kept)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["bikes", "carphone_pristine"])
    ap.add_argument("--factors", nargs="+", type=int, default=[2, 4])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--lr", type=float, default=5e-5)
    args = ap.parse_args()
    rows = []
    for clip in args.clips:
        for f in args.factors:
            name = f"{clip}_x{f}"
            run = ROOT / "runs" / "adapt" / name
            n = kept_clip(clip, f, run / f"{name}_kept.mkv")
            over = [
                "train.init=default",
                f"train.steps={args.steps}",
                f"train.lr={args.lr}",
                "train.warmup=20",
                "train.eval_every=0",
                f"train.output={run}",
                f"train.export={run / 'model'}",
                f"data.clips=[{run / f'{name}_kept.mkv'}]",
                "data.real_fraction=1.0",
                "data.scales=[1.0]",
                "data.strides=[2]",  # a kept frame between two others: t = 1/2, the motion of x2 of the kept rate
            ]
            t0 = time.time()
            r = subprocess.run(
                [str(BIN / "vidiff"), "train", "configs/train/default.yaml", *over, "-q"], cwd=ROOT
            )
            if r.returncode:
                return r.returncode
            train_s = time.time() - t0
            out = ROOT / "benchmarks" / "results" / "adapt" / name
            methods = f"diffusion,diffusion@{run / 'model'}"
            cmd = [str(BIN / "vidiff"), "bench", "--input", clip, "--factor", str(f), "--methods", methods]
            r = subprocess.run([*cmd, "--out", str(out), "--quiet"], cwd=ROOT)
            if r.returncode:
                return r.returncode
            res = json.loads((out / "results.json").read_text())
            score = {x["method"]: x["psnr"] for x in res if x.get("status") == "ok"}
            rows.append(
                (clip, f, n, train_s, score.get("diffusion"), score.get(f"diffusion@{run / 'model'}"))
            )
    lines = [
        "# Test-time adaptation of the shipped model on each clip's kept frames",
        "",
        f"Command: `python benchmarks/adapt.py --clips {' '.join(args.clips)} --factors "
        f"{' '.join(map(str, args.factors))} --steps {args.steps} --lr {args.lr}`",
        "",
        "| clip | factor | kept frames | adapt time (s) | shipped PSNR | adapted PSNR | gain |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for clip, f, n, s, a, b in rows:
        gain = f"{b - a:+.2f}" if a is not None and b is not None else "–"
        lines.append(f"| {clip} | x{f} | {n} | {s:.0f} | {a:.2f} | {b:.2f} | {gain} |")
    summary = ROOT / "benchmarks" / "results" / "adapt" / "summary.md"
    summary.write_text("\n".join(lines) + "\n")
    print(summary.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
