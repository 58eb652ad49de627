#!/usr/bin/env python
"""The GPU check (issue 14): what a machine with a CUDA device does with vidiff, in well under 5 minutes.

1. The shipped model's U-Net forward on a 3-frame window at 640x272 and 1280x720, with each attention
   kernel (sdpa, and xformers when installed), median of --repeats after a warm-up, and the largest
   difference between the kernels' outputs.
2. RIFE v4 (the prior stack's learned member) on one pair at both sizes.
3. `vidiff upscale` x2 of bikes.mp4 with the shipped model on the device (the whole pipeline), its time
   and output frame count.

Writes gpu_check.json and gpu_check.md into --out. On a machine without CUDA it runs on the CPU (a dry
run of the script; the figures are then CPU figures and the file says so).

Usage: .venv/bin/python benchmarks/gpu_check.py [--out benchmarks/results/gpu] [--repeats 5] [--device cuda]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SIZES = ((640, 272), (1280, 720))


def timed(fn, repeats: int, sync) -> float:
    fn()
    sync()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main() -> int:
    import torch

    from vidiff.diffusion.model import VidiffModel
    from vidiff.models.layers import xformers_ops

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/gpu")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"none (CPU: {platform.processor()})"
    kernels = ["sdpa"] + (["xformers"] if dev.type == "cuda" and xformers_ops() is not None else [])
    res: dict = {"device": str(dev), "gpu": gpu, "torch": torch.__version__, "kernels": kernels}

    m = VidiffModel.load("default", device=dev)
    u = m.unet
    forward = []
    for w, h in SIZES:
        lh, lw = m.codec.latent_size(h, w)
        g = torch.Generator(dev).manual_seed(0)
        x = torch.randn(1, 3, m.codec.channels, lh, lw, generator=g, device=dev)
        cond = torch.randn(1, 3, u.config.cond_channels, lh, lw, generator=g, device=dev)
        obs = torch.tensor([[True, False, True]], device=dev)
        tms = torch.tensor([[0.0, 0.5, 1.0]], device=dev)
        ts = torch.tensor([999], device=dev)
        row, outs = {"size": f"{w}x{h}"}, {}
        for k in kernels:
            u.set_attention(k)
            with torch.no_grad():
                run = lambda a=(x, ts, tms, obs, cond): u(*a)  # noqa: E731
                row[f"{k}_s"] = timed(run, args.repeats, sync)
                outs[k] = u(x, ts, tms, obs, cond)
        if len(outs) > 1:
            row["max_abs_diff"] = float((outs["sdpa"] - outs["xformers"]).abs().max())
        forward.append(row)
    u.set_attention("sdpa")
    res["unet_forward"] = forward

    from vidiff.fusion import build_rife
    from vidiff.io.reader import read_frames
    from vidiff.io.samples import sample_clip

    rife = build_rife(device=str(dev))
    rows = []
    for (w, h), clip in zip(SIZES, ("bikes", "bigbuckbunny"), strict=True):
        a, b = read_frames(sample_clip(clip), max_frames=2)
        pair = lambda a=a, b=b: rife.interpolate(a, b, [0.5])  # noqa: E731
        rows.append({"size": f"{w}x{h}", "s_per_frame": timed(pair, args.repeats, sync)})
    res["rife"] = rows

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bikes_x2.mp4"
        cmd = [str(BIN / "vidiff"), "upscale", str(sample_clip("bikes")), "-o", str(out), "--factor", "2"]
        cmd += ["--method", "diffusion", "--device", args.device, "--quiet"]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        from vidiff.io.probe import probe

        frames = probe(out).n_frames if r.returncode == 0 else None
        res["upscale"] = {"command": " ".join(cmd[1:]), "rc": r.returncode, "wall_s": wall, "frames": frames}
        if r.returncode:
            res["upscale"]["stderr"] = r.stderr[-500:]

    outdir = ROOT / args.out
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "gpu_check.json").write_text(json.dumps(res, indent=2) + "\n")
    lines = [
        "# vidiff GPU check",
        "",
        f"Command: `python benchmarks/gpu_check.py --out {args.out} --repeats {args.repeats} --device {args.device}`",
        "",
        f"Device: {gpu}; torch {torch.__version__}; attention kernels measured: {', '.join(kernels)}",
        "",
        "| U-Net forward, 3-frame window | " + " | ".join(f"{k} (s)" for k in kernels) + " | max |Δ| |",
        "| --- | " + " | ".join("---" for _ in kernels) + " | --- |",
    ]
    for row in forward:
        diff = f"{row['max_abs_diff']:.2e}" if "max_abs_diff" in row else "–"
        lines.append(
            f"| {row['size']} | " + " | ".join(f"{row[f'{k}_s']:.4f}" for k in kernels) + f" | {diff} |"
        )
    lines += ["", "| RIFE v4, one frame | s |", "| --- | --- |"]
    lines += [f"| {r['size']} | {r['s_per_frame']:.4f} |" for r in rows]
    up = res["upscale"]
    lines += ["", f"`vidiff {up['command']}`: exit {up['rc']}, {up['wall_s']:.1f} s, {up['frames']} frames"]
    (outdir / "gpu_check.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if up["rc"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
