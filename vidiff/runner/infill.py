"""Repair a clip: rebuild chosen frames from their neighbours, or repair each defect found its own way.

Two streaming passes: the first finds the defects (`vidiff.metrics.defects`); the second rewrites the
clip, holding a run of frames to repair only until the next good one arrives. Black, frozen (the
repeats) and corrupt frames are rebuilt from the good frames around them at their real times; a
flickered frame keeps its content and gets its levels matched to its neighbours'; a swapped pair is put
back in order. Every other frame is written exactly as decoded.
"""

from __future__ import annotations

import operator
import os
import time
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError
from vidiff.flow import Interpolator, get_interpolator
from vidiff.io.aspect import note_sar_lost
from vidiff.io.cfr import ConstantRate
from vidiff.io.clock import clock_shift
from vidiff.io.colortags import output_color
from vidiff.io.deinterlace import check_deinterlace, deinterlace_scope
from vidiff.io.encode import EncodeOptions, check_audio_codec_used
from vidiff.io.gif_out import GifWriter, check_gif_rate
from vidiff.io.probe import VideoFile, strict_scope
from vidiff.io.reader import Frame, VideoReader
from vidiff.io.sequence import ImageSequence, open_input
from vidiff.io.sequence_out import (
    FrameWriter,
    check_frames_size,
    check_start_number,
    frames_encoding,
    frames_output,
    frames_writer,
    note_no_audio,
)
from vidiff.io.streams import Extras
from vidiff.io.tail import clip_end
from vidiff.io.video_ext import DEFAULT_CODEC
from vidiff.io.writer import VideoWriter, check_output_path
from vidiff.metrics.defects import Defect, find_defects, match_levels, region_mask, repair_plan
from vidiff.metrics.defects import detect_bad_frames as detect_bad_frames  # re-exported
from vidiff.progress import progress_bar
from vidiff.quality import apply_quality
from vidiff.timeline import check_flow_size, parse_input_fps
from vidiff.validate import INFILL_ARGS, check_args, check_ascii_number, show


def parse_frames(spec: str | int | Iterable[int], n_frames: int) -> set[int]:
    """'10-14,30' -> {10, 11, 12, 13, 14, 30}; a collection of indices ({10, 30}) is checked the same
    way; every index must lie inside the clip."""
    if isinstance(spec, (np.integer, np.ndarray)) and np.ndim(spec) == 0:
        spec = [spec]  # one NumPy index, as one int is taken
    if not isinstance(spec, (str, int)):
        try:  # bytes are refused (b"3" iterated is 51); an iterator is read once (it was read twice: empty)
            if isinstance(spec, (bytes, bytearray)):
                raise TypeError
            items = list(spec)  # type: ignore[arg-type]
            if any(isinstance(i, bool) for i in items):
                raise TypeError
            spec = ",".join(str(operator.index(i)) for i in items)  # ints only: no 2.5 or "3"
        except TypeError:
            raise ConfigError(f"invalid frames {show(spec)}; give frame indices, e.g. {{10, 30}}") from None
    out: set[int] = set()
    check_ascii_number(str(spec), "frames")
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part[1:]:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise ValueError
            else:
                a = b = int(part)
        except ValueError:
            raise ConfigError(f"invalid frames {spec!r}; use e.g. 10-14,30") from None
        if a < 0 or b >= n_frames:  # checked before the range is built: 0-999999999999 is one line
            bad = a if a < 0 else max(a, n_frames)
            raise ConfigError(f"frames: frame {bad} is outside the clip (frames 0-{n_frames - 1})")
        out.update(range(a, b + 1))
    if not out:
        raise ConfigError(f"invalid frames {spec!r}: no frame listed")
    return out


MAX_REGION = 0.5  # a corrupt frame with more of its blocks bad is rebuilt whole
LEFT = {  # why `--auto` leaves a found defect as it is
    "cut": "a cut is content",
    "fade": "a fade is content",
    "duplicate": "a single repeat is how frame-rate conversions are made; --frames rebuilds it",
    "jump": "frames are missing: nothing to put back",
}


