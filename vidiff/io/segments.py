"""Resumable output: encode in fixed-size segments beside the output, with a manifest, then join them.

A run writes `.NAME.vidiff-parts/` next to OUTPUT: `part00000.mp4`, … (segment k holds output frames
k * N to k * N + N - 1, video only, starting with a key frame) and `manifest.json` (the run's settings,
N and the finished segments, in any order). N is the caller's (`upscale_file`: about half a minute of
the method's work, `vidiff.runner.costs.segment_frames`, so Ctrl-C loses little); a resume takes the
manifest's N, so it cuts where the first run did. Killed at any point (even kill -9), the same command finds the
manifest, skips the work of the finished segments and goes on; the final file is the segments' packets
joined (no re-encoding) with the audio, so it is byte-identical to the file an uninterrupted run makes.
The parts folder is removed when the output is complete.

Segments may be made by other processes (`vidiff.runner.parallel`): `Parts` is the picklable description
of the folder that a worker writes through (`PartSink`), recording each finished segment in the manifest
under a file lock.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from filelock import FileLock

from vidiff.errors import OutputError, VidiffError
from vidiff.io.encode import EncodeOptions
from vidiff.io.overlap import DEPTH, Behind, Prefetch
from vidiff.io.probe import VideoFile
from vidiff.io.writer import (
    _FORMATS,
    OutputLock,
    VideoWriter,
    _AudioCopier,
    check_audio,
    check_output_path,
    temp_path_for,
)

SEGMENT_FRAMES = 120
_ENCODE_KEYS = ("codec", "crf", "preset", "pix_fmt")


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
        """A writer for segment `k` (written under a temporary name, renamed when closed)."""
        return VideoWriter(
            self.work / _part(k),
            self.width,
            self.height,
            self.fps,
            faststart=False,
            lock=False,  # the whole output is locked already
            **self.encode,
        )


class PartSink:
    """Writes output frames by their index into the segments of `parts` that are not finished yet.

    Frames come in increasing index order; a frame in a finished segment is dropped. A segment is
    finished (closed and recorded) at its `seg_n`-th frame, or at frame `total` - 1 when `total` is
    known (the clip's last, short segment).
    """

    def __init__(self, parts: Parts, done: dict[int, int], total: int | None = None) -> None:
        self.parts, self.done, self.total = parts, dict(done), total
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
        self._seg.write(image)
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

    def abort(self) -> None:
        """Drop the open segment's unfinished file."""
        if self._seg is not None:
            self._seg._abort()
            self._seg = None


class ResumableWriter:
    """Writes frames like `VideoWriter` (write, n_frames, close, context manager) in resumable segments.

    `key` describes the run (input, settings): a manifest with another key is discarded. `can_skip(n)`
    tells whether the next n frames are already in finished segments, so the caller need not make them.
    Other processes may fill the segments instead (`parts`, `adopt`): `close` joins whatever the
    manifest lists, which must be every segment from the first on.
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
        **encode: Any,
    ) -> None:
        self.path = check_output_path(path, inputs)
        p = Path(self.path)
        self.parts = Parts(
            p.parent / f".{p.name}.vidiff-parts", width, height, Fraction(fps), encode, segment_frames
        )
        self.work = self.parts.work
        self.fps = self.parts.fps
        self.audio, self.rotation, self.audio_codec = audio, rotation, audio_codec
        self.seg_n = segment_frames
        self.key = json.loads(json.dumps(key, default=str, sort_keys=True))
        self.format = _FORMATS[p.suffix.lower()]
        opts = EncodeOptions(**{k: v for k, v in encode.items() if k in _ENCODE_KEYS})
        opts.check_size(width, height)
        opts.check_container(self.path)
        # the audio is tried now, not found unmuxable at the join after all the work
        self.audio_from = check_audio(audio_from, self.format, audio_codec) if audio_from else None
        self._lock = OutputLock(self.path).acquire()  # a second run to this output stops here, in one line
        try:
            self._open_parts()
        except BaseException:
            self._lock.release()
            raise

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

    def overlap(self, frames: Iterable[Any], depth: int = DEPTH) -> Iterator[Any]:
        """From now on encode in a background thread, and return `frames` read ahead in another
        (vidiff.io.overlap): decode and encode overlap the caller's work. `adopt` and `close` wait for
        both, `abort` (and the context's exit on an error) stops both before the input can be closed."""
        self._behind = Behind(self._sink.write, depth)
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
        finally:
            self._lock.release()

    def _close(self) -> None:
        self._settle()
        self._sink.finish()
        done = self.done
        if not done:
            shutil.rmtree(self.work, ignore_errors=True)
            raise OutputError(f"{self.path}: no frame was produced; nothing written")
        if sorted(done) != list(range(len(done))):
            missing = sorted(set(range(max(done) + 1)) - set(done))
            raise OutputError(f"{self.path}: segments {missing} were not made; rerun to resume")
        counts = [done[k] for k in range(len(done))]
        tmp = temp_path_for(self.path)
        opts = {"movflags": "+faststart"} if self.format in ("mp4", "mov") else {}
        try:
            # one part open at a time besides the first (the stream's template): each open container
            # holds a decoder's buffers, so opening them all made the join's memory grow with the clip's
            # length (+10 MB at 32 parts of 176x144: the peak of a parallel run's parent)
            with (
                av.open(tmp, "w", format=self.format, options=opts) as out,
                av.open(str(self.work / _part(0))) as first,
            ):
                try:
                    vs = out.add_stream_from_template(first.streams.video[0])
                except av.codec.codec.UnknownCodecError:  # PyAV looks up an encoder named as the part's
                    # decoder (libdav1d for av1, no such encoder): the packets are copied, so take the
                    # stream's parameters as they are
                    vs = out.add_stream_from_template(first.streams.video[0], opaque=True)
                if self.rotation:
                    vs.set_display_rotation(self.rotation)
                aud = (
                    _AudioCopier(out, self.audio_from, self.format, self.audio_codec)
                    if self.audio_from
                    else self.audio.attach(out, self.format)
                    if self.audio is not None
                    else None
                )
                # the source's A/V offset: the video starts where it did against the audio
                offset, delay0 = (
                    round(getattr(aud, "video_start", 0.0) / first.streams.video[0].time_base),
                    None,
                )
                for k, n in enumerate(counts):
                    with av.open(str(self.work / _part(k))) as part:
                        src = part.streams.video[0]
                        step = int(round(1 / (self.fps * src.time_base)))
                        shift = None
                        for pkt in part.demux(src):
                            if pkt.dts is None:
                                continue
                            if shift is None:
                                # a short last segment may have less B-frame delay than the others: give
                                # it the same, so decode times step evenly (sample durations stay 1/fps)
                                delay = pkt.pts - pkt.dts
                                delay0 = delay if delay0 is None else delay0
                                shift = delay0 - delay
                            pkt.pts += offset
                            pkt.dts += offset - shift
                            pkt.stream = vs
                            out.mux(pkt)
                            if aud is not None:
                                aud.mux_until(out, float(pkt.dts * src.time_base))
                        offset += n * step
                if aud is not None:
                    aud.finish(out)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        os.replace(tmp, self.path)
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self, keep: bool = True) -> None:
        """Stop without joining: finished segments and the manifest stay for a resume (unless `keep` is
        False or there are none)."""
        self._settle(cancel=True)
        self._sink.abort()
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


def _part(k: int) -> str:
    return f"part{k:05d}.mp4"
