"""A clip cut into independent segment jobs, and the worker side that makes one job's segments.

The planning pass (`plan_jobs`, in the parent) runs the serial run's keyframe stream (decode, dedupe,
scene cuts: `vidiff.timeline.keyframes`) and its windows (`vidiff.windows.plan_windows`) with each
frame's index in place of its image, and the serial `Plan` over them: so every job holds exactly the
windows and output targets the serial run would make for its range of output segments, plus the index,
time and CRC of every source frame they need. Nothing is interpolated there. A job (`run_job`, in a
worker) decodes those frames (`vidiff.runner.seek`), fills its windows with `fill_window` as the serial
run does, and writes the frames of its range through a `PartSink`; so the joined output is byte-identical
to the serial run's. A window that straddles two jobs is made by both (each keeps its own frames).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.flow import Interpolator, get_interpolator
from vidiff.io.deinterlace import deinterlace_scope, remember
from vidiff.io.probe import VideoFile, input_policy
from vidiff.io.reader import VideoReader
from vidiff.io.segments import Parts, PartSink
from vidiff.io.tail import clip_end, hold_step
from vidiff.runner.seek import crc, frames_at
from vidiff.scenes import SceneDetector
from vidiff.timeline import Keyframe, Plan, Target, keyframes
from vidiff.windows import Window, fill_window, plan_windows


@dataclass
class _Ref:
    """A source frame in the plan: its index stands where the serial run holds its image."""

    image: int
    time: Fraction


@dataclass
class Piece:
    """One window of the serial run (frames are source indices) and the output targets it makes;
    `hold` marks the frames after the last keyframe, which repeat it."""

    window: Window
    targets: list[Target]
    hold: bool = False


@dataclass
class SegmentJob:
    """Output frames [lo, hi) of a clip (whole segments; `hi` is the clip's total for its last job)."""

    lo: int
    hi: int
    pieces: list[Piece] = field(default_factory=list)
    sources: dict[int, tuple[Fraction, int]] = field(default_factory=dict)  # index -> (time, crc)
    last: bool = False


@dataclass
class ClipSpec:
    """What every job of one clip shares: the input, where its segments go, and how frames are made."""

    input: str
    parts: Parts
    method: str | Interpolator
    method_options: dict[str, Any]
    transform: Callable[[np.ndarray], np.ndarray] | None
    windowed: bool
    strict: bool = False
    rate: Fraction | None = None  # the input's frame rate (how an image sequence's frames are found)
    deinterlace: str | None = None  # how the input is read (`vidiff.io.deinterlace`; None: the default)
    fields: Any = None  # what the parent's scans of its fields found (`vidiff.io.deinterlace.found`)


def plan_jobs(
    src: VideoFile,
    plan: Plan,
    span: int,
    dedupe: bool,
    scene_cuts: bool,
    max_run: int,
    window: int,
    context: int | None,
    stats: dict[str, Any],
    tick: Callable[[], None] | None = None,
) -> Iterator[SegmentJob]:
    """The jobs of a clip in order, each yielded as soon as its frames are planned (`span` output
    frames each, the last one shorter); `stats` gets the keyframe stream's, as in the serial run;
    the clip ends where `vidiff.io.tail.clip_end` says; `tick` is called once a window."""
    seen: dict[int, tuple[Fraction, int]] = {}
    last: list[tuple[int, int]] = []  # (keyframe number, source index) of the last keyframe

    def refs() -> Iterator[Keyframe]:
        cuts = SceneDetector().push if scene_cuts else None
        held = hold_step(src.info)
        for n, kf in enumerate(
            keyframes(iter(VideoReader(src)), dedupe, cuts, max_run, stats=stats, hold_step=held)
        ):
            f = kf.frame
            if f.index not in seen:  # (a held frame again, later: found by its own time)
                seen[f.index] = (f.time, crc(f.image))
            last[:] = [(n, f.index)]
            yield Keyframe(_Ref(f.index, f.time), kf.cut)

    def pieces() -> Iterator[Piece]:
        for w in plan_windows(refs(), pairs=window, context=context or 0):
            targets = [tg for k in range(w.lo, w.hi) for tg in plan.pair(k, w.times[k], w.times[k + 1])]
            if tick is not None:
                tick()
            if targets:
                yield Piece(w, targets)
        if last:
            n, idx = last[0]
            hold = plan.hold(n, clip_end(src.info, stats["last_time"]))
            if hold:
                yield Piece(Window([idx], [seen[idx][0]], 0, 0), hold, hold=True)

    job = SegmentJob(0, span)
    for p in pieces():
        j0, j1 = p.targets[0].index, p.targets[-1].index
        while True:
            if j1 >= job.lo and j0 < job.hi:
                job.pieces.append(p)
                job.sources.update({i: seen[i] for i in p.window.frames})
            if j1 < job.hi - 1:
                break
            yield job
            job = SegmentJob(job.hi, job.hi + span)
        for i in [i for i in seen if i < p.window.frames[0]]:  # no later window looks back past this
            del seen[i]
    if job.lo < plan.planned:
        job.hi, job.last = plan.planned, True
        yield job


_INTERPOLATORS: dict[str, Interpolator] = {}  # per worker process: built once, used by every job


def _interpolator(method: str | Interpolator, options: dict[str, Any]) -> Interpolator:
    if not isinstance(method, str):
        return method
    key = json.dumps([method, options], sort_keys=True, default=str)
    if key not in _INTERPOLATORS:
        _INTERPOLATORS[key] = get_interpolator(method, **options)
    return _INTERPOLATORS[key]


def run_job(job: SegmentJob, clip: ClipSpec, progress: Any = None) -> int:
    """Make the unfinished segments of `job` (in a worker); returns the frames written. `progress`
    (anything with `put_nowait(n)`) hears of the frames as they are made."""
    from vidiff.runner import parallel  # the worker's progress queue, when it runs in a process pool

    progress = progress if progress is not None else parallel.worker_progress()
    with input_policy(clip.strict), deinterlace_scope(clip.deinterlace):
        remember(clip.input, clip.fields)  # (its fields scanned once a run, in the parent)
        interp = _interpolator(clip.method, clip.method_options)
        sink = PartSink(clip.parts, clip.parts.done(), job.hi if job.last else None)
        frames = frames_at(clip.input, job.sources, clip.rate)
        cache: dict[int, np.ndarray] = {}
        written = 0
        try:
            for p in job.pieces:
                mine = [n for n, tg in enumerate(p.targets) if job.lo <= tg.index < job.hi]
                todo = [n for n in mine if not sink.is_done(p.targets[n].index)]
                if todo:
                    for i in [i for i in cache if i < p.window.frames[0]]:
                        del cache[i]
                    while any(i not in cache for i in p.window.frames):
                        i, image = next(frames)
                        cache[i] = image
                    images = [cache[i] for i in p.window.frames]
                    w = p.window
                    made = (
                        [images[0]] * len(p.targets)
                        if p.hold
                        else fill_window(
                            Window(images, w.times, w.lo, w.hi, w.cut), p.targets, interp, clip.windowed
                        )
                    )
                    for n in todo:
                        img = made[n]
                        sink.write(p.targets[n].index, clip.transform(img) if clip.transform else img)
                    written += len(todo)
                if mine and progress is not None:
                    progress.put_nowait(len(mine))
            if sink.open_segment:
                raise RuntimeError(f"job [{job.lo}, {job.hi}) ended inside a segment")
        except BaseException:
            sink.abort()
            raise
        finally:
            frames.close()
    return written


def picklable(*objs: Any) -> bool:
    """True if every object can be sent to a worker process."""
    try:
        pickle.dumps(objs)
    except Exception:  # noqa: BLE001 - lambdas, local closures, open files: whatever pickle refuses
        return False
    return True


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
