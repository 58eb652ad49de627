"""Resumable output: segments beside the output, with a manifest, then one continuous encode of them all.

A run writes `.NAME.vidiff-parts/` next to OUTPUT: `part00000.mkv`, … (segment k holds output frames
k * N to k * N + N - 1, video only, LOSSLESS in the output's pixel format, `INTERMEDIATE`, so each holds
the very samples the output's encoder is to be given) and `manifest.json` (the run's settings, N and the finished
segments, in any order). N is the caller's (`upscale_file`: about half a minute of the method's work,
`vidiff.runner.costs.segment_frames`, so Ctrl-C loses little); a resume takes the manifest's N, so it
cuts where the first run did. Killed at any point (even kill -9), the same command finds the manifest,
skips the work of the finished segments and goes on.

The join decodes the segments one after another and encodes their frames as ONE stream with the user's
codec, quality and preset (the encoder's own rate control, key frames and scene cuts; no key frame forced
where a segment starts, so no quality step there: the pulse every segment that segments encoded on their
own made), streamed (one frame in memory), with the audio, subtitles, tags and chapters
(`vidiff.io.streams`); the output appears complete (atomic rename). The segments are lossless and the
encode a function of its frames, so a resumed or parallel run's file is byte-identical to an
uninterrupted one's. On the serial path (`overlap`) the join runs as the segments
finish (`StreamJoin`), beside the making, and where it keeps up it is handed each frame as its part is
written instead of decoding the part back; a parallel run's joins after its workers. The cost: the parts
folder holds lossless video (`parts_bytes`, checked against free disk by `check_disk`), and each frame is
encoded twice. The parts folder is removed when the output is complete.

Segments may be made by other processes (`vidiff.runner.parallel`): `Parts` is the picklable description
of the folder that a worker writes through (`PartSink`), recording each finished segment in the manifest
under a file lock.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from filelock import FileLock

from vidiff.errors import ConfigError, OutputError, VidiffError
from vidiff.io.encode import EncodeOptions
from vidiff.io.gif_out import GifWriter
from vidiff.io.overlap import DEPTH, Behind, Prefetch, quick_handoffs, start_thread
from vidiff.io.probe import VideoFile
from vidiff.io.sequence_out import (
    FrameWriter,
    check_start_number,
    frames_output,
    frames_writer,
    output_target,
)
from vidiff.io.streams import Extras
from vidiff.io.video_ext import DEFAULT_CODEC
from vidiff.io.writer import (
    _FORMATS,
    OutputLock,
    VideoWriter,
    check_audio,
    check_output_path,
    sources,
)
from vidiff.validate import check_sar

SEGMENT_FRAMES = 120
# how segments are kept until the join: lossless, in the output's pixel format (kept from the output's
# options), so they decode to the very samples the output's encoder is given: libx264 at qp 0, ultrafast
# (tried on 1280x720 frames of bigbuckbunny: about a third of FFV1's time to write and read back, and no
# bigger); FFV1 for the formats libx264 does not take (bgr0)
INTERMEDIATE = {"codec": "libx264", "crf": 0, "preset": "ultrafast", "profile": None}
INTERMEDIATE_RGB = {"codec": "ffv1", "crf": None, "preset": None, "profile": None}
# the parts' bytes over the raw frames', at most: 0.09 on bikes, 0.2 on bigbuckbunny (benchmarks/
# results/segment_joins, parts_over_raw); 0.5 leaves room for noisier footage
PARTS_RATIO = 0.5
TEE_DEPTH = DEPTH  # frames the sink may hand the streaming join ahead of its encoder (then it waits)
_ENCODE_KEYS = ("codec", "crf", "preset", "pix_fmt")


def _pick(encode: dict[str, Any]) -> dict[str, Any]:
    """The `EncodeOptions` arguments among a writer's encoding keywords."""
    return {k: v for k, v in encode.items() if k in _ENCODE_KEYS}


