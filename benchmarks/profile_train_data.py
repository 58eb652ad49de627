#!/usr/bin/env python
"""Where a training window's time goes: decoding real footage vs rendering procedural motion vs the priors.

cProfile over --steps batches of the shipped config's data path (configs/train/default.yaml), once with
real windows only from --clip (real_fraction 1) and once procedural only; prints seconds per window of
each stage (cumulative time of the functions that do it). --steps should cover whole blocks of spans
(vidiff.train.data: 2 spans x 32 windows = 8 steps of 8 real windows), after one untimed batch.

Usage: python benchmarks/profile_train_data.py --clip /path/bbb.mp4 [--steps 16]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = {  # stage -> functions (file suffix, name) whose cumulative time it is
    "decode (spans: demux, decode, RGB)": [("train/data.py", "span")],
    "procedural render": [("train/procedural.py", "render"), ("train/procedural.py", "__init__")],
    "prior stack (data.stack)": [("diffusion/prior.py", "window_prior")],
    "whole window": [("train/data.py", "window")],
}


def profile(data: dict, steps: int, bs: int) -> tuple[dict[str, float], int]:
    """Seconds per window of each stage over `steps` batches, and the windows made."""
    from vidiff.train.data import WindowSampler

    s = WindowSampler(data, 0, 0, "fuse")
    s.batch(10_000, bs)  # untimed: RIFE's first run, readers opened
    pr = cProfile.Profile()
    pr.enable()
    for step in range(steps):
        s.batch(step, bs)
    pr.disable()
    st = pstats.Stats(pr).stats  # type: ignore[attr-defined]
    n = steps * bs
    out = {}
    for stage, funcs in STAGES.items():
        t = sum(v[3] for k, v in st.items() if any(k[0].endswith(f) and k[2] == fn for f, fn in funcs))
        out[stage] = t / n
    return out, n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", required=True)
    ap.add_argument("--steps", type=int, default=16)
    args = ap.parse_args(argv)
    import torch

    from vidiff.train.config import load_config, to_dict

    torch.set_num_threads(1)
    cfg = load_config(ROOT / "configs/train/default.yaml")
    base, bs = to_dict(cfg.data), int(cfg.train.batch_size)
    for name, data in (
        ("real", {**base, "clips": [args.clip], "real_fraction": 1.0}),
        ("procedural", {**base, "real_fraction": 0.0}),
    ):
        load = os.getloadavg()[0]
        per, n = profile(data, args.steps, bs)
        print(f"{name} ({n} windows, load {load:.1f}):")
        for stage, t in per.items():
            print(f"  {stage}: {t:.4f} s a window")


if __name__ == "__main__":
    main()
