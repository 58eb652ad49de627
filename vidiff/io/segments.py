"""Resumable output: encode in fixed-size segments beside the output, with a manifest, then join them.

A run writes `.NAME.vidiff-parts/` next to OUTPUT: `part00000.mp4`, … (video only, each starting with a
key frame) and `manifest.json` (the run's settings and the finished segments). Killed at any point (even
kill -9), the same command finds the manifest, skips the work of the finished segments and goes on; the
final file is the segments' packets joined (no re-encoding) with the audio, so it is byte-identical to the
file an uninterrupted run makes. The parts folder is removed when the output is complete.
"""

from __future__ import annotations

import json
import os
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from vidiff.errors import OutputError, VidiffError
from vidiff.io.encode import EncodeOptions
from vidiff.io.probe import VideoFile
from vidiff.io.writer import _FORMATS, OutputLock, VideoWriter, _AudioCopier, check_output_path, temp_path_for

SEGMENT_FRAMES = 120
_ENCODE_KEYS = ("codec", "crf", "preset", "pix_fmt")


class ResumableWriter:
    """Writes frames like `VideoWriter` (write, n_frames, close, context manager) in resumable segments.

    `key` describes the run (input, settings): a manifest with another key is discarded. `can_skip(n)`
    tells whether the next n frames are already in finished segments, so the caller need not make them.
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
        **encode: Any,
    ) -> None:
        self.path = check_output_path(path, inputs)
        p = Path(self.path)
        self.work = p.parent / f".{p.name}.vidiff-parts"
        self.width, self.height, self.fps = width, height, Fraction(fps)
        self.audio_from, self.audio, self.rotation = audio_from, audio, rotation
        self.encode = encode
        self.seg_n = segment_frames
        self.key = json.loads(json.dumps(key, default=str, sort_keys=True))
        self.format = _FORMATS[p.suffix.lower()]
        opts = EncodeOptions(**{k: v for k, v in encode.items() if k in _ENCODE_KEYS})
        opts.check_size(width, height)
        opts.check_container(self.path)
        self._lock = OutputLock(self.path).acquire()  # a second run to this output stops here, in one line
        try:
            self._open_parts()
        except BaseException:
            self._lock.release()
            raise

    def _open_parts(self) -> None:
        """Resume from the manifest of an earlier run with the same key, or start a clean parts folder."""
        done: list[int] = []
        manifest = self.work / "manifest.json"
        if manifest.exists():
            try:
                m = json.loads(manifest.read_text())
                if m.get("key") == self.key and m.get("segment_frames") == self.seg_n:
                    done = [n for k, n in enumerate(m["done"]) if (self.work / _part(k)).exists()]
            except (ValueError, KeyError):
                done = []
        if not done and self.work.exists():
            shutil.rmtree(self.work)
        try:
            self.work.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"{self.path}: cannot write ({e.strerror or e})") from None
        self.done = done
        self.resumed_frames = sum(done)
        self.n_frames = 0
        self._seg: VideoWriter | None = None
        self._save_manifest()

    def _save_manifest(self) -> None:
        tmp = self.work / "manifest.json.tmp"
        tmp.write_text(
            json.dumps({"key": self.key, "segment_frames": self.seg_n, "done": self.done}, indent=1)
        )
        os.replace(tmp, self.work / "manifest.json")

    def can_skip(self, n: int) -> bool:
        """True if the next `n` frames all lie in segments finished by an earlier run."""
        return self.n_frames + n <= self.resumed_frames

    def skip(self, n: int) -> None:
        """Advance over `n` frames already in finished segments."""
        if not self.can_skip(n):
            raise ValueError("cannot skip frames that are not finished")
        self.n_frames += n

    def write(self, image: np.ndarray) -> None:
        """Append one frame (dropped if it lies in a finished segment)."""
        if self.n_frames < self.resumed_frames:
            self.n_frames += 1
            return
        if self._seg is None:
            self._seg = VideoWriter(
                self.work / _part(len(self.done)),
                self.width,
                self.height,
                self.fps,
                faststart=False,
                lock=False,  # the whole output is locked already
                **self.encode,
            )
        self._seg.write(image)
        self.n_frames += 1
        if self._seg.n_frames == self.seg_n:
            self._finish_segment()

    def _finish_segment(self) -> None:
        assert self._seg is not None
        self._seg.close()
        self.done.append(self._seg.n_frames)
        self._seg = None
        self._save_manifest()

    def close(self) -> None:
        """Finish the last segment, join all of them with the audio into OUTPUT, remove the parts."""
        try:
            self._close()
        finally:
            self._lock.release()

    def _close(self) -> None:
        if self._seg is not None:
            self._finish_segment()
        if not self.done:
            shutil.rmtree(self.work, ignore_errors=True)
            raise OutputError(f"{self.path}: no frame was produced; nothing written")
        tmp = temp_path_for(self.path)
        opts = {"movflags": "+faststart"} if self.format in ("mp4", "mov") else {}
        try:
            with av.open(tmp, "w", format=self.format, options=opts) as out:
                parts = [av.open(str(self.work / _part(k))) for k in range(len(self.done))]
                try:
                    vs = out.add_stream_from_template(parts[0].streams.video[0])
                    if self.rotation:
                        vs.set_display_rotation(self.rotation)
                    aud = (
                        _AudioCopier(out, self.audio_from, self.format)
                        if self.audio_from
                        else self.audio.attach(out, self.format)
                        if self.audio is not None
                        else None
                    )
                    offset, delay0 = 0, None
                    for part, n in zip(parts, self.done, strict=True):
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
                finally:
                    for part in parts:
                        part.close()
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        os.replace(tmp, self.path)
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self, keep: bool = True) -> None:
        """Stop without joining: finished segments and the manifest stay for a resume (unless `keep` is
        False or there are none)."""
        if self._seg is not None:
            self._seg._abort()
            self._seg = None
        if not self.done or not keep:  # nothing worth resuming: leave no trace
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
