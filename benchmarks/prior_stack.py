"""What each candidate of the prior stack adds: DIS, RIFE v4, RIFE's test-time ensemble, fixed fusions.

Held-out-frame protocol (BENCHMARK.md) on the evaluation clips; per target frame the candidates are the DIS
warps of a and b to t and their blend, RIFE(a, b, t), RIFE(b, a, 1 − t) (the pair reversed) and RIFE on the
horizontally flipped pair, and RIFE's own flows and mask (`RIFE.flows_and_mask`, computed by the RIFE pass
anyway): the one-sided warps of a and b by RIFE's flows, and the DIS warps blended by RIFE's mask instead of
by t. Each fusion below is scored by PSNR (dB, mean over the held-out frames), and the seconds of each
candidate are summed. The shipped `fuse` is `mean(dis, rife)`. The two `oracle` rows pick, per pixel, the
candidate nearest the true frame: the most any per-pixel choice among those candidates could reach, so
the gap between them is the room RIFE's one-sided warps would give a learned fusion. `rife_hd` is RIFE
HDv3 (vidiff.peers.rife_hd, `vidiff fetch rife-hd`), a second RIFE generation: t = 0.5 in one pass, the
other times of x4 by bisection (0.25 from a and the middle, 0.75 from the middle and b).

Usage: python benchmarks/prior_stack.py [--clips bikes carphone_pristine] [--factors 2 4] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from vidiff.flow import DISFlow, backward_warp
from vidiff.fusion import build_rife
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.protocol import segments
from vidiff.metrics.quality import psnr
from vidiff.peers.rife_hd import RIFEHD

FUSIONS = {
    "dis": lambda c: c["dis"],
    "rife": lambda c: c["rife"],
    "rife_reversed": lambda c: c["rev"],
    "rife_flipped": lambda c: c["flip"],
    "mean(rife, reversed)": lambda c: (c["rife"] + c["rev"]) / 2,
    "mean(rife, reversed, flipped)": lambda c: (c["rife"] + c["rev"] + c["flip"]) / 3,
    "mean(dis, rife) [fuse]": lambda c: (c["dis"] + c["rife"]) / 2,
    "mean(dis, mean(rife, reversed))": lambda c: (c["dis"] + (c["rife"] + c["rev"]) / 2) / 2,
    "median(warp_a, warp_b, rife)": lambda c: np.median(np.stack([c["wa"], c["wb"], c["rife"]]), 0),
    "rife_warp_a": lambda c: c["ra"],
    "rife_warp_b": lambda c: c["rb"],
    "rife warps by t (no mask)": lambda c: (1 - c["t"]) * c["ra"] + c["t"] * c["rb"],
    "dis warps by rife's mask": lambda c: c["m"] * c["wa"] + (1 - c["m"]) * c["wb"],
    "mean(dis by rife's mask, rife)": lambda c: (c["m"] * c["wa"] + (1 - c["m"]) * c["wb"] + c["rife"]) / 2,
    "rife_hd": lambda c: c["hd"],
    "mean(rife, rife_hd)": lambda c: (c["rife"] + c["hd"]) / 2,
    "mean(dis, rife, rife_hd)": lambda c: (c["dis"] + c["rife"] + c["hd"]) / 3,
    "mean(dis, mean(rife, rife_hd))": lambda c: (c["dis"] + (c["rife"] + c["hd"]) / 2) / 2,
    "oracle(warp_a, warp_b, rife)": lambda c: oracle(c, ("wa", "wb", "rife")),
    "oracle(warp_a, warp_b, rife, rife_hd)": lambda c: oracle(c, ("wa", "wb", "rife", "hd")),
    "oracle(warp_a, warp_b, rife, rife_a, rife_b)": lambda c: oracle(c, ("wa", "wb", "rife", "ra", "rb")),
}


def oracle(c: dict, names: tuple[str, ...]) -> np.ndarray:
    """Per pixel, the candidate whose RGB is nearest the true frame's (sum of absolute differences)."""
    stack = np.stack([c[n] for n in names])
    pick = np.abs(stack - c["gt"]).sum(-1).argmin(0)
    return np.take_along_axis(stack, pick[None, ..., None], 0)[0]


