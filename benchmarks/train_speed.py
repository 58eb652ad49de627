#!/usr/bin/env python
"""Is training data-bound? Batch making (decode + priors) with real clips vs procedural-only, against
the training step, interleaved in one process so a shared machine's load falls on all three alike.

At the shipped config (configs/train/default.yaml: batch 8, the fuse prior stack, one data worker, one
compute thread), each round makes one batch of every data setting and one training step (forward,
backward, AdamW) of the shipped network on a procedural batch, in the order given (--real-first: the
clips' settings before procedural); --rounds rounds after --warmup untimed ones (RIFE warms up).
Real windows come from spans decoded once for a block of steps (vidiff.train.data), so batch times are
averaged (mean, not median: the decode falls on one batch of a block) over whole blocks: give --rounds
and --warmup as multiples of the block (printed). With one data worker the loader keeps up while a batch
takes less than a step: steps/s = 1 / max(step, batch) on two cores (step and worker in parallel), so the
ratio to procedural-only is max(step, procedural batch) / max(step, real batch).
Writes results.json and results.md to --out.

Usage: python benchmarks/train_speed.py [--clips bigbuckbunny /path/bbb.mp4] [--windows-per-span 32] [--rounds 32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="*", default=["bigbuckbunny"], help="one data setting per clip")
    ap.add_argument(
        "--windows-per-span", nargs="*", type=int, default=[32], help="data.windows_per_span values"
    )
    ap.add_argument("--real-first", action="store_true", help="make the clips' batches before procedural")
    ap.add_argument("--rounds", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=16)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/train_speed"))
    args = ap.parse_args(argv)
    import torch

    from vidiff.diffusion.model import VidiffModel
    from vidiff.diffusion.sampling import training_loss
    from vidiff.train.config import load_config, to_dict
    from vidiff.train.data import WindowSampler

    cfg = load_config(ROOT / "configs/train/default.yaml")
    torch.set_num_threads(int(cfg.train.threads))
    model = VidiffModel.from_config(to_dict(cfg.model))
    bs = int(cfg.train.batch_size)
    settings = {"procedural": {**to_dict(cfg.data), "real_fraction": 0.0}}
    for c in args.clips:
        for g in args.windows_per_span:
            name = f"{Path(c).name}, windows_per_span={g}"
            settings[name] = {**to_dict(cfg.data), "clips": [c], "windows_per_span": g}
    samplers = {k: WindowSampler(d, model.context, 0, model.priors) for k, d in settings.items()}
    if args.real_first:
        samplers = dict(reversed(samplers.items()))
    blocks = {k: s._block_steps(bs) for k, s in samplers.items() if k != "procedural"}
    print("steps per block of spans:", blocks, file=sys.stderr)
    opt = torch.optim.AdamW(model.unet.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    times: dict[str, list[float]] = {k: [] for k in [*samplers, "train step"]}
    load = []
    for r in range(args.warmup + args.rounds):
        batch = None
        for k, s in samplers.items():
            t = time.perf_counter()
            b = s.batch(r, bs)
            if r >= args.warmup:
                times[k].append(time.perf_counter() - t)
            batch = b if k == "procedural" else batch
        t = time.perf_counter()
        t_ = cfg.train
        loss = training_loss(
            model,
            batch["frames"],
            batch["prior"],
            batch["times"],
            batch["observed"],
            gen,
            t_.loss_target,
            t_.loss,
            float(t_.p_max_noise),
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        if r >= args.warmup:
            times["train step"].append(time.perf_counter() - t)
            load.append(os.getloadavg()[0])
        print(r, {k: round(v[-1], 3) for k, v in times.items() if v}, file=sys.stderr)
    med = {k: statistics.mean(v) for k, v in times.items()}
    step = med["train step"]
    base = 1 / max(step, med["procedural"])
    rows = [{"setting": k, "mean_s": v, "all_s": times[k]} for k, v in med.items()]
    lines = [
        "# Is training data-bound? Batch making vs the training step (shipped config)",
        "",
        f"Command: `{command_line('train_speed.py', argv)}`",
        "",
        f"{args.rounds} interleaved rounds (batch {bs}, priors {model.priors}, {torch.get_num_threads()} "
        f"compute thread); load average {min(load):.1f}-{max(load):.1f} on 2 shared cores; "
        f"{'clips first' if args.real_first else 'procedural first'} in each round; steps per block of "
        f"spans: {', '.join(f'{k}: {v}' for k, v in blocks.items())}.",
        "",
        "| setting | mean s per batch | predicted steps/s (1 worker) | × procedural-only |",
        "| --- | --- | --- | --- |",
    ]
    for k, v in med.items():
        if k == "train step":
            continue
        sps = 1 / max(step, v)
        lines.append(f"| {k} | {v:.3f} | {sps:.2f} | {sps / base:.2f} |")
    lines += ["", f"Training step (forward, backward, AdamW): mean {step:.3f} s."]
    write_report(args.out, command_line("train_speed.py", argv), rows, lines)


if __name__ == "__main__":
    main()
