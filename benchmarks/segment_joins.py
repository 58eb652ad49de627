#!/usr/bin/env python
"""Segment joins: is there a quality step where a resumable segment starts, and what does the join cost?

Each clip's first --frames frames are written three ways, in segments of --segment frames (libx264, --crf,
preset medium, MB-tree off): each segment encoded on its own (a key frame at each start, as vidiff did
before) with CRF and with the constant quantizer it used next (qp = crf + 4, ipratio = pbratio = 1), and
through `ResumableWriter` as it is now (lossless FFV1 segments, the join ONE continuous encode with the
encoder's own rate control and key frames). Per frame: its packet's bytes, and its PSNR (all RGB values)
against the frame written. At each segment start: the frame's bytes over the median other frame's, the
PSNR step into it against the median (and 95th percentile) step between two other frames, both also at
the frames --segment/2 earlier (`*_control`: what any frame gives), and (with --metrics) `vidiff
metrics`' warping error there over its median, how many of its 5 worst segments hold a segment start, and
the same count at the control frames.

With --cost, `vidiff upscale` (factor 2, --workers 1, progress off) of each --cost-clips' first --cost-frames
frames with each of --cost-methods: the whole run's seconds, the join's (the final encode, from its
first decoded segment frame to the renamed output) and its share,
and the parts folder's bytes at the join (per output frame, and over the raw frames' bytes).

Usage: python benchmarks/segment_joins.py [--clips carphone_pristine bikes] [--frames 240] [--metrics]
       [--cost] [--cost-methods dis auto] [--cost-frames 48] [--cost-clips carphone_pristine bikes bigbuckbunny]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent


def _qp(encoder: str, crf: int | None, preset: str | None) -> dict[str, str]:
    """libx264's options of the constant quantizer vidiff used before the continuous join."""
    qp = 0 if crf == 0 else min(51, (crf or 18) + 4)
    return {"preset": preset or "medium", "qp": str(qp), "x264-params": "mbtree=0:ipratio=1.0:pbratio=1.0"}


