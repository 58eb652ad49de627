"""Argument checks shared by the public Python API: a bad argument is one `ConfigError` sentence, raised
before any work, never a `TypeError` or a NumPy/OpenCV/PyAV traceback from deep inside."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.errors import ConfigError


def check_path(value: object, what: str = "path") -> str:
    """A file path (str or os.PathLike) as a str; anything else (None, a number, a list) is refused."""
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"{what} {value!r}: give a file path (str or os.PathLike)")
    try:
        path = os.fspath(value)
    except TypeError:
        raise ConfigError(f"{what} {value!r}: give a file path (str or os.PathLike)") from None
    if not isinstance(path, str) or not path.strip() or "\0" in path:
        raise ConfigError(f"{what} {value!r}: give a non-empty file path")
    return path


def check_int(value: object, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number (an int, or a float/Fraction with no fractional part) within [lo, hi]."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        try:
            ok = math.isfinite(value) and int(value) == value  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            ok = False
    if not ok or (lo is not None and value < lo) or (hi is not None and value > hi):  # type: ignore[operator]
        raise ConfigError(f"{what} {value!r}: must be a whole number{_range(lo, hi)}")
    return int(value)  # type: ignore[call-overload]


def check_number(
    value: object, what: str, lo: float | None = None, hi: float | None = None, positive: bool = False
) -> float:
    """A finite real number within [lo, hi] (above zero with `positive`)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        try:
            ok = math.isfinite(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            ok = False
    if ok and positive and value <= 0:  # type: ignore[operator]
        ok = False
    if not ok or (lo is not None and value < lo) or (hi is not None and value > hi):  # type: ignore[operator]
        sign = ", above 0" if positive else ""
        raise ConfigError(f"{what} {value!r}: must be a finite number{sign}{_range(lo, hi)}")
    return float(value)  # type: ignore[arg-type]


def check_rate(value: object, what: str = "fps") -> Fraction:
    """A frame rate: a finite number or Fraction above 0 (as a Fraction)."""
    check_number(value, what, positive=True)
    return Fraction(value).limit_denominator(1_000_000)  # type: ignore[arg-type]


def check_image(image: object, what: str = "frame", shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An RGB uint8 frame of shape (H, W, 3) (or exactly `shape`)."""
    if not isinstance(image, np.ndarray):
        raise ConfigError(f"{what}: expected an RGB uint8 numpy array (H, W, 3), got {type(image).__name__}")
    want = shape or ("H", "W", 3)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ConfigError(
            f"{what}: expected an RGB uint8 array of shape ({', '.join(map(str, want))}), "
            f"got {image.dtype} {tuple(image.shape)}"
        )
    if shape is not None and image.shape != shape:
        raise ConfigError(f"{what}: shape {tuple(image.shape)} != the expected {shape}")
    return image


def check_pair(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    """Two RGB uint8 frames of the same shape (an interpolator's a and b)."""
    check_image(a, "frame a")
    check_image(b, "frame b")
    if a.shape != b.shape:  # type: ignore[union-attr]
        raise ConfigError(f"frames a {a.shape} and b {b.shape} differ in shape; give two frames of one size")  # type: ignore[union-attr]
    return a, b  # type: ignore[return-value]


def check_times(ts: object, what: str = "ts", lo: float = 0.0, hi: float = 1.0) -> list[float]:
    """A sequence of finite times in [lo, hi] (an interpolator's t: 0 is frame a, 1 is frame b)."""
    if isinstance(ts, (str, bytes)) or not isinstance(ts, (Sequence, np.ndarray)):
        raise ConfigError(f"{what} {ts!r}: give a list of times in [{lo:g}, {hi:g}]")
    return [check_number(t, f"{what} value", lo, hi) for t in ts]


def check_same_length(what: str, **seqs: Any) -> int:
    """Lists that go together (frames, their times, their observed flags) have one length; returns it."""
    lengths = {}
    for name, seq in seqs.items():
        if isinstance(seq, (str, bytes)) or not isinstance(seq, (Sequence, np.ndarray)):
            raise ConfigError(f"{what}: {name} must be a list, got {type(seq).__name__}")
        lengths[name] = len(seq)
    if len(set(lengths.values())) > 1:
        told = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise ConfigError(f"{what}: {told}: give one entry per frame in each")
    return next(iter(lengths.values()), 0)


def _range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo:g} to {hi:g}"
    if lo is not None:
        return f", {lo:g} or more"
    if hi is not None:
        return f", {hi:g} or less"
    return ""
