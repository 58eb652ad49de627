"""Frame-rate upscaling of a whole clip, streaming: memory does not grow with the clip's length.

Source frames are decoded one at a time; duplicates are collapsed and scene cuts flagged on the fly,
so at most two keyframes (plus the last frame of a held run) are in memory at once.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, InputError
from vidiff.flow import Interpolator, interpolator_factory
from vidiff.io.aspect import note_sar_lost, written_sar
from vidiff.io.colortags import output_color
from vidiff.io.deinterlace import deinterlace_mode, deinterlace_scope, found
from vidiff.io.encode import EncodeOptions
from vidiff.io.gif_out import check_gif_rate
from vidiff.io.orient import Upright, upright_first, upright_size, written_flip, written_rotation
from vidiff.io.probe import VideoFile, VideoInfo, strict_input, strict_scope
from vidiff.io.reader import VideoReader
from vidiff.io.segments import ResumableWriter
from vidiff.io.sequence import ImageSequence, input_stamp, open_input
from vidiff.io.sequence_out import (
    check_frames_size,
    check_start_number,
    frames_encoding,
    frames_output,
    note_no_audio,
)
from vidiff.io.streams import Extras
from vidiff.io.tail import clip_end, hold_step
from vidiff.io.writer import check_output_path
from vidiff.progress import progress_bar, stage
from vidiff.runner.costs import HEAVY, faster_hint, segment_frames, worker_mb
from vidiff.runner.jobs import ClipSpec, picklable, plan_jobs
from vidiff.runner.options import UpscaleOptions
from vidiff.runner.parallel import (
    MIN_PARALLEL_FRAMES,
    LocalPool,
    run_jobs,
    segments_per_job,
    workers_for,
    workers_line,
)
from vidiff.scenes import SceneDetector
from vidiff.timeline import Keyframe, Plan, check_flow_size, keyframes
from vidiff.validate import check_path
from vidiff.windows import fill_window, method_context, plan_windows, window_context


@dataclass
class _Run:
    """What a run settles before its first frame: the source's facts, the plan, the method, the output."""

    info: VideoInfo
    plan: Plan
    name: str  # the method, resolved (auto -> what it runs)
    factory: Callable[..., Interpolator] | None  # None: the options carry an Interpolator
    method_options: dict[str, Any]  # those the resolved method takes
    size: tuple[int, int]  # the output's (width, height)
    encode: EncodeOptions  # the output's (an image sequence's: its lossless segments', `frames_encoding`)
    audio: str  # what becomes of the source's audio: copy, drop, slow (drop for image frames)
    track: Any  # the slowed audio (audio mode "slow"), else None
    expected: int  # output frames, about
    n_workers: int
    pool: Any
    seg_n: int  # output frames a segment (about a fixed amount of work, `vidiff.runner.costs`)
    worker_mb: float  # a worker's memory at its peak, about (the worker count's memory cap)
    interp: Interpolator | None = None  # built only where frames are made (one process)
    context: int | None = None  # keyframes each side of a window, for a method with context

    @property
    def parallel(self) -> bool:
        return self.pool is not None or self.n_workers > 1

    @property
    def codec(self) -> str:
        """The ffmpeg encoder."""
        return self.encode.encoder


