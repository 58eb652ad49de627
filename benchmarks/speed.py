#!/usr/bin/env python
"""Speed and memory of the whole `vidiff upscale` pipeline (BENCHMARK.md, "Speed and memory").

For each clip, at its native resolution, each measurement in its own subprocess (peak RSS from that
child's rusage, like `/usr/bin/time -v`), repeated and reported as the median:

- io_floor:     decode + re-encode (libx264, crf 18, default preset), no interpolation — the floor
                any upscaler pays; seconds per produced frame (with vidiff's allocator setting,
                vidiff/malloc.py, as in the pipeline).
- upscale_dis:  `vidiff upscale INPUT -o OUT --factor 2 --method dis`, whole pipeline; seconds per
                produced frame and the ratio to the I/O floor.
- dis_step:     the DIS interpolation step alone, one t = 0.5 frame per source pair (frames decoded
                beforehand, only `interpolate` timed); "frames out" counts those made frames.
- scaling:      upscale_dis on the clip looped 1x, 4x and 16x (its frames concatenated into one longer
                file with PyAV, libx264 crf 18): time should grow linearly, peak RSS stay flat.

Times are the pipeline's own (measured inside the child, interpreter start-up excluded); the child's
wall time is recorded too. Writes speed.json and speed.md (with this command line on top) to --out.

Usage:
  .venv/bin/python benchmarks/speed.py                                  # 3 dev clips, scaling on carphone
  .venv/bin/python benchmarks/speed.py --clips carphone_pristine --repeats 1 --scaling 1 4   # quick
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLIPS = ("carphone_pristine", "bikes", "bigbuckbunny")

# children: each prints one JSON line with its own timing; the parent adds wall time and peak RSS
IO_FLOOR = """
import json, sys, time
from vidiff.malloc import keep_freed_memory
keep_freed_memory()  # the allocator setting of every vidiff run (vidiff.flow.interpolator_factory)
from vidiff.io.probe import probe
from vidiff.io.reader import VideoReader
from vidiff.io.writer import VideoWriter
src, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
info = probe(src)
with VideoWriter(out, info.width, info.height, info.fps, codec="libx264", crf=18) as w:
    for f in VideoReader(src, info):
        w.write(f.image)
print(json.dumps({"seconds": time.perf_counter() - t0, "frames_out": w.n_frames}))
"""

DIS_STEP = """
import json, sys, time
from vidiff.flow import get_interpolator
from vidiff.io.reader import read_frames
frames = read_frames(sys.argv[1])
interp = get_interpolator("dis")
t0 = time.perf_counter()
for a, b in zip(frames, frames[1:]):
    interp.interpolate(a, b, [0.5])
print(json.dumps({"seconds": time.perf_counter() - t0, "frames_out": len(frames) - 1}))
"""

LOOP = """
import sys
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames
from vidiff.io.writer import VideoWriter
src, out, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
info = probe(src)
frames = read_frames(src)
with VideoWriter(out, info.width, info.height, info.fps, codec="libx264", crf=18, preset="veryfast") as w:
    for _ in range(times):
        for im in frames:
            w.write(im)
"""


def measure(cmd: list[str]) -> dict[str, Any]:
    """Run `cmd` in a child; its last JSON line, plus wall seconds and the child's peak RSS (MB, wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(
                f"speed.py: failed ({proc.returncode}): {shlex.join(cmd)}\n{err.read().strip()[-800:]}"
            )
        text = out.read().strip()
    rec = json.loads(text) if text else {}  # the children print one JSON document
    rec.update(wall_s=wall, peak_rss_mb=usage.ru_maxrss / 1024.0)
    return rec


def median_of(runs: list[dict[str, Any]], frames_key: str = "frames_out") -> dict[str, Any]:
    """Median seconds, wall seconds and peak RSS over repeated runs, per produced frame too."""
    secs = statistics.median(r["seconds"] for r in runs)
    frames = runs[0][frames_key]
    return {
        "frames_out": frames,
        "seconds": round(secs, 3),
        "s_per_frame": round(secs / frames, 5),
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
        "runs_s": [round(r["seconds"], 3) for r in runs],
    }


def upscale_cmd(src: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "vidiff", "upscale", str(src), "-o", str(out), "--factor", "2", "--method",
            "dis", "--quiet", "--json"]  # fmt: skip


