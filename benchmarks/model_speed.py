#!/usr/bin/env python
"""Forward time and peak memory of the model at the default config (BENCHMARK.md, "Speed and memory").

For each frame size (default 640x272 and 1280x720), in its own subprocess so peak RSS is that size's
alone: one U-Net forward on a 3-frame window (a, target, b) in float32 (and bf16 autocast, measured),
the whole `diffusion` interpolation of one frame (prior + codec + 1 sampler step), and OpenCV DIS on the
same pair, median of --repeats runs after one warm-up. Writes model_speed.json and model_speed.md.

Usage: .venv/bin/python benchmarks/model_speed.py [--config default] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(config: str, size: str, repeats: int, bf16: bool) -> dict:
    import numpy as np
    import torch

    from vidiff.cli.model_info import load_any
    from vidiff.diffusion.prior import window_prior
    from vidiff.diffusion.sampling import encode_condition, infill, split_prior
    from vidiff.flow import DISFlow
    from vidiff.io.reader import read_frames
    from vidiff.io.samples import sample_clip

    w, h = (int(x) for x in size.split("x"))
    clip = "bikes" if (w, h) == (640, 272) else "bigbuckbunny" if (w, h) == (1280, 720) else None
    if clip:
        fr = read_frames(sample_clip(clip), max_frames=3)
    else:
        rng = np.random.default_rng(0)
        fr = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(3)]
    m = load_any(config).eval()
    times, obs = [0.0, 0.5, 1.0], [True, False, True]

    def med(fn) -> float:
        fn()
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    dis = DISFlow()
    t_dis = med(lambda: dis.interpolate(fr[0], fr[2], [0.5]))
    pri = window_prior([fr[0], None, fr[2]], times, obs)
    from vidiff.codecs import frames_to_tensor

    pt = frames_to_tensor(pri.reshape(-1, *pri.shape[2:])).reshape(1, 3, 3, 3, h, w)
    ob = torch.tensor([obs])
    tm = torch.tensor([times])
    _, cond = encode_condition(m, *split_prior(pt, ob), ob)
    x = torch.randn(1, 3, m.codec.channels, *cond.shape[-2:])

    def fwd():
        with torch.no_grad():
            m.unet(x, torch.tensor([999]), tm, ob, cond)

    t_fwd = med(fwd)
    out = {"size": size, "dis_s": t_dis, "unet_forward_s": t_fwd}
    if bf16:

        def fwd_bf16():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                m.unet(x, torch.tensor([999]), tm, ob, cond)

        out["unet_forward_bf16_s"] = med(fwd_bf16) if repeats else None
    out["diffusion_frame_s"] = med(lambda: infill(m, [fr[0], None, fr[2]], times, obs, steps=1))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["parameters"] = m.n_parameters()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="default")
    ap.add_argument("--sizes", nargs="+", default=["640x272", "1280x720"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bf16", action="store_true", help="also time bf16 autocast (slow on this CPU)")
    ap.add_argument("--out", default="benchmarks/results/model_speed")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.config, a.child, a.repeats, a.bf16)))
        return 0
    rows = []
    for size in a.sizes:
        cmd = [sys.executable, __file__, "--config", a.config, "--repeats", str(a.repeats), "--child", size]
        if a.bf16:
            cmd.append("--bf16")
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    import torch

    cmdline = "python benchmarks/model_speed.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_speed.json").write_text(json.dumps({"command": cmdline, "rows": rows}, indent=2) + "\n")
    lines = [
        "# Model forward time and memory (3-frame window, default config)",
        "",
        f"Command: `{cmdline}`",
        "",
        f"Run: {time.strftime('%Y-%m-%dT%H:%M:%S')} on {platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; median of {a.repeats} after a warm-up; peak RSS of that size's process.",
        "",
        "| size | DIS (s) | U-Net forward fp32 (s) | × DIS | bf16 autocast (s) | diffusion frame, 1 step (s) | × DIS | peak RSS MB | params |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        bf = f"{r['unet_forward_bf16_s']:.3f}" if r.get("unet_forward_bf16_s") else "–"
        lines.append(
            f"| {r['size']} | {r['dis_s']:.3f} | {r['unet_forward_s']:.3f} | {r['unet_forward_s'] / r['dis_s']:.1f} | "
            f"{bf} | {r['diffusion_frame_s']:.3f} | {r['diffusion_frame_s'] / r['dis_s']:.1f} | "
            f"{r['peak_rss_mb']:.0f} | {r['parameters']:,} |"
        )
    (out / "model_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
