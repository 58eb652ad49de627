"""RIFE HDv3's network on each CPU engine (vidiff.engine), seconds per middle frame, in one run.

For 640x272 (bikes) and 1280x720 (bigbuckbunny), RIFE HDv3 (`vidiff.peers.rife_hd`) rebuilds the middle
of 5 pairs per round with each engine, after one untimed pair that pays for the export; the engines' order
is reversed every other round (A B C, C B A, ...), and the median wall and CPU seconds per frame over the
rounds are reported, with the largest difference of each engine's frames from PyTorch's. The `auto`
engine's choice for the `ifnet_hd` kind (vidiff.engine.AUTO_CHOICE) comes from this.

    python benchmarks/hd_engine.py --out benchmarks/results/hd_engine   # about 3 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from vidiff.engine import installed
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.peers.rife_hd import RIFEHD

CLIPS = {"640x272": "bikes", "1280x720": "bigbuckbunny"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1, help="threads of every engine (torch's)")
    ap.add_argument("--out", default="benchmarks/results/hd_engine")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    engines = [e for e in ("torch", "openvino", "onnxruntime") if installed(e)]
    rows = []
    for size, clip in CLIPS.items():
        fr = read_frames(sample_clip(clip), max_frames=12)
        pairs = [(fr[i], fr[i + 2]) for i in range(0, 10, 2)]
        nets = {e: RIFEHD(engine=e) for e in engines}
        ref = {e: n.interpolate(*pairs[0], [0.5])[0] for e, n in nets.items()}  # the export, untimed
        wall: dict[str, list[float]] = {e: [] for e in engines}
        cpu: dict[str, list[float]] = {e: [] for e in engines}
        for r in range(args.rounds):
            for e in engines if r % 2 == 0 else engines[::-1]:
                w, c = time.perf_counter(), time.process_time()
                for a, b in pairs:
                    nets[e].interpolate(a, b, [0.5])
                wall[e].append((time.perf_counter() - w) / len(pairs))
                cpu[e].append((time.process_time() - c) / len(pairs))
        for e in engines:
            rows.append(
                {
                    "size": size,
                    "engine": e,
                    "s_per_frame": statistics.median(wall[e]),
                    "cpu_s_per_frame": statistics.median(cpu[e]),
                    "max_diff_vs_torch": int(np.abs(ref[e].astype(int) - ref["torch"]).max()),
                }
            )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "# RIFE HDv3's network on each CPU engine",
        "",
        f"Command: `python {shlex.join(['benchmarks/hd_engine.py', *sys.argv[1:]])}` "
        f"({torch.get_num_threads()} threads, {args.rounds} rounds of 5 pairs, medians)",
        "",
        "| size | engine | s/frame | CPU s/frame | × torch | max diff from torch (levels) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        base = next(x for x in rows if x["size"] == r["size"] and x["engine"] == "torch")["s_per_frame"]
        lines.append(
            f"| {r['size']} | {r['engine']} | {r['s_per_frame']:.4f} | {r['cpu_s_per_frame']:.4f} | "
            f"{r['s_per_frame'] / base:.2f} | {r['max_diff_vs_torch']} |"
        )
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
