#!/usr/bin/env python
"""RGB -> YUV 4:2:0 -> RGB round trips by stream tags: vidiff's conversions (`vidiff.io.color`) against
swscale told the tags, and the code before (OpenCV's BT.601 where untagged or BT.601 limited; else swscale's
BT.601 limited whatever the tags, written with the matrix's tag but not a full range's, read back by them). PSNR and mean shift over the first frame of each sample
clip, saturated-colour error, and milliseconds a 1280x720 frame each way (median of 30).

Usage: python benchmarks/color_paths.py [--out benchmarks/results/color]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import command_line, write_report  # noqa: E402

from vidiff.io.color import frame_to_rgb, rgb_to_frame  # noqa: E402
from vidiff.io.reader import read_frames  # noqa: E402
from vidiff.io.samples import SAMPLE_CLIPS, sample_clip  # noqa: E402

SWS_MATRIX = {1: 1, 4: 4, 5: 5, 6: 5, 7: 7, 9: 9, 10: 9}  # AVColorSpace -> swscale's matrix (SWS_CS_*)
TAGS = {"BT.709": (1, 0), "BT.709 full": (1, 2), "BT.601 full": (6, 2), "BT.2020": (9, 0), "untagged": (2, 0)}


def tagged(frame: av.VideoFrame, space: int, rng: int) -> av.VideoFrame:
    frame.colorspace, frame.color_range = space, rng  # what a decoder sets from the stream
    return frame


def vidiff_rt(img: np.ndarray, space: int, rng: int) -> np.ndarray:
    return frame_to_rgb(tagged(rgb_to_frame(img, "yuv420p", space, rng), space, rng))


def sws_told(img: np.ndarray, space: int, rng: int) -> np.ndarray:
    m = SWS_MATRIX.get(space, 5)
    yuv = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(
        format="yuv420p", dst_colorspace=m, dst_color_range=rng or None
    )
    return yuv.reformat(format="rgb24", src_colorspace=m, src_color_range=rng or None).to_ndarray()


def before(img: np.ndarray, space: int, rng: int) -> np.ndarray:
    """The code before, written then read back: OpenCV's BT.601 for untagged and BT.601 limited; else
    swscale's BT.601 limited whatever the tags, the file tagged with the matrix but not a full range (the
    writer dropped it), read back by those tags."""
    if space in (2, 5, 6) and rng != 2:
        yuv = cv2.cvtColor(img, cv2.COLOR_RGB2YUV_I420)
        return cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)
    yuv = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
    return tagged(yuv, space, 0).to_ndarray(format="rgb24")


PATHS = {"vidiff": vidiff_rt, "swscale told the tags": sws_told, "before": before}


def score(a: np.ndarray, b: np.ndarray) -> dict:
    d = a.astype(np.float64) - b
    return {"psnr": 10 * np.log10(255**2 / max(np.mean(d**2), 1e-10)), "shift": d.mean()}


def clock(fn, n: int = 30) -> float:
    fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/color")
    a = ap.parse_args()
    clips = {}
    for name in SAMPLE_CLIPS:
        im = read_frames(sample_clip(name), max_frames=1)[0]
        clips[name] = np.ascontiguousarray(im[: im.shape[0] // 2 * 2, : im.shape[1] // 2 * 2])
    sat = np.zeros((64, 64, 3), np.uint8)
    sat[:, :32], sat[:, 32:] = (250, 5, 40), (3, 180, 252)
    rows = []
    for tag, (space, rng) in TAGS.items():
        for path, fn in PATHS.items():
            row = {"tag": tag, "path": path}
            for name, im in clips.items():
                row[name] = score(fn(im, space, rng), im)
            row["saturated_max_error"] = int(np.abs(fn(sat, space, rng).astype(int) - sat)[4:-4].max())
            rows.append(row)
    big = clips["bigbuckbunny"]
    yuv_vidiff = tagged(rgb_to_frame(big, "yuv420p", 1, 0), 1, 0)
    yuv_sws = tagged(
        av.VideoFrame.from_ndarray(big, format="rgb24").reformat(format="yuv420p", dst_colorspace=1), 1, 0
    )
    speed = {
        "vidiff to YUV": clock(lambda: rgb_to_frame(big, "yuv420p", 1, 0)),
        "swscale to YUV": clock(lambda: av.VideoFrame.from_ndarray(big, format="rgb24").reformat(format="yuv420p", dst_colorspace=1)),
        "vidiff to RGB": clock(lambda: frame_to_rgb(yuv_vidiff)),
        "swscale to RGB": clock(lambda: yuv_sws.to_ndarray(format="rgb24")),
        "OpenCV BT.601 to YUV (untagged)": clock(lambda: rgb_to_frame(big, "yuv420p", 2, 0)),
    }  # fmt: skip
    cmd = command_line("color_paths.py", None)
    names = list(clips)
    lines = [
        "# RGB -> YUV 4:2:0 -> RGB round trips by tag",
        "",
        f"Command: `{cmd}` ({os.cpu_count()} cores). PSNR (dB) / mean shift (levels) over each clip's first frame;",
        "saturated: the largest error on a red and a blue patch.",
        "",
        "| tag | path | " + " | ".join(names) + " | saturated |",
        "| --- | --- | " + "--- | " * len(names) + "--- |",
    ]
    for r in rows:
        cells = [f"{r[n]['psnr']:.1f} / {r[n]['shift']:+.2f}" for n in names]
        lines.append(
            f"| {r['tag']} | {r['path']} | " + " | ".join(cells) + f" | {r['saturated_max_error']} |"
        )
    lines += ["", "Milliseconds a 1280x720 frame (BT.709), median of 30:", ""]
    lines += [f"- {k}: {v:.2f}" for k, v in speed.items()]
    write_report(a.out, cmd, rows, lines, machine=f"{os.cpu_count()} cores", ms_720p=speed)


if __name__ == "__main__":
    main()