@checked_call
def upscale_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: UpscaleOptions | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Raise the frame rate of `input` by `factor` or to `fps` and write `output`; returns a report dict.

    The run's options are an `UpscaleOptions` (`vidiff.runner.options`: its fields and what they do),
    given as `options`, as keywords (`upscale_file(a, b, factor=2, method="dis")`), or both (keywords
    override). Every output frame j sits at time j / out_fps; it is interpolated at its real t between the
    two distinct source frames around it, or copied from the nearer one across a scene cut. Audio is
    copied. Bad input raises `InputError`, a bad option `ConfigError`, before anything is written.
    `input` may be an image sequence (a folder, or a pattern such as frames/%05d.png, at `input_fps`), and
    `output` a folder of frames (`DIR/`, or `DIR/%06d.png`): `vidiff.io.sequence`, `vidiff.io.sequence_out`.

    A method with `interpolate_window` (the diffusion model) gets windows of `window` keyframe pairs plus
    its `context` keyframes on each side, at their real times in seconds (`vidiff.windows`).

    `workers` processes make the clip's segments in parallel (default None: one process, so that a plain
    script, a notebook or `python -` can call this without an `if __name__ == "__main__":` guard; the
    command line uses every core; 1 for a clip of under two segments, or when `method`/`transform` cannot
    be sent to a process); the output is byte-identical to `workers=1` (`vidiff.runner.jobs`). `pool`
    runs them on a pool shared with other clips (`vidiff.runner.parallel.LocalPool`,
    `vidiff.runner.ray_pool.RayPool`).
    """
    check_path(input, "input")  # the types of the paths; the options are checked by UpscaleOptions
    check_path(output, "output")
    input, output = os.fspath(input), os.fspath(output)
    # 0. every option is checked before any frame is decoded (the CLI, recipes, web app and API share this)
    check_output_path(output, [input], frames=True)
    opts = _options(options, kwargs)
    check_start_number(opts.start_number, output)  # given only for image frames
    if frames_output(output) is not None:
        frames_encoding(output, opts.encode)  # images take no encoding options: before the input is read
    # opened once: the probe, the frames and the audio; damaged input refused within `strict`
    with (
        strict_scope(opts.strict),
        deinterlace_scope(opts.deinterlace),
        open_input(input, opts.input_fps) as src,
    ):
        info = src.info  # a reframe crops the picture as it is shown: upright, square pixels
        if (
            upright := upright_first(opts.transform, info.rotation, info.flip, info.sar)
        ) is not opts.transform:
            opts = opts.replace(transform=upright)  # a reframe crops the picture as it is shown
        # 1. check the inputs against the source: the plan, the method, the output size, the encoder
        run = _check_inputs(src, output, opts)
        if run.pool is not None and run.expected < MIN_PARALLEL_FRAMES:  # a short clip of a batch: one job
            one = opts.replace(pool=None, workers=1, progress=False)
            return run.pool.submit(_whole_clip, (input, output, one)).result()
        # 2. the method: built here for a serial run, only its context learned for a parallel one
        run.interp, run.context = _load_method(run, opts)
        stats: dict[str, Any] = {}
        t_start = time.perf_counter()
        # 3. the frames, into resumable segments (an interrupted run's finished segments are kept)
        with (
            _open_writer(src, output, opts, run) as writer,
            progress_bar(
                run.expected, "upscale", opts.progress, faster_hint(run.name, run.info.width, run.info.height)
            ) as bar,
        ):
            if run.parallel:
                _parallel(src, run, opts, writer, bar, stats)
            else:
                _serial(src, run, opts, writer, bar, stats)
            bar.total = run.plan.planned
        # 4. the report
        return _report(input, output, opts, run, writer, stats, time.perf_counter() - t_start)


def _options(options: UpscaleOptions | None, kwargs: dict[str, Any]) -> UpscaleOptions:
    """The run's options: `options`, with `kwargs` over them."""
    if options is not None and not isinstance(options, UpscaleOptions):
        raise ConfigError(
            f"options {options!r}: an UpscaleOptions, or give the options by keyword (factor=2)"
        )
    return UpscaleOptions.from_kwargs(options, **kwargs) if kwargs or options is None else options


