#!/usr/bin/env python
"""The GPU check (issues 14, 27): what vidiff does on a CUDA device, in one run of under 5 minutes.

Run by benchmarks/gpu_check.sh on the GPU machine (no registry there: its packages come as wheels carried
in .gpu-carry/, made here by benchmarks/gpu_prepare.sh). Inputs: the carried clip (bigbuckbunny, 1280x720,
real frames) at 1280x720 as it is and resized to 1920x1080 (bicubic, OpenCV); `--small` shrinks both
sizes to 256x144 and 384x216 and the frame counts, for a dry run on the CPU. At each size:

1. seconds per made frame of RIFE alone (`--method rife`, one pair at a time, as a user runs it) and of
   the default method (the shipped model over the device's stack, a runner window of 8 pairs), in the
   same run, and their ratio (target on the GPU: ≤ 1.5);
2. frames/s of the model step (the default method's `interpolate_window`) and of the whole
   `vidiff upscale` (decode, dedupe, scene cuts, model, encode; `upscale_file` in this process, model
   load excluded), interpolated frames a second both, and their ratio (target ≥ 0.7);
3. where the model step's time goes: the prior stack (RIFE + warps) against the rest (U-Net, codec);
4. the U-Net forward with each attention kernel (SDPA, and xformers when its wheel imports).

At the first size only: PSNR against the held-out frames (keep every 2nd frame) of the GPU path
(`--device`, the GPU stack, fp32), of the same under bf16 and fp16 autocast, and of the CPU path (device
cpu, DIS + RIFE stack: the CPU default), on the same frames; their differences (targets: GPU vs CPU within
0.05 dB, a half type within 0.02 dB of fp32).

Writes gpu_check.json and gpu_check.md into --out. `--no-network` makes any socket connection raise and
records the attempts (the dry run's proof that nothing is fetched).

Usage: python benchmarks/gpu_check.py --clip CLIP [--out DIR] [--device cuda] [--small] [--no-network]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NET_ATTEMPTS: list[str] = []
GPU_STACK = "gpu"  # what stack="auto" gives on CUDA, named so a CPU dry run takes the same path
WINDOW = 8  # pairs in a runner window (vidiff.runner.upscale's default); 2 in a --small dry run


def block_network() -> None:
    """Every socket connection raises, and is recorded (a dry run's proof that nothing is fetched)."""

    def refuse(self, address, *a, **k):
        NET_ATTEMPTS.append(repr(address))
        raise OSError(f"network blocked by gpu_check --no-network: {address!r}")

    for name in ("connect", "connect_ex"):
        setattr(socket.socket, name, refuse)


def timed(fn, sync, repeats: int = 3) -> float:
    """Median seconds of `repeats` calls after one untimed warm-up."""
    fn()
    sync()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    mse = np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def load_frames(clip: str, n: int, size: tuple[int, int]) -> list[np.ndarray]:
    """The clip's first n frames at `size` (w, h): as decoded, or resized (bicubic) when it differs."""
    import cv2

    from vidiff.io.reader import read_frames

    frames = read_frames(clip, max_frames=n)
    if frames[0].shape[:2] == (size[1], size[0]):
        return frames
    return [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC) for f in frames]


