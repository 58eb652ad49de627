"""External peers run side by side with vidiff's methods: ffmpeg's `minterpolate` filter.

The kept frames are written losslessly to a raw file with their real timestamps, the filter rebuilds
the original rate, and the output is read back from a raw file and checked: every kept frame must come
back bit-exact at its index before anything is scored (else the run is refused with the reason).

Lossless round trip: minterpolate accepts only YUV/grey formats, and RGB -> YUV -> RGB in 8 bits is not
exact, so the three RGB planes are handed over as the three planes of yuv444p (G as Y, B as U, R as V)
and reinterpreted back. Motion is then estimated on the G plane (a close stand-in for luma) and the
same motion compensation is applied to all three planes, as on any yuv444p input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vidiff.errors import UnsupportedError

MINTERPOLATE = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"


def ffmpeg_missing() -> str | None:
    """Why minterpolate cannot run here (None when it can)."""
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not on PATH (install it, e.g. apt-get install ffmpeg)"
    return None


def ffmpeg_version() -> str | None:
    """First line of `ffmpeg -version`, or None."""
    if ffmpeg_missing():
        return None
    out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0].split(" Copyright")[0] if out else None


def _to_planes(img: np.ndarray) -> bytes:
    """RGB (H, W, 3) -> G, B, R planes in that order (what yuv444p calls Y, U, V)."""
    return np.ascontiguousarray(img.transpose(2, 0, 1)[[1, 2, 0]]).tobytes()


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
    """Output of one minterpolate run: frames stand for original indices 0, 1, …; wall time; peak RSS."""

    frames: PlanarFrames
    seconds: float
    peak_rss_mb: float
    command: list[str]
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
    """Rebuild rate `fps` from kept frames floor(j·step) with ffmpeg minterpolate (BENCHMARK.md's string).

    Kept frame j is timestamped at its original index floor(j·step) in units of 1/fps, so minterpolate
    places every output frame at its real t. Output frames past the last kept one are not meaningful.
    Needs about (1 + 1/step)·N·W·H·3 bytes of temporary disk.
    """
    if (why := ffmpeg_missing()) is not None:
        raise UnsupportedError(why)
    work = tempfile.TemporaryDirectory(prefix="vidiff-minterp-", dir=tmpdir)
    src, dst = os.path.join(work.name, "kept.yuv"), os.path.join(work.name, "out.yuv")
    last = None
    with open(src, "wb") as f:
        for img in kept:
            f.write(_to_planes(img))
            last = img
        if last is None:
            work.cleanup()
            raise UnsupportedError("no kept frame to interpolate from")
        # minterpolate emits an interval only once it has read the frame after it: repeat the last
        # kept frame once, one step later, so the output reaches the last kept frame
        f.write(_to_planes(last))
    p, q = step.numerator, step.denominator
    pts = f"N*{p}" if q == 1 else f"floor(N*{p}/{q})"
    rate = f"{fps.numerator}/{fps.denominator}"
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv444p", "-s", f"{width}x{height}", "-framerate", rate, "-i", src,
        "-vf", f"setpts={pts},{MINTERPOLATE.format(fps=rate)}",
        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv444p", dst,
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    os.unlink(src)
    if proc.returncode != 0:
        work.cleanup()
        raise UnsupportedError(f"ffmpeg minterpolate failed (exit {proc.returncode}): {err.strip()[-300:]}")
    frames = PlanarFrames(dst, width, height)
    return MinterpolateRun(frames, seconds, usage.ru_maxrss / 1024.0, cmd, work)
