"""The temporal-consistency summary a generated clip ends with (the `vidiff metrics` figures, in memory).

Flicker (mean |change| between consecutive frames) and warping error (what DIS optical flow does not
explain, `vidiff.metrics.temporal.WarpingError`) over the written frames, measured at most MAX_SIDE pixels
on the longer side so the summary costs little next to making the clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

MAX_SIDE = 360


def consistency(frames: Sequence[np.ndarray], max_side: int = MAX_SIDE) -> dict[str, Any]:
    """{"flicker", "warp_err", "transitions"} of a frame sequence (means; None for a single frame)."""
    from vidiff.metrics.temporal import WarpingError, frame_diff

    h, w = frames[0].shape[:2]
    s = min(1.0, max_side / max(h, w))
    small = [
        cv2.resize(f, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        for f in frames
    ]
    warp = WarpingError()
    flick, errs = [], []
    for a, b in zip(small, small[1:], strict=False):
        flick.append(frame_diff(a, b))
        r = warp(a, b)
        if r.error is not None:
            errs.append(r.error)
    mean = lambda xs: round(float(np.mean(xs)), 3) if xs else None  # noqa: E731
    return {"flicker": mean(flick), "warp_err": mean(errs), "transitions": len(flick)}


def summary_lines(report: dict[str, Any]) -> list[str]:
    """One or two lines: the clip's flicker and warping error, and its joins' flicker ratios if any."""
    c = report.get("consistency") or {}
    fmt = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    lines = [
        f"temporal consistency: flicker {fmt(c.get('flicker'))}, warping error {fmt(c.get('warp_err'))} "
        f"(0-255, mean over {c.get('transitions', 0)} transitions at <= {MAX_SIDE} px)"
    ]
    joins = report.get("join_flicker_ratios")
    if joins:
        lines.append(
            f"window joins: flicker {', '.join(f'{x:.2f}x' for x in joins)} the keyframes' median change "
            "(1.00x: no rougher than a typical step)"
        )
    return lines
