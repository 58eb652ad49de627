"""Temporal consistency of a frame sequence: flicker, temporal-difference error and warping error.

Definitions follow BENCHMARK.md. Flicker of a transition is the mean absolute change between two
consecutive frames; over a rebuilt sequence it is compared with the ground truth's as a ratio (1.0 is
ideal, below it means motion was smoothed away, above it jitter). Warping error needs no ground truth:
frame i is warped onto frame i+1 with DIS optical flow and the mean absolute residual is taken where
the flow passes a forward-backward check, so real motion costs nothing and only what the motion does
not explain (flicker, popping, smearing) remains.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidiff.errors import UnsupportedError
from vidiff.flow import backward_warp, dis_calc, fb_consistency
from vidiff.timeline import DIS_MIN_SIDE
from vidiff.validate import check_alike

# forward-backward check (Sundaram et al. 2010): |F_ab + F_ba(x + F_ab)|^2 <= FB_REL * 2|F_ab|^2 + FB_ABS
FB_REL = 0.01
FB_ABS = 0.5


def fb_consistent(flow_ab: np.ndarray, flow_ba: np.ndarray, abs_term: float = FB_ABS) -> np.ndarray:
    """Per pixel of a: does its flow pass the forward-backward check (FB_REL, `abs_term` in pixels squared:
    FB_ABS at the flows' own scale)."""
    err = fb_consistency(flow_ab, flow_ba)
    return err * err <= FB_REL * 2.0 * (flow_ab * flow_ab).sum(axis=-1) + abs_term


def frame_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |b − a| over all values (0-255 units): the flicker of one transition."""
    check_alike("frame_diff", a, b)
    return float(cv2.absdiff(a, b).mean())


def tdiff_error(r0: np.ndarray, r1: np.ndarray, g0: np.ndarray, g1: np.ndarray) -> float:
    """Mean |(R1 − R0) − (G1 − G0)|: how far a rebuilt transition is from the true one (0-255 units)."""
    check_alike("tdiff_error", r0, r1, g0, g1)
    dr = r1.astype(np.int16) - r0.astype(np.int16)
    dg = g1.astype(np.int16) - g0.astype(np.int16)
    return float(np.abs(dr - dg).mean())


@dataclass
class WarpResult:
    """Warping error of one transition: mean residual over valid pixels, and the share of valid pixels."""

    error: float | None  # None when no pixel passes the check
    valid: float


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


class WarpingError:
    """Warping error between consecutive frames (DIS, PRESET_MEDIUM; one OpenCV object reused)."""

    def __init__(self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM):
        self._dis = cv2.DISOpticalFlow_create(preset)

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> WarpResult:
        """Flow from `nxt` to `prev`, warp `prev` onto `nxt`, mean |difference| where the flow is consistent."""
        h, w = check_alike("warping_error", prev, nxt)[:2]
        if w < DIS_MIN_SIDE:  # `dis_calc` pads a short frame's rows (flow.DIS_MIN_ROWS), not its columns
            raise UnsupportedError(
                f"frame size {w}x{h} is too small for warping error (OpenCV DIS needs {DIS_MIN_SIDE} px across)"
            )
        g0, g1 = _gray(prev), _gray(nxt)
        f10 = dis_calc(self._dis, g1, g0)  # nxt(x) ~ prev(x + f10(x))
        f01 = dis_calc(self._dis, g0, g1)
        mask = fb_consistent(f10, f01)
        # pixels whose source lies outside the frame have nothing to compare with
        h, w = mask.shape
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        sx, sy = gx + f10[..., 0], gy + f10[..., 1]
        mask &= (sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1)
        n = int(mask.sum())
        if n == 0:
            return WarpResult(None, 0.0)
        warped = backward_warp(prev, f10)
        diff = cv2.absdiff(warped, nxt)
        if diff.ndim == 3:
            diff = diff.mean(axis=-1)
        return WarpResult(float(diff[mask].mean()), n / mask.size)


def warping_error(prev: np.ndarray, nxt: np.ndarray) -> WarpResult:
    """Warping error of one transition (see `WarpingError`)."""
    return WarpingError()(prev, nxt)


class SequenceComparison:
    """Streaming flicker and temporal-difference figures of a rebuilt sequence against its ground truth.

    Push (rebuilt, truth) pairs in order; only the previous pair is kept.
    """

    def __init__(self) -> None:
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self.rebuilt_diffs: list[float] = []
        self.truth_diffs: list[float] = []
        self.tdiff: list[float] = []

    def push(self, rebuilt: np.ndarray, truth: np.ndarray) -> None:
        """Add the next frame of both sequences."""
        if self._prev is not None:
            r0, g0 = self._prev
            self.rebuilt_diffs.append(frame_diff(r0, rebuilt))
            self.truth_diffs.append(frame_diff(g0, truth))
            self.tdiff.append(tdiff_error(r0, rebuilt, g0, truth))
        self._prev = (rebuilt, truth)

    @property
    def flicker_ratio(self) -> float | None:
        """Mean flicker of the rebuilt sequence over the truth's; None if the truth never changes."""
        truth = float(np.mean(self.truth_diffs)) if self.truth_diffs else 0.0
        if truth <= 0.0:
            return None
        return float(np.mean(self.rebuilt_diffs)) / truth

    @property
    def tdiff_err(self) -> float | None:
        """Mean temporal-difference error over all transitions; None for fewer than two frames."""
        return float(np.mean(self.tdiff)) if self.tdiff else None
