"""The GPU path, run on the CPU: the device prior stack (torch DIS + RIFE) against a reference built another way, batched
against unbatched, device-resident priors against host ones, the stack following the device, and the
overlapped reader/writer against the plain one (identical bytes).

The RIFE checks need its weights in the cache (`vidiff fetch rife`) and are skipped without them.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.errors import ConfigError, VidiffError
from vidiff.fetch import rife_weights_path
from vidiff.flow import backward_warp
from vidiff.fusion import resolve_precision, resolve_stack

needs_weights = pytest.mark.skipif(rife_weights_path() is None, reason="RIFE v4 weights not cached")


@pytest.fixture(scope="module")
def frames(carphone: Path) -> list[np.ndarray]:
    with av.open(str(carphone)) as c:
        # a real clip's frames, cropped to 96x128 to keep the RIFE and U-Net passes short
        return [
            f.to_ndarray(format="rgb24")[24:120, 24:152].copy()
            for f in itertools.islice(c.decode(video=0), 6)
        ]


@pytest.fixture(scope="module")
def rife():
    import torch

    from vidiff.fusion import build_rife

    torch.set_num_threads(2)
    return build_rife(engine="torch")


@needs_weights
def test_gpu_stack_matches_a_reference_built_from_single_pair_flows(frames, rife) -> None:
    """DeviceStack (batched, torch warps) against a reference made one target at a time: the pair's torch
    DIS flows and RIFE.flows_and_mask, warped by OpenCV, fused by `fuse` (the CPU stack's arithmetic)."""
    import torch

    from vidiff.fusion import DeviceStack, fuse
    from vidiff.torch_dis import dis_flows

    a, b, ts = frames[0], frames[2], [0.25, 0.5, 0.75]
    got = DeviceStack(rife).pair(a, b, ts)
    assert got.shape == (3, 4, *a.shape) and got.dtype == np.uint8
    f_ab, f_ba = (
        f[0].permute(1, 2, 0).numpy()
        for f in dis_flows(*(torch.from_numpy(x).permute(2, 0, 1)[None].float() for x in (a, b)))
    )
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    for t, g in zip(ts, got, strict=True):
        flow, m = rife.flows_and_mask(a, b, t)
        r = m[..., None] * backward_warp(fa, flow[..., :2]) + (1 - m[..., None]) * backward_warp(
            fb, flow[..., 2:]
        )
        r = np.floor(r + 0.5)
        wa, wb = backward_warp(fa, t * f_ba), backward_warp(fb, (1 - t) * f_ab)
        want = np.clip(np.stack([fuse(wa, wb, r, t), wa, wb, r]) + 0.5, 0, 255).astype(np.uint8)
        diff = np.abs(g.astype(int) - want)
        assert diff.max() <= 2 and diff.mean() < 0.05  # bilinear in torch vs OpenCV's fixed-point remap
        assert not np.array_equal(g[1], g[2])  # the two one-sided warps are different images


@needs_weights
def test_gpu_stack_batched_equals_one_pair_at_a_time(frames, rife) -> None:
    from vidiff.fusion import DeviceStack

    st = DeviceStack(rife)
    pairs = [(frames[0], frames[1], 0.5), (frames[1], frames[3], 0.25), (frames[3], frames[5], 0.75)]
    together = st.batch(*(np.stack([p[i] for p in pairs]) for i in (0, 1)), [p[2] for p in pairs]).numpy()
    for (a, b, t), g in zip(pairs, together, strict=True):
        one = st.pair(a, b, [t])[0]
        assert np.abs(one.astype(int) - g).max() <= 1  # convolutions of another batch size round otherwise


@needs_weights
def test_model_over_the_gpu_stack_device_priors_equal_host_priors_and_batching_holds(frames) -> None:
    """The interpolator's device-resident path (window_priors, tensors into infill_batch) makes the same
    bytes as the numpy path over the same stack; batch 4 against batch 1 within one level."""
    from vidiff.diffusion.prior import window_prior
    from vidiff.diffusion.sampling import infill_batch
    from vidiff.flow import get_interpolator

    it = get_interpolator("diffusion", stack="gpu", engine="torch")
    stack = it.model.stack()
    assert stack.kind == "gpu" and not stack.uses_flows
    made = it.interpolate_window(frames[:4], [0, 1, 2, 3], [0.5, 1.25, 2.5])
    host = [
        infill_batch(it.run_model, [[a, b, None]], [[0.0, 1.0, t]], [[True, True, False]],
                     [window_prior([a, b, None], [0.0, 1.0, t], [True, True, False], stack)],
                     workspace=it.workspace)[0][-1]
        for a, b, t in ((frames[0], frames[1], 0.5), (frames[1], frames[2], 0.25), (frames[2], frames[3], 0.5))
    ]  # fmt: skip
    it.batch = 1
    one = it.interpolate_window(frames[:4], [0, 1, 2, 3], [0.5, 1.25, 2.5])
    for m, h, o in zip(made, host, one, strict=True):
        assert np.abs(m.astype(int) - h).max() <= 1
        assert np.abs(m.astype(int) - o).max() <= 1


def test_stack_and_precision_follow_the_device_and_are_checked() -> None:
    assert resolve_stack("auto", "cpu") == "cpu"
    assert resolve_stack("auto", "cuda") == "gpu" and resolve_stack("auto", "cuda:1") == "gpu"
    assert resolve_stack("gpu", "cpu") == "gpu" and resolve_stack("cpu", "cuda") == "cpu"
    assert resolve_precision("auto", "cuda") is None and resolve_precision("fp32", "cpu") is None
    import torch

    assert resolve_precision("bf16", "cpu") is torch.bfloat16
    for bad in (lambda: resolve_stack("tpu", "cpu"), lambda: resolve_precision("int8", "cpu")):
        with pytest.raises(ConfigError):
            bad()


@needs_weights
def test_the_default_cpu_model_keeps_the_dis_stack() -> None:
    from vidiff.flow import get_interpolator

    assert get_interpolator("diffusion", engine="torch").model.stack().kind == "cpu"
    with pytest.raises(ConfigError):
        get_interpolator("fuse", stack="nope")


# ---------------------------------------------------------------------------------------------------------
# decode ahead, encode behind


def _upscale(src: Path, out: Path) -> str:
    from vidiff.runner.upscale import upscale_file

    upscale_file(src, out, factor=2, method="dis", progress=False, workers=1)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def test_overlapped_io_writes_the_bytes_of_the_plain_path(tmp_path, carphone, monkeypatch) -> None:
    from vidiff.io.segments import ResumableWriter

    overlapped = _upscale(carphone, tmp_path / "a.mp4")
    monkeypatch.setattr(
        ResumableWriter, "overlap", lambda self, frames, depth=8, handoffs=False: iter(frames)
    )
    plain = _upscale(carphone, tmp_path / "b.mp4")
    assert overlapped == plain
    assert not [t for t in threading.enumerate() if t.name in ("vidiff-read", "vidiff-write")]


def test_overlap_threads_stop_and_errors_reach_the_caller(tmp_path, carphone) -> None:
    from vidiff.io.overlap import Behind, Prefetch
    from vidiff.runner.upscale import upscale_file

    class Boom:
        name = "boom"
        calls = 0

        def interpolate(self, a, b, ts):
            self.calls += 1
            if self.calls > 3:  # after some frames were written behind
                raise VidiffError("stop here")
            return [a.copy() for _ in ts]

    boom = Boom()
    with pytest.raises(VidiffError, match="stop here"):
        upscale_file(carphone, tmp_path / "c.mp4", factor=2, method=boom, progress=False, workers=1)
    assert not (tmp_path / "c.mp4").exists()
    assert not [t for t in threading.enumerate() if t.name in ("vidiff-read", "vidiff-write")]

    def gen():
        yield 1
        raise ValueError("bad frame")

    p = Prefetch(gen(), depth=1)
    assert next(p) == 1
    with pytest.raises(ValueError, match="bad frame"):
        next(p)
    seen = []
    w = Behind(lambda x: seen.append(1 / x), depth=2)
    w.submit(1)
    w.submit(0)
    with pytest.raises(ZeroDivisionError):
        w.join()
    assert seen == [1.0]
    p2 = Prefetch(itertools.count(), depth=2)  # an endless source stops on close
    assert next(p2) == 0
    p2.close()
    assert not [t for t in threading.enumerate() if t.name in ("vidiff-read", "vidiff-write")]


def test_strict_input_reaches_the_reader_thread(tmp_path, carphone) -> None:
    """`--strict` is a context variable: the prefetching thread must refuse damaged input as the plain
    reader does."""
    from vidiff.errors import InputError
    from vidiff.io.probe import input_policy
    from vidiff.runner.upscale import upscale_file

    data = bytearray(carphone.read_bytes())
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(bytes(data[: len(data) * 2 // 3]))
    with input_policy(True), pytest.raises(InputError, match="strict"):
        upscale_file(cut, tmp_path / "d.mp4", factor=2, method="dis", progress=False, workers=1)
    assert not [t for t in threading.enumerate() if t.name in ("vidiff-read", "vidiff-write")]
