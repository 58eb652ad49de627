#!/usr/bin/env python
"""Parallel segments (issue 15): `vidiff upscale --workers 2` against `--workers 1` on a long clip and a folder.

bigbuckbunny (1280x720, 5.28 s) is looped with PyAV (benchmarks/speed.py's LOOP: whole loops, so the
length is the first whole number of loops at or past --minutes) and raised x2 with DIS:

- long:   `vidiff upscale LONG -o OUT --factor 2 --method dis --workers W` for W = 1 and 2: wall time
          ratio workers2 / workers1 (target <= 0.65 on 2 cores), sha256 of both outputs (must match).
- ref:    the same at --ref-minutes (default 1) with --workers 2: the peak RSS per worker that the long
          run's workers must stay within 10 % of.
- folder: `vidiff run fps_x2 -i FOLDER -o OUTDIR interpolate.method=dis --workers W` on --folder-clips
          copies of a clip looped to --folder-minutes (default --minutes / 4): the same ratio, every
          output identical, and the per-worker peak RSS against the ref run's.

Ceiling: the 1-worker run's CPU seconds (user + system, its workers included) over the machine's
cores times its wall time, the best ratio a run that uses every core with no overhead could reach; CPU s
vs 1 worker is the parallel run's extra work (planning decode, seek lead-in, worker start-up).

Each run is its own `vidiff` process (a wrapper that calls `vidiff.cli.main` and writes its own peak RSS,
VmHWM, when it ends). Its spawned workers' peak RSS is their VmHWM (a high-water mark, so sampling it
every 0.2 s misses only the last 0.2 s of a worker's life), read from /proc with psutil. Wall time is the
whole process's, interpreter start-up included (the same for both). Writes parallel.json and parallel.md
(with this command line on top) to --out.

Usage:
  .venv/bin/python benchmarks/parallel.py                      # 10 minutes: about 50 + 30 min on 2 cores
  .venv/bin/python benchmarks/parallel.py --minutes 1 --ref-minutes 0.25
  .venv/bin/python benchmarks/parallel.py --quick --out /tmp/par   # carphone, seconds-long clips: a smoke test
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from speed import LOOP  # benchmarks/speed.py: the looped clip, built the same way

from vidiff.fetch import file_sha256

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.65
TARGET_RSS = 1.10
SAMPLE_S = 0.2

# the vidiff process: the CLI, then its own peak RSS (and its waited-for children's, for reference) to a file
WRAP = """
import json, os, resource, sys
from vidiff.cli import main
try:
    rc = main(sys.argv[2:])
except SystemExit as e:
    rc = e.code if isinstance(e.code, int) else 1
with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"rc": rc, "parent_kb": hwm, "children_maxrss_kb": kids.ru_maxrss,
               "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}, f)
sys.exit(rc)
"""


def _hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


def _is_worker(proc: psutil.Process) -> bool:
    try:
        cmd = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return "multiprocessing.spawn" in cmd and "resource_tracker" not in cmd


def run_vidiff(args: list[str], tmp: Path) -> dict[str, Any]:
    """`vidiff ARGS` in its own process: wall seconds, its peak RSS and each spawned worker's (MB)."""
    rss_file = tmp / "rss.json"
    cmd = [sys.executable, "-c", WRAP, str(rss_file), *args]
    workers: dict[int, int] = {}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        me = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                kids = me.children(recursive=True)
            except psutil.NoSuchProcess:
                kids = []
            for k in kids:
                if k.pid in workers or _is_worker(k):
                    hwm = _hwm_kb(k.pid)
                    if hwm is not None:
                        workers[k.pid] = max(workers.get(k.pid, 0), hwm)
            time.sleep(SAMPLE_S)
        wall = time.perf_counter() - t0
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(
                f"parallel.py: failed ({proc.returncode}): {shlex.join(args)}\n{err.read()[-800:]}"
            )
        out.seek(0)
        report = json.loads(out.read() or "null")
    rss = json.loads(rss_file.read_text())
    return {
        "command": "vidiff " + shlex.join(args),
        "wall_s": round(wall, 2),
        "cpu_s": round(rss["cpu_s"], 1),  # user + system of the process and its (joined) workers
        "parent_peak_rss_mb": round(rss["parent_kb"] / 1024, 1),
        "children_maxrss_mb": round(rss["children_maxrss_kb"] / 1024, 1),
        "worker_peak_rss_mb": [round(v / 1024, 1) for v in workers.values()],
        "report": report,
    }