def upscale_run(src: Path, out: Path) -> dict[str, Any]:
    rec = measure(upscale_cmd(src, out))
    return {"seconds": rec["seconds"], "frames_out": rec["out_frames"], "wall_s": rec["wall_s"],
            "peak_rss_mb": rec["peak_rss_mb"]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", nargs="+", default=list(DEFAULT_CLIPS), help="dev clip names or video files")
    p.add_argument("--repeats", type=int, default=3, help="runs per measurement; the median is reported (3)")
    p.add_argument("--scaling", nargs="*", type=int, default=[1, 4, 16], help="loop lengths (default 1 4 16)")
    p.add_argument("--scaling-clip", default="carphone_pristine", help="clip looped for the scaling test")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "speed"), help="output folder")
    args = p.parse_args(argv)

    from vidiff.io.probe import probe
    from vidiff.metrics.bench import resolve_clip

    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vidiff-speed-") as tmp:
        tmpd = Path(tmp)
        for name in args.clips:
            src = resolve_clip(name)
            info = probe(src)
            base = {"clip": src.stem, "width": info.width, "height": info.height, "fps": str(info.fps),
                    "src_frames": info.n_frames}  # fmt: skip
            print(f"speed: {src.stem} {info.width}x{info.height}", file=sys.stderr)
            floor = median_of([measure([sys.executable, "-c", IO_FLOOR, str(src), str(tmpd / "io.mp4")])
                               for _ in range(args.repeats)])  # fmt: skip
            records.append({**base, "task": "io_floor", "length": 1, **floor})
            up = median_of([upscale_run(src, tmpd / "up.mp4") for _ in range(args.repeats)])
            up["x_io_floor"] = round(up["s_per_frame"] / floor["s_per_frame"], 2)
            records.append({**base, "task": "upscale_dis_x2", "length": 1, **up})
            step = median_of([measure([sys.executable, "-c", DIS_STEP, str(src)])
                              for _ in range(args.repeats)])  # fmt: skip
            records.append({**base, "task": "dis_step", "length": 1, **step})
        if args.scaling:
            src = resolve_clip(args.scaling_clip)
            info = probe(src)
            base = {"clip": src.stem, "width": info.width, "height": info.height, "fps": str(info.fps),
                    "src_frames": info.n_frames}  # fmt: skip
            first = None
            for n in args.scaling:
                print(f"speed: scaling {src.stem} x{n}", file=sys.stderr)
                looped = tmpd / f"loop{n}.mkv"
                subprocess.run([sys.executable, "-c", LOOP, str(src), str(looped), str(n)], check=True)
                up = median_of([upscale_run(looped, tmpd / "up.mp4") for _ in range(args.repeats)])
                first = first or (n, up)
                up["time_vs_linear"] = round(up["seconds"] / (first[1]["seconds"] * n / first[0]), 3)
                up["rss_vs_first"] = round(up["peak_rss_mb"] / first[1]["peak_rss_mb"], 3)
                records.append({**base, "task": "scaling_upscale_dis_x2", "length": n, **up})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cmd = "python benchmarks/speed.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    (out / "speed.json").write_text(json.dumps(records, indent=1) + "\n")
    (out / "speed.md").write_text(markdown(records, cmd.strip(), args.repeats))
    print(markdown(records, cmd.strip(), args.repeats))
    return 0


def markdown(records: list[dict[str, Any]], cmd: str, repeats: int) -> str:
    """speed.md: the command, the machine, a table per measurement kind."""
    import cv2

    lines = [
        "# vidiff speed and memory (whole pipeline)",
        "",
        f"Command: `{cmd}`",
        "",
        f"Run: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}, OpenCV {cv2.__version__}; "
        f"median of {repeats} run(s), each in its own process; peak RSS of that process.",
        "",
        "## Per clip (x2 with DIS vs the I/O floor)",
        "",
        "| clip | size | task | frames out | s | s/frame | × I/O floor | peak RSS MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in records:
        if r["task"].startswith("scaling"):
            continue
        lines.append(
            f"| {r['clip']} | {r['width']}x{r['height']} | {r['task']} | {r['frames_out']} | {r['seconds']:.2f} | "
            f"{r['s_per_frame']:.4f} | {r.get('x_io_floor', '–')} | {r['peak_rss_mb']:.0f} |"
        )
    scal = [r for r in records if r["task"].startswith("scaling")]
    if scal:
        lines += [
            "",
            f"## Length scaling: {scal[0]['clip']} looped, `vidiff upscale --factor 2 --method dis`",
            "",
            "| length | frames out | s | s/frame | time / linear | peak RSS MB | RSS / 1x |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in scal:
            lines.append(
                f"| {r['length']}x | {r['frames_out']} | {r['seconds']:.2f} | {r['s_per_frame']:.4f} | "
                f"{r['time_vs_linear']} | {r['peak_rss_mb']:.0f} | {r['rss_vs_first']} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