def speed(dev: str, frames: list[np.ndarray], sync, repeats: int) -> dict:
    """RIFE alone and the default method, seconds per made frame, and where the model step's time goes."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator
    from vidiff.diffusion.prior import window_priors
    from vidiff.fusion import build_rife

    pairs = list(zip(frames[:WINDOW], frames[1 : WINDOW + 1], strict=True))
    rife = build_rife(device=dev)
    rife_s = timed(lambda: [rife.interpolate(a, b, [0.5]) for a, b in pairs], sync, repeats) / len(pairs)
    rife = None  # its memory back before the model loads
    model = DiffusionInterpolator(device=dev, batch=WINDOW, stack=GPU_STACK)
    times = [float(i) for i in range(WINDOW + 1)]
    targets = [i + 0.5 for i in range(WINDOW)]
    model_s = timed(lambda: model.interpolate_window(frames[: WINDOW + 1], times, targets), sync, repeats)
    stack = model.model.stack()
    row = {
        "stack": stack.kind,
        "rife_s_per_frame": rife_s,
        "default_s_per_frame": model_s / WINDOW,
        "default_over_rife": (model_s / WINDOW) / rife_s,
        "model_step_fps": WINDOW / model_s,
    }
    if stack.kind == "gpu":
        wins = [([a, b, None], [0.0, 1.0, 0.5], [True, True, False]) for a, b in pairs]
        prior_s = timed(lambda: window_priors(wins, stack, WINDOW), sync, repeats)
        row["stage_prior_stack_s"] = prior_s / WINDOW
        row["stage_rest_s"] = (model_s - prior_s) / WINDOW
    return row


def pipeline(dev: str, frames: list[np.ndarray], tmp: Path) -> dict:
    """`vidiff upscale` x2 of a clip of these frames (written first, crf 18), interpolated frames a second."""
    from fractions import Fraction

    from vidiff.io.writer import VideoWriter
    from vidiff.runner.upscale import upscale_file

    h, w = frames[0].shape[:2]
    src = tmp / f"in_{w}x{h}.mp4"
    with VideoWriter(src, w, h, Fraction(25)) as vw:
        vw.write_all(frames)
    rep = upscale_file(
        src, tmp / f"out_{w}x{h}.mp4", factor=2, method="diffusion", method_options={"device": dev, "stack": GPU_STACK},
        progress=False, workers=1, scene_cuts=False, dedupe=False,
    )  # fmt: skip
    made = rep["out_frames"] - rep["src_frames"]
    return {
        "src_frames": rep["src_frames"],
        "out_frames": rep["out_frames"],
        "seconds": rep["seconds"],
        "interpolated_fps": made / rep["seconds"],
        "output_fps": rep["out_frames"] / rep["seconds"],
    }


def attention(dev, size: tuple[int, int], sync, repeats: int) -> dict:
    """The shipped U-Net's forward on a 3-frame window with each attention kernel available."""
    import torch

    from vidiff.diffusion.model import VidiffModel
    from vidiff.models.layers import xformers_ops

    m = VidiffModel.load("default", device=dev)
    u = m.unet
    kernels = ["sdpa"] + (
        ["xformers"] if torch.device(dev).type == "cuda" and xformers_ops() is not None else []
    )
    lh, lw = m.codec.latent_size(size[1], size[0])
    g = torch.Generator(dev).manual_seed(0)
    x = torch.randn(1, 3, m.codec.channels, lh, lw, generator=g, device=dev)
    cond = torch.randn(1, 3, u.config.cond_channels, lh, lw, generator=g, device=dev)
    args = (x, torch.tensor([999], device=dev), torch.tensor([[0.0, 0.5, 1.0]], device=dev),
            torch.tensor([[True, False, True]], device=dev), cond)  # fmt: skip
    row, outs = {"kernels": kernels}, {}
    with torch.no_grad():
        for k in kernels:
            u.set_attention(k)
            row[f"{k}_s"] = timed(lambda: u(*args), sync, repeats)
            outs[k] = u(*args)
    if len(outs) > 1:
        row["max_abs_diff"] = float((outs["sdpa"] - outs["xformers"]).abs().max())
    u.set_attention("sdpa")
    return row


