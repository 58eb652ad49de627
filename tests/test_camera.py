"""Camera realism for training windows (vidiff.train.camera): off changes nothing, on does what it says."""

from __future__ import annotations

import numpy as np
import pytest

from vidiff.errors import ConfigError
from vidiff.train.camera import BLUR_SAMPLES, degrade, draw_exposure, exposed
from vidiff.train.config import load_config, to_dict
from vidiff.train.data import WindowSampler
from vidiff.train.procedural import MotionWindow


def _windows(overrides: list[str], n: int = 4) -> list[dict]:
    cfg = load_config(None, ["data.scales=[0.25]", "data.real_fraction=0.0", *overrides])
    s = WindowSampler(to_dict(cfg.data), 0, 0)
    rng = np.random.default_rng(7)
    return [s.window(rng) for _ in range(n)]


def test_all_effects_off_make_the_same_windows_and_spend_no_draw():
    frames = [np.full((8, 8, 3), 100, np.uint8)]
    rng = np.random.default_rng(0)
    assert draw_exposure(rng, 0.0) == 0.0
    assert degrade(frames, rng, 0.0, 0)[0] is frames[0]
    assert rng.random() == np.random.default_rng(0).random()  # nothing was drawn
    off = _windows(["data.shutter=0", "data.noise=0", "data.jpeg=0"])
    default = _windows([])
    for a, b in zip(off, default, strict=True):
        assert np.array_equal(a["frames"], b["frames"]) and np.array_equal(a["prior"], b["prior"])


def test_exposure_is_the_mean_of_renders_over_the_shutter():
    scene = MotionWindow(np.random.default_rng(3), 64, max_shift=20.0)
    sharp = exposed(scene.render, 0.5, 0.0)
    assert np.array_equal(sharp, scene.render(0.5))
    blurred = exposed(scene.render, 0.5, 0.4)
    renders = [scene.render(0.5 + 0.4 * (k / (BLUR_SAMPLES - 1) - 0.5)).astype(np.float32) for k in range(7)]
    assert np.abs(blurred.astype(np.float32) - np.mean(renders, 0)).max() <= 0.5 + 1e-4
    # moving content loses detail: less energy in horizontal differences
    detail = lambda f: np.abs(np.diff(f.astype(np.float32), axis=1)).mean()  # noqa: E731
    assert detail(blurred) < detail(sharp)


def test_noise_and_jpeg_change_every_frame_of_a_window_alike():
    rng = np.random.default_rng(1)
    base = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    noisy = degrade([base, base.copy()], rng, 6.0, 0)
    err = [float(np.std(f.astype(np.float32) - base)) for f in noisy]
    assert err[0] > 0.1 and abs(err[0] - err[1]) < 0.5 * err[0]  # one σ per window
    jp = None
    for seed in range(8):  # half the windows are recompressed
        out = degrade([base], np.random.default_rng(seed), 0.0, 10)[0]
        if not np.array_equal(out, base):
            jp = out
    assert jp is not None and jp.dtype == np.uint8 and jp.shape == base.shape


def test_windows_with_camera_effects_are_windows_and_bad_values_are_refused():
    for w in _windows(["data.shutter=0.3", "data.noise=4", "data.jpeg=40"]):
        assert w["frames"].dtype == np.uint8 and w["prior"].shape[0] == w["frames"].shape[0]
    from vidiff.train.config import check_config

    for bad in ("data.shutter=2", "data.noise=-1", "data.jpeg=101", "data.jpeg=0.5"):
        with pytest.raises(ConfigError, match=bad.split("=")[0]):
            check_config(load_config(None, [bad]))
