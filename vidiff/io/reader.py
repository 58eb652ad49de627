"""Streaming frame reader: decodes with PyAV (threaded) and yields RGB frames with their times in seconds.

Damaged input (a file cut short, bytes flipped mid-file) follows one policy: every frame that decodes
is used and, once the file is read, ONE warning line says how many frames the header promised, how many
decoded and where decoding stopped; a frame stamped with the previous frame's time is left out, as ffmpeg
does (kept, it put every later frame a step late and the video past its audio), and counted in that line
(`vidiff.io.stamps`: the probe counts frames by the same rule). A last frame the decoder could only
conceal (a file cut mid-frame: a raw .h264, which states no frame count, gave no warning) is left out
and counted in that line; so is one the decoder does not flag (raw HEVC or Motion JPEG, VP9 in IVF or
MP4), and one shown before the last (B-frames: a raw .m2v's, a .ts recording's): `vidiff.io.cut_tail`.
The last few frames are held back until the file ends.
It is refused (`InputError`) when fewer than `MIN_FRAMES` decode, or under `--strict`
(`vidiff.io.probe.input_policy`).
An interlaced clip is made progressive as it is read (`vidiff.io.deinterlace`: a frame per field by
default); the damage policy counts the file's own frames.
"""

from __future__ import annotations

import os
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

import av
import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, InputError
from vidiff.io.color import frame_to_rgb
from vidiff.io.cut_tail import DEPTH, cut_frame
from vidiff.io.deinterlace import deinterlaced, field_parity
from vidiff.io.ebml_tail import block_cut
from vidiff.io.probe import (
    MIN_FRAMES,
    VideoFile,
    VideoInfo,
    _reason,
    probe,
    repeats_note,
    strict_input,
    video_stream,
    warn_damage,
)
from vidiff.io.sequence import ImageSequence, open_input
from vidiff.io.stamps import Timeline, in_order
from vidiff.io.webp_in import AnimatedWebP
from vidiff.validate import check_limit, check_path

LAST_CUT = "its last frame is cut short"  # the damage note of a last frame that decodes only in part


@dataclass
class Frame:
    """One decoded frame: `index` in presentation order, `time` in seconds from the stream start."""

    index: int
    time: Fraction  # exact: pts * time_base
    image: np.ndarray  # (H, W, 3) uint8 RGB


