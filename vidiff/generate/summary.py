"""The temporal-consistency summary a generated clip ends with (the `vidiff metrics` figures, in memory).

Flicker (mean |change| between consecutive frames) and warping error (what DIS optical flow does not
explain, `vidiff.metrics.temporal.WarpingError`) over the written frames, measured at most MAX_SIDE pixels
on the longer side so the summary costs little next to making the clip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np

MAX_SIDE = 360


class Consistency:
    """The summary of frames pushed one at a time (only the last small frame is kept), so a streamed clip
    is measured as it is written."""

    def __init__(self, max_side: int = MAX_SIDE) -> None:
        from vidiff.metrics.temporal import WarpingError

        self.max_side, self.prev, self.warp = max_side, None, WarpingError()
        self.flick: list[float] = []
        self.errs: list[float] = []

    def push(self, frame: np.ndarray) -> None:
        from vidiff.metrics.temporal import frame_diff

        h, w = frame.shape[:2]
        s = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(frame, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        if self.prev is not None:
            self.flick.append(frame_diff(self.prev, small))
            r = self.warp(self.prev, small)
            if r.error is not None:
                self.errs.append(r.error)
        self.prev = small

    def result(self) -> dict[str, Any]:
        """{"flicker", "warp_err", "transitions"}: means (None for a single frame)."""
        mean = lambda xs: round(float(np.mean(xs)), 3) if xs else None  # noqa: E731
        return {"flicker": mean(self.flick), "warp_err": mean(self.errs), "transitions": len(self.flick)}


def consistency(frames: Iterable[np.ndarray], max_side: int = MAX_SIDE) -> dict[str, Any]:
    """{"flicker", "warp_err", "transitions"} of a frame sequence (means; None for a single frame)."""
    c = Consistency(max_side)
    for f in frames:
        c.push(f)
    return c.result()


def summary_lines(report: dict[str, Any]) -> list[str]:
    """One to three lines: the clip's flicker and warping error, a continued clip's join, and the model's
    window joins' flicker ratios if any."""
    c = report.get("consistency") or {}
    fmt = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    lines = [
        f"temporal consistency: flicker {fmt(c.get('flicker'))}, warping error {fmt(c.get('warp_err'))} "
        f"(0-255, mean over {c.get('transitions', 0)} transitions at <= {MAX_SIDE} px)"
    ]
    if report.get("join_flicker") is not None:  # a clip continued by a model (`continue_clip`)
        lines.append(
            f"clip to continuation: flicker {report['join_flicker']:.2f}x the median change around it "
            f"({report['conditioning_frames']} of the clip's frames conditioned the model)"
        )
    joins = report.get("window_joins")
    if joins:
        carried = joins[0]["frames_carried"]
        ratios = ", ".join(f"{j['flicker']:.2f}x" for j in joins)
        lines.append(
            f"window joins: flicker {ratios} the keyframes' median "
            f"change (1.00x: no rougher than a typical step), each window from the last {carried} "
            f"frame{'s' if carried > 1 else ''} of the one before"
        )
    return lines
