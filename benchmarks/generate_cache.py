#!/usr/bin/env python
"""Time and frames of a video diffusion run with and without `--cache first-block:T` (diffusers' First
Block Cache, `vidiff.generate.step_cache`) on the CPU, with a randomly initialised Wan pipeline somewhat
larger than the tests' (a few transformer layers of 128 channels; the tests' one-layer T5 and small VAE:
`tests/tiny_pipes.py` `wan_dir`):
random weights, so the frames say how far the cache moves the output, not what a trained model loses.

Each configuration (no cache, then each threshold) runs `--repeats` times, the order reversed every other
round (no configuration always first on a warming machine), through vidiff's backend (`load`, then
`keyframes`: prompt encoding, the sampler's steps, the VAE's decode), the pipeline kept between runs as
`vidiff generate` keeps it. Reported: the median seconds per run, its ratio to the uncached median, the
same for the seconds spent in the transformer's passes alone, the transformer passes skipped (the cache's hooks' count), and the PSNR of the cached frames against the
uncached ones (per frame over RGB uint8, then the mean; BENCHMARK.md's formula).

Usage: python benchmarks/generate_cache.py [--frames 33] [--size 128] [--steps 20] [--layers 4]
       [--thresholds 0.05 0.1 0.2] [--repeats 3] [--threads N] [--out benchmarks/results/generate_cache]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))
from report import command_line, write_report  # noqa: E402
from tiny_pipes import wan_dir  # noqa: E402  (the tests' random Wan, larger)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over frames of 10·log10(255² / MSE) (inf where a frame is equal)."""
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).reshape(len(a), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        return float(np.mean(10 * np.log10(255.0**2 / mse)))


def run(
    weights: Path, spec, frames: int, size: int, steps: int
) -> tuple[float, float, np.ndarray, dict | None]:
    """(seconds of the call, seconds in the transformer, frames, the cache's counts) of one keyframes call,
    seed 0."""
    from vidiff.generate.backends import resolve

    b = resolve("auto", str(weights))
    b.load("cpu", None, False, True, cache=spec)
    inside = [0.0, 0.0]  # the running pass's start, the transformer's seconds
    t = b.pipe.transformer
    hooks = [
        t.register_forward_pre_hook(lambda *_: inside.__setitem__(0, time.perf_counter())),
        t.register_forward_hook(
            lambda *_: inside.__setitem__(1, inside[1] + time.perf_counter() - inside[0])
        ),
    ]
    try:
        t0 = time.perf_counter()
        made = b.keyframes("a cat walks on the beach", None, None, frames, (size, size), steps, 5.0, 0, b.fps)
        took = time.perf_counter() - t0
        return took, inside[1], np.stack(made), None if spec is None else b.cache.facts(spec)
    finally:
        for h in hooks:
            h.remove()
        b.release()


def main(argv: list[str] | None = None) -> None:
    from vidiff.generate.step_cache import CacheSpec

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch's CPU threads (default: torch's own)")
    ap.add_argument("--out", default="benchmarks/results/generate_cache")
    args = ap.parse_args(argv)
    if args.threads is not None:  # one thread: less thrashing beside other processes on a shared machine
        torch.set_num_threads(args.threads)
    configs = [None] + [CacheSpec("first-block", t) for t in args.thresholds]
    times: dict[str, list[float]] = {str(c): [] for c in configs}
    inner: dict[str, list[float]] = {str(c): [] for c in configs}
    frames: dict[str, np.ndarray] = {}
    counts: dict[str, dict | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        weights = wan_dir(Path(tmp) / "wan", args.layers, head_dim=64, ffn_dim=512)
        run(weights, None, 5, 32, 1)  # the first load and a warm-up call, not timed
        for r in range(args.repeats):
            for c in configs if r % 2 == 0 else configs[::-1]:
                took, model_s, made, count = run(weights, c, args.frames, args.size, args.steps)
                times[str(c)].append(took)
                inner[str(c)].append(model_s)
                if str(c) in frames:  # same seed, same bytes on the CPU
                    assert np.array_equal(frames[str(c)], made), f"{c}: frames changed between runs"
                frames[str(c)], counts[str(c)] = made, count
                print(
                    f"round {r + 1}: {c}: {took:.2f} s ({model_s:.2f} s transformer)",
                    file=sys.stderr,
                    flush=True,
                )
    base = statistics.median(times["None"])
    base_inner = statistics.median(inner["None"])
    rows = []
    for c in configs:
        key, med, med_inner = str(c), statistics.median(times[str(c)]), statistics.median(inner[str(c)])
        count = counts[key]
        rows.append(
            {
                "cache": "off" if c is None else key,
                "median_s": round(med, 3),
                "times_s": [round(t, 3) for t in times[key]],
                "speedup": round(base / med, 3),
                "transformer_median_s": round(med_inner, 3),
                "transformer_s": [round(t, 3) for t in inner[key]],
                "transformer_speedup": round(base_inner / med_inner, 3),
                "passes": 2 * args.steps if count is None else count["passes"],
                "skipped": 0 if count is None else count["skipped"],
                "psnr_vs_off_db": None if c is None else round(psnr(frames[key], frames["None"]), 2),
            }
        )
    cmd = command_line("generate_cache.py", argv)
    lines = [
        "# First Block Cache on a random Wan pipeline (CPU)",
        "",
        f"Command: `{cmd}`",
        "",
        f"A randomly initialised WanPipeline: {args.layers} transformer blocks of 128 channels (2 heads of 64, "
        f"FFN 512), the tests' one-layer T5 and small Wan VAE (tests/tiny_pipes.py wan_dir); {args.frames} frames at {args.size}x{args.size}, "
        f"{args.steps} steps with guidance 5.0 (a conditional and an unconditional transformer pass a step), "
        f"seed 0; each configuration {args.repeats} times, order reversed every other round; seconds of the "
        "whole keyframes call (prompt, steps, VAE decode) and of the transformer's passes alone (forward hooks "
        "on it). Random weights: PSNR says how far the cache moves "
        "the frames, not the quality a trained model loses; no real model was run.",
        "",
        "| cache | call: median s | call: speedup | transformer: median s | transformer: speedup | "
        "passes skipped | PSNR vs off (dB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        shown = "-" if row["psnr_vs_off_db"] is None else f"{row['psnr_vs_off_db']:.2f}"
        lines.append(
            f"| {row['cache']} | {row['median_s']:.2f} | {row['speedup']:.2f}x | "
            f"{row['transformer_median_s']:.2f} | {row['transformer_speedup']:.2f}x | "
            f"{row['skipped']} of {row['passes']} | {shown} |"
        )
    write_report(args.out, cmd, rows, lines, torch_threads=torch.get_num_threads())


if __name__ == "__main__":
    main()