def loop_clip(src: Path, out: Path, minutes: float) -> dict[str, Any]:
    """`src` looped (whole loops) to at least `minutes`, written with speed.py's LOOP."""
    from vidiff.io.probe import probe

    info = probe(src)
    times = max(1, math.ceil(minutes * 60 / info.duration - 1e-9))
    subprocess.run([sys.executable, "-c", LOOP, str(src), str(out), str(times)], check=True)
    looped = probe(out)
    return {"loops": times, "frames": looped.n_frames, "seconds": round(float(looped.duration), 2)}


def worker_peak(run: dict[str, Any]) -> float | None:
    return max(run["worker_peak_rss_mb"]) if run["worker_peak_rss_mb"] else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="length of the long clip (default 10)")
    p.add_argument(
        "--ref-minutes", type=float, default=1.0, help="the RSS reference clip's length (default 1)"
    )
    p.add_argument("--folder-clips", type=int, default=4, help="clips in the folder (default 4)")
    p.add_argument("--folder-minutes", type=float, help="length of each folder clip (default --minutes / 4)")
    p.add_argument("--workers", type=int, default=2, help="workers against --workers 1 (default 2)")
    p.add_argument("--clip", default="bigbuckbunny", help="clip looped (a dev clip name or a file)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: carphone, 0.2 min long clip, 0.1 min reference and folder clips")  # fmt: skip
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "parallel"), help="output folder")
    args = p.parse_args(argv)
    if args.quick:
        args.clip, args.minutes, args.ref_minutes, args.folder_minutes = "carphone_pristine", 0.2, 0.1, 0.1
    folder_minutes = args.folder_minutes or args.minutes / 4

    from vidiff.metrics.bench import resolve_clip

    src = resolve_clip(args.clip)
    base = ["--quiet", "--json"]
    upscale = ["--factor", "2", "--method", "dis"]
    result: dict[str, Any] = {
        "clip": src.stem,
        "targets": {"wall_ratio": TARGET_RATIO, "rss_ratio": TARGET_RSS},
    }
    with tempfile.TemporaryDirectory(prefix="vidiff-parallel-") as tmp:
        tmpd = Path(tmp)
        print(f"parallel: looping {src.stem}", file=sys.stderr)
        long_clip, ref_clip, one = tmpd / "long.mkv", tmpd / "ref.mkv", tmpd / "one.mkv"
        result["long_clip"] = loop_clip(src, long_clip, args.minutes)
        result["ref_clip"] = loop_clip(src, ref_clip, args.ref_minutes)
        result["folder_clip"] = {**loop_clip(src, one, folder_minutes), "copies": args.folder_clips}
        folder = tmpd / "folder"
        folder.mkdir()
        for k in range(args.folder_clips):
            shutil.copy(one, folder / f"clip{k}.mkv")

        runs: dict[str, Any] = {}
        for w in (1, args.workers):
            print(f"parallel: long clip, --workers {w}", file=sys.stderr)
            out = tmpd / f"long_w{w}.mp4"
            runs[f"long_w{w}"] = run_vidiff(["upscale", str(long_clip), "-o", str(out), *upscale,
                                             "--workers", str(w), *base], tmpd)  # fmt: skip
            runs[f"long_w{w}"]["sha256"] = file_sha256(out)
        print(f"parallel: reference clip, --workers {args.workers}", file=sys.stderr)
        runs["ref"] = run_vidiff(["upscale", str(ref_clip), "-o", str(tmpd / "ref.mp4"), *upscale,
                                  "--workers", str(args.workers), *base], tmpd)  # fmt: skip
        for w in (1, args.workers):
            print(f"parallel: folder of {args.folder_clips}, --workers {w}", file=sys.stderr)
            outd = tmpd / f"folder_w{w}"
            runs[f"folder_w{w}"] = run_vidiff(["run", "fps_x2", "-i", str(folder), "-o", str(outd),
                                               "interpolate.method=dis", "--workers", str(w), *base], tmpd)  # fmt: skip
            made = sorted(f for f in outd.iterdir() if f.is_file() and not f.name.startswith("."))
            runs[f"folder_w{w}"]["sha256"] = {f.name: file_sha256(f) for f in made}
        for run in runs.values():  # the commands as they ran, less the temporary folder's name
            run["command"] = run["command"].replace(str(tmpd), "$TMP")

    w = args.workers
    ref_worker = worker_peak(runs["ref"])
    for kind in ("long", "folder"):
        one_run, par = runs[f"{kind}_w1"], runs[f"{kind}_w{w}"]
        peak = worker_peak(par)
        result[kind] = {
            "wall_ratio": round(par["wall_s"] / one_run["wall_s"], 3),
            # the best ratio a run on every core could reach, doing the 1-worker run's CPU work with
            # no overhead: the 1-worker run's cores in use over the machine's
            "ceiling": round(one_run["cpu_s"] / (os.cpu_count() * one_run["wall_s"]), 3),
            "cpu_vs_1": round(par["cpu_s"] / one_run["cpu_s"], 3),
            "identical": one_run["sha256"] == par["sha256"]
            and (kind == "long" or len(par["sha256"]) == args.folder_clips),
            "worker_peak_rss_mb": peak,
            "worker_rss_vs_ref": round(peak / ref_worker, 3) if peak and ref_worker else None,
        }
    result["ref_worker_peak_rss_mb"] = ref_worker
    result["runs"] = runs
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cmd = "python benchmarks/parallel.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    (out / "parallel.json").write_text(json.dumps(result, indent=1) + "\n")
    md = markdown(result, cmd.strip(), w)
    (out / "parallel.md").write_text(md)
    print(md)
    return 0


