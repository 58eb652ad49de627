"""Random access to the frames of a clip of any length: decode only the frames asked for.

`open_frames(path)` returns a reader with `len()`, `size`, `seconds()` and `get(indices)`; frame `i` is
the `i`-th frame in presentation order, the frame `vidiff.io.reader.VideoReader` yields as index `i`
(with the same pixels from the `pyav` engine). Two engines serve the same API:

- `pyav` (the default): an index of the packets (pts, key frames, decode order) built once by
  demuxing, no decoding; a frame is reached by seeking to the key frame its GOP starts at (the previous
  one for an open GOP's leading pictures) and decoding forward; frames asked for in order continue one
  decode where they can. Exact: vidiff's own RGB conversion (`vidiff.io.color`).
- `decord`: decord==0.6.0's VideoReader (https://github.com/dmlc/decord, `pip install 'vidiff[train]'`).
  Its RGB is swscale's, ~1 level off vidiff's on 4:2:0 clips (`vidiff.io.color`). Measured against decord2 and
  `pyav` in benchmarks/results/decord_pick/ (why `pyav` is the default).

Memory does not grow with the clip: the index holds two integers a packet, and no frame is kept.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from vidiff.errors import InputError
from vidiff.io import access_tail, deinterlace
from vidiff.io.access_tail import check_counted, check_tail
from vidiff.io.color import frame_to_rgb
from vidiff.io.counted import CountedFrames, Counting
from vidiff.io.deinterlace import deinterlace_mode, field_order, field_parity, resolve
from vidiff.io.field_access import FieldFrames, FilmFrames, stored_rate
from vidiff.io.probe import MIN_FRAMES, NO_TIMESTAMPS, codec_rate, open_container, video_stream
from vidiff.io.stamps import Timeline, pulldown_rate
from vidiff.io.video_ext import VIDEO_EXT
from vidiff.io.webp_in import is_animated

ENGINES = ("pyav", "decord")


class FrameLost(InputError):
    """A frame of the index did not decode (damage): the caller may skip what needed it."""


class TooFewFrames(InputError):
    """A clip with fewer than MIN_FRAMES frames: refused whatever the damaged-input policy."""


class SeekReader:
    """PyAV engine: seek to the right key frame, decode forward, keep the decoder where it stopped."""

    engine = "pyav"
    tail_cut = False  # whether the file ends inside its last frame (`vidiff.io.access_tail`)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._c = open_container(self.path)
        self._count: CountedFrames | None = None  # frames counted from the start (`vidiff.io.counted`)
        try:
            vs = video_stream(self._c)
            if vs is None:
                raise InputError(f"{self.path}: has no video stream")
            self._vs = vs
            self._vs.thread_type = "AUTO"
            self._index()
        except BaseException:
            self._c.close()
            raise
        self._next_pkt = -1  # decode position: index of the next packet the decoder gets (-1: none)
        self._last_pts: int | None = None  # pts of the last frame the decoder gave
        self._frames: Iterator[av.VideoFrame] | None = None

    def _index(self) -> None:
        """Packets in decode order: pts, key flag, the GOP each belongs to; frames in presentation order."""
        pts, key, intra = [], [], []
        short: tuple[bool, int, int] | None = None
        counted = Counting(self._c, self._vs)  # every packet, for a stream whose stamps name no frame
        try:
            for p in self._c.demux(self._vs):
                counted.add(p)
                if p.size:  # (the last: whether the file ends inside it, `vidiff.io.access_tail`)
                    short = (bool(p.is_corrupt), p.pos if p.pos is not None else -1, p.size)
                if p.pts is not None and p.size:
                    pts.append(p.pts)
                    key.append(bool(p.is_keyframe) and not p.is_discard)
                    intra.append(bool(p.is_keyframe))
                    if p.is_discard:  # an edit list hides it: decoded, never shown
                        pts[-1] = None
        except av.error.FFmpegError:
            pass  # the file ends early: index what was read
        self.size = (self._vs.codec_context.width, self._vs.codec_context.height)
        if counted.needed():  # frames counted from the start (`vidiff.io.counted`)
            self._count = counted.frames()
            if len(self) < MIN_FRAMES:
                raise TooFewFrames(f"{self.path}: {len(self)} frame(s); at least {MIN_FRAMES} are needed")
            self.tail_cut = check_counted(self.path, self._count)
            return
        first_key = next((j for j, k in enumerate(intra) if k), 0)
        if first_key and pts[first_key] is not None:  # a stream cut inside a GOP (a TS recording): the
            # frames shown before its first key frame refer to frames before the cut, and no decoder
            # shows them (the probe and the reader leave them out too)
            pts = [None if p is not None and p < pts[first_key] else p for p in pts]
        starts = [j for j, k in enumerate(key) if k]
        if not starts or starts[0] != 0:
            starts = [0, *starts]
        self._pkt_pts = pts
        self._gop_start = np.array(starts)
        self._gop_of = np.searchsorted(self._gop_start, np.arange(len(pts)), side="right") - 1
        shown = sorted((p, j) for j, p in enumerate(pts) if p is not None)
        self._pts = np.array([p for p, _ in shown], dtype=np.int64)
        self._pkt_of = np.array([j for _, j in shown], dtype=np.int64)
        if len(self) < MIN_FRAMES:
            raise TooFewFrames(f"{self.path}: {len(self)} frame(s); at least {MIN_FRAMES} are needed")
        self._next_pkt, self._last_pts, self._frames = -1, None, None
        cut = check_tail(self, short)  # the reader's last frames: a cut one left out, its one line
        if cut is not None:
            self._pts, self._pkt_of = np.delete(self._pts, cut), np.delete(self._pkt_of, cut)

    def __len__(self) -> int:
        return len(self._count) if self._count is not None else len(self._pts)

    def seconds(self) -> np.ndarray:
        """Each frame's time in seconds from the first frame (VideoReader's `Frame.time`)."""
        if self._count is not None:
            return self._count.seconds
        tb = Fraction(self._vs.time_base)
        film = pulldown_rate(self._pts.tolist(), tb, codec_rate(self._vs))
        if film is not None:  # soft pulldown: the film's even times, as the reader's (`vidiff.io.stamps`)
            line = Timeline(tb, film, pulled=True)
            return np.array([float(line.add(int(p)) or 0) for p in self._pts])
        return (self._pts - self._pts[0]) * float(tb)

    def _start_pkt(self, i: int) -> int:
        """First packet to decode for frame `i`: its GOP's key frame, or the one before for a leading
        picture (presentation before its key frame: it may reference the previous GOP)."""
        j = int(self._pkt_of[i])
        g = int(self._gop_of[j])
        key_pts = self._pkt_pts[self._gop_start[g]]
        if g > 0 and (key_pts is None or self._pts[i] < key_pts):
            g -= 1
        return int(self._gop_start[g])

    def get(self, indices: Sequence[int]) -> list[np.ndarray]:
        """RGB uint8 frames at `indices` (any order, repeats allowed)."""
        for i in indices:
            if not 0 <= i < len(self):
                raise IndexError(f"{self.path}: frame {i} of {len(self)}")
        got: dict[int, np.ndarray] = {}
        for i in sorted(set(indices)):
            got[i] = self._frame(i)
        return [got[i] for i in indices]

    def _frame(self, i: int) -> np.ndarray:
        if self._count is not None:
            image = self._count.frame(i)
            if image is None:
                raise FrameLost(f"{self.path}: frame {i} did not decode")
            return image
        return frame_to_rgb(self.decoded(i))

    def decoded(self, i: int) -> av.VideoFrame:
        """Frame `i` as decoded (a stream with stamps: not one counted, `vidiff.io.counted`)."""
        want = int(self._pts[i])
        start = self._start_pkt(i)
        ahead = self._last_pts is None or want > self._last_pts
        if not (self._frames is not None and ahead and start <= self._next_pkt):
            self._seek(start)
        for _ in range(2):
            for f in self._frames:
                self._last_pts = f.pts
                if f.pts == want:
                    return f
                if f.pts is not None and f.pts > want:
                    break
            # the frame did not come: seek from the GOP before (open GOP, odd index), then give up
            if start == 0:
                break
            start = int(self._gop_start[max(0, int(self._gop_of[start]) - 1)])
            self._seek(start)
        self._frames = None
        raise FrameLost(f"{self.path}: frame {i} (pts {want}) did not decode")

    def _seek(self, pkt: int) -> None:
        key_pts = self._pkt_pts[pkt]
        if (pkt == 0 or key_pts is None) and int(self._c.format.flags) & NO_TIMESTAMPS:
            # a raw stream's seek to 0 goes by its parser's stamps (a B-frame .m4v landed past frame 0)
            self._c.close()
            self._c = open_container(self.path)
            self._vs = video_stream(self._c)
            self._vs.thread_type = "AUTO"
        elif pkt == 0 or key_pts is None:
            self._c.seek(0, stream=self._vs, backward=True, any_frame=False)  # the start of the stream
        else:
            self._c.seek(int(key_pts), stream=self._vs, backward=True, any_frame=False)
        self._vs.codec_context.flush_buffers()
        self._next_pkt = pkt
        self._last_pts = None
        self._frames = self._decode()

    def _decode(self) -> Iterator[av.VideoFrame]:
        """Frames from the decode position on; tracks which packet the decoder gets next."""
        try:
            for p in self._c.demux(self._vs):
                if p.pts is not None and p.size:
                    self._next_pkt += 1
                try:
                    yield from p.decode()
                except av.error.FFmpegError:
                    continue  # a damaged packet: its frame is lost, later ones may decode
        except av.error.FFmpegError:
            return

    def close(self) -> None:
        self._frames = None
        if self._count is not None:
            self._count.close()
        self._c.close()


class DecordReader:
    """decord engine: its own index and seeking, in C++ (one decode thread: workers run in parallel)."""

    engine = "decord"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import decord

        self.path = os.fspath(path)
        open_container(self.path).close()  # a missing or non-video file: the same one line as PyAV's
        try:
            self._r = decord.VideoReader(self.path, ctx=decord.cpu(0), num_threads=1)
        except (RuntimeError, decord.DECORDError) as e:
            raise InputError(f"{self.path}: decord cannot open it ({str(e).splitlines()[0]})") from None
        if len(self._r) < MIN_FRAMES:
            raise TooFewFrames(f"{self.path}: {len(self._r)} frame(s); at least {MIN_FRAMES} are needed")
        h, w = self._r[0].shape[:2]
        self.size = (w, h)

    def __len__(self) -> int:
        return len(self._r)

    def seconds(self) -> np.ndarray:
        """Each frame's time in seconds from the first frame."""
        t = self._r.get_frame_timestamp(list(range(len(self))))[:, 0]
        return t - t[0]

    def get(self, indices: Sequence[int]) -> list[np.ndarray]:
        """RGB uint8 frames at `indices`."""
        import decord

        for i in indices:
            if not 0 <= i < len(self):
                raise IndexError(f"{self.path}: frame {i} of {len(self)}")
        try:
            batch = self._r.get_batch(list(indices)).asnumpy()
        except decord.DECORDError as e:
            raise FrameLost(f"{self.path}: {str(e).splitlines()[0]}") from None
        return list(batch)

    def close(self) -> None:
        del self._r