def _packets(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-frame packet bytes (in display order) and the decoded RGB frames of a file."""
    from vidiff.io.color import frame_to_rgb

    with av.open(str(path)) as c:
        pkts = sorted((p for p in c.demux(c.streams.video[0]) if p.dts is not None), key=lambda p: p.pts)
        sizes = np.array([p.size for p in pkts])
    with av.open(str(path)) as c:
        decoded = [frame_to_rgb(f) for f in c.decode(video=0)]  # as `read_frames` converts
    return sizes, decoded


def _own(frames: list, fps: Fraction, seg: int, crf: int, folder: Path, opts) -> tuple[Path, np.ndarray]:
    """Each segment encoded on its own (`opts`: the encoder's options); the decoded frames go into one
    lossless file for `vidiff metrics`. Returns (that file, per-frame bytes)."""
    from vidiff.io import writer

    h, w = frames[0].shape[:2]
    now, writer._encoder_options = writer._encoder_options, opts or writer._encoder_options
    sizes, decoded = [], []
    try:
        for k in range(0, len(frames), seg):
            part = folder / f"seg{k}.mp4"
            with writer.VideoWriter(part, w, h, fps, crf=crf) as vw:
                vw.write_all(frames[k : k + seg])
            s, d = _packets(part)
            sizes.append(s)
            decoded += d
    finally:
        writer._encoder_options = now
    joined = folder / "own.mkv"
    with writer.VideoWriter(joined, w, h, fps, codec="ffv1", crf=None, pix_fmt="bgr0") as vw:
        vw.write_all(decoded)
    return joined, np.concatenate(sizes)


def _continuous(frames: list, fps: Fraction, seg: int, crf: int, out: Path) -> np.ndarray:
    """Through `ResumableWriter` (now: lossless segments, one encode at the join); per-frame bytes."""
    from vidiff.io.segments import ResumableWriter

    h, w = frames[0].shape[:2]
    with ResumableWriter(out, w, h, fps, key={}, segment_frames=seg, crf=crf) as rw:
        for im in frames:
            rw.write(im)
    return _packets(out)[0]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-10))


def _joins(args: argparse.Namespace) -> list[dict]:
    from vidiff.io.probe import probe
    from vidiff.io.reader import read_frames
    from vidiff.metrics.bench import resolve_clip
    from vidiff.metrics.clip import analyze_clip

    rows = []
    ways = (("own segments, crf", None), ("own segments, constant qp (before)", _qp), ("continuous (now)", 0))
    with tempfile.TemporaryDirectory(prefix="vidiff-joins-") as tmp:
        for clip in args.clips:
            path = resolve_clip(clip)
            info = probe(path)
            frames = [getattr(f, "image", f) for f in read_frames(path, max_frames=args.frames)]
            starts = np.arange(args.segment, len(frames), args.segment)
            control = starts - args.segment // 2
            rest = np.setdiff1d(np.arange(1, len(frames)), starts)
            for name, opts in ways:
                folder = Path(tmp) / f"{path.stem}_{len(rows)}"
                folder.mkdir()
                if opts == 0:
                    out = folder / "out.mp4"
                    sizes = _continuous(frames, info.fps, args.segment, args.crf, out)
                else:
                    out, sizes = _own(frames, info.fps, args.segment, args.crf, folder, opts)
                decoded = read_frames(out)
                ps = np.array([_psnr(a, b) for a, b in zip(frames, decoded, strict=True)])
                step = np.abs(np.diff(ps))  # step[i - 1]: into frame i
                row = {
                    "clip": path.stem,
                    "size": f"{info.width}x{info.height}",
                    "encode": name,
                    "kbytes": round(float(sizes.sum()) / 1024, 1),
                    "psnr": round(float(ps.mean()), 3),
                    "key_over_median_bytes": round(
                        float(np.median(sizes[starts]) / np.median(sizes[rest])), 2
                    ),
                    "bytes_control": round(float(np.median(sizes[control]) / np.median(sizes[rest])), 2),
                    "psnr_step_at_starts": round(float(step[starts - 1].mean()), 3),
                    "step_control": round(float(step[control - 1].mean()), 3),
                    "psnr_step_median": round(float(np.median(step[rest - 1])), 3),
                    "psnr_step_p95": round(float(np.percentile(step[rest - 1], 95)), 3),
                }
                if args.metrics:
                    rep = analyze_clip(out, top=5)
                    we = np.array([r["warp_err"] or np.nan for r in rep["frames"]], float)
                    row["warp_at_starts_over_median"] = round(
                        float(np.nanmean(we[starts]) / np.nanmedian(we[rest])), 3
                    )
                    worst = rep["summary"]["worst_segments"]
                    for col, at in (("worst5_at_starts", starts), ("worst5_at_control", control)):
                        row[col] = sum(any(s["frames"][0] <= k <= s["frames"][1] for k in at) for s in worst)
                rows.append(row)
                print(row, file=sys.stderr, flush=True)
    return rows


def _cost(args: argparse.Namespace) -> list[dict]:
    """The join's share of an upscale run and the parts folder's bytes (see the module's docstring)."""
    from vidiff.io.probe import probe
    from vidiff.io.reader import read_frames
    from vidiff.io.segments import ResumableWriter
    from vidiff.io.writer import VideoWriter
    from vidiff.metrics.bench import resolve_clip
    from vidiff.runner import upscale_file

    seen: dict[str, float] = {}
    close, encode_part = ResumableWriter._close, ResumableWriter._encode_part

    def timed(self: ResumableWriter) -> None:
        close(self)
        seen["join_s"] = time.perf_counter() - seen["t0"]

    def first(self: ResumableWriter, out: VideoWriter, k: int, n: int) -> None:
        if k == 0:  # the join begins: every segment is made
            seen["parts_bytes"] = sum(p.stat().st_size for p in self.work.glob("part*"))
            seen["t0"] = time.perf_counter()
        encode_part(self, out, k, n)

    rows = []
    with tempfile.TemporaryDirectory(prefix="vidiff-joincost-") as tmp:
        for clip in args.cost_clips:
            path = resolve_clip(clip)
            info = probe(path)
            cut = Path(tmp) / f"{path.stem}.mkv"  # the first frames, lossless, as the run's input
            with VideoWriter(
                cut, info.width, info.height, info.fps, codec="ffv1", crf=None, pix_fmt="bgr0"
            ) as w:
                w.write_all(getattr(f, "image", f) for f in read_frames(path, max_frames=args.cost_frames))
            for method in args.cost_methods:
                out = Path(tmp) / f"{path.stem}_{method}.mp4"
                ResumableWriter._close, ResumableWriter._encode_part = timed, first
                try:
                    t0 = time.perf_counter()
                    r = upscale_file(
                        cut, out, factor=2, method=method, workers=1, progress=False, crf=args.crf
                    )
                    total = time.perf_counter() - t0
                finally:
                    ResumableWriter._close, ResumableWriter._encode_part = close, encode_part
                n = r["out_frames"]
                raw = n * info.width * info.height * 1.5  # yuv420p
                row = {
                    "clip": path.stem,
                    "size": f"{info.width}x{info.height}",
                    "method": method,
                    "frames_out": n,
                    "run_s": round(total, 1),
                    "join_s": round(seen["join_s"], 1),
                    "join_share": round(seen["join_s"] / total, 3),
                    "parts_kb_per_frame": round(seen["parts_bytes"] / n / 1024, 1),
                    "parts_over_raw": round(seen["parts_bytes"] / raw, 3),
                    "output_kb_per_frame": round(out.stat().st_size / n / 1024, 1),
                }
                rows.append(row)
                print(row, file=sys.stderr, flush=True)
    return rows


def _table(rows: list[dict]) -> list[str]:
    cols = list(rows[0])
    return [
        "| " + " | ".join(cols) + " |",
        "| " + " | ".join("---" for _ in cols) + " |",
        *("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--clips", nargs="+", default=["carphone_pristine", "bikes"], help="dev clip names or files"
    )
    p.add_argument("--frames", type=int, default=240, help="first frames encoded (default 240)")
    p.add_argument("--segment", type=int, default=60, help="frames per segment (default 60)")
    p.add_argument("--crf", type=int, default=18, help="--crf (default 18, vidiff's)")
    p.add_argument("--metrics", action="store_true", help="also run `vidiff metrics` on each file (slow)")
    p.add_argument("--cost", action="store_true", help="also time the join in `vidiff upscale` runs")
    p.add_argument("--cost-methods", nargs="+", default=["dis", "auto"], help="methods timed (--cost)")
    p.add_argument("--cost-frames", type=int, default=48, help="source frames of each --cost run")
    p.add_argument(
        "--cost-clips", nargs="+", default=["carphone_pristine", "bikes", "bigbuckbunny"], help="--cost clips"
    )
    p.add_argument(
        "--out", default=str(ROOT / "benchmarks" / "results" / "segment_joins"), help="output folder"
    )
    args = p.parse_args(argv)
    cmd = command_line("segment_joins.py", argv)
    rows = _joins(args)
    lines = [
        "# Segment joins: the quality step where a resumable segment starts",
        "",
        f"Command: `{cmd}`",
        "",
        f"First {args.frames} frames of each clip, segments of {args.segment}, libx264 --crf {args.crf}, "
        "preset medium, MB-tree off.",
        "",
        *_table(rows),
    ]
    if args.cost:
        cost = _cost(args)
        rows += cost
        lines += [
            "",
            f"## The join's cost: `vidiff upscale` of the first {args.cost_frames} frames, factor 2, "
            "--workers 1",
            "",
            *_table(cost),
        ]
    write_report(args.out, cmd, rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
