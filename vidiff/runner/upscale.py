"""Frame-rate upscaling of a whole clip, streaming: memory does not grow with the clip's length.

Source frames are decoded one at a time; duplicates are collapsed and scene cuts flagged on the fly,
so at most two keyframes (plus the last frame of a held run) are in memory at once.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.errors import ConfigError, InputError
from vidiff.flow import Interpolator, interpolator_factory
from vidiff.io.encode import EncodeOptions
from vidiff.io.probe import VideoFile, strict_input
from vidiff.io.reader import VideoReader
from vidiff.io.segments import ResumableWriter
from vidiff.io.writer import check_output_path
from vidiff.progress import progress_bar
from vidiff.runner.jobs import ClipSpec, picklable, plan_jobs
from vidiff.runner.parallel import (
    MIN_PARALLEL_FRAMES,
    LocalPool,
    parse_workers,
    run_jobs,
    segments_per_job,
    workers_for,
)
from vidiff.scenes import SceneDetector
from vidiff.timeline import Keyframe, Plan, check_flow_size, keyframes, parse_factor, parse_fps, parse_speed
from vidiff.windows import fill_window, method_context, plan_windows, window_context


def upscale_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    factor: float | Fraction | None = None,
    fps: Fraction | float | None = None,
    method: str | Interpolator = "auto",
    method_options: dict[str, Any] | None = None,
    codec: str = "libx264",
    crf: int | None = 18,
    preset: str | None = None,
    pix_fmt: str = "yuv420p",
    audio: bool = True,
    dedupe: bool = True,
    scene_cuts: bool = True,
    progress: bool = True,
    speed: Fraction | float = 1,
    audio_mode: str | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    out_size: tuple[int, int] | None = None,
    max_run: int = 3,
    window: int = 8,
    workers: int | None = None,
    pool: Any = None,
) -> dict[str, Any]:
    """Raise the frame rate of `input` by `factor` or to `fps` and write `output`; returns a report dict.

    Every output frame j sits at time j / out_fps; it is interpolated at its real t between the two
    distinct source frames around it, or copied from the nearer one across a scene cut. Audio is
    copied. Bad input raises `InputError` before anything is written.

    `speed` < 1 makes slow motion: the frames planned at `factor`/`fps` are played at that rate times
    `speed` (factor 4, speed 1/4: four times the frames at the source rate). `audio_mode` "copy"
    (default), "drop", or "slow" (re-timed by `speed`, pitch kept). `transform` maps each output frame
    (e.g. a reframe or resize; the output size is `out_size` = (width, height), or found by applying
    `transform` to a blank frame).

    A method with `interpolate_window` (the diffusion model) gets windows of `window` keyframe pairs plus
    its `context` keyframes on each side, at their real times in seconds (`vidiff.windows`).

    `workers` processes make the clip's segments in parallel (default: every core; 1 for a clip of
    under two segments, or when `method`/`transform` cannot be sent to a process); the output is
    byte-identical to `workers=1` (`vidiff.runner.jobs`). `pool` runs them on a pool shared with other
    clips (`vidiff.runner.parallel.LocalPool`, `vidiff.runner.ray_pool.RayPool`).
    """
    call = dict(locals())  # this call's arguments, for a pool that runs the whole clip in one worker
    input, output = os.fspath(input), os.fspath(output)
    # every option is checked before any frame is decoded (the CLI, recipes and this API share these)
    check_output_path(output, [input])
    enc = EncodeOptions(codec, crf, preset, pix_fmt)
    if fps is not None:
        parse_fps(fps)
    if factor is not None:
        parse_factor(factor)
    parse_speed(speed)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 1024:
        raise ConfigError(f"window {window!r}: a window is 1 to 1024 pairs of frames")
    if isinstance(max_run, bool) or not isinstance(max_run, int) or max_run < 1:
        raise ConfigError(f"dedupe max_run {max_run!r}: must be a whole number, 1 or more")
    workers = parse_workers(workers)
    audio_mode = audio_mode or ("copy" if audio else "drop")
    if audio_mode not in ("copy", "drop", "slow", "none"):
        raise ConfigError(f"audio mode {audio_mode!r}: use copy, drop or slow")
    with VideoFile(input) as src:  # opened once: the probe, the frames and the audio come from it
        info = src.info
        if info.n_frames < 2:
            raise InputError(f"{input}: has only {info.n_frames} frame; at least 2 are needed to interpolate")
        plan = Plan.for_rate(info.fps, factor, fps, speed)
        if isinstance(method, str):  # checked and resolved (auto); built below only where frames are made
            name, factory, options = interpolator_factory(method, **(method_options or {}))
        else:
            name, factory, options = getattr(method, "name", str(method)), None, {}
        if out_size is None and transform is not None:
            probe_img = transform(np.zeros((info.height, info.width, 3), np.uint8))
            out_size = (probe_img.shape[1], probe_img.shape[0])
        width, height = out_size or (info.width, info.height)
        check_flow_size(info.width, info.height, name)
        enc.check_output(output, width, height)
        codec = enc.encoder
        track = None
        if audio_mode == "slow" and info.audio:
            from vidiff.io.audio import AudioTrack

            track = AudioTrack.from_file(src, fade_in=0.0, fade_out=0.0, tempo=float(plan.speed))
        expected = plan.expected(info.duration)
        n_workers = workers_for(workers, expected)
        if (n_workers > 1 or pool is not None) and not picklable(method, transform):
            if n_workers > 1 and workers is not None:
                raise ConfigError(
                    f"workers={workers}: the method or transform cannot be sent to a worker process; "
                    "use workers=1"
                )
            n_workers, pool = 1, None  # a closure (e.g. a progress hook) runs here, in one process
        if pool is not None and expected < MIN_PARALLEL_FRAMES:  # a short clip of a batch: one job
            return pool.submit(_whole_clip, {**call, "pool": None, "workers": 1, "progress": False}).result()
        parallel = pool is not None or n_workers > 1
        interp: Interpolator | None = None
        if not parallel:
            interp = method if factory is None else factory(**options)
            context = window_context(interp)
        elif factory is not None:  # this parent makes no frames: it learns the context, loading no model
            context = method_context(factory, options)
        else:
            context = window_context(method)  # type: ignore[arg-type]
        st = os.stat(input)
        run_key = {
            "input": os.path.abspath(input),
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "fps": str(plan.write_fps),
            "plan_fps": str(plan.fps),
            "method": getattr(method, "name", method),
            "method_options": method_options,
            "codec": codec,
            "crf": crf,
            "preset": preset,
            "pix_fmt": pix_fmt,
            "audio": audio_mode,
            "dedupe": dedupe,
            "scene_cuts": scene_cuts,
            "max_run": max_run,
            "window": [window, context],
            "out_size": [width, height],
            "transform": getattr(transform, "key", transform is not None),
            "version": _version(),
        }
        stats: dict[str, Any] = {}
        t_start = time.perf_counter()
        with (
            ResumableWriter(
                output,
                width,
                height,
                plan.write_fps,
                key=run_key,
                codec=codec,
                crf=crf,
                preset=preset,
                pix_fmt=pix_fmt,
                audio_from=src if audio_mode == "copy" and info.audio else None,
                audio=track,
                rotation=info.rotation,
                color=info.color,
                inputs=[input],
            ) as writer,
            progress_bar(expected, "upscale", progress) as bar,
        ):
            if parallel:
                bar.update(writer.resumed_frames)
                clip = ClipSpec(
                    input,
                    writer.parts,
                    method if factory is None else name,  # resolved: each worker builds this one
                    options,
                    transform,
                    context is not None,
                    strict_input(),
                )
                span = segments_per_job(-(-expected // writer.seg_n), pool.workers if pool else n_workers)
                with LocalPool(n_workers) if pool is None else contextlib.nullcontext(pool) as use:
                    jobs = plan_jobs(
                        src,
                        plan,
                        span * writer.seg_n,
                        dedupe,
                        scene_cuts,
                        max_run,
                        window,
                        context,
                        stats,
                        1 / info.fps,
                        tick=lambda: bar.update(use.drain()),
                    )
                    stats["restarts"] = run_jobs(use, jobs, clip, bar)
                writer.adopt()
            else:
                _serial(
                    src,
                    plan,
                    writer,
                    bar,
                    interp,
                    context,
                    transform,
                    dedupe,
                    scene_cuts,
                    max_run,
                    window,
                    stats,
                    info.fps,
                )
            bar.total = plan.planned
        seconds = time.perf_counter() - t_start
        return {
            "input": input,
            "output": output,
            "method": name,
            "src_fps": str(info.fps),
            "out_fps": str(plan.write_fps),
            "src_frames": info.n_frames,
            "out_frames": writer.n_frames,
            "duplicates_collapsed": stats["duplicates"],
            "scene_cuts_s": [round(c, 3) for c in stats["cuts"]],
            "audio_streams": len(info.audio) if audio_mode in ("copy", "slow") else 0,
            "audio": audio_mode if info.audio else "none",
            "resumed_frames": writer.resumed_frames,
            "window": {"pairs": window, "context": context} if context is not None else None,
            "workers": (pool.workers if pool is not None else n_workers) if parallel else 1,
            "worker_restarts": stats.get("restarts", 0),
            "seconds": round(seconds, 3),
            "s_per_frame": round(seconds / max(writer.n_frames, 1), 4),
        }


def _serial(
    src: VideoFile,
    plan: Plan,
    writer: ResumableWriter,
    bar: Any,
    interp: Interpolator,
    context: int | None,
    transform: Callable[[np.ndarray], np.ndarray] | None,
    dedupe: bool,
    scene_cuts: bool,
    max_run: int,
    window: int,
    stats: dict[str, Any],
    src_fps: Fraction,
) -> None:
    """The clip in one pass, in this process: keyframes -> windows -> frames -> segments."""

    def emit(image: np.ndarray) -> None:
        writer.write(transform(image) if transform is not None else image)
        bar.update(1)

    last: list[tuple[int, Keyframe]] = []  # the last keyframe seen, and its index

    def tracked(kfs: Iterator[Keyframe]) -> Iterator[Keyframe]:
        for n, kf in enumerate(kfs):
            last[:] = [(n, kf)]
            yield kf

    cuts = SceneDetector().push if scene_cuts else None
    kfs = tracked(keyframes(writer.overlap(VideoReader(src)), dedupe, cuts, max_run, stats=stats))
    for w in plan_windows(kfs, pairs=window, context=context or 0):
        targets = [tg for k in range(w.lo, w.hi) for tg in plan.pair(k, w.times[k], w.times[k + 1])]
        if writer.can_skip(len(targets)):  # made by an earlier, interrupted run
            writer.skip(len(targets))
            bar.update(len(targets))
            continue
        for image in fill_window(w, targets, interp, context is not None):
            emit(image)
    # frames after the last keyframe hold it, up to the clip's end (one nominal frame past it)
    if last:
        n, kf = last[0]
        for _ in plan.hold(n, stats["last_time"] + 1 / src_fps):
            emit(kf.frame.image)


def _whole_clip(call: dict[str, Any]) -> dict[str, Any]:
    """`upscale_file(**call)` in a pool's worker (a short clip of a batch)."""
    from vidiff.runner.parallel import quiet_bars

    quiet_bars()
    return upscale_file(**call)


def _version() -> str:
    from vidiff import __version__

    return __version__