@checked_call
def infill_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    frames: str | Iterable[int] | None = None,
    auto: bool = False,
    method: str | Interpolator = "auto",
    method_options: dict[str, Any] | None = None,
    codec: str = DEFAULT_CODEC,
    crf: int | None = 18,
    preset: str | None = None,
    audio: bool = True,
    progress: bool = True,
    pix_fmt: str = "yuv420p",
    audio_codec: str = "auto",
    quality: str | None = None,
    on_scan: Callable[[int], None] | None = None,
    input_fps: Fraction | float | str | None = None,
    strict: bool = False,
    start_number: int | None = None,
    deinterlace: str | None = None,
) -> dict[str, Any]:
    """Rewrite `input` to `output` with the listed frames rebuilt from the nearest kept frames on each
    side, or, with `auto`, each defect found repaired its own way (black, frozen, corrupt: rebuilt;
    flicker: levels matched; out of order: put back); same frames, timing and audio (at the clip's rate: a
    variable-rate clip's frames each repeated until the next is due, `vidiff.io.cfr`). Every other
    frame goes to the encoder exactly as decoded. The frames are rebuilt by `method` (a name with its
    `method_options`, or an `Interpolator`), or by the method a `quality` tier names (`vidiff.quality`).
    `on_scan(index)` is called after each frame the `auto` defect scan reads (a progress and cancel point).
    `input` may be an image sequence (a folder or a pattern, at `input_fps`) and `output` a folder of
    frames (`vidiff.io.sequence`, `vidiff.io.sequence_out`), its files numbered from `start_number`
    (None: 0). `strict`: refuse a damaged input instead of using what decodes with one warning line.
    `deinterlace`: how an interlaced clip is read (`vidiff.io.deinterlace`; None: the caller's, auto:
    a frame per field, so `frames` number the frames as read; "frame" keeps the stored numbering)."""
    check_args(INFILL_ARGS, locals())  # each argument's type, before any work (a TypeError was possible)
    method, method_options = apply_quality(quality, method, method_options)  # before any work
    rate = None if input_fps is None else parse_input_fps(input_fps)
    if deinterlace is not None:
        check_deinterlace(deinterlace)
    input, output = os.fspath(input), os.fspath(output)
    check_output_path(output, [input], frames=True)
    check_start_number(start_number, output)
    given = EncodeOptions(codec, crf, preset, pix_fmt, audio_codec)
    images = frames_output(output) is not None
    if images:
        frames_encoding(output, given)  # images take no encoding options: one given is refused
    enc = given.for_output(output)
    check_audio_codec_used(audio, audio_codec)
    if (frames is None) == (not auto):
        raise ConfigError("give either frames to replace (e.g. frames 10-14,30) or auto")
    # opened once for the probe, the defect scan and the frames; the audio copier, which reads while the
    # frames are read, opens its own
    with strict_scope(strict), deinterlace_scope(deinterlace), open_input(input, rate) as src:
        info = src.info
        info.require_frames(3, "infilling")
        n_frames = info.n_frames
        if isinstance(src, ImageSequence) and info.damage:  # its lost slots rebuilt in place, not closed up
            src.fill_slots()
            n_frames = src.slots
        if not auto:
            frames = parse_frames(frames, n_frames)  # type: ignore[arg-type]
            if len(frames) == n_frames:  # parse_frames keeps them inside the clip
                raise ConfigError(
                    f"frames lists every frame of {input} (0-{n_frames - 1}); keep at least one to "
                    "rebuild the others from"
                )
        interp = get_interpolator(method, **(method_options or {})) if isinstance(method, str) else method
        check_flow_size(info.width, info.height, getattr(interp, "name", str(method)))
        check_gif_rate(output, info.fps)
        if not images:
            enc.check_output(output, info.width, info.height, resumable=False)
            note_sar_lost(output, enc.encoder, info.sar)
        else:
            check_frames_size(output, info.width, info.height)
            note_no_audio(output, audio and bool(info.audio), len(info.subtitles))
        defects = find_defects(src, on_frame=on_scan) if auto else []
        lost = getattr(src, "filled", set())  # a lost slot's stand-in repeats the frame before: no defect
        defects = [d for d in defects if not set(d.frames) <= lost]
        plan, reasons, regions = _plan(defects, None if auto else frames)
        t0 = time.perf_counter()
        done: dict[int, str] = {}  # frame -> what was done to it
        with (
            frames_writer(
                output,
                info.width,
                info.height,
                info.fps,
                rotation=info.rotation,
                flip=info.flip,
                sar=info.sar,
                inputs=[input],
                start_number=start_number,
            )
            if images
            else VideoWriter(
                output,
                info.width,
                info.height,
                info.fps,
                **enc.writer_kwargs(),
                audio_from=input if audio and info.audio else None,
                audio_codec=audio_codec,
                extras=Extras.read(src) if isinstance(src, VideoFile) else None,  # the same timeline: kept
                rotation=info.rotation,
                flip=info.flip,
                sar=info.sar,  # non-square pixels shown as the input's (`vidiff.io.aspect`)
                color=output_color(info.pix_fmt, info.color),
                inputs=[input],
            ) as writer,
            progress_bar(n_frames, "infill", progress) as bar,
        ):
            times = _rewrite(src, (plan, regions), interp, writer, bar, done)
        for i in getattr(src, "filled", ()):
            reasons[i] = "missing"  # an image missing or unreadable: rebuilt in its slot
        fps = info.fps
        return {
            "input": input,
            "output": output,
            "method": getattr(interp, "name", str(method)),
            "quality": quality,
            "frames": writer.n_frames,
            "fps": str(fps),
            "first_at": info.first_at,  # the first frame's time: 0 unless the sound starts first
            "replaced": [
                {
                    "frame": i,
                    # a VFR clip's own time, on a player's clock (`vidiff.io.clock`: after early sound)
                    "time_s": round(float(times.get(i, Fraction(i) / fps) + clock_shift(info.first_at)), 3),
                    "why": reasons[i],
                    "action": done[i],
                }
                for i in sorted(done)
                if done[i] != "held"
            ],
            "held": [i for i in sorted(done) if done[i] == "held"],
            "defects": [_outcome(d, done) for d in defects],
            "seconds": round(time.perf_counter() - t0, 3),
        }


