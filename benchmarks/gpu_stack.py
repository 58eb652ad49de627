#!/usr/bin/env python
"""What the shipped weights score over the GPU prior stack (DIS in torch + RIFE) against the CPU one.

Held-out-frame protocol (BENCHMARK.md, `vidiff.metrics.protocol.score_interpolator`) on the evaluation
clips, the same frames for every variant: the `dis` method over OpenCV's flows and over the torch DIS
flows (`dis:torch`, the GPU stack's flow alone), the model (`diffusion`) and the fixed fusion (`fuse`) over
`stack="cpu"` (DIS warps + RIFE, the CPU default) and `stack="gpu"` (vidiff.fusion.DeviceStack), and the
model over the GPU stack with RIFE and the U-Net under bf16 autocast (on the CPU, where bf16 convolutions
are emulated or AMX-backed, this is a rough stand-in for the GPU's bf16/fp16: benchmarks/gpu_check.py
measures those on the GPU itself). The best peer of each case is read from benchmarks/results/model
(same protocol and clips; the peers do not change with the stack), to give each variant's gain.

Usage: python benchmarks/gpu_stack.py [--clips bikes carphone_pristine] [--factors 2 4] [--max-frames N]
       [--variants dis dis:torch diffusion:cpu diffusion:gpu ...] [--weights DIR] [--out benchmarks/results/gpu_stack]
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from report import command_line, write_report

from vidiff.flow import DISFlow, get_interpolator
from vidiff.io.reader import VideoReader
from vidiff.metrics.bench import resolve_clip
from vidiff.metrics.protocol import score_interpolator
from vidiff.torch_dis import dis_flows

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("diffusion:cpu", "diffusion:gpu", "fuse:cpu", "fuse:gpu", "diffusion:gpu:bf16")
PEERS = ("dup", "blend", "dis", "minterpolate", "rife")


def frames(path: Path, n: int | None):
    for f in VideoReader(path):
        if n is not None and f.index >= n:
            return
        yield f.image


class TorchDIS(DISFlow):
    """The `dis` method's frames from the torch DIS flows (vidiff.torch_dis), OpenCV's left out."""

    name = "dis:torch"

    def flows(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ta, tb = (torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float() for x in (a, b))
        return tuple(f[0].permute(1, 2, 0).numpy() for f in dis_flows(ta, tb))


def best_peers() -> dict[tuple[str, int], tuple[str, float]]:
    """(clip, factor) -> (best peer, its PSNR) from the committed model benchmark."""
    rows = json.loads((ROOT / "benchmarks/results/model/results.json").read_text())
    best: dict[tuple[str, int], tuple[str, float]] = {}
    for r in rows:
        key = (r["clip"], int(r["factor"]))
        if r["method"] in PEERS and r["psnr"] is not None and r["psnr"] > best.get(key, ("", -1.0))[1]:
            best[key] = (r["method"], r["psnr"])
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["bikes", "carphone_pristine"])
    ap.add_argument("--factors", nargs="+", type=int, default=[2, 4])
    ap.add_argument("--max-frames", type=int, default=None)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--out", default="benchmarks/results/gpu_stack")
    ap.add_argument(
        "--weights", help="the model's weights (a trained run's model/; default: the shipped ones)"
    )
    ap.add_argument(
        "--rows", help="JSON lines of rows already scored (a run's log): report them, score nothing"
    )
    args = ap.parse_args(argv)
    rows = [json.loads(x) for x in Path(args.rows).read_text().splitlines() if x.strip()] if args.rows else []
    if args.rows:
        args.variants = list(dict.fromkeys(r["variant"] for r in rows))
    for v in args.variants if not args.rows else []:
        method, *rest = v.split(":")  # a peer (dis, rife) has no stack
        opts = {"stack": rest[0], "precision": rest[1] if len(rest) > 1 else "fp32"} if rest else {}
        if args.weights and method == "diffusion":
            opts["weights"] = args.weights
        interp = TorchDIS() if v == "dis:torch" else get_interpolator(method, **opts)
        for clip in args.clips:
            path = resolve_clip(clip)
            for k in args.factors:
                s = score_interpolator(frames(path, args.max_frames), Fraction(k), interp).summary()
                rows.append(
                    {
                        "variant": v,
                        "clip": clip,
                        "factor": k,
                        **{x: s[x] for x in ("psnr", "ssim", "n_frames", "s_per_frame")},
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    by = {(r["variant"], r["clip"], r["factor"]): r["psnr"] for r in rows}
    cases = [(c, k) for c in args.clips for k in args.factors]
    ran = [v for v in args.variants if v in PEERS]  # peers scored in this run, on the same frames
    if ran:
        peers = {ck: max((by[(v, *ck)], v) for v in ran)[::-1] for ck in cases}
    else:
        peers = best_peers() if args.max_frames is None else {}
    lines = [
        "# The shipped weights over the GPU prior stack (torch DIS + RIFE) and the CPU one (OpenCV DIS + RIFE)",
        "",
        f"Command: `{command_line('gpu_stack.py', argv)}`",
        "",
        "PSNR (dB), mean over held-out frames"
        + (f" (first {args.max_frames} frames of each clip)" if args.max_frames else "")
        + ".",
        "",
        "| variant | " + " | ".join(f"{c} x{k}" for c, k in cases) + " | mean |",
        "| --- | " + " | ".join("---" for _ in cases) + " | --- |",
    ]
    for v in args.variants:
        ps = [by[(v, c, k)] for c, k in cases]
        lines.append(f"| {v} | " + " | ".join(f"{p:.3f}" for p in ps) + f" | {sum(ps) / len(ps):.3f} |")
    if peers:
        where = f"of {', '.join(ran)}, this run" if ran else "benchmarks/results/model"
        lines += ["", f"Gain over the best peer ({where}):", ""]
        lines += [
            "| variant | " + " | ".join(f"{c} x{k} ({peers[(c, k)][0]})" for c, k in cases) + " | mean gain |"
        ]
        lines += ["| --- | " + " | ".join("---" for _ in cases) + " | --- |"]
        for v in (v for v in args.variants if v not in PEERS):
            gs = [by[(v, c, k)] - peers[(c, k)][1] for c, k in cases]
            lines.append(f"| {v} | " + " | ".join(f"{g:+.3f}" for g in gs) + f" | {sum(gs) / len(gs):+.3f} |")
    for a, b in (
        ("dis:torch", "dis"),
        ("diffusion:gpu", "diffusion:cpu"),
        ("fuse:gpu", "fuse:cpu"),
        ("diffusion:gpu:bf16", "diffusion:gpu"),
    ):
        if a in args.variants and b in args.variants:
            d = [by[(a, c, k)] - by[(b, c, k)] for c, k in cases]
            lines.append("")
            lines.append(
                f"{a} − {b}: " + ", ".join(f"{x:+.3f}" for x in d) + f" (mean {sum(d) / len(d):+.3f} dB)"
            )
    write_report(ROOT / args.out, command_line("gpu_stack.py", argv), rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