def _check_inputs(src: VideoFile | ImageSequence, output: str, opts: UpscaleOptions) -> _Run:
    """What the options mean for this source, refused before any work if it cannot be done: at least two
    frames, a known method (auto resolved), a size the flow and the encoder take (a trial encode)."""
    info = src.info
    if info.n_frames < 2:
        raise InputError(f"{src.path}: has only {info.n_frames} frame; at least 2 are needed to interpolate")
    plan = Plan.for_rate(info.fps, opts.factor, opts.fps, opts.speed)
    method, given = opts.resolved_method  # a quality tier names the method and its options
    if isinstance(method, str):  # checked and resolved (auto); built only where frames are made
        name, factory, method_options = interpolator_factory(method, **given)
    else:
        name, factory, method_options = getattr(method, "name", str(method)), None, {}
    size = _output_size(opts, info.width, info.height)
    check_flow_size(info.width, info.height, name)
    enc, audio = opts.encode, opts.resolved_audio
    if frames_output(output) is None:
        enc = enc.for_output(output)
        enc.check_output(output, *size)
        note_sar_lost(output, enc.encoder, written_sar(info.sar, opts.transform))
    else:  # images: no encoder to try, no audio
        enc = frames_encoding(output, enc)
        check_frames_size(output, *size)
        check_gif_rate(output, plan.write_fps)
        note_no_audio(output, audio in ("copy", "slow") and bool(info.audio), len(info.subtitles))
        audio = "drop"
    track = None
    if audio == "slow" and info.audio:
        from vidiff.io.audio import note_slowed
        from vidiff.io.slow_audio import SlowedAudio

        note_slowed(src.path, info.audio)
        # made as the output is written; time 0 is the video's first frame (the A/V offset, stretched)
        track = SlowedAudio(src.path, float(plan.speed), start=info.start_time)
    expected = plan.expected(info.duration)
    seg_n, mb = segment_frames(name, info.width, info.height), worker_mb(name, info.width, info.height)
    n_workers, pool = _workers(opts, expected, seg_n, mb)
    return _Run(
        info,
        plan,
        name,
        factory,
        method_options,
        size,
        enc,
        audio,
        track,
        expected,
        n_workers,
        pool,
        seg_n,
        mb,
    )


def _output_size(opts: UpscaleOptions, width: int, height: int) -> tuple[int, int]:
    """`out_size`, else the size `transform` makes of a blank frame, else the source's; a transform that
    makes another size than `out_size` says (or no transform and another size) is refused before any work."""
    if opts.transform is None:  # the frames keep the source's size: another out_size failed mid-run
        if opts.out_size is not None and tuple(opts.out_size) != (width, height):
            raise ConfigError(
                f"out_size {opts.out_size[0]}x{opts.out_size[1]}: the frames are {width}x{height} (no "
                "transform resizes them); give a transform, or leave out_size out"
            )
        return (width, height)
    img = np.asarray(opts.transform(np.zeros((height, width, 3), np.uint8)))
    if img.ndim != 3 or img.shape[2] != 3:
        raise ConfigError(f"transform returns an array of shape {img.shape}, not an (H, W, 3) RGB frame")
    got = (img.shape[1], img.shape[0])
    if opts.out_size is not None and tuple(opts.out_size) != got:
        t = opts.transform  # given the frames as shown (`upright_first`): their size, and why
        given = upright_size(width, height, t.rotation, t.sar) if isinstance(t, Upright) else (width, height)
        why = " (the source as shown: upright, square pixels)" if given != (width, height) else ""
        raise ConfigError(
            f"transform makes {got[0]}x{got[1]} frames from {given[0]}x{given[1]} ones{why}; out_size says "
            f"{opts.out_size[0]}x{opts.out_size[1]}"
        )
    return got


def _workers(opts: UpscaleOptions, expected: int, seg_n: int, mb: float) -> tuple[int, Any]:
    """(processes, pool) for a clip of about `expected` output frames in segments of `seg_n`, workers of
    about `mb` MB each: one process, no pool, when the method or transform cannot be sent to a worker (a
    refusal if a number of workers was asked for)."""
    n_workers, pool = workers_for(opts.workers, expected, seg_n, mb), opts.pool
    if (n_workers > 1 or pool is not None) and not picklable(opts.method, opts.transform):
        if n_workers > 1 and isinstance(opts.workers, int):
            raise ConfigError(
                f"workers={opts.workers}: the method or transform cannot be sent to a worker process; "
                "use workers=1"
            )
        return 1, None  # a closure (e.g. a progress hook) runs here, in one process
    return n_workers, pool


