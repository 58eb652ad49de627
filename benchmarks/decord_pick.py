#!/usr/bin/env python
"""decord 0.6.0 vs decord2 vs PyAV's indexed seek (vidiff/io/random_access.py): import, exactness, speed.

Each engine runs in a process of its own (decord and decord2 install the same `decord` module; each
`--decord DIR` is a `pip install --no-deps --target DIR` of one of them). On every clip: the frames of
--windows random 3-frame windows within the first --ref frames are compared with a sequential decode
(VideoReader: vidiff's RGB, and PyAV's swscale rgb24, the conversion decord uses); then --timed random
windows anywhere in the clip are timed (s per window, the reader opened once). Clips: the four kinds of
tests/clip_kinds.py, made here, and any --clips given. Writes results.json and results.md to --out.

Usage: python benchmarks/decord_pick.py --decord /tmp/d060 /tmp/d2 --clips bigbuckbunny resources/bbb.mp4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
import numpy as np
import av
engine, path, ref_n, windows, timed = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
from vidiff.io.reader import VideoReader
out = {"engine": engine}
try:
    from vidiff.io.random_access import DecordReader, SeekReader
    if engine != "pyav":
        import decord
        out["version"] = decord.__version__
    t = time.perf_counter()
    r = SeekReader(path) if engine == "pyav" else DecordReader(path)
    out["open_s"] = time.perf_counter() - t
except Exception as e:
    print(json.dumps({**out, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}))
    sys.exit()
ref, sws = [], []
with av.open(path) as c:
    for f in c.decode(c.streams.video[0]):
        sws.append(f.to_ndarray(format="rgb24"))
        if len(sws) >= ref_n:
            break
for f in VideoReader(path):
    ref.append(f.image)
    if len(ref) >= ref_n:
        break
n = len(ref)
rng = np.random.default_rng(0)
same, same_sws, maxdiff, meandiff, k = 0, 0, 0, [], 0
for _ in range(windows):
    s = int(rng.integers(0, n - 4))
    idx = [s, s + 2, s + 1]
    for i, im in zip(idx, r.get(idx)):
        k += 1
        same += bool(np.array_equal(im, ref[i]))
        same_sws += bool(np.array_equal(im, sws[i]))
        d = np.abs(im.astype(int) - ref[i])
        maxdiff, meandiff = max(maxdiff, int(d.max())), meandiff + [float(d.mean())]
        # the nearest reference frame (ties: i, the clip holds repeated frames): an off-by-one shows
        # here whatever the colour conversion
        near = min(range(max(0, i - 2), min(n, i + 3)), key=lambda j: (np.abs(im.astype(int) - ref[j]).mean(), j != i))
        out["wrong_frame"] = out.get("wrong_frame", 0) + (near != i)
out.update(frames=len(r), checked=k, exact_vidiff=same, exact_swscale=same_sws, max_abs_diff=maxdiff,
           mean_abs_diff=float(np.mean(meandiff)))
t = time.perf_counter()
for _ in range(timed):
    s = int(rng.integers(0, len(r) - 9))
    r.get([s, s + 4, s + 2])
out["s_per_window"] = (time.perf_counter() - t) / timed
print(json.dumps(out))
"""


def clips_made(folder: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from clip_kinds import KINDS, make_clip

    return [str(make_clip(folder, k, n=60)) for k in KINDS]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decord", nargs="*", default=[], help="folders each holding one decord build")
    ap.add_argument("--clips", nargs="*", default=[], help="more clips (paths or bundled names)")
    ap.add_argument("--ref", type=int, default=120)
    ap.add_argument("--windows", type=int, default=20)
    ap.add_argument("--timed", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/decord_pick"))
    args = ap.parse_args(argv)
    from vidiff.metrics.bench import resolve_clip

    tmp = Path(tempfile.mkdtemp())
    clips = clips_made(tmp) + [str(resolve_clip(c)) for c in args.clips]
    engines = [("pyav", "")] + [("decord", d) for d in args.decord]
    rows = []
    for clip in clips:
        for name, site in engines:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(x for x in (site, str(ROOT)) if x)}
            cmd = [sys.executable, "-c", CHILD, name, clip, str(args.ref), str(args.windows), str(args.timed)]
            p = subprocess.run(cmd, capture_output=True, text=True, env=env)
            last = (p.stdout.strip().splitlines() or ['{"error": "no output"}'])[-1]
            row = {"clip": Path(clip).name, "site": site, **json.loads(last)}
            if p.returncode:
                row["error"] = (p.stderr.strip().splitlines() or ["crashed"])[-1]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    head = "| clip | engine | frames | wrong frame | exact vs vidiff RGB | exact vs swscale rgb24 | max diff | mean diff | s/window |"
    lines = [
        "# Random access engines: exactness and speed",
        "",
        f"Command: `{command_line('decord_pick.py', argv)}`",
        "",
        f"Load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with other jobs)",
        "",
        head,
        "|" + " --- |" * (head.count("|") - 1),
    ]
    for r in rows:
        eng = f"{r['engine']} {r.get('version', '')}".strip()
        if "error" in r:
            lines.append(f"| {r['clip']} | {eng} | error: {r['error']} | | | | | | |")
            continue
        lines.append(
            f"| {r['clip']} | {eng} | {r['frames']} | {r['wrong_frame']}/{r['checked']} | "
            f"{r['exact_vidiff']}/{r['checked']} | {r['exact_swscale']}/{r['checked']} | {r['max_abs_diff']} | "
            f"{r['mean_abs_diff']:.2f} | {r['s_per_window']:.3f} |"
        )
    write_report(args.out, command_line("decord_pick.py", argv), rows, lines)


if __name__ == "__main__":
    main()
