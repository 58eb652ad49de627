#!/usr/bin/env python
"""Fine-tuning measured on held-out footage: Big Buck Bunny's last 2 minutes, after training on its first 8.

The model is made first (configs/train/finetune_bbb.yaml: `vidiff train configs/train/finetune_bbb.yaml
"data.clips=[$(vidiff fetch bbb)]"`, data.time_range [0, 480] s). This script cuts --windows windows of
--frames frames each, evenly spaced over the clip from --start seconds (481: a second past the last training frame)
to its end, read by random access (vidiff.io.random_access), resized to --width (a CPU-sized
evaluation), written losslessly (FFV1, RGB) and runs the held-out-frame protocol on them:
`vidiff bench --input WINDOWS --factor ... --methods dis,rife,diffusion,diffusion@MODEL --in-process`
(--methods and --model: the baseline and the fine-tuned model may be run apart, on the same windows).
Its results.md/results.json go to --out, with the windows' list in windows.json.

Usage: python benchmarks/finetune_bbb.py --model runs/finetune_bbb/model [--factor 2 4] [--width 480]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import cv2

ROOT = Path(__file__).resolve().parent.parent


def cut_windows(src: Path, dest: Path, start_s: float, n: int, frames: int, width: int) -> list[dict]:
    """`n` windows of `frames` frames from `start_s` on, resized to `width`, as FFV1 RGB files."""
    from vidiff.io.random_access import open_frames

    r = open_frames(src)
    t = r.seconds()
    lo = int((t < start_s).sum())
    starts = [lo + round(k * (len(r) - frames - lo) / max(1, n - 1)) for k in range(n)]
    out = []
    for k, s in enumerate(starts):
        imgs = r.get(list(range(s, s + frames)))
        h = round(imgs[0].shape[0] * width / imgs[0].shape[1] / 2) * 2
        path = dest / f"bbb_tail_{k:02d}.mkv"
        with av.open(str(path), "w") as c:
            st = c.add_stream("ffv1", rate=24)
            st.width, st.height, st.pix_fmt = width, h, "bgr0"
            st.codec_context.time_base = Fraction(1, 24)
            for i, im in enumerate(imgs):
                f = av.VideoFrame.from_ndarray(
                    cv2.resize(im, (width, h), interpolation=cv2.INTER_AREA), "rgb24"
                )
                f.pts, f.time_base = i, Fraction(1, 24)
                c.mux(st.encode(f))
            c.mux(st.encode(None))
        out.append({"file": path.name, "first_frame": s, "seconds": [float(t[s]), float(t[s + frames - 1])]})
    r.close()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="the fine-tuned model folder (added as diffusion@MODEL)")
    ap.add_argument("--clip", default=None, help="the footage (default: `vidiff fetch bbb`)")
    ap.add_argument("--start", type=float, default=481.0, help="first second of the held-out part")
    ap.add_argument("--windows", type=int, default=6)
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--factor", nargs="+", default=["2"])
    ap.add_argument("--methods", default="dis,rife,diffusion")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/finetune_bbb"))
    args = ap.parse_args(argv)
    from vidiff.fetch import fetch_bbb

    clip = Path(args.clip) if args.clip else fetch_bbb()
    tmp = Path(tempfile.mkdtemp())
    wins = cut_windows(clip, tmp, args.start, args.windows, args.frames, args.width)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    me = f"python benchmarks/finetune_bbb.py {shlex.join(argv if argv is not None else sys.argv[1:])}"
    (out / "windows.json").write_text(
        json.dumps({"command": me, "clip": clip.name, "windows": wins}, indent=1)
    )
    methods = f"{args.methods},diffusion@{args.model}" if args.model else args.methods
    cmd = [
        str(Path(sys.executable).parent / "vidiff"),
        "bench",
        "--input",
        *[str(tmp / w["file"]) for w in wins],
    ]
    cmd += ["--factor", *args.factor, "--methods", methods, "--in-process", "--out", str(out)]
    print(shlex.join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
