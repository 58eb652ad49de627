#!/usr/bin/env python
"""Training on footage of any length: peak memory and steps/s of `vidiff train` at the shipped config.

Runs `vidiff train configs/train/default.yaml` for --steps steps (validation, checkpoints and export
off) once per data setting, each in a process of its own, all at the same time:
  procedural  data.real_fraction=0 (no clip decoded: the speed to match);
  shipped     the shipped config's clip (bigbuckbunny.mp4, 132 frames);
  bbb_1min    the first minute of the 10-minute Big Buck Bunny (`vidiff fetch bbb`, remuxed, no re-encode);
  bbb_10min   all of it.
Peak RSS: the largest sum over the run's processes (trainer + data workers), sampled every 0.2 s from
/proc with psutil. The machine's load average is recorded: it is shared, timings move with it.
Writes results.json and results.md to --out.

Usage: python benchmarks/train_memory.py [--steps 200] [--only bbb_1min bbb_10min] [--set model.diffusion.priors=dis]
(--set: e.g. a smaller network, so that a loaded machine gets through the steps: the data path, which is
what grows with the footage, is the shipped config's; a smaller constant part makes the ratio stricter.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import psutil
from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ("procedural", "shipped", "bbb_1min", "bbb_10min")


def first_minutes(src: Path, dest: Path, seconds: float) -> Path:
    """The first `seconds` of `src`'s video stream, packets copied (no re-encode)."""
    with av.open(str(src)) as i, av.open(str(dest), "w") as o:
        vs = i.streams.video[0]
        os_ = o.add_stream_from_template(vs)
        for p in i.demux(vs):
            if p.dts is None:
                continue
            if p.pts is not None and p.pts * vs.time_base >= seconds and p.is_keyframe:
                break
            p.stream = os_
            o.mux(p)
    return dest


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def start(clip: str | None, steps: int, out: Path, extra: list[str]) -> tuple[subprocess.Popen, list[str]]:
    over = [*extra, f"train.steps={steps}", f"train.output={out}", "train.export=null", "train.eval_every=0"]
    over += [f"train.checkpoint_every={steps}", "train.log_every=25"]
    over += ["data.real_fraction=0"] if clip is None else [f"data.clips=[{clip}]"]
    cmd = [
        str(Path(sys.executable).parent / "vidiff"),
        "train",
        "configs/train/default.yaml",
        "--quiet",
        *over,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, cmd


def run_all(clips: dict[str, str | None], steps: int, tmp: Path, extra: list[str]) -> list[dict]:
    """Every setting at once (memory is what is compared: a shared machine's load moves only time)."""
    t0 = time.time()
    runs = {k: start(c, steps, tmp / k, extra) for k, c in clips.items()}
    peak = dict.fromkeys(runs, 0)
    wall = {}
    while len(wall) < len(runs):
        for k, (proc, _) in runs.items():
            if k in wall:
                continue
            if proc.poll() is not None:
                wall[k] = time.time() - t0
            else:
                peak[k] = max(peak[k], tree_rss(psutil.Process(proc.pid)))
        time.sleep(0.2)
    rows = []
    for k, (proc, cmd) in runs.items():
        text = proc.stdout.read()
        if proc.returncode:
            raise SystemExit(f"{k}: exit {proc.returncode}: {text[-2000:]}")
        log = [json.loads(x) for x in (tmp / k / "log.jsonl").read_text().splitlines()]
        rows.append(
            {
                "setting": k,
                "clip": clips[k],
                "steps": log[-1]["step"],
                "peak_rss_mb": peak[k] / 2**20,
                "steps_per_s": log[-1]["steps_per_s"],
                "wall_s": wall[k],
                "command": " ".join(cmd[1:]),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--only", nargs="*", choices=SETTINGS, default=list(SETTINGS))
    ap.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="more config overrides, every run"
    )
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/train_memory"))
    args = ap.parse_args(argv)
    from vidiff.fetch import fetch_bbb
    from vidiff.io.samples import sample_clip

    tmp = Path(tempfile.mkdtemp())
    bbb = fetch_bbb()
    clips = {
        "procedural": None,
        "shipped": str(sample_clip("bigbuckbunny")),
        "bbb_1min": str(first_minutes(bbb, tmp / "bbb_1min.mp4", 60.0)),
        "bbb_10min": str(bbb),
    }
    load0 = os.getloadavg()[0]
    rows = run_all({k: clips[k] for k in args.only}, args.steps, tmp, args.set)
    load1 = os.getloadavg()[0]
    lines = [
        "# Training on footage of any length: peak RSS and steps/s",
        "",
        f"Command: `{command_line('train_memory.py', argv)}`",
        "",
        f"Each row: `{rows[0]['command']}` with the setting's data (see the script's docstring).",
        f"The settings run at the same time, on 2 CPU cores shared with other jobs (load average {load0:.0f} "
        f"at the start, {load1:.0f} at the end): memory is what this compares; steps/s only say that the "
        "runs went through (benchmarks/results/train_speed measures speed).",
        "",
        "| setting | frames of footage | peak RSS MB (all processes) | steps/s | wall s |",
        "| --- | --- | --- | --- | --- |",
    ]
    from vidiff.io.random_access import open_frames

    for r in rows:
        n = len(open_frames(r["clip"])) if r["clip"] else 0
        r["frames"] = n
        lines.append(
            f"| {r['setting']} | {n} | {r['peak_rss_mb']:.0f} | {r['steps_per_s']:.2f} | {r['wall_s']:.0f} |"
        )
    mem = {r["setting"]: r["peak_rss_mb"] for r in rows}
    if "bbb_1min" in mem and "bbb_10min" in mem:
        lines += ["", f"Peak RSS 10 min / 1 min of footage: {mem['bbb_10min'] / mem['bbb_1min']:.3f}"]
    write_report(args.out, command_line("train_memory.py", argv), rows, lines)


if __name__ == "__main__":
    main()
