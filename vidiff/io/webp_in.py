"""Animated WebP as input: its frames at their own times, read by Pillow (FFmpeg's WebP decoder, as PyAV
bundles it, reads still WebP images only: an animated one was refused).

A WebP animation is a RIFF file: a VP8X header (canvas size, flags), an ANIM chunk, then one ANMF chunk a
frame, each stating its duration in milliseconds. Each frame is shown for its own duration, so the clip is
a variable-rate one and is timed as a VFR video is (`vidiff.io.stamps`): each frame at the sum of the
durations before it, put on the clip's frame grid where within a millisecond of it; the rate is the grid's
(durations all whole numbers of the commonest one: `grid_rate`), else the average. A duration of 10 ms or
less is read as 100 ms, the convention browsers follow for such delays (a GIF's at least), so the clip
plays as its author saw it. The frames are the canvas as Pillow's decoder composes it, 8-bit RGB: an
alpha channel is dropped with the note every input gets (`vidiff.io.notes`). There is no audio.

Damaged input (a file cut short, a frame that does not decode): libwebp refuses a file whose last chunk is
cut, so the file is read up to its last whole frame, and decoding stops at the first frame that fails;
what decodes is used with ONE warning line giving the counts, refused under `MIN_FRAMES` or with
`--strict` (the video path's policy, `vidiff.io.reader`).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.errors import InputError
from vidiff.io.notes import input_notes, say_notes
from vidiff.io.probe import MAX_SIDE, MIN_FRAMES, VideoInfo, animated_webp, strict_input, warn_damage
from vidiff.io.stamps import Timeline, grid_rate, on_grid
from vidiff.io.tail import clip_rate, held_end
from vidiff.quiet import no_warnings
from vidiff.validate import check_path

SHORTEST_MS = 10  # a frame duration at or below this is read as DEFAULT_MS (browsers' convention for GIF)
DEFAULT_MS = 100
MS = Fraction(1, 1000)
_ALPHA_FLAG = 0x10  # VP8X: the image holds an alpha channel
# the frames' colour facts, as a PNG's are read (RGB, full range, BT.709 primaries and transfer unsaid)
RGB_FULL = {"color_range": 2, "colorspace": 0, "color_primaries": 2, "color_trc": 2}
_REFUSED = "(refused: strict input, --strict or strict=True)"


def is_animated(path: str | os.PathLike[str]) -> bool:
    """True for an animated WebP file (an input this module reads), by its bytes, whatever its name: a
    web animation saved as .gif is often a WebP."""
    path = os.fspath(path)
    return os.path.isfile(path) and animated_webp(path)


@dataclass(frozen=True)
class _Layout:
    """What the RIFF chunks of an animated WebP say: the canvas, the chunks before the frames (`head`:
    VP8X, ICCP, ANIM), one ANMF chunk and duration (ms) a whole frame, and why the file looks damaged
    (None: whole)."""

    width: int
    height: int
    alpha: bool
    head: bytes
    frames: list[bytes]
    durations: list[int]
    damage: str | None
    listed: int  # the frames the file starts: the whole ones, and one cut short

    def data(self, k: int) -> bytes:
        """A WebP file of the first `k` frames (what libwebp opens: it refuses a file cut short)."""
        body = self.head + b"".join(self.frames[:k])
        return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body

    def usable(self) -> _Layout:
        """This layout up to the last frame libwebp's demuxer takes (a frame whose header is damaged makes
        it refuse the whole file): the longest run of frames from the first that opens."""
        lo, hi = 0, len(self.frames)  # opens(lo) is taken as true; find the largest k that opens
        if _opens(self.data(hi)):
            return self
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if _opens(self.data(mid)) else (lo, mid)
        why = f"frame {lo} is damaged"
        damage = why if self.damage is None else f"{self.damage}; {why}"
        return dataclasses.replace(
            self, frames=self.frames[:lo], durations=self.durations[:lo], damage=damage
        )


def _opens(data: bytes) -> bool:
    """True if Pillow (libwebp's demuxer) opens `data`."""
    from PIL import Image

    try:
        with no_warnings(), Image.open(io.BytesIO(data)):
            return True
    except Exception:  # noqa: BLE001 - Pillow raises several kinds for a file it cannot take
        return False


def _layout(path: str, raw: bytes) -> _Layout:
    """Parse `raw` (the file's bytes); one `InputError` for what is no animated WebP at all."""
    if len(raw) < 30 or raw[:4] != b"RIFF" or raw[8:12] != b"WEBP" or raw[12:16] != b"VP8X":
        raise InputError(f"{path}: not a readable animated WebP (no VP8X header)")
    flags = raw[20]
    width = 1 + int.from_bytes(raw[24:27], "little")
    height = 1 + int.from_bytes(raw[27:30], "little")
    declared = 8 + struct.unpack("<I", raw[4:8])[0]
    head = bytearray()  # the chunks before the first frame (VP8X, ICCP, ANIM)
    frames: list[bytes] = []
    durations: list[int] = []
    pos, damage, cut = 12, None, False
    while pos < min(len(raw), declared):
        if pos + 8 > len(raw):
            damage = f"file is cut short inside a chunk header ({len(raw)} of {declared} bytes)"
            break
        fourcc, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(raw):
            what = f"frame {len(frames)}" if fourcc == b"ANMF" else "a chunk"
            damage = f"file is cut short inside {what} ({len(raw)} of {max(declared, pos + 8 + size)} bytes)"
            cut = fourcc == b"ANMF"
            break
        chunk = raw[pos:end]
        if fourcc == b"ANMF":
            if size < 16:
                damage = f"a frame chunk of {size} bytes at byte {pos}"
                break
            frames.append(chunk)
            ms = int.from_bytes(raw[pos + 20 : pos + 23], "little")
            durations.append(DEFAULT_MS if ms <= SHORTEST_MS else ms)
        elif not frames:
            head += chunk
        pos = end
    if damage is None and declared > len(raw):
        damage = f"file is cut short ({len(raw)} of {declared} bytes)"
    alpha = bool(flags & _ALPHA_FLAG)
    return _Layout(width, height, alpha, bytes(head), frames, durations, damage, len(frames) + cut)


def _times(durations: list[int]) -> tuple[Fraction, list[Fraction], bool]:
    """(rate, each frame's time in seconds from the first, whether it is variable-rate) of frames shown
    for `durations` (ms), timed as a VFR video's stamps are (module docstring); a held last frame
    (`vidiff.io.tail`) does not count in the rate."""
    starts = [0, *itertools.accumulate(durations[:-1])]
    if len(set(durations)) == 1:
        fps = Fraction(1000, durations[0])
    else:
        average = Fraction(1000 * len(durations), sum(durations)).limit_denominator(1001 * 1000)
        average = clip_rate(average, len(starts), starts[-1] * MS, (starts[-1] + durations[-1]) * MS)
        grid = grid_rate(starts, MS)
        fps = grid if grid is not None and grid > average * Fraction(101, 100) else average
    line = Timeline(MS, fps)
    times = [line.add(s) for s in starts]
    steps = [b - a for a, b in zip(times, times[1:], strict=False)]
    vfr = len(times) >= 3 and max(steps) - min(steps) > MS and max(steps) > min(steps) * Fraction(105, 100)
    return fps, times, vfr  # type: ignore[return-value]


class AnimatedWebP:
    """An animated WebP opened once: `info` (a `VideoInfo`, from its chunks and first frame) and every pass
    over its frames (`frames()`); `VideoReader` takes it where it takes a `VideoFile`. Holds the file's
    bytes, not an open file; use as a context manager, or `close()`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_path(path, "input")
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise InputError(f"{self.path}: cannot be read ({e.strerror or e})") from None
        self._layout = _layout(self.path, raw).usable()
        self.info = self._describe()
        say_notes(self.path, self.info.notes)

    def _describe(self) -> VideoInfo:
        lay, path = self._layout, self.path
        if max(lay.width, lay.height) > MAX_SIDE:
            raise InputError(
                f"{path}: frame size {lay.width}x{lay.height} is over the {MAX_SIDE}-pixel limit per side"
            )
        if lay.damage and strict_input():
            raise InputError(f"{path}: damaged: {lay.damage} {_REFUSED}")
        n = len(lay.durations)
        if n < MIN_FRAMES:
            has = f"{n} frame" + ("" if n == 1 else "s")
            why = f"damaged: {lay.damage}; " if lay.damage else ""
            raise InputError(f"{path}: {why}has only {has}; a clip needs at least {MIN_FRAMES}")
        transparent = self._first_transparent()
        fps, times, vfr = _times(lay.durations)
        end = held_end(times[-1], on_grid(sum(lay.durations) * MS, fps, MS), fps)
        return VideoInfo(
            path=path,
            container="webp",
            codec="webp",
            width=lay.width,
            height=lay.height,
            fps=fps,
            is_vfr=vfr,
            n_frames=n,
            duration=float(end or times[-1] + 1 / fps),
            end=end,
            start_time=0.0,
            rotation=0,
            pix_fmt="rgba" if lay.alpha else "rgb24",
            bit_depth=8,
            color=dict(RGB_FULL),
            damage=lay.damage,
            notes=input_notes("rgba" if transparent else "rgb24", {}, {}, False),
        )

    def _first_transparent(self) -> bool:
        """Whether the first frame shows through anywhere (an alpha plane opaque throughout loses nothing:
        no note); one `InputError` if it does not decode."""
        frames = self._decoded()
        try:
            im = next(frames, None)
            if im is None:
                raise InputError(f"{self.path}: damaged: its first frame does not decode ({self.error})")
            return self._layout.alpha and im.mode == "RGBA" and im.getchannel("A").getextrema()[0] < 255
        finally:
            frames.close()

    def _decoded(self) -> Iterator[Any]:
        """The frames as Pillow composes them (PIL images), stopping at the first that does not decode
        (`self.error` says why)."""
        from PIL import Image

        self.error: str | None = None
        with no_warnings(), Image.open(io.BytesIO(self._layout.data(len(self._layout.frames)))) as im:
            for k in range(getattr(im, "n_frames", 1)):
                try:
                    im.seek(k)
                    im.load()
                except Exception as e:  # noqa: BLE001 - Pillow raises several kinds for a bad frame
                    self.error = str(e) or type(e).__name__
                    return
                yield im

    def times(self) -> list[Fraction]:
        """Each frame's time in seconds from the first, as `frames()` gives them (no frame decoded)."""
        return _times(self._layout.durations)[1]

    def frames(self) -> Iterator[tuple[Fraction, np.ndarray]]:
        """(time in seconds from the first frame, RGB image) of every frame that decodes, in order; once
        all are read, the damaged-input policy (module docstring)."""
        _, times, _ = _times(self._layout.durations)
        n = 0
        try:
            for im, t in zip(self._decoded(), times, strict=False):
                yield t, np.ascontiguousarray(np.asarray(im.convert("RGB")))
                n += 1
        except OSError as e:  # the decoder could not be made at all
            self.error = str(e) or type(e).__name__
        lay = self._layout
        if self.error is None and lay.damage is None:
            return
        what = "; ".join(
            filter(None, [lay.damage, f"frame {n} does not decode ({self.error})" if self.error else None])
        )
        counts = f"{what}: {lay.listed} frames in the file, {n} decoded"
        if n < MIN_FRAMES:
            raise InputError(f"{self.path}: damaged: {counts}; at least {MIN_FRAMES} frames must decode")
        if strict_input():
            raise InputError(f"{self.path}: damaged: {counts} {_REFUSED}")
        warn_damage(self.path, f"{counts}; using {n}")

    def close(self) -> None:
        """Nothing to release: the file's bytes are held, not an open file."""

    def __enter__(self) -> AnimatedWebP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
