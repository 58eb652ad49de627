"""Animated GIF as output: `-o clip.gif` for `upscale`, `infill` and `run` (Flowframes and ffmpeg users
make GIFs for chat apps and the web, where a video does not autoplay).

A GIF holds 256 colours a frame: each frame gets its own palette (FFmpeg's palettegen in `single` mode,
then paletteuse with error-diffusion dithering `DITHER`), so a clip whose colours change keeps them, and
the frames stream through (no pass over the whole clip first). It loops forever, holds no audio (the
input's is left out with one note line) and takes no encoding options (a codec, crf, preset or pixel
format given is refused, as for image frames). Its frame delays are whole hundredths of a second and
browsers play a delay under 2 of them as 10, so a rate over `MAX_FPS` would play at about 10 fps: refused
before any work, naming the rate that works. The file appears only complete (a temporary name, renamed at
the end); a resumable run keeps its frames in lossless segments first, as for image frames
(`vidiff.io.sequence_out`), so `--workers` and resume work as for a video.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

import av
import numpy as np

from vidiff.errors import ConfigError, OutputError
from vidiff.io.atomic import RgbOutput
from vidiff.io.orient import upright, upright_size
from vidiff.validate import check_path

GIF_EXT = ".gif"
MAX_FPS = 50  # delays under 2/100 s play as 10/100 s in browsers
TIME_BASE = Fraction(1, 100)  # GIF's delays are in hundredths of a second
DITHER = "sierra2_4a"  # paletteuse's error diffusion: smooth gradients without a fixed pattern
# a frame's palette is made from a copy of at most this many pixels (area-averaged): the same colours,
# without a histogram over every pixel of a big frame (benchmarks/results/gif_palette)
PALETTE_PIXELS = 1 << 18  # 512x512


@dataclass(frozen=True)
class GifFile:
    """A GIF output (`vidiff.io.sequence_out.frames_output` gives one for a .gif name): `folder` is what
    appears when it is complete, here the file itself (the name an image sequence's spec uses)."""

    folder: str
    kind: ClassVar[str] = "GIF"


def is_gif(path: str | os.PathLike[str]) -> bool:
    """A .gif file name (not a folder, nor a pattern of numbered frames: frames/%05d.gif is refused as
    one, since frames are PNG or JPEG)."""
    from vidiff.io.sequence import is_pattern

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    return ext == GIF_EXT and not path.endswith(("/", os.sep)) and not is_pattern(path)


def check_gif_output(path: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]] = ()) -> str:
    """Validate a GIF output before any work: in a folder that exists and is writable, not a folder, not an
    input (nor inside an image sequence's folder)."""
    from vidiff.io.sequence_out import check_apart
    from vidiff.io.writer import _check_target

    path = check_path(path, "output")
    _check_target(path, path)
    for src in inputs:
        check_apart(path, src)
    return path


def check_gif_rate(path: str | os.PathLike[str], fps: Fraction | float) -> None:
    """Refuse a GIF output over `MAX_FPS` (its delays are hundredths of a second; a browser plays one
    under 2 as 10): one line naming the rates that work. Other outputs pass."""
    if is_gif(path) and fps > MAX_FPS:
        raise ConfigError(
            f"{os.fspath(path)}: a GIF plays at most {MAX_FPS} fps (its frame delays are hundredths of a "
            f"second, and browsers show a delay under 2 of them as 10): {float(fps):g} fps would play at "
            f"about 10; give --fps {MAX_FPS} or lower, or write .mp4/.webm"
        )