class VideoReader:
    """Iterate the frames of the video stream (`vidiff.io.probe.video_stream`), in presentation order, with bounded memory.

    Times are taken from the frames' timestamps (so variable-frame-rate clips keep their real timing),
    measured from the first frame and put back on the nominal frame grid where they are off it by no more
    than the container's rounding (`vidiff.io.probe.on_grid`). Packets that fail to decode are skipped; when the whole file has
    been read and fewer frames decoded than it should hold, the damaged-input policy applies (see the
    module docstring). `decoded` is the number of frames yielded so far.

    `source` is a path (opened once for both the probe and the frames) or an open `VideoFile`, of which
    each iteration is one more pass: a run that probes, reads and copies the audio opens its input once.
    An image sequence (a folder or a pattern, or an open `ImageSequence`) is read at `input_fps` by
    `vidiff.io.sequence`, under the same damaged-input policy; it has no timestamps to put in order.
    """

    @checked_call
    def __init__(
        self,
        source: str | os.PathLike[str] | VideoFile | ImageSequence | AnimatedWebP,
        info: VideoInfo | None = None,
        input_fps: Fraction | float | None = None,
    ):
        opened = isinstance(source, (VideoFile, ImageSequence, AnimatedWebP))
        if not opened:
            check_path(source, "source")
        if info is not None and not isinstance(info, VideoInfo):
            raise ConfigError(f"info {type(info).__name__}: must be a VideoInfo from probe() (or None)")
        self.file = source if opened else None
        self.path = source.path if opened else os.fspath(source)
        self.input_fps = input_fps
        self._info = info or (self.file.info if self.file else None)
        self.decoded = 0
        self._passes: weakref.WeakSet[Iterator[Frame]] = weakref.WeakSet()  # for `close`

    @property
    def info(self) -> VideoInfo:
        if self._info is None:  # asked before the first pass: probe it
            self._info = probe(self.path, self.input_fps)
        return self._info

    def __iter__(self) -> Iterator[Frame]:
        it = self._pass()
        self._passes.add(it)
        return it

    def close(self) -> None:
        """End the passes in progress (a loop left early holds its file open until the pass is collected);
        closing twice is harmless, and a later `for` starts a new pass."""
        for it in list(self._passes):
            it.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pass(self) -> Iterator[Frame]:
        if self.file is not None:
            yield from self._frames(self.file)
            return
        with open_input(self.path, self.input_fps) as f:
            self._info = self._info or f.info
            yield from self._frames(f)

    def _frames(self, file: VideoFile | ImageSequence | AnimatedWebP) -> Iterator[Frame]:
        if not isinstance(file, VideoFile):  # an image sequence, an animated WebP: their own times
            for i, (t, image) in enumerate(file.frames()):
                yield Frame(i, t, image)
                self.decoded = i + 1
            return
        if file.info.deinterlace != "off":  # a frame per field, or per frame, by bwdif
            how, parity = file.info.deinterlace, field_parity(file.stored.interlaced, self.path)
            for f in deinterlaced(self._stored(file), how, file.stored.fps, self.path, parity):
                yield Frame(f.index, f.time, frame_to_rgb(f.image))
                self.decoded = f.index + 1
            return
        for f in self._stored(file):
            yield Frame(f.index, f.time, frame_to_rgb(f.image))
            self.decoded = f.index + 1

    def _stored(self, file: VideoFile) -> Iterator[Frame]:
        """The file's frames as decoded (`Frame.image` an `av.VideoFrame`), timed, under the damage policy."""
        info = file.stored
        strict = strict_input()
        errors: list[str] = []  # why packets failed to decode, in order
        with file.reading() as c:
            vs = video_stream(c)
            step = 1 / info.fps
            line = Timeline(
                vs.time_base, info.fps, info.soft_pulldown
            )  # the probe's rule: repeats out, resets stepped
            err_at: Fraction | None = None  # time of the last good frame before the first error
            # each frame with whether a packet had failed to decode before it came
            short: list[
                int
            ] = []  # the last packet: whether it came short (the file ends inside it), pos, size
            decoded = ((frame, bool(errors)) for frame in self._decode(c, vs, errors, strict, short))
            tail: deque[Frame] = deque()  # the last frames, held until it is known none is cut short
            for (frame, failed), pts in in_order(decoded, lambda item: item[0].pts):
                if failed and err_at is None:
                    err_at = max(line.last, Fraction(0))
                t = line.add(pts)
                if t is None:  # a repeat: it would push every later frame a step late
                    continue
                tail.append(Frame(line.n - 1, t, frame))
                if len(tail) > DEPTH:
                    yield tail.popleft()
            if errors and err_at is None:
                err_at = max(line.last + step, Fraction(0))
            reorders = int(vs.codec_context.has_b_frames or 0)
        n = line.n
        cut = cut_frame(list(tail), self.path, info.container, bool(short and short[0]), reorders)
        if cut is None and short and block_cut(self.path, info.container, short[1], short[2]):
            cut = -1  # (a Matroska block the file ends inside: the demuxer dropped its frame, uncounted)
            info = replace(info, n_frames=info.n_frames + 1)
        if cut is not None:  # its last coded frame decodes only in part: cut short (`LAST_CUT`)
            errors.append(LAST_CUT)
            if cut >= 0:  # known: left out (its time a gap, as a lost frame's), the ones after renumbered
                n -= 1
                err_at = tail[cut].time if err_at is None else err_at
                tail = deque(
                    Frame(f.index - (i > cut), f.time, f.image) for i, f in enumerate(tail) if i != cut
                )
            else:
                err_at = tail[-1].time if err_at is None and tail else err_at
        yield from tail
        self._check(info, n, line.last + step if n else Fraction(0), errors, err_at, strict, line.repeated)

    def _decode(
        self,
        c: av.container.InputContainer,
        vs: av.video.stream.VideoStream,
        errors: list[str],
        strict: bool,
        short: list[int],
    ) -> Iterator[av.VideoFrame]:
        """Decoded frames; a packet that fails to decode is noted in `errors` and skipped; `short` gets
        whether each packet was read short (`Packet.is_corrupt`: the file ends inside it), its position
        and size."""
        packets = c.demux(vs)
        while True:
            try:
                pkt = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as e:  # the demuxer gave up: the file ends here
                errors.append(_reason(e))
                break
            if pkt.size:
                short[:] = [pkt.is_corrupt, pkt.pos if pkt.pos is not None else -1, pkt.size]
            try:
                frames = pkt.decode()
            except av.error.FFmpegError as e:
                if strict:
                    raise InputError(
                        f"{self.path}: damaged: cannot decode a frame ({_reason(e)}) (refused: strict input, --strict or strict=True)"
                    ) from None
                errors.append(_reason(e))
                continue
            yield from frames
        try:
            yield from vs.decode(None)
        except av.error.EOFError:  # the demuxer's last, empty packet flushed the decoder already
            pass
        except av.error.FFmpegError as e:
            errors.append(_reason(e))

    def _check(
        self,
        info: VideoInfo,
        n: int,
        stopped: Fraction,
        errors: list[str],
        err_at: Fraction | None,
        strict: bool,
        repeated: int = 0,
    ) -> None:
        """The damaged-input policy, once the whole file has been read (`info`: the file as stored)."""
        expected = info.expected_frames()
        lost = n < expected or bool(errors) or info.damage is not None
        if not lost and n == 0:
            raise InputError(f"{self.path}: no frame could be decoded")
        if not lost and not repeated:
            return
        notes = [self._lost(info, n, expected, stopped, errors, err_at)] if lost else []
        if repeated:
            notes.append(f"{repeats_note(repeated)}, left out")
        what = "; ".join(notes)
        if n < MIN_FRAMES:
            raise InputError(f"{self.path}: damaged: {what}; at least {MIN_FRAMES} frames must decode")
        if strict:
            raise InputError(f"{self.path}: damaged: {what} (refused: strict input, --strict or strict=True)")
        warn_damage(self.path, f"{what}; using {n}")

    def _lost(
        self,
        info: VideoInfo,
        n: int,
        expected: int,
        stopped: Fraction,
        errors: list[str],
        err_at: Fraction | None,
    ) -> str:
        """What the damage cost: frames listed, frames decoded, and where decoding stopped or failed."""
        if info.header_frames:
            listed = f"header lists {info.header_frames} frames"
        elif info.header_duration and info.damage:
            listed = f"header lists {info.header_duration:.2f} s"
        else:
            listed = f"file holds {expected} frames"
        if not n:
            where = "none decoded"
        elif err_at is not None and err_at < stopped:
            where = f"decode errors from {float(err_at):.2f} s: {errors[0]}"
        else:
            where = f"stopped at {float(stopped):.2f} s"
        return f"{listed}, {n} decoded ({where})"


@checked_call
def read_frames(path: str | os.PathLike[str], max_frames: int | None = None) -> list[np.ndarray]:
    """All frames (or the first `max_frames`) of a clip as RGB uint8 arrays, in presentation order."""
    check_limit(max_frames, "max_frames")
    out = []
    for f in VideoReader(path):
        if max_frames is not None and len(out) >= max_frames:
            break
        out.append(f.image)
    return out