@dataclass(frozen=True)
class Parts:
    """A parts folder: where segment k goes and how it is encoded; picklable, so workers write into it."""

    work: Path
    width: int
    height: int
    fps: Fraction
    encode: dict[str, Any]
    seg_n: int = SEGMENT_FRAMES

    @property
    def manifest(self) -> Path:
        return self.work / "manifest.json"

    def read(self) -> dict[str, Any] | None:
        """The manifest's contents, or None when there is none or it is unreadable."""
        try:
            m = json.loads(self.manifest.read_text())
        except (OSError, ValueError):
            return None
        return m if isinstance(m, dict) else None

    def done(self) -> dict[int, int]:
        """Finished segments whose part file exists: index -> frames."""
        m = self.read() or {}
        done = m.get("done", {})
        if isinstance(done, list):  # a manifest of a serial run before parallel segments: a prefix
            done = dict(enumerate(done))
        try:
            return {int(k): int(n) for k, n in done.items() if (self.work / _part(int(k))).exists()}
        except (AttributeError, TypeError, ValueError):
            return {}

    def save(self, key: dict[str, Any], done: dict[int, int]) -> None:
        """Write the manifest (atomically: a killed run leaves the old one or the new one)."""
        tmp = self.work / "manifest.json.tmp"
        body = {"key": key, "segment_frames": self.seg_n, "done": {str(k): done[k] for k in sorted(done)}}
        tmp.write_text(json.dumps(body, indent=1))
        os.replace(tmp, self.manifest)

    def lock(self) -> FileLock:
        """The lock every process holds while it reads and rewrites the manifest."""
        return FileLock(str(self.work / "manifest.lock"))

    def record(self, k: int, n: int) -> None:
        """Add finished segment `k` (`n` frames) to the manifest, under the lock (workers finish in any order)."""
        with self.lock():
            m = self.read()
            if m is None:  # the run's folder was removed under us: the parent gave up
                raise OutputError(f"{self.work}: parts folder is gone")
            self.save(m["key"], {**self.done(), k: n})

    def open(self, k: int) -> VideoWriter:
        """A lossless writer for segment `k` (written under a temporary name, renamed when closed), in the
        output's pixel format and colour tags, so it keeps the samples the output's encoder takes."""
        return VideoWriter(
            self.work / _part(k),
            self.width,
            self.height,
            self.fps,
            faststart=False,
            lock=False,  # the whole output is locked already
            **{**self.encode, **intermediate(self.encode.get("pix_fmt", "yuv420p"))},
        )


class PartSink:
    """Writes output frames by their index into the segments of `parts` that are not finished yet.

    Frames come in increasing index order; a frame in a finished segment is dropped. A segment is
    finished (closed and recorded) at its `seg_n`-th frame, or at frame `total` - 1 when `total` is
    known (the clip's last, short segment).
    """

    def __init__(
        self,
        parts: Parts,
        done: dict[int, int],
        total: int | None = None,
        on_finish: Callable[[int, int], None] | None = None,
    ) -> None:
        self.parts, self.done, self.total, self.on_finish = parts, dict(done), total, on_finish
        self.tee: StreamJoin | None = None  # also hands each segment's frames to it, where it takes them
        self._teed = False
        self._seg: VideoWriter | None = None
        self._k = -1

    @property
    def open_segment(self) -> bool:
        """True while a segment has frames written but is not finished."""
        return self._seg is not None

    def is_done(self, j: int) -> bool:
        """True if output frame `j` lies in a finished segment."""
        k, r = divmod(j, self.parts.seg_n)
        return r < self.done.get(k, 0)

    def write(self, j: int, image: np.ndarray) -> None:
        """Output frame `j` (dropped if its segment is finished)."""
        if self.is_done(j):
            return
        k, r = divmod(j, self.parts.seg_n)
        if self._seg is None:
            if r != 0:
                raise ValueError(f"segment {k} must start at its first frame, not frame {j}")
            self._seg, self._k = self.parts.open(k), k
            self._teed = self.tee is not None and self.tee.take(k)
        frame = self._seg.frame(image)
        self._seg.write_frame(frame)
        if self._teed:
            self.tee.offer(frame)
        if self._seg.n_frames == self.parts.seg_n or (self.total is not None and j == self.total - 1):
            self.finish()

    def finish(self) -> None:
        """Close the open segment (if any) and record it as finished."""
        if self._seg is None:
            return
        self._seg.close()
        n, self._seg = self._seg.n_frames, None
        self.done[self._k] = n
        self.parts.record(self._k, n)
        if self.on_finish is not None:
            self.on_finish(self._k, n)

    def abort(self) -> None:
        """Drop the open segment's unfinished file."""
        if self._seg is not None:
            self._seg._abort()
            self._seg = None


class _Cancelled(Exception):
    """The streaming join was stopped (the run is aborted)."""