def quality(dev: str, frames: list[np.ndarray]) -> dict:
    """Held-out PSNR (keep every 2nd frame) of the GPU path (fp32, bf16, fp16) and of the CPU path."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator

    kept, truth = frames[0::2], frames[1::2][: len(frames[0::2]) - 1]
    times = [float(i) for i in range(len(kept))]
    targets = [i + 0.5 for i in range(len(truth))]
    variants = {f"{dev} fp32": (dev, "fp32", GPU_STACK), f"{dev} bf16": (dev, "bf16", GPU_STACK)}
    variants[f"{dev} fp16"] = (dev, "fp16", GPU_STACK)
    variants["cpu (CPU default)"] = ("cpu", "fp32", "cpu")
    res, outs = {}, {}
    for name, (d, prec, stack) in variants.items():
        it = DiffusionInterpolator(device=d, precision=prec, batch=WINDOW, stack=stack)
        made = []
        for s in range(0, len(targets), WINDOW):  # runner-sized windows
            ts = targets[s : s + WINDOW]
            made += it.interpolate_window(kept[s : s + WINDOW + 1], times[s : s + WINDOW + 1], ts)
        outs[name] = made
        res[name] = {
            "stack": it.model.stack().kind,
            "psnr": float(np.mean([psnr(m, t) for m, t in zip(made, truth, strict=True)])),
        }
    ref = f"{dev} fp32"
    for name in res:
        res[name]["minus_fp32_db"] = res[name]["psnr"] - res[ref]["psnr"]
        res[name]["psnr_vs_fp32_frames"] = float(
            np.mean([psnr(a, b) for a, b in zip(outs[name], outs[ref], strict=True)])
        )
    return {"frames": len(truth), "variants": res}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", required=True, help="the carried clip (bigbuckbunny.mp4, 1280x720)")
    ap.add_argument("--out", default=os.environ.get("OUT", "benchmarks/results/gpu"))
    ap.add_argument("--device", default=None, help="default: cuda when torch sees one, else cpu")
    ap.add_argument("--small", action="store_true", help="dry run: small sizes and few frames")
    ap.add_argument("--no-network", action="store_true", help="make every socket connection raise")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    global WINDOW
    if args.small:
        WINDOW = 2
    if args.no_network:
        block_network()
    t_all = time.perf_counter()
    import torch

    dev = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if dev.startswith("cuda") else (lambda: None)
    sizes = [(256, 144), (384, 216)] if args.small else [(1280, 720), (1920, 1080)]
    n_frames = 4 * WINDOW + 1 if args.small else 48
    res: dict = {
        "device": dev,
        "gpu": torch.cuda.get_device_name(dev)
        if dev.startswith("cuda")
        else f"none (CPU: {platform.machine()}, {os.cpu_count()} cores)",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "command": " ".join(sys.argv),
        "small": args.small,
        "inputs": f"{Path(args.clip).name}: its first frames at 1280x720 as decoded, and resized (bicubic) "
        "to each other size",
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for k, size in enumerate(sizes):
            label = f"{size[0]}x{size[1]}"
            t0 = time.perf_counter()
            frames = load_frames(args.clip, n_frames, size)
            row = {"speed": speed(dev, frames, sync, args.repeats)}
            row["pipeline"] = pipeline(dev, frames, Path(tmp))
            row["pipeline_over_model_step"] = (
                row["pipeline"]["interpolated_fps"] / row["speed"]["model_step_fps"]
            )
            row["attention"] = attention(dev, size, sync, args.repeats)
            if k == 0:
                row["quality"] = quality(dev, frames[: 4 * WINDOW + 1])
            row["seconds"] = time.perf_counter() - t0
            res["sizes"][label] = row
            print(json.dumps({label: row}), flush=True)
    res["seconds"] = time.perf_counter() - t_all
    res["network_attempts"] = NET_ATTEMPTS if args.no_network else "not blocked"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(res, indent=2) + "\n")
    (out / "gpu_check.md").write_text("\n".join(report(res)) + "\n")
    print("\n".join(report(res)))
    return 0


def report(res: dict) -> list[str]:
    lines = [
        "# vidiff GPU check",
        "",
        f"Command: `{res['command']}`",
        "",
        f"Device: {res['gpu']}; torch {res['torch']}; Python {res['python']}; whole check {res['seconds']:.0f} s"
        + ("; DRY RUN (--small: small sizes, few frames)" if res["small"] else ""),
        f"Inputs: {res['inputs']}. Network connections attempted: {res['network_attempts']}",
        "",
        "| size | stack | RIFE s/frame | default s/frame | default / RIFE | model step fps | upscale fps "
        "| upscale / model | prior stack s/frame | rest s/frame |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, r in res["sizes"].items():
        s, p = r["speed"], r["pipeline"]
        lines.append(
            f"| {label} | {s['stack']} | {s['rife_s_per_frame']:.4f} | {s['default_s_per_frame']:.4f} | "
            f"{s['default_over_rife']:.2f} | {s['model_step_fps']:.2f} | {p['interpolated_fps']:.2f} | "
            f"{r['pipeline_over_model_step']:.2f} | {s.get('stage_prior_stack_s', float('nan')):.4f} | "
            f"{s.get('stage_rest_s', float('nan')):.4f} |"
        )
    lines += [
        "",
        "fps: interpolated frames a second (the upscale's wall time excludes the model's load).",
        "",
    ]
    lines += ["| size | U-Net forward, 3-frame window: kernel (s) | max abs diff |", "| --- | --- | --- |"]
    for label, r in res["sizes"].items():
        a = r["attention"]
        ks = ", ".join(f"{k} {a[f'{k}_s']:.4f}" for k in a["kernels"])
        lines.append(f"| {label} | {ks} | {a.get('max_abs_diff', '–')} |")
    for label, r in res["sizes"].items():
        if "quality" not in r:
            continue
        q = r["quality"]
        lines += ["", f"Held-out PSNR at {label}, {q['frames']} frames (keep every 2nd):", ""]
        lines += [
            "| path | stack | PSNR | − fp32 GPU path (dB) | PSNR of its frames vs the fp32 GPU path's |"
        ]
        lines += ["| --- | --- | --- | --- | --- |"]
        for name, v in q["variants"].items():
            lines.append(
                f"| {name} | {v['stack']} | {v['psnr']:.3f} | {v['minus_fp32_db']:+.3f} | "
                f"{v['psnr_vs_fp32_frames']:.2f} |"
            )
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
