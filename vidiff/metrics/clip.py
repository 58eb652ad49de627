"""Temporal-consistency report of any clip (`vidiff metrics`): per-frame curves and the worst segments.

Streaming: two frames (and two reference frames) are in memory at a time. Each transition i-1 -> i
gets its flicker (mean |F(i) − F(i−1)|) and warping error (`temporal.WarpingError`). Scene cuts, fades and
defects (black, frozen, duplicate, flicker, corrupt, jump: `vidiff.metrics.defects`) are found on the
way; cuts, fades and the transitions of defective frames are left out of the means and of the worst segments:
a cut is content, and a defect is listed by itself. With a reference clip of the same size, each frame also gets PSNR and SSIM against the
reference frame of the same index, and the clip its flicker ratio and temporal-difference error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from itertools import zip_longest
from typing import Any

import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import InputError
from vidiff.io.clock import clock_shift
from vidiff.io.deinterlace import SHOWN, as_shown, check_deinterlace, deinterlace_scope
from vidiff.io.orient import upright, upright_size
from vidiff.io.probe import VideoFile, strict_scope
from vidiff.io.reader import Frame, VideoReader
from vidiff.io.sequence import ImageSequence, check_input_fps, is_sequence, open_input
from vidiff.metrics.defects import EVENTS, DefectFinder
from vidiff.metrics.quality import psnr, ssim
from vidiff.metrics.temporal import SequenceComparison, WarpingError, frame_diff
from vidiff.timeline import check_flow_size, parse_input_fps
from vidiff.validate import check_callable, check_int, check_path

DEFAULT_TOP = 5  # the worst segments a report lists (0: none)


def _frames(src: VideoFile | ImageSequence, max_frames: int | None) -> Iterator[Frame]:
    for f in VideoReader(src):
        if max_frames is not None and f.index >= max_frames:
            return
        yield f


def _number_by_slot(src: VideoFile | ImageSequence) -> set[int]:
    """For an image sequence with images lost (missing numbers, unreadable files): its frames numbered by
    slot, a lost one's slot held by a stand-in (`ImageSequence.fill_slots`), so the numbers printed are
    those `infill --frames` takes (they counted the images read: every one after a gap was one low).
    The set of lost slots, filled as the frames are read."""
    if isinstance(src, ImageSequence) and src.info.damage:
        src.fill_slots()
        return src.filled
    return set()


def _mean(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.mean(vals)) if vals else None


def check_measure_limits(max_frames: object, top: object) -> None:
    """`max_frames` (None, or 2 or more: fewer measure nothing, and 0 or 1 gave a report of nulls) and
    `top` (0 or more): the one check `analyze_clip`, `vidiff metrics` and the web app's Metrics tab make,
    with one line each (`max_frames` as `vidiff bench`'s and the Compare tab's)."""
    from vidiff.metrics.bench import check_max_frames

    check_max_frames(max_frames)
    check_int(top, "top", 0)


@checked_call
def analyze_clip(
    path: str | os.PathLike[str],
    reference: str | os.PathLike[str] | None = None,
    max_frames: int | None = None,
    top: int = DEFAULT_TOP,
    on_frame: Callable[[int], None] | None = None,
    input_fps: Fraction | float | str | None = None,
    strict: bool = False,
    deinterlace: str | None = None,
) -> dict[str, Any]:
    """Per-frame flicker and warping error of a clip (and PSNR/SSIM against `reference`), with a summary.
    Either may be an image sequence (a folder or a pattern: `vidiff.io.sequence`), at `input_fps`. `strict`:
    refuse a damaged clip instead of using what decodes with one warning line. `deinterlace`: how an
    interlaced clip (and reference) is read (`vidiff.io.deinterlace`; None: the caller's, auto; a clip
    flagged progressive is measured as a player shows it, combed or not: `as_shown`)."""
    check_path(path, "input")
    if reference is not None:
        check_path(reference, "reference")
    check_measure_limits(max_frames, top)
    check_callable(on_frame, "on_frame")
    rate = check_input_fps(None if input_fps is None else parse_input_fps(input_fps), path, reference)
    if deinterlace is not None:
        check_deinterlace(deinterlace)
    with (
        strict_scope(strict),
        deinterlace_scope(deinterlace),
        as_shown(),
        contextlib.ExitStack() as files,
    ):  # each clip opened once, probe and frames
        src = files.enter_context(open_input(path, rate if is_sequence(path) else None))
        return _analyze(files, src, reference, max_frames, top, on_frame, rate)


def _analyze(
    files: contextlib.ExitStack,
    src: VideoFile | ImageSequence,
    reference: str | os.PathLike[str] | None,
    max_frames: int | None,
    top: int,
    on_frame: Callable[[int], None] | None,
    rate: Fraction | None = None,
) -> dict[str, Any]:
    path, info = src.path, src.info
    info.require_frames(2, "measuring")
    check_flow_size(info.width, info.height, what="measuring warping error (optical flow)")
    notes = [n for n in info.notes if SHOWN in n]  # combing measured as shown (`as_shown`)
    ref_info = None
    crop = (slice(None), slice(None))  # the part of each frame compared with the reference's
    turns = (0, 0)  # the display rotations the two are compared after: none, or both upright
    flips = (False, False)  # and their mirrors (`vidiff.io.orient`)
    if reference is not None:
        reference = os.fspath(reference)
        ref = files.enter_context(open_input(reference, rate if is_sequence(reference) else None))
        ref_info = ref.info
        size, ref_size = (info.width, info.height), (ref_info.width, ref_info.height)
        # e.g. a tool that turned a phone's clip upright (or unmirrored it), one that kept it
        if (ref_info.rotation, ref_info.flip) != (info.rotation, info.flip):
            turns = (info.rotation, ref_info.rotation)
            flips = (info.flip, ref_info.flip)
            size, ref_size = upright_size(*size, turns[0]), upright_size(*ref_size, turns[1])
            shown = [f"{t}{' mirrored' if m else ''}" for t, m in zip(turns, flips, strict=True)]
            notes.append(
                f"display rotations differ (input {shown[0]}, reference {shown[1]} deg): compared upright"
            )
        if ref_size != size:
            if not _padded_alike(ref_size, size):
                raise InputError(
                    f"{reference}: reference is {ref_size[0]}x{ref_size[1]}, input is {size[0]}x{size[1]}"
                    + (" (as shown, upright)" if any(turns) else "")
                )
            common = min(ref_size[0], size[0]), min(ref_size[1], size[1])
            crop = (slice(0, common[1]), slice(0, common[0]))
            notes.append(
                f"sizes differ by an odd side's padding to even (input {size[0]}x{size[1]}, reference "
                f"{ref_size[0]}x{ref_size[1]}): compared on {common[0]}x{common[1]}"
            )
        if ref_info.fps != info.fps:
            notes.append(
                f"frame rates differ (input {info.fps}, reference {ref_info.fps}): frames paired by index"
            )
    lost = _number_by_slot(src)
    warp = WarpingError()
    finder = DefectFinder(info.fps)  # scene cuts and every defect kind (`vidiff.metrics.defects`)
    at = clock_shift(info.first_at)  # times on a player's clock: the first frame after the sound's start
    seq = SequenceComparison()
    rows: list[dict[str, Any]] = []
    prev: Frame | None = None
    ref_frames = _frames(ref, max_frames) if reference is not None else iter(())
    n_ref = 0
    for f, g in zip_longest(_frames(src, max_frames), ref_frames):
        if f is None:
            n_ref += 1
            continue
        row: dict[str, Any] = {"index": f.index, "time": float(f.time + at), "cut": False}
        missing = f.index in lost  # its stand-in repeats the frame before: not measured
        if missing:
            row["missing"] = True
        finder.push(f.image, f.time + at)
        if prev is not None and not missing:
            w = warp(prev.image, f.image)
            row.update(flicker=frame_diff(prev.image, f.image), warp_err=w.error, warp_valid=w.valid)
        else:
            row.update(flicker=None, warp_err=None, warp_valid=None)
        if g is not None:
            n_ref += 1
        if g is not None and not missing:
            a, b = upright(f.image, turns[0], flips[0])[crop], upright(g.image, turns[1], flips[1])[crop]
            row.update(psnr=psnr(a, b), ssim=ssim(a, b))
            seq.push(a, b)
        rows.append(row)
        prev = f
        if on_frame:
            on_frame(1)
    if reference and n_ref != len(rows):
        notes.append(
            f"input has {len(rows)} frames, reference {n_ref}: compared the first {min(n_ref, len(rows))}"
        )
    found = finder.defects()
    defects = [d for d in found if d.kind not in EVENTS and not set(d.frames) <= lost]
    fades = [d for d in found if d.kind == "fade"]
    for d in found:
        if d.kind == "cut":
            rows[d.frames[0]]["cut"] = True
    for d in fades:  # content, as a cut is: its transitions are left out of the figures too
        for i in range(d.frames[0], min(len(rows), d.frames[-1] + 2)):
            rows[i]["fade"] = True
    # a defect's transitions are left out of the means and worst segments, as cuts are: they are listed
    around = set()
    for d in defects:
        for i in d.frames:
            rows[i]["defect"] = d.kind
            # a repeat's own transition shows nothing; the one out of it is the clip's motion (a cadence's
            # every other transition in 15 fps shown at 30: leaving it out left no figure to report)
            around.update(k for k in ((i,) if d.kind == "duplicate" else (i, i + 1)) if k < len(rows))
    for k in around:
        rows[k]["near_defect"] = True
    steady = [r for r in rows[1:] if not r["cut"] and not r.get("fade") and r["index"] not in around | lost]
    if lost:
        notes.append(
            f"frame{'s' * (len(lost) > 1)} {', '.join(map(str, sorted(lost)))} missing or unreadable (no "
            "image): not measured; frames are numbered by slot, as `vidiff infill --frames` counts them "
            "(`--auto` rebuilds these)"
        )
    warp_vals = [r["warp_err"] for r in steady if r["warp_err"] is not None]
    summary: dict[str, Any] = {
        "input": path,
        "width": info.width,
        "height": info.height,
        "fps": str(info.fps),
        "n_frames": len(rows) - len(lost),
        "missing": sorted(lost),
        "duration": info.duration,
        "first_at": info.first_at,  # where the times start (`vidiff.io.clock`): 0 but after early sound
        "flicker": _mean([r["flicker"] for r in steady]),
        "warp_err": _mean(warp_vals),
        "warp_err_median": float(np.median(warp_vals)) if warp_vals else None,
        "warp_err_p95": float(np.percentile(warp_vals, 95)) if warp_vals else None,
        "warp_valid": _mean([r["warp_valid"] for r in steady]),
        "scene_cuts": [r["time"] for r in rows if r["cut"]],
        "fades": [d.as_dict() for d in fades],
        "defects": [d.as_dict() for d in defects],
        "worst_segments": worst_segments(rows, top),
    }
    if reference:
        summary.update(
            reference=reference,
            psnr=_mean([r.get("psnr") for r in rows]),
            ssim=_mean([r.get("ssim") for r in rows]),
            flicker_ratio=seq.flicker_ratio,
            tdiff_err=seq.tdiff_err,
        )
    summary["notes"] = notes
    return {"summary": summary, "frames": rows}


def _padded_alike(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True where sizes `a` and `b` differ only as an odd side and its padding to even do (a 4:2:0 output
    of an odd-sized clip, `vidiff.io.encode.EncodeOptions.coded_size`)."""
    return all(x == y or abs(x - y) == 1 and max(x, y) % 2 == 0 for x, y in zip(a, b, strict=True))


