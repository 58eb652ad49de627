"""External peers run side by side with vidiff's methods: FFmpeg's `minterpolate` filter.

The filter runs in-process in PyAV's libavfilter (the FFmpeg that vidiff decodes with), so the peer needs
no `ffmpeg` program: its output is bit-identical to the program's (benchmarks/minterpolate_pyav.py).
The kept frames go in with their real timestamps, the filter rebuilds the original rate, and the
output is written to a raw file and checked: every kept frame must come
back bit-exact at its index before anything is scored (else the run is refused with the reason).

Lossless round trip: minterpolate accepts only YUV/grey formats, and RGB -> YUV -> RGB in 8 bits is not
exact, so the three RGB planes are handed over as the three planes of yuv444p (G as Y, B as U, R as V)
and reinterpreted back. Motion is then estimated on the G plane (a close stand-in for luma) and the
same motion compensation is applied to all three planes, as on any yuv444p input.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

import av
import numpy as np

from vidiff.errors import UnsupportedError

MINTERPOLATE = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
MIN_SIDE = 32  # the filter refuses a smaller picture (two of its 16-pixel blocks a side; measured)


def ffmpeg_version() -> str:
    """The FFmpeg libraries PyAV is built on (minterpolate runs there), e.g. "FFmpeg 8.1.2 (PyAV 18.1.0)"."""
    built = getattr(av, "ffmpeg_version_info", None) or ".".join(map(str, av.library_versions["libavfilter"]))
    return f"FFmpeg {built} (PyAV {av.__version__})"


def _to_planes(img: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) -> (3, H, W) G, B, R planes in that order (what yuv444p calls Y, U, V)."""
    return np.ascontiguousarray(img.transpose(2, 0, 1)[[1, 2, 0]])


def _from_planes(planes: np.ndarray) -> np.ndarray:
    """(3, H, W) G, B, R planes -> RGB (H, W, 3)."""
    return planes[[2, 0, 1]].transpose(1, 2, 0)


class PlanarFrames:
    """Read-only sequence view of a raw yuv444p file written by `run_minterpolate`, as RGB frames."""

    def __init__(self, path: str, width: int, height: int):
        size = os.path.getsize(path)
        frame_bytes = 3 * width * height
        self._mm = (
            np.memmap(path, np.uint8, "r", shape=(size // frame_bytes, 3, height, width)) if size else None
        )
        self._n = size // frame_bytes

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> np.ndarray:
        if not 0 <= i < self._n or self._mm is None:
            raise IndexError(i)
        return _from_planes(np.asarray(self._mm[i]))


@dataclass
class MinterpolateRun:
    """Output of one minterpolate run: frames stand for original indices 0, 1, …; wall time."""

    frames: PlanarFrames
    seconds: float
    workdir: tempfile.TemporaryDirectory

    def close(self) -> None:
        """Delete the temporary raw files."""
        self.frames = PlanarFrames.__new__(PlanarFrames)
        self.frames._mm, self.frames._n = None, 0
        self.workdir.cleanup()


def run_minterpolate(
    kept: Iterable[np.ndarray],
    fps: Fraction,
    step: Fraction,
    width: int,
    height: int,
    tmpdir: str | None = None,
) -> MinterpolateRun:
    """Rebuild rate `fps` from kept frames floor(j·step) with FFmpeg's minterpolate (BENCHMARK.md's string).

    Kept frame j is stamped at its original index floor(j·step) in units of 1/fps, so minterpolate
    places every output frame at its real t. Output frames past the last kept one are not meaningful.
    The filter runs in this process through PyAV's libavfilter (no ffmpeg program needed); its output
    goes to a raw file, about N·W·H·3 bytes of temporary disk.
    """
    if min(width, height) < MIN_SIDE:
        raise UnsupportedError(
            f"minterpolate needs a picture of at least {MIN_SIDE}x{MIN_SIDE} (this is {width}x{height})"
        )
    work = tempfile.TemporaryDirectory(prefix="vidiff-minterp-", dir=tmpdir)
    dst = os.path.join(work.name, "out.yuv")
    t0 = time.perf_counter()
    try:
        with open(dst, "wb") as out:
            n_kept = _filter(kept, fps, step, width, height, out)
    except (av.FFmpegError, ValueError) as e:
        work.cleanup()
        raise UnsupportedError(f"minterpolate failed: {e}") from e
    if n_kept == 0:
        work.cleanup()
        raise UnsupportedError("no kept frame to interpolate from")
    seconds = time.perf_counter() - t0
    frames = PlanarFrames(dst, width, height)
    return MinterpolateRun(frames, seconds, work)


def _filter(
    kept: Iterable[np.ndarray], fps: Fraction, step: Fraction, width: int, height: int, out: BinaryIO
) -> int:
    """Push the kept frames through buffer -> minterpolate -> buffersink, writing what comes out to `out`
    as planes; returns how many frames went in."""
    graph = av.filter.Graph()
    src = graph.add_buffer(width=width, height=height, format="yuv444p", time_base=1 / fps)
    name, args = MINTERPOLATE.format(fps=f"{fps.numerator}/{fps.denominator}").split("=", 1)
    interp = graph.add(name, args)
    graph.link_nodes(src, interp, graph.add("buffersink")).configure()
    n, last = 0, None
    for img in kept:
        _push(graph, img, math.floor(n * step), out)
        n, last = n + 1, img
    if last is not None:
        # minterpolate emits an interval only once it has read the frame after it: repeat the last
        # kept frame once, one step later, so the output reaches the last kept frame
        _push(graph, last, math.floor(n * step), out)
        graph.push(None)
        _drain(graph, out)
    return n


def _push(graph: av.filter.Graph, img: np.ndarray, pts: int, out: BinaryIO) -> None:
    frame = av.VideoFrame.from_ndarray(_to_planes(img), format="yuv444p")
    frame.pts = pts
    graph.push(frame)
    _drain(graph, out)


def _drain(graph: av.filter.Graph, out: BinaryIO) -> None:
    """Write every frame the graph has ready."""
    while True:
        try:
            frame = graph.pull()
        except (av.BlockingIOError, av.EOFError):
            return
        out.write(frame.to_ndarray().tobytes())