class StreamJoin:
    """The join as the segments finish, in a thread: segment k goes into the output as soon as segments
    0..k are finished, so where cores are idle while frames are made (a GPU run above all) the output's
    encode runs beside the making instead of after it.

    Where the join keeps up (it is at most one segment behind when a segment starts: `take`), the sink
    also hands it that segment's frames as it writes them (`offer`, a queue of `TEE_DEPTH`: the maker
    waits when it is full), so the join encodes them without decoding the part back (the part is still
    written: a resume needs it); otherwise, a resumed run's earlier segments above all, it decodes the part.
    Either way the encoder gets the classic join's samples in the classic join's order, so the file is the
    same bytes (tested). `finished(k, n)` is the sink's hook; `finish()` waits and returns the output with
    the segments it took (`joined`; `teed` of them without a decode), `cancel()` drops it."""

    def __init__(
        self,
        done: dict[int, int],
        open_output: Callable[[], VideoWriter],
        encode_part: Callable[[VideoWriter, int, int, Callable[[], bool]], None],
    ) -> None:
        self._ready = dict(done)
        self._cv = threading.Condition()
        self._closing = self._cancelled = self._ended = False
        self._open, self._encode = open_output, encode_part
        self._tee: set[int] = set()
        self._frames: deque[av.VideoFrame] = deque()
        self.out: VideoWriter | None = None
        self.joined = self.teed = 0
        self._error: BaseException | None = None
        self._thread = start_thread(self._run, "vidiff-join")

    def finished(self, k: int, n: int) -> None:
        with self._cv:
            self._ready[k] = n
            self._cv.notify_all()

    def take(self, k: int) -> bool:
        """Called as segment k starts: True (and its frames are to be `offer`ed) when the join will be at it
        after at most the segment before."""
        with self._cv:
            known = all(i in self._ready or i in self._tee for i in range(self.joined, k))
            near = k <= self.joined + 1 or k - 1 in self._tee
            ok = known and near and not (self._closing or self._ended)
            if ok:
                self._tee.add(k)
                self._cv.notify_all()
            return ok

    def offer(self, frame: av.VideoFrame) -> None:
        """The next frame of the segment `take`n last: waits while `TEE_DEPTH` are queued; dropped once the
        join has ended (cancelled, or failed: its error is raised at `finish`)."""
        with self._cv:
            while len(self._frames) >= TEE_DEPTH and not self._ended:
                self._cv.wait()
            if not self._ended:
                self._frames.append(frame)
                self._cv.notify_all()

    def _next(self, k: int) -> int | str | None:
        """What segment k is: 'tee', its frame count (decode its part), or None (the end)."""
        with self._cv:
            while k not in self._tee and k not in self._ready and not (self._closing or self._cancelled):
                self._cv.wait()
            return None if self._cancelled else "tee" if k in self._tee else self._ready.get(k)

    def _teed_frame(self, k: int, got: int) -> av.VideoFrame | None:
        """The next frame of teed segment k, or None when its `got` frames are all it has."""
        with self._cv:
            while not self._frames and not (self._ready.get(k) == got or self._cancelled):
                self._cv.wait()
            if self._cancelled:
                raise _Cancelled
            if self._ready.get(k) == got:  # the segment's end comes before the next segment's frames
                return None
            self._cv.notify_all()
            return self._frames.popleft()

    def _run(self) -> None:
        try:
            while (src := self._next(self.joined)) is not None:
                if self.out is None:
                    self.out = self._open()
                if src == "tee":
                    got = 0
                    while (frame := self._teed_frame(self.joined, got)) is not None:
                        self.out.write_frame(frame)
                        got += 1
                    self.teed += 1
                else:
                    self._encode(self.out, self.joined, src, lambda: self._cancelled)
                self.joined += 1
        except _Cancelled:
            pass
        except BaseException as e:  # noqa: BLE001 - raised in the caller, at finish
            self._error = e
        finally:
            with self._cv:
                self._ended = True
                self._frames.clear()
                self._cv.notify_all()

    def _stop(self, cancel: bool) -> None:
        with self._cv:
            self._closing, self._cancelled = True, self._cancelled or cancel
            self._cv.notify_all()
        self._thread.join()

    def finish(self) -> VideoWriter | None:
        """Wait for the segments finished so far to be in; the output (None if none was), not closed."""
        self._stop(cancel=False)
        if self._error is not None:
            self.cancel()
            raise self._error
        return self.out

    def cancel(self) -> None:
        """Stop (within a frame) and drop the unfinished output."""
        self._stop(cancel=True)
        if self.out is not None:
            self.out._abort()
            self.out = None