def worst_segments(
    rows: list[dict[str, Any]], top: int = DEFAULT_TOP, key: str = "warp_err", gap_s: float = 0.5
) -> list[dict[str, Any]]:
    """The `top` worst stretches of a per-frame curve, worst first, scene cuts and defects excluded.

    Peaks are picked greedily, highest first, at least `gap_s` seconds away from every picked
    segment; each grows left and right while the curve stays above halfway between its peak and the
    clip's median.
    """
    vals = np.array(
        [
            r[key]
            if r.get(key) is not None and not (r["cut"] or r.get("fade") or r.get("near_defect"))
            else np.nan
            for r in rows
        ],
        float,
    )
    ok = ~np.isnan(vals)
    if not ok.any():
        return []
    med = float(np.median(vals[ok]))
    times = np.array([r["time"] for r in rows], float)
    dt = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    gap = max(1, int(round(gap_s / dt))) if dt > 0 else 1
    blocked = np.zeros(len(vals), bool)  # picked segments widened by the gap
    out: list[dict[str, Any]] = []
    for i in np.argsort(np.where(ok, -vals, np.inf)):
        if len(out) >= top or not ok[i]:
            break
        if blocked[i]:
            continue
        level = (vals[i] + med) / 2.0
        lo = hi = int(i)
        while lo - 1 >= 0 and ok[lo - 1] and vals[lo - 1] > level:
            lo -= 1
        while hi + 1 < len(vals) and ok[hi + 1] and vals[hi + 1] > level:
            hi += 1
        blocked[max(0, lo - gap) : hi + gap + 1] = True
        seg = vals[lo : hi + 1]
        first = max(lo - 1, 0)  # a transition's row sits on its later frame: start one frame earlier
        out.append(
            {
                "start": rows[first]["time"],
                "end": rows[hi]["time"],
                "peak_time": rows[int(i)]["time"],
                "frames": [rows[first]["index"], rows[hi]["index"]],
                key: float(vals[i]),
                f"mean_{key}": float(seg[~np.isnan(seg)].mean()),
                "x_median": float(vals[i] / med) if med > 0 else None,
            }
        )
    return out