def _plan(
    defects: list[Defect], frames: set[int] | None
) -> tuple[dict[int, str], dict[int, str], dict[int, np.ndarray]]:
    """(frame -> action, frame -> why, corrupt frame -> the blocks to rebuild): from the defects found,
    or every listed frame rebuilt whole."""
    if frames is not None:
        plan = dict.fromkeys(sorted(frames), "rebuild")
        return plan, dict.fromkeys(plan, "listed"), {}
    repairs = repair_plan(defects)
    regions = {f: d.extra["region"] for d in defects if "region" in d.extra for f in d.frames}
    return {f: a for f, (a, _) in repairs.items()}, {f: d.kind for f, (_, d) in repairs.items()}, regions


def _rewrite(
    src: VideoFile | ImageSequence,
    plans: tuple[dict[int, str], dict[int, np.ndarray]],
    interp: Interpolator,
    writer: VideoWriter | FrameWriter | GifWriter,
    bar: Any,
    done: dict[int, str],
) -> dict[int, Fraction]:
    """The second pass: every good frame to `writer` exactly as decoded, each run of planned frames
    repaired between the good frames around it (`_flush`); `done`: frame -> what was done to it. Each
    frame fills the output slots until the next one's time, the last up to the clip's end (a variable-rate
    clip, a held last frame: `vidiff.io.cfr`). Returns the planned frames' times (seconds)."""
    out = ConstantRate(writer, src.info.fps)
    last_good = None
    pending: list[Frame] = []
    times: dict[int, Fraction] = {}
    filled = getattr(src, "filled", set())  # an image sequence's lost slots (`ImageSequence.fill_slots`)
    for f in VideoReader(src):
        if f.index in filled:  # its stand-in is the frame before: rebuilt whole
            plans[0][f.index] = "rebuild"
            plans[1].pop(f.index, None)
        if f.index in plans[0]:
            pending.append(f)
            times[f.index] = f.time
            continue
        if pending:
            _flush(out, pending, plans, last_good, f, interp, done)
            bar.update(len(pending))
            pending = []
        out.write_at(f.time, f.image)  # a good frame: exactly as decoded
        bar.update(1)
        last_good = f
    if pending:
        _flush(out, pending, plans, last_good, None, interp, done)
    if out.last_time is not None:
        out.finish(clip_end(src.info, out.last_time))
    return times


