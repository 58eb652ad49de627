"""Per-frame fidelity against a ground truth: PSNR and SSIM, as BENCHMARK.md defines them."""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from vidiff.validate import check_alike

PSNR_CAP = 100.0  # dB for identical frames, so a mean over frames stays finite
SSIM_WINDOW = 7  # scikit-image's default window: a frame needs this many pixels a side


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error over all values, in float64 (0-255 units squared)."""
    d = a.astype(np.float64) - b.astype(np.float64)
    return float(np.mean(d * d))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """10·log10(255² / MSE) over all RGB values; identical frames give `PSNR_CAP` instead of infinity."""
    check_alike("psnr", a, b)
    m = mse(a, b)
    if m <= 0.0:
        return PSNR_CAP
    return float(min(PSNR_CAP, 10.0 * np.log10(255.0**2 / m)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """scikit-image SSIM over the colour channels (7x7 uniform window, data range 255)."""
    check_alike("ssim", a, b, min_side=SSIM_WINDOW)
    return float(structural_similarity(a, b, channel_axis=-1 if a.ndim == 3 else None, data_range=255))
