"""Decode only the frames a segment job needs: seek near the first, decode on, check each against the plan.

A worker that makes the middle of a clip must see exactly the frames the serial run sees. It seeks to
the key frame before the first frame it needs, decodes forward, and identifies frames by their time;
each one's CRC-32 must equal the planning pass's, else (open GOPs, broken timestamps, damage) it falls
back to the serial run's own decoder (`VideoReader`) from the start.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

from vidiff.io.color import frame_to_rgb
from vidiff.io.deinterlace import deinterlace_mode, deinterlaced_pairs, field_order, field_parity, resolve
from vidiff.io.field_access import stored_rate
from vidiff.io.probe import nominal_rate, on_grid, open_container, video_stream
from vidiff.io.reader import VideoReader
from vidiff.io.sequence import DEFAULT_INPUT_FPS, is_sequence
from vidiff.io.sequence import frames_at as sequence_frames_at
from vidiff.io.webp_in import is_animated


def crc(image: np.ndarray) -> int:
    """CRC-32 of a frame's pixels: how a worker checks it decoded the frame the plan saw."""
    return zlib.crc32(np.ascontiguousarray(image).data)


class _Lost(Exception):
    """Seeking did not give the planned frames: decode from the start instead."""


def frames_at(
    path: str, wanted: dict[int, tuple[Fraction, int]], rate: Fraction | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """(index, RGB image) of the frames at `wanted` (index -> (time, crc) from the planning pass), in
    index order, decoding as little of the file as it can; an image sequence's (at `rate`) by
    `vidiff.io.sequence.frames_at`, which reads only the images asked for."""
    if is_sequence(path):
        yield from sequence_frames_at(path, wanted, rate or DEFAULT_INPUT_FPS)
        return
    order = sorted(wanted)
    got = 0
    if is_animated(path):  # no seeking in what Pillow reads: decoded from the start
        yield from _from_start(path, order, set(order))
        return
    try:
        for item in _by_seek(path, order, wanted):
            yield item
            got += 1
        return
    except _Lost:
        pass
    yield from _from_start(path, order, set(order[got:]))


def _from_start(path: str, order: list[int], rest: set[int]) -> Iterator[tuple[int, np.ndarray]]:
    """The frames of `rest` decoded from the start of the file by the serial run's own reader."""
    os.environ["VIDIFF_DAMAGE_WARNED"] = os.pathsep.join(  # the planning pass warned about damage once
        [os.environ.get("VIDIFF_DAMAGE_WARNED", ""), os.path.abspath(path)]
    )
    for f in VideoReader(path):
        if f.index in rest:
            yield f.index, f.image
            if f.index == order[-1]:
                return


def _by_seek(
    path: str, order: list[int], wanted: dict[int, tuple[Fraction, int]]
) -> Iterator[tuple[int, np.ndarray]]:
    if not order:
        return
    with open_container(path) as c:
        vs = video_stream(c)
        if vs is None:
            raise _Lost
        vs.thread_type = "AUTO"
        tb = vs.time_base
        first = next(_decode(c, vs), None)
        if first is None or first.pts is None or tb is None:
            raise _Lost
        t0, rate = first.pts * tb, nominal_rate(vs)
        # read deinterlaced as the planning pass read it (`vidiff.io.deinterlace`): from a frame early
        how = resolve(deinterlace_mode(), bool(first.interlaced_frame), path) if rate else "off"
        if how == "film":  # (the pulldown's cadence is matched from the start: no seek into it)
            raise _Lost
        if how != "off":  # its fields timed at the rate the reader times them by (raw DV states 60000)
            rate = stored_rate(path)
        early = 2 / rate if how != "off" else 0  # (a frame early; raw DV's seek goes to the nearest)
        c.seek(int((wanted[order[0]][0] - early + t0) / tb), stream=vs, backward=True, any_frame=False)
        frames = _timed(_decode(c, vs), tb, t0, rate)
        if how != "off":
            parity = field_parity(field_order(vs) if first.interlaced_frame else None, path)
            frames = deinterlaced_pairs(frames, how, rate, path, parity)
        n = 0
        for t, frame in frames:
            idx = order[n]
            time, check = wanted[idx]
            if t < time:
                continue
            if t > time:  # the planned frame did not come
                raise _Lost
            image = frame_to_rgb(frame)
            if crc(image) != check:
                raise _Lost
            yield idx, image
            n += 1
            if n == len(order):
                return
        raise _Lost


def _timed(
    frames: Iterator[av.VideoFrame], tb: Fraction, t0: Fraction, rate: Fraction | None
) -> Iterator[tuple[Fraction, av.VideoFrame]]:
    """Each frame with its time from the clip's first frame (`t0`), as VideoReader times it."""
    for frame in frames:
        if frame.pts is None:
            raise _Lost
        t = frame.pts * tb - t0
        yield (on_grid(t, rate, tb) if rate else t), frame  # (ms-rounded .mkv times put on the grid)


def _decode(c: av.container.InputContainer, vs: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
    try:
        for pkt in c.demux(vs):
            yield from pkt.decode()
    except av.error.FFmpegError:
        raise _Lost from None