def _flush(
    writer: ConstantRate,
    pending: list[Frame],
    plans: tuple[dict[int, str], dict[int, np.ndarray]],
    before: Frame | None,
    after: Frame | None,
    interp: Interpolator,
    done: dict[int, str],
) -> None:
    """Write a run of planned frames, each repaired its way, between the good frames around it."""
    plan, regions = plans
    out: dict[int, np.ndarray] = {}
    rebuild = [p for p in pending if plan[p.index] == "rebuild"]
    if rebuild and before is not None and after is not None:
        ts = [float((p.time - before.time) / (after.time - before.time)) for p in rebuild]
        for p, img in zip(rebuild, interp.interpolate(before.image, after.image, ts), strict=True):
            out[p.index], done[p.index] = img, "rebuilt"
            region = regions.get(p.index)
            if region is not None and region.mean() < MAX_REGION:  # keep the frame's intact part
                h, w = img.shape[:2]
                m = region_mask(region, w, h)
                out[p.index] = (p.image * (1.0 - m) + img * m).round().astype(np.uint8)
                done[p.index] = "region rebuilt"
    elif rebuild:  # at the clip's start or end: hold the good frame on the other side
        hold = (after or before or rebuild[0]).image
        for p in rebuild:
            out[p.index], done[p.index] = hold, "held"
    by_index = {p.index: p for p in pending}
    for p in pending:
        if plan[p.index] == "level":
            t = float((p.time - before.time) / (after.time - before.time)) if before and after else 0.5
            ref_a, ref_b = (before or after).image, (after or before).image
            out[p.index], done[p.index] = match_levels(p.image, ref_a, ref_b, t), "levels matched"
        elif plan[p.index] == "reorder":
            partner = _partner(p.index, plan, by_index)
            out[p.index] = by_index[partner].image if partner is not None else p.image
            done[p.index] = "put back in order" if partner is not None else "kept"
    for p in pending:
        writer.write_at(p.time, out[p.index])


def _partner(i: int, plan: dict[int, str], by_index: dict[int, Frame]) -> int | None:
    """The frame that belongs at `i` in a swapped pair (i, i+1) or (i-1, i)."""
    run = [i]
    k = i - 1
    while plan.get(k) == "reorder" and k in by_index:
        run.insert(0, k)
        k -= 1
    k = i + 1
    while plan.get(k) == "reorder" and k in by_index:
        run.append(k)
        k += 1
    pos = run.index(i)
    start = pos - pos % 2  # pairs from the run's start
    if start + 1 >= len(run):
        return None
    return run[start + 1] if pos == start else run[start]


def _outcome(d: Defect, done: dict[int, str]) -> dict[str, Any]:
    """A found defect, what `--auto` did about it and why."""
    acts = sorted({done[f] for f in d.frames if f in done})
    action = ", ".join(acts) if acts else "left as is: " + LEFT.get(d.kind, "not repaired")
    return {**d.as_dict(), "action": action}