def decord_available() -> bool:
    """True when the decord module imports (`pip install 'vidiff[train]'`)."""
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def open_frames(
    path: str | os.PathLike[str], engine: str = "pyav"
) -> SeekReader | DecordReader | FieldFrames:
    """A random-access reader of `path`. `pyav` (the default: exact, and the faster here, see
    benchmarks/results/decord_pick/) or `decord`, which falls back to `pyav` where decord is not installed
    or cannot open the file, or the clip is deinterlaced (`FieldFrames`: its frames as VideoReader gives
    them); an animated WebP (by its bytes) is read by Pillow (`vidiff.io.webp_frames`)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if is_animated(path):  # read by Pillow: FFmpeg reads still WebP only
        from vidiff.io.webp_frames import WebPFrames

        return WebPFrames(path)  # type: ignore[return-value]
    if engine == "decord" and decord_available() and not interlaced_input(path):
        r = SeekReader(path)  # (a file cut inside its last frame: the reader's frames, by PyAV)
        if r.tail_cut:
            return r
        r.close()
        try:
            return DecordReader(path)
        except InputError:
            pass  # PyAV says why, or reads it
    return deinterlaced_access(SeekReader(path))


def found_at_open(path: str) -> dict[str, Any]:
    """What this process found of `path` when it opened it (its fields: `vidiff.io.deinterlace.found`;
    its last frames: `vidiff.io.access_tail.known`): for a process that opens it again (a training data
    worker, spawned), which `remember_open`s it instead of scanning and decoding again."""
    return {"fields": deinterlace.found(path), **access_tail.known(path)}


def remember_open(path: str, what: dict[str, Any]) -> None:
    """Take `what` (another process's `found_at_open`) as this process's."""
    deinterlace.remember(path, what.get("fields"))
    access_tail.remember(path, what)


def interlaced_input(path: str | os.PathLike[str]) -> bool:
    """Whether VideoReader deinterlaces `path` (`vidiff.io.deinterlace`): decord would read it as stored."""
    mode = deinterlace_mode()
    if mode != "auto":
        return mode != "off"
    try:
        with open_container(path) as c:
            vs = video_stream(c)
            first = _first(c, vs) if vs is not None else []
    except (InputError, av.error.FFmpegError):
        return False
    return bool(first) and resolve(mode, bool(first[0].interlaced_frame), os.fspath(path)) != "off"


def _first(c: av.container.InputContainer, vs: av.video.stream.VideoStream) -> list[av.VideoFrame]:
    """The first frame that decodes (none: [])."""
    for f in c.decode(vs):
        return [f]
    return []


def deinterlaced_access(r: SeekReader) -> SeekReader | FieldFrames | FilmFrames:
    """`r`, or, for a clip VideoReader deinterlaces (`vidiff.io.deinterlace`: flagged interlaced or
    found combed, or the mode asks), its frames as VideoReader gives them (`vidiff.io.field_access`)."""
    if r._count is not None or deinterlace_mode() == "off":  # (a raw stream's counted frames: as stored)
        return r
    try:
        first = r.decoded(0)
    except FrameLost:  # (said when asked for)
        return r
    how = resolve(deinterlace_mode(), bool(first.interlaced_frame), r.path)
    if how == "off":
        return r
    if how == "film":  # (its frames as one pass from the start gives them)
        return FilmFrames(r)
    parity = field_parity(field_order(r._vs) if first.interlaced_frame else None, r.path)
    return FieldFrames(r, how, parity, stored_rate(r.path))


VIDEO_SUFFIXES = set(VIDEO_EXT)  # a footage folder's clips (`vidiff.io.video_ext`)


def list_clips(specs: Sequence[str]) -> list[str]:
    """The clip files `specs` names, in order: a file, a folder (its video files by name and animated
    WebPs by their bytes, not recursive), a glob (`footage/**/*.mp4`), or a bundled clip name; duplicates once."""
    from vidiff.io.samples import SAMPLE_CLIPS, sample_clip

    out: list[str] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            found = sorted(
                str(f) for f in p.iterdir() if f.suffix.lower() in VIDEO_SUFFIXES or is_animated(f)
            )
        elif any(ch in spec for ch in "*?["):
            found = sorted(glob.glob(spec, recursive=True))
        elif not p.exists() and spec.removesuffix(".mp4") in SAMPLE_CLIPS:
            found = [str(sample_clip(spec))]
        else:
            found = [spec]
        out += [f for f in found if f not in out]
    return out