def u8(x: np.ndarray) -> np.ndarray:
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def measure(clip: str, k: int) -> dict:
    frames = read_frames(sample_clip(clip))
    dis, rife, hd = DISFlow(), build_rife(), RIFEHD()
    scores: dict[str, list[float]] = {n: [] for n in FUSIONS}
    secs = {"dis": 0.0, "rife": 0.0, "rife_reversed": 0.0, "rife_flipped": 0.0, "rife_flows_eager": 0.0}
    secs["rife_hd"] = 0.0
    for seg in segments(frames, Fraction(k)):
        a, b, ts = seg.a, seg.b, [float(tg.t) for tg in seg.targets]
        t0 = time.perf_counter()
        f_ab, f_ba = dis.flows(a, b)
        secs["dis"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        rs = rife.interpolate(a, b, ts)
        secs["rife"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        rv = rife.interpolate(b, a, [1 - t for t in ts])
        secs["rife_reversed"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        fl = rife.interpolate(np.ascontiguousarray(a[:, ::-1]), np.ascontiguousarray(b[:, ::-1]), ts)
        secs["rife_flipped"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        hds = hd.interpolate(a, b, ts)
        secs["rife_hd"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        parts = [rife.flows_and_mask(a, b, t) for t in ts]
        secs["rife_flows_eager"] += time.perf_counter() - t0
        for t, r, v, f, h, gt, (fl_t, m) in zip(ts, rs, rv, fl, hds, seg.truths, parts, strict=True):
            wa = backward_warp(a.astype(np.float32), t * f_ba)
            wb = backward_warp(b.astype(np.float32), (1 - t) * f_ab)
            c = {"wa": wa, "wb": wb, "dis": (1 - t) * wa + t * wb, "rife": r.astype(np.float32)}
            c["rev"], c["flip"] = v.astype(np.float32), f[:, ::-1].astype(np.float32)
            c["hd"] = h.astype(np.float32)
            c["ra"] = backward_warp(a.astype(np.float32), fl_t[..., :2])
            c["rb"] = backward_warp(b.astype(np.float32), fl_t[..., 2:])
            c["m"], c["t"], c["gt"] = m[..., None], t, gt.astype(np.float32)
            for name, fn in FUSIONS.items():
                scores[name].append(psnr(u8(fn(c)), gt))
    n = len(scores["dis"])
    return {
        "clip": clip,
        "factor": k,
        "n_frames": n,
        "psnr": {m: float(np.mean(v)) for m, v in scores.items()},
        "s_per_frame": {m: s / n for m, s in secs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["bikes", "carphone_pristine"])
    ap.add_argument("--factors", nargs="+", type=int, default=[2, 4])
    ap.add_argument("--out", default="benchmarks/results/prior_stack")
    args = ap.parse_args()
    torch.set_num_threads(1)
    res = [measure(c, k) for c in args.clips for k in args.factors]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    cols = [f"{r['clip']} x{r['factor']}" for r in res]
    lines = [
        "# The prior stack: what each candidate adds (PSNR dB, held-out frames)",
        "",
        f"Command: `python benchmarks/prior_stack.py --clips {' '.join(args.clips)} --factors "
        f"{' '.join(map(str, args.factors))}`",
        "",
        "| fusion | " + " | ".join(cols) + " |",
        "| --- |" + " --- |" * len(cols),
    ]
    for m in FUSIONS:
        lines.append(f"| {m} | " + " | ".join(f"{r['psnr'][m]:.2f}" for r in res) + " |")
    lines += [
        "",
        "Seconds per rebuilt frame of each candidate (rife_flows_eager: RIFE's flows and mask again, eagerly,"
        " for this measurement; in a stack they come out of the RIFE pass itself):",
        "",
        "| candidate | " + " | ".join(cols) + " |",
    ]
    lines.append("| --- |" + " --- |" * len(cols))
    for m in res[0]["s_per_frame"]:
        lines.append(f"| {m} | " + " | ".join(f"{r['s_per_frame'][m]:.4f}" for r in res) + " |")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
