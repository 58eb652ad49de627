#!/usr/bin/env python
"""Same bytes out: sha256 of `vidiff upscale` outputs, to compare before and after a refactor (issue 31).

Three real clips, cut short so a run takes seconds (the cut is re-encoded losslessly with PyAV at the
source rate, bigbuckbunny's audio copied up to the cut; each cut's own sha256 is recorded too, so a
different cut shows as such: the sha256 of its decoded frames and audio packets, since Matroska's header
differs from run to run) x the methods below, each `vidiff upscale CUT -o OUT --factor 2 --method M
--workers 1 -q`, plus one parallel run (bikes whole, dis, --workers 2: three segments) and one recipe run
(slowmo_x4 on the bigbuckbunny cut: speed, slowed audio). Writes results.json / results.md to --out;
with --check FILE, compares against an earlier results.json and exits 1 on any difference.

Usage:
  python benchmarks/refactor_sha.py --out benchmarks/results/refactor_sha/before
  python benchmarks/refactor_sha.py --out /tmp/after --check benchmarks/results/refactor_sha/before/results.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
from report import command_line, write_report

from vidiff.fetch import file_sha256
from vidiff.io.samples import sample_clip

CUTS = {"bikes": 40, "carphone_pristine": 60, "bigbuckbunny": 30}  # frames kept from the start
METHODS = ["dis", "fuse", "blend"]
SLOW = {("carphone_pristine", "diffusion")}  # the model: only on the smallest clip


def cut(name: str, n: int, out: Path) -> Path:
    """The first `n` frames of sample clip `name`, lossless H.264 at its rate, audio copied up to the cut."""
    with av.open(str(sample_clip(name))) as src, av.open(str(out), "w") as dst:
        vin = src.streams.video[0]
        rate = vin.average_rate
        vout = dst.add_stream("libx264", rate=rate)
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        vout.codec_context.time_base = Fraction(1) / rate
        vout.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        ain = src.streams.audio[0] if src.streams.audio else None
        aout = dst.add_stream_from_template(ain) if ain is not None else None
        for i, frame in enumerate(src.decode(vin)):
            if i == n:
                break
            f = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            f.pts, f.time_base = i, vout.codec_context.time_base
            dst.mux(vout.encode(f))
        dst.mux(vout.encode(None))
        if ain is not None:
            src.seek(0)
            end = n / rate
            for pkt in src.demux(ain):
                if pkt.pts is None or pkt.pts * ain.time_base >= end:
                    continue
                pkt.stream = aout
                dst.mux(pkt)
    return out


def decoded_sha256(path: Path) -> str:
    """sha256 of a file's decoded video frames (RGB) and its audio packets: the cut's content (Matroska
    writes a random segment UID and the date, so two cuts of the same frames differ in 44 header bytes)."""
    h = hashlib.sha256()
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            h.update(frame.to_ndarray(format="rgb24").tobytes())
        if c.streams.audio:
            c.seek(0)
            for pkt in c.demux(c.streams.audio[0]):
                h.update(bytes(pkt))
    return h.hexdigest()


def run(args: list[str]) -> float:
    print("run", *args[:2], args[-4:], file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidiff", *args], check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--check", help="an earlier results.json: exit 1 if any sha256 differs")
    ap.add_argument("--no-slow", action="store_true", help="skip the diffusion run")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for name, n in CUTS.items():
            clip = cut(name, n, tmp / f"{name}.mkv")
            rows.append({"case": f"{name} cut {n} (decoded)", "sha256": decoded_sha256(clip), "seconds": 0.0})
            methods = METHODS + [m for c, m in SLOW if c == name and not a.no_slow]
            for m in methods:
                out = tmp / f"{name}.{m}.mp4"
                s = run(
                    [
                        "upscale",
                        str(clip),
                        "-o",
                        str(out),
                        "--factor",
                        "2",
                        "--method",
                        m,
                        "--workers",
                        "1",
                        "-q",
                    ]
                )
                rows.append({"case": f"{name} x2 {m}", "sha256": file_sha256(out), "seconds": round(s, 1)})
        out = tmp / "bikes.workers2.mp4"
        s = run(
            ["upscale", str(sample_clip("bikes")), "-o", str(out), "--factor", "2", "--method", "dis"]
            + ["--workers", "2", "-q"]
        )
        rows.append(
            {"case": "bikes (whole) x2 dis --workers 2", "sha256": file_sha256(out), "seconds": round(s, 1)}
        )
        out = tmp / "bbb.slowmo.mp4"
        s = run(
            [
                "run",
                "slowmo_x4",
                "-i",
                str(tmp / "bigbuckbunny.mkv"),
                "-o",
                str(out),
                "interpolate.method=dis",
                "--workers",
                "1",
                "-q",
            ]
        )
        rows.append(
            {"case": "bigbuckbunny cut run slowmo_x4 dis", "sha256": file_sha256(out), "seconds": round(s, 1)}
        )
    cmd = command_line("refactor_sha.py", argv)
    lines = [f"`{cmd}`", "", "| case | sha256 | s |", "|---|---|---|"]
    lines += [f"| {r['case']} | {r['sha256']} | {r['seconds']} |" for r in rows]
    write_report(a.out, cmd, rows, lines)
    if a.check:
        before = {r["case"]: r["sha256"] for r in json.loads(Path(a.check).read_text())["rows"]}
        diff = [r["case"] for r in rows if r["case"] in before and before[r["case"]] != r["sha256"]]
        print("same bytes" if not diff else f"DIFFERENT: {diff}")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