class GifWriter(RgbOutput):
    """Write RGB uint8 frames into an animated GIF, atomically, with `FrameWriter`'s interface (`write`,
    `write_frame`, `write_all`, `n_frames`, `close`, context manager), so a run joins its segments into it
    as into a video. `rotation` (degrees counter-clockwise), `flip` (a mirror after it) and `sar` (non-square pixels) are applied to the pixels; `lock`: hold
    `OutputLock` on the output (a resumable writer holds it already)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: Fraction,
        rotation: int = 0,
        inputs: Sequence[str | os.PathLike[str]] = (),
        lock: bool = True,
        flip: bool = False,
        sar: Fraction | None = None,
    ) -> None:
        from vidiff.io.writer import OutputLock, temp_path_for

        self.path = check_gif_output(path, inputs)
        self.fps = Fraction(fps)
        check_gif_rate(self.path, self.fps)
        self.width, self.height = width, height
        # applied to the pixels (`vidiff.io.orient.upright`): a GIF is shown as it is stored
        self.rotation, self.flip, self.sar = rotation, flip, sar
        w, h = upright_size(width, height, rotation, sar)
        self.n_frames = 0
        self._closed = False
        self.tmp = temp_path_for(self.path)
        self._lock = OutputLock(self.path).acquire() if lock else None
        try:
            self._out = av.open(self.tmp, "w", format="gif")
            self._stream = self._out.add_stream("gif", rate=self.fps)
            self._stream.width, self._stream.height, self._stream.pix_fmt = w, h, "pal8"
            self._stream.codec_context.time_base = TIME_BASE
            self._graph = _palette_graph(w, h)
        except (av.error.FFmpegError, OSError, ValueError) as e:
            self._abort()
            raise OutputError(f"{self.path}: cannot write ({e})") from None

    def _append(self, rgb: np.ndarray) -> None:
        """Frame `n_frames` at its hundredth of a second (rounded from k / fps, so the delays add up to the
        clip's length), through the palette graph into the encoder."""
        if self._closed:
            raise OutputError(f"{self.path}: the writer is closed; write every frame before close()")
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(upright(rgb, self.rotation, self.flip, self.sar)), format="rgb24"
        )
        frame.pts, frame.time_base = round(self.n_frames / self.fps / TIME_BASE), TIME_BASE
        self.n_frames += 1
        try:
            self._graph.push(frame)
            self._drain()
        except (av.error.FFmpegError, OSError) as e:
            self._abort()
            raise OutputError(f"{self.path}: cannot write frame {self.n_frames - 1} ({e})") from None

    def _drain(self) -> None:
        while True:
            try:
                paletted = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            self._out.mux(self._stream.encode(paletted))

    def close(self) -> None:
        """Flush the encoder and rename the finished file into place."""
        if self._closed:
            return
        try:
            if self.n_frames == 0:
                raise OutputError(f"{self.path}: no frame was produced; nothing written")
            self._out.mux(self._stream.encode(None))
            self._out.close()
            os.replace(self.tmp, self.path)
        except (av.error.FFmpegError, OSError) as e:
            self._abort()
            raise OutputError(f"{self.path}: cannot write ({e})") from None
        except BaseException:
            self._abort()
            raise
        self._closed = True
        self._release()

    def _abort(self) -> None:
        self._closed = True
        with contextlib.suppress(Exception):
            self._out.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _palette_graph(width: int, height: int) -> av.filter.Graph:
    """RGB frames in, paletted frames out: each frame split, a palette made from one copy (palettegen,
    `stats_mode=single`: this frame's colours; from a copy shrunk to `PALETTE_PIXELS` where the frame is
    bigger), the other mapped onto it (paletteuse, `new=1`)."""
    g = av.filter.Graph()
    src = g.add_buffer(width=width, height=height, format="rgb24", time_base=TIME_BASE)
    split = g.add("split")
    gen = g.add("palettegen", "stats_mode=single:max_colors=256:reserve_transparent=0")
    use = g.add("paletteuse", f"new=1:dither={DITHER}")
    src.link_to(split)
    split.link_to(use, 0, 0)
    shrink = math.ceil(math.sqrt(width * height / PALETTE_PIXELS))
    if shrink > 1:
        small = g.add("scale", f"{-(-width // shrink)}:{-(-height // shrink)}:flags=area")
        split.link_to(small, 1, 0)
        small.link_to(gen)
    else:
        split.link_to(gen, 1, 0)
    gen.link_to(use, 0, 1)
    use.link_to(g.add("buffersink"))
    g.configure()
    return g