class ResumableWriter:
    """Writes frames like `VideoWriter` (write, n_frames, close, context manager) in resumable segments.

    `key` describes the run (input, settings): a manifest with another key is discarded. `can_skip(n)`
    tells whether the next n frames are already in finished segments, so the caller need not make them.
    Other processes may fill the segments instead (`parts`, `adopt`): `close` joins whatever the
    manifest lists, which must be every segment from the first on. `extras` (a source's subtitles, tags,
    chapters: `vidiff.io.streams`) go into the output at the join, as the audio does. `start_number`: an
    image-frames output's first file number (`vidiff.io.sequence_out.check_start_number`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: Fraction,
        key: dict[str, Any],
        audio_from: str | os.PathLike[str] | VideoFile | None = None,
        audio: Any = None,
        rotation: int = 0,
        inputs: tuple = (),
        segment_frames: int = SEGMENT_FRAMES,
        audio_codec: str = "auto",
        expected_frames: int | None = None,
        announce: Callable[[str], AbstractContextManager] = nullcontext,
        extras: Extras | None = None,
        start_number: int | None = None,
        flip: bool = False,
        **encode: Any,
    ) -> None:
        self.path = check_output_path(path, sources(inputs, audio_from), frames=True)
        check_start_number(start_number, self.path)  # an image-frames output's first number, or None
        self.start_number = start_number
        self.announce = announce
        self.frames = frames_output(self.path)  # an image sequence (no audio, no encoder), or None
        if self.frames is None and encode.get("codec", DEFAULT_CODEC) == DEFAULT_CODEC:  # the parts' codec
            encode = {**encode, "codec": EncodeOptions(**_pick(encode)).for_output(self.path).encoder}
        p = Path(output_target(self.path))
        self.parts = Parts(
            p.parent / f".{p.name}.vidiff-parts", width, height, Fraction(fps), encode, segment_frames
        )
        self.work = self.parts.work
        self.fps = self.parts.fps
        self.audio, self.rotation, self.audio_codec = audio, rotation, audio_codec
        self.flip = flip  # a mirror after the rotation (`vidiff.io.orient`)
        self.seg_n = segment_frames
        self.key = json.loads(json.dumps(key, default=str, sort_keys=True))
        opts = EncodeOptions(**_pick(encode))
        if self.frames is not None and (audio_from or audio):
            raise ConfigError(f"{self.path}: image frames hold no audio; give no audio_from or audio")
        self.format = _FORMATS[p.suffix.lower()] if self.frames is None else "image2"
        if self.frames is None:
            opts.check_container(self.path)
        # the audio is tried now, not found unmuxable at the join after all the work
        self.audio_from = check_audio(audio_from, self.format, audio_codec) if audio_from else None
        self.extras = extras.fit(self.format) if extras is not None else None  # its note, before the work
        self._lock = OutputLock(p).acquire()  # a second run to this output stops here, in one line
        try:
            self._open_parts()
        except BaseException:
            self._lock.release()
            raise
        if expected_frames is not None:
            check_disk(
                self.path, self.work, expected_frames - self.resumed_frames, width, height, opts.pix_fmt
            )

    def _open_parts(self) -> None:
        """Resume from the manifest of an earlier run with the same key, or start a clean parts folder."""
        m = self.parts.read()
        same = m is not None and m.get("key") == self.key
        seg_n = m.get("segment_frames") if same else None
        if type(seg_n) is not int or seg_n < 1:
            same = False
        elif seg_n != self.seg_n:  # the same run cut at other lengths (an older table of costs): its cuts
            self.seg_n = seg_n
            self.parts = dataclasses.replace(self.parts, seg_n=seg_n)
        done = self.parts.done() if same else {}
        if not done and self.work.exists():
            shutil.rmtree(self.work)
        try:
            self.work.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"{self.path}: cannot write ({e.strerror or e})") from None
        self._ahead: Prefetch | None = None
        self._behind: Behind | None = None
        self._joiner: StreamJoin | None = None
        self._handoffs = quick_handoffs()
        self.resumed_frames = sum(done.values())
        self.n_frames = 0
        self._sink = PartSink(self.parts, done)
        self.parts.save(self.key, done)

    @property
    def done(self) -> dict[int, int]:
        """Finished segments: index -> frames."""
        return self._sink.done

    def can_skip(self, n: int) -> bool:
        """True if the next `n` frames all lie in segments finished by an earlier run."""
        j0, seg = self.n_frames, self.seg_n
        last = j0 + n - 1  # each segment's share of [j0, last] is done when its latest frame is
        return all(
            self._sink.is_done(min(last, k * seg + seg - 1)) for k in range(j0 // seg, last // seg + 1)
        )

    def skip(self, n: int) -> None:
        """Advance over `n` frames already in finished segments."""
        if not self.can_skip(n):
            raise ValueError("cannot skip frames that are not finished")
        self.n_frames += n

    def write(self, image: np.ndarray) -> None:
        """Append one frame (dropped if it lies in a finished segment). After `overlap`, it is encoded in
        the background: the caller must not change `image` afterwards."""
        if self._behind is not None:
            self._behind.submit(self.n_frames, image)
        else:
            self._sink.write(self.n_frames, image)
        self.n_frames += 1

    def overlap(self, frames: Iterable[Any], depth: int = DEPTH, handoffs: bool = False) -> Iterator[Any]:
        """From now on encode in a background thread, join the finished segments into the output in another
        (`StreamJoin`), and return `frames` read ahead in a third (vidiff.io.overlap): decode, encode and
        the join overlap the caller's work. `handoffs`: quick GIL handoffs while they run
        (`quick_handoffs`: for a caller busy in Python, a GPU model step; on a CPU-bound one they only add
        switches). `adopt` and `close` wait for them, `abort` (and the context's exit on an error) stops
        them before the input can be closed."""
        if handoffs:
            self._handoffs.hold()
        self._behind = Behind(self._sink.write, depth)
        self._joiner = StreamJoin(self.done, self._open_output, self._encode_part)
        self._sink.on_finish, self._sink.tee = self._joiner.finished, self._joiner
        self._ahead = Prefetch(frames, depth)
        return self._ahead

    def _settle(self, cancel: bool = False) -> None:
        """The background threads done: the reader stopped, the queued frames written (or dropped)."""
        ahead, behind, self._ahead, self._behind = self._ahead, self._behind, None, None
        if ahead is not None:
            ahead.close()
        if behind is not None:
            behind.cancel() if cancel else behind.join()

    def adopt(self) -> None:
        """Take the segments other processes finished (from the manifest) as this run's frames."""
        self._settle()
        self._sink.finish()
        self._sink.done = self.parts.done()
        self.n_frames = sum(self._sink.done.values())

    def close(self) -> None:
        """Finish the last segment, join all of them with the audio into OUTPUT, remove the parts."""
        try:
            self._close()
        except BaseException:
            self._drop_join()  # a writer thread's error: the join must not wait for frames that won't come
            raise
        finally:
            self._handoffs.release()
            self._lock.release()

    def _close(self) -> None:
        self._settle()
        self._sink.finish()
        done = self.done
        if not done or sorted(done) != list(range(len(done))):
            self._drop_join()
            if not done:
                shutil.rmtree(self.work, ignore_errors=True)
                raise OutputError(f"{self.path}: no frame was produced; nothing written")
            missing = sorted(set(range(max(done) + 1)) - set(done))
            raise OutputError(f"{self.path}: segments {missing} were not made; rerun to resume")
        counts = [done[k] for k in range(len(done))]
        with self.announce(f"encoding the output ({sum(counts)} frames)"):
            self._join(counts)
        shutil.rmtree(self.work, ignore_errors=True)

    def _drop_join(self) -> None:
        joiner, self._joiner = self._joiner, None
        if joiner is not None:
            joiner.cancel()

    def _open_output(self) -> VideoWriter | FrameWriter | GifWriter:
        """OUTPUT's writer, with the audio, read through a container of its own: a streaming join's input is
        still being read, and an open input's pass starts with a seek to 0, which drops the packets stamped
        before 0 (AAC or Opus priming, as an .mkv or .mp4 that FFmpeg wrote has): every join, streaming,
        parallel or resumed, copies the same packets. An image-sequence output's writer takes the segments'
        frames as images (`FrameWriter`)."""
        if self.frames is not None:
            w, h = self.parts.width, self.parts.height
            return frames_writer(
                self.path,
                w,
                h,
                self.fps,
                self.rotation,
                lock=False,
                start_number=self.start_number,
                flip=self.flip,
                sar=check_sar(self.parts.encode.get("sar"), "sar"),  # images: square pixels
            )
        audio_from = self.audio_from
        if isinstance(audio_from, VideoFile):
            audio_from = audio_from.path
        return VideoWriter(
            self.path,
            self.parts.width,
            self.parts.height,
            self.fps,
            audio_from=audio_from,
            audio=self.audio,
            rotation=self.rotation,
            flip=self.flip,
            lock=False,  # held since the run began
            audio_codec=self.audio_codec,
            audio_checked=True,
            extras=self.extras,
            **self.parts.encode,
        )

    def _join(self, counts: list[int]) -> None:
        """One encode of every segment's frames, in order, with the audio, into OUTPUT (atomically): the
        streaming join's output with the segments it has not taken yet, or all of them from the first."""
        joiner, self._joiner = self._joiner, None
        out, k0 = (joiner.finish(), joiner.joined) if joiner is not None else (None, 0)
        try:
            out = out or self._open_output()
            for k in range(k0, len(counts)):
                self._encode_part(out, k, counts[k])
        except BaseException:
            if out is not None:
                out._abort()
            raise
        out.close()

    def _encode_part(
        self, out: VideoWriter, k: int, n: int, stop: Callable[[], bool] = lambda: False
    ) -> None:
        """Decode segment `k` (one part open at a time: memory flat in the clip's length) into `out`. A
        segment that does not give back its `n` frames (a damaged part) is dropped from the manifest, so a
        rerun makes it again. `stop()` true (checked each frame) ends it with `_Cancelled`."""
        got = 0
        try:
            with av.open(str(self.work / _part(k))) as part:
                for frame in part.decode(video=0):
                    if stop():
                        raise _Cancelled
                    if got < n:
                        out.write_frame(frame)
                    got += 1
        except av.error.FFmpegError:
            got = -1
        if got != n:
            with self.parts.lock():
                self.parts.save(self.key, {i: c for i, c in self.parts.done().items() if i != k})
            raise OutputError(f"{self.path}: segment {k} of the parts folder is damaged; rerun to remake it")

    def abort(self, keep: bool = True) -> None:
        """Stop without joining: finished segments and the manifest stay for a resume (unless `keep` is
        False or there are none)."""
        self._drop_join()  # first: a writer thread waiting to hand the join a frame goes on at once
        self._settle(cancel=True)
        self._sink.abort()
        self._handoffs.release()
        if not self.parts.done() or not keep:  # nothing worth resuming: leave no trace
            shutil.rmtree(self.work, ignore_errors=True)
        self._lock.release()

    def __enter__(self) -> ResumableWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            # bad input or options fail the same way on a rerun: keep parts only for interrupts and faults
            self.abort(keep=not (isinstance(exc, VidiffError) and not isinstance(exc, OutputError)))


def intermediate(pix_fmt: str) -> dict[str, Any]:
    """The lossless encoding of the segments of an output in `pix_fmt` (`INTERMEDIATE`)."""
    takes = {f.name for f in av.codec.Codec("libx264", "w").video_formats or []}
    return INTERMEDIATE if pix_fmt in takes else INTERMEDIATE_RGB


def parts_bytes(frames: int, width: int, height: int, pix_fmt: str) -> int:
    """About the most disk `frames` lossless segment frames take: `PARTS_RATIO` of their raw bytes."""
    per_pixel = {"bgr0": 4.0}.get(pix_fmt) or (3.0 if "444" in pix_fmt else 2.0 if "422" in pix_fmt else 1.5)
    return int(frames * width * height * per_pixel * (2 if pix_fmt.endswith("le") else 1) * PARTS_RATIO)


def check_disk(output: str, work: Path, frames: int, width: int, height: int, pix_fmt: str) -> None:
    """One warning line, before the work, when the parts folder may not fit on its disk (a run that
    fills it stops with an error and resumes after space is freed)."""
    need = parts_bytes(max(frames, 0), width, height, pix_fmt)
    try:
        free = shutil.disk_usage(work).free
    except OSError:
        return
    if need > free:
        print(
            f"warning: {output}: the run keeps its frames losslessly until the end, up to about "
            f"{need / 1e9:.1f} GB beside the output, and {free / 1e9:.1f} GB are free there",
            file=sys.stderr,
            flush=True,
        )


def _part(k: int) -> str:
    return f"part{k:05d}.mkv"
