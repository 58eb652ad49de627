#!/usr/bin/env python
"""What auto's field scan and random access's last-frames check cost, and what a process saves when it
is handed them instead of finding them again (`--workers` jobs, spawned training data workers).

Rows, each on every clip, medians of --reps, the caches emptied before each try (a fresh process's):

- `scan`: `vidiff.io.field_scan.scan` alone (ms): what `--deinterlace auto` adds to a clip's first open
  in a process; its verdict (`resolve`: off, field or film) beside it.
- `job`: a worker's job start, `frames_at` of 3 frames at a third of the clip, "alone" (it scans the
  file, as each worker did) and "carried" (`deinterlace.remember` of the parent's `found`, as `run_job`
  does now); the two alternate, first one then the other.
- `open`: training's `open_frames` "alone" (fields scanned, last frames decoded: `access_tail`) and
  "carried" (`random_access.remember_open` of the parent's `found_at_open`, as a spawned data worker
  does now), alternating.

Clips: the three sample clips, and two made here at DVD size (720x480) from bigbuckbunny's first frame
panned: `dvd_combed` (fields a field apart, woven, coded progressive by x264 at 29.97 fps: an interlaced
DVD rip re-encoded without its flags), `dvd_film` and `dvd_film_slow` (2:3 pulldown of 24 fps film
panning 5 and 2 pixels a film frame, woven, coded progressive). Writes results.json and results.md to --out.

Usage: python benchmarks/field_scans.py --reps 5 --out benchmarks/results/field_scans
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from report import command_line, write_report

from vidiff.io import access_tail, deinterlace, field_scan
from vidiff.io.deinterlace import resolve
from vidiff.io.random_access import found_at_open, open_frames, remember_open
from vidiff.io.reader import VideoReader, read_frames
from vidiff.io.samples import sample_clip
from vidiff.runner.seek import crc, frames_at

SIZE = (720, 480)
SAMPLES = ("bikes", "carphone_pristine", "bigbuckbunny")


def _encode(path: Path, pictures: list[np.ndarray], rate: Fraction) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=rate, options={"crf": "18", "preset": "veryfast"})
        s.width, s.height, s.pix_fmt = *SIZE, "yuv420p"
        for i, im in enumerate(pictures):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / rate
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def made_clips(where: Path, n: int) -> dict[str, Path]:
    """`dvd_combed` and `dvd_film`, `n` stored frames each (see the module's docstring)."""
    still = read_frames(str(sample_clip("bigbuckbunny")))[0]

    def at(x: int) -> np.ndarray:  # the picture panned `x` pixels right
        return np.ascontiguousarray(still[100 : 100 + SIZE[1], x : x + SIZE[0]])

    woven = []
    for i in range(n):
        im = at(2 * i).copy()
        im[1::2] = at(2 * i + 1)[1::2]
        woven.append(im)
    rate = Fraction(30000, 1001)
    made = {"dvd_combed": _encode(where / "dvd_combed.mp4", woven, rate)}
    for name, step in (("dvd_film", 5), ("dvd_film_slow", 2)):
        fields: list[np.ndarray] = []
        for j in range(n):
            fields += [at(step * j)] * (2 if j % 2 == 0 else 3)
        film = []
        for i in range(n):
            im = fields[2 * i].copy()
            im[1::2] = fields[2 * i + 1][1::2]
            film.append(im)
        made[name] = _encode(where / f"{name}.mp4", film, rate)
    return made


def _forget() -> None:
    """Empty this process's caches of the files' facts: as a freshly spawned process holds them."""
    field_scan._FOUND.clear()
    deinterlace._PHASE.clear()
    access_tail._FOUND.clear()


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _pair(reps: int, alone: Callable[[], object], carried: Callable[[], object], give: Callable[[], None]):
    """Medians (s) of `alone` and of `carried` (after `give`), each after `_forget`, alternating order."""
    a, c = [], []
    for r in range(reps):
        order = [("a", alone), ("c", carried)] if r % 2 == 0 else [("c", carried), ("a", alone)]
        for name, fn in order:
            _forget()
            if name == "c":
                give()
            (a if name == "a" else c).append(_timed(fn))
    return statistics.median(a), statistics.median(c)


def measure(name: str, path: str, reps: int) -> list[dict]:
    _forget()
    scans = []
    for _ in range(reps):
        _forget()
        scans.append(_timed(lambda: field_scan.scan(path)))
    found = field_scan.scan(path)
    how = resolve("auto", False, path)
    rows = [{"clip": name, "what": "scan", "ms": 1000 * statistics.median(scans), "read": how, **vars(found)}]
    # the parent's facts, as the planning pass finds them (a VideoReader opens the file: probe, scan, phase)
    ref = list(VideoReader(path))
    carry, at_open = deinterlace.found(path), None
    k = len(ref) // 3
    want = {i: (ref[i].time, crc(ref[i].image)) for i in (k, k + 1, k + 2)}

    def job() -> None:
        got = [i for i, _ in frames_at(path, want)]
        assert got == list(want), (name, got)

    a, c = _pair(reps, job, job, lambda: deinterlace.remember(path, carry))
    rows.append({"clip": name, "what": "job", "alone_ms": 1000 * a, "carried_ms": 1000 * c, "ratio": a / c})
    _forget()
    open_frames(path).close()
    at_open = found_at_open(path)

    def opened() -> None:
        open_frames(path).close()

    a, c = _pair(reps, opened, opened, lambda: remember_open(path, at_open))
    rows.append({"clip": name, "what": "open", "alone_ms": 1000 * a, "carried_ms": 1000 * c, "ratio": a / c})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--frames", type=int, default=120, help="stored frames of each made clip")
    ap.add_argument("--out", default="benchmarks/results/field_scans")
    args = ap.parse_args(argv)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = {n: str(sample_clip(n)) for n in SAMPLES}
        clips.update({n: str(p) for n, p in made_clips(Path(tmp), args.frames).items()})
        for name, path in clips.items():
            rows += measure(name, path, args.reps)
            print(rows[-3:], file=sys.stderr)
    lines = [
        f"`{command_line('field_scans.py', argv)}`",
        "",
        "| clip | auto reads it | scan ms | idet tff/bff/progressive/undetermined/repeated | "
        "job start alone ms | carried ms | ratio | open alone ms | carried ms | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in clips:
        s, j, o = (
            next(r for r in rows if r["clip"] == name and r["what"] == w) for w in ("scan", "job", "open")
        )
        votes = "/".join(str(s[k]) for k in ("tff", "bff", "progressive", "undetermined", "repeated"))
        lines.append(
            f"| {name} | {s['read']} | {s['ms']:.0f} | {votes} | {j['alone_ms']:.0f} | {j['carried_ms']:.0f} | "
            f"{j['ratio']:.2f} | {o['alone_ms']:.0f} | {o['carried_ms']:.0f} | {o['ratio']:.2f} |"
        )
    write_report(args.out, command_line("field_scans.py", argv), rows, lines, reps=args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