def _load_method(run: _Run, opts: UpscaleOptions) -> tuple[Interpolator | None, int | None]:
    """(the interpolator, its context): built for a serial run; a parallel run's parent makes no frames,
    so it learns the context and loads no model."""
    if not run.parallel:
        with stage(f"loading {run.name}", opts.progress and run.name in HEAVY):
            interp = opts.method if run.factory is None else run.factory(**run.method_options)
        return interp, window_context(interp)  # type: ignore[arg-type]
    if run.factory is not None:
        return None, method_context(run.factory, run.method_options)
    return None, window_context(opts.method)  # type: ignore[arg-type]


def _open_writer(
    src: VideoFile | ImageSequence, output: str, opts: UpscaleOptions, run: _Run
) -> ResumableWriter:
    """The resumable output, keyed by everything that decides its frames (`_run_key`), with the source's
    subtitles, tags and chapters (put in at the join: not in the key)."""
    info, mode = run.info, run.audio
    return ResumableWriter(
        output,
        *run.size,
        run.plan.write_fps,
        key=_run_key(src.path, opts, run),
        **run.encode.writer_kwargs(),
        audio_from=src if mode == "copy" and info.audio else None,
        audio=run.track,
        rotation=written_rotation(info.rotation, opts.transform),
        flip=written_flip(info.flip, opts.transform),
        sar=written_sar(info.sar, opts.transform),
        color=output_color(info.pix_fmt, info.color),
        inputs=[src.path],
        audio_codec=opts.audio_codec,
        segment_frames=run.seg_n,
        expected_frames=run.expected,
        announce=lambda text: stage(text, opts.progress),
        start_number=opts.start_number,
        # the timeline is the source's, stretched by 1 / speed; image frames (in or out) hold none
        extras=None
        if frames_output(output) or not isinstance(src, VideoFile)  # (an animated WebP holds none either)
        else Extras.read(src, run.plan.speed),
    )


def _run_key(input: str, opts: UpscaleOptions, run: _Run) -> dict[str, Any]:
    """What a resumed run must match to keep an earlier run's segments: the input file and every option."""
    method, method_options = opts.resolved_method
    return {
        "input": os.path.abspath(input),
        **input_stamp(input, run.info.fps),  # a video's size and time; an image sequence's images, rate
        "fps": str(run.plan.write_fps),
        "plan_fps": str(run.plan.fps),
        # a tier and the method and options it stands for make the same frames: the same key
        "method": getattr(method, "name", method),
        "method_options": opts.method_options if opts.quality is None else method_options,
        "codec": run.codec,
        "crf": opts.crf,
        "preset": opts.preset,
        "pix_fmt": opts.pix_fmt,
        "audio": opts.resolved_audio,
        "dedupe": opts.dedupe,
        "scene_cuts": opts.scene_cuts,
        "max_run": opts.max_run,
        "deinterlace": run.info.deinterlace,  # (frames of another mode are other frames)
        "window": [opts.window, run.context],
        "out_size": list(run.size),
        "transform": getattr(opts.transform, "key", opts.transform is not None),
        "version": _version(),
    }