def markdown(r: dict[str, Any], cmd: str, w: int) -> str:
    """parallel.md: the command, the machine, the lengths measured, the three figures against target."""

    def ok(good: bool | None) -> str:
        return "–" if good is None else ("yes" if good else "**no**")

    def length(c: dict[str, Any]) -> str:
        return f"{c['seconds'] / 60:.2f} min ({c['frames']} frames, {c['loops']} loops)"

    lines = [
        f"# vidiff parallel segments: --workers {w} vs --workers 1",
        "",
        f"Command: `{cmd}`",
        "",
        f"Run: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}; one run each, each its own "
        "`vidiff` process.",
        "",
        f"Clip: {r['clip']} looped. Long clip {length(r['long_clip'])}; RSS reference {length(r['ref_clip'])}; "
        f"folder: {r['folder_clip']['copies']} copies of {length(r['folder_clip'])}. All x2 with DIS.",
        "",
        f"| case | wall s (1 worker) | wall s ({w} workers) | ratio (<= {TARGET_RATIO}) | ceiling | "
        f"CPU s vs 1 worker | identical | worker peak RSS MB | vs reference's {r['ref_worker_peak_rss_mb']} MB "
        f"(<= {TARGET_RSS}) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("long", "folder"):
        k = r[kind]
        a, b = r["runs"][f"{kind}_w1"], r["runs"][f"{kind}_w{w}"]
        rss_ok = None if k["worker_rss_vs_ref"] is None else k["worker_rss_vs_ref"] <= TARGET_RSS
        lines.append(
            f"| {kind} | {a['wall_s']:.1f} | {b['wall_s']:.1f} | {k['wall_ratio']} ({ok(k['wall_ratio'] <= TARGET_RATIO)}) "
            f"| {k['ceiling']} | {k['cpu_vs_1']} | {ok(k['identical'])} | {k['worker_peak_rss_mb']} | {k['worker_rss_vs_ref']} ({ok(rss_ok)}) |"
        )
    lines += [
        "",
        "| run | wall s | CPU s | cores in use | parent peak RSS MB | worker peak RSS MB (each) | command |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, run in r["runs"].items():
        workers = ", ".join(f"{v:.0f}" for v in run["worker_peak_rss_mb"]) or "– (in the parent)"
        lines.append(
            f"| {name} | {run['wall_s']:.1f} | {run['cpu_s']:.1f} | {run['cpu_s'] / run['wall_s']:.2f} "
            f"| {run['parent_peak_rss_mb']:.0f} | {workers} | `{run['command']}` |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