def _parallel(
    src: VideoFile | ImageSequence,
    run: _Run,
    opts: UpscaleOptions,
    writer: ResumableWriter,
    bar: Any,
    stats: dict[str, Any],
) -> None:
    """The clip's segments made by worker processes (`vidiff.runner.jobs`), then adopted by `writer`."""
    if opts.progress and run.pool is None:
        bar.write(workers_line(run.n_workers, run.worker_mb, run.name))
    bar.waiting(
        f"planning; {run.n_workers} workers starting" + (f", loading {run.name}" * (run.name in HEAVY))
    )
    bar.resumed(writer.resumed_frames)
    method = opts.method if run.factory is None else run.name  # resolved: each worker builds this one
    clip = ClipSpec(
        src.path,
        writer.parts,
        method,
        run.method_options,
        opts.transform,
        run.context is not None,
        strict_input(),
        run.info.fps,
        deinterlace_mode(),
        found(src.path),
    )
    pool = run.pool
    span = segments_per_job(-(-run.expected // writer.seg_n), pool.workers if pool else run.n_workers)
    with LocalPool(run.n_workers) if pool is None else contextlib.nullcontext(pool) as use:
        jobs = plan_jobs(
            src,
            run.plan,
            span * writer.seg_n,
            opts.dedupe,
            opts.scene_cuts,
            opts.max_run,
            opts.window,
            run.context,
            stats,
            tick=lambda: bar.update(use.drain()),
        )
        stats["restarts"] = run_jobs(use, jobs, clip, bar)
    writer.adopt()


def _report(
    input: str,
    output: str,
    opts: UpscaleOptions,
    run: _Run,
    writer: ResumableWriter,
    stats: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """The run report `upscale_file` returns (and `--json` prints)."""
    info, mode = run.info, run.audio
    return {
        "input": input,
        "output": output,
        "method": run.name,
        "quality": opts.quality,
        "src_fps": str(info.fps),
        "out_fps": str(run.plan.write_fps),
        "src_frames": info.n_frames,
        "out_frames": writer.n_frames,
        "duplicates_collapsed": stats["duplicates"],
        "scene_cuts_s": [round(c, 3) for c in stats["cuts"]],
        "audio_streams": len(info.audio) if mode in ("copy", "slow") else 0,
        "audio": mode if info.audio else "none",
        "resumed_frames": writer.resumed_frames,
        "window": {"pairs": opts.window, "context": run.context} if run.context is not None else None,
        "workers": (run.pool.workers if run.pool is not None else run.n_workers) if run.parallel else 1,
        "worker_restarts": stats.get("restarts", 0),
        "seconds": round(seconds, 3),
        "s_per_frame": round(seconds / max(writer.n_frames, 1), 4),
    }


def _serial(
    src: VideoFile | ImageSequence,
    run: _Run,
    opts: UpscaleOptions,
    writer: ResumableWriter,
    bar: Any,
    stats: dict[str, Any],
) -> None:
    """The clip in one pass, in this process: keyframes -> windows -> frames -> segments."""
    plan, context, transform = run.plan, run.context, opts.transform
    bar.waiting(f"first window{', exporting the model for the engine' * (run.name in HEAVY)}")

    def emit(image: np.ndarray) -> None:
        writer.write(transform(image) if transform is not None else image)
        bar.update(1)

    last: list[tuple[int, Keyframe]] = []  # the last keyframe seen, and its index

    def tracked(kfs: Iterator[Keyframe]) -> Iterator[Keyframe]:
        for n, kf in enumerate(kfs):
            last[:] = [(n, kf)]
            yield kf

    cuts = SceneDetector().push if opts.scene_cuts else None
    on_gpu = str(run.method_options.get("device", "cpu")).startswith("cuda")
    frames = writer.overlap(VideoReader(src), handoffs=on_gpu)  # quick GIL handoffs beside a GPU model step
    kfs = tracked(
        keyframes(frames, opts.dedupe, cuts, opts.max_run, stats=stats, hold_step=hold_step(run.info))
    )
    for w in plan_windows(kfs, pairs=opts.window, context=context or 0):
        targets = [tg for k in range(w.lo, w.hi) for tg in plan.pair(k, w.times[k], w.times[k + 1])]
        if writer.can_skip(len(targets)):  # made by an earlier, interrupted run
            writer.skip(len(targets))
            bar.resumed(len(targets))
            continue
        for image in fill_window(w, targets, run.interp, context is not None):  # type: ignore[arg-type]
            emit(image)
    # frames after the last keyframe hold it, up to the clip's end (`vidiff.io.tail`: a held last frame's)
    if last:
        n, kf = last[0]
        for _ in plan.hold(n, clip_end(run.info, stats["last_time"])):
            emit(kf.frame.image)


def _whole_clip(job: tuple[str, str, UpscaleOptions]) -> dict[str, Any]:
    """`upscale_file(input, output, options)` in a pool's worker (a short clip of a batch)."""
    from vidiff.runner.parallel import quiet_bars

    quiet_bars()
    input, output, options = job
    return upscale_file(input, output, options)


def _version() -> str:
    from vidiff import __version__

    return __version__
