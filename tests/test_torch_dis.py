"""DIS in torch (vidiff.torch_dis), the GPU stack's flow, held to OpenCV's DIS (the CPU stack's) on real
frames: the same midpoint quality and nearly the same flow; a known shift recovered; any frame size; a
batch of pairs the same as each pair alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidiff.flow import DISFlow, backward_warp
from vidiff.metrics.quality import psnr
from vidiff.torch_dis import dis_flows


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float()


def _numpy(flow: torch.Tensor) -> np.ndarray:
    return flow[0].permute(1, 2, 0).numpy()


def _midpoint(a: np.ndarray, b: np.ndarray, f_ab: np.ndarray, f_ba: np.ndarray) -> np.ndarray:
    """The `dis` method's frame at t = 0.5 from the two flows."""
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    mid = 0.5 * (backward_warp(fa, 0.5 * f_ba) + backward_warp(fb, 0.5 * f_ab))
    return np.clip(mid + 0.5, 0, 255).astype(np.uint8)


def test_flows_match_opencv_dis_on_real_frames(carphone_frames) -> None:
    """Held-out middle frames rebuilt from either flow, five carphone pairs two frames apart (the last
    in the fast pan at 82-86): torch's midpoints as good as OpenCV's, the flows under a pixel apart."""
    torch.set_num_threads(2)
    ours, theirs, apart = [], [], []
    for i in (0, 20, 40, 60, 82):
        a, m, b = carphone_frames[i], carphone_frames[i + 1], carphone_frames[i + 2]
        f_ab, f_ba = DISFlow().flows(a, b)
        g_ab, g_ba = (_numpy(f) for f in dis_flows(_tensor(a), _tensor(b)))
        theirs.append(psnr(_midpoint(a, b, f_ab, f_ba), m))
        ours.append(psnr(_midpoint(a, b, g_ab, g_ba), m))
        apart.append(float(np.linalg.norm(f_ab - g_ab, axis=-1).mean()))
    assert np.mean(ours) > np.mean(theirs) - 0.15, (ours, theirs)
    assert np.mean(apart) < 0.6, apart


def test_a_known_shift_is_recovered(carphone_frames) -> None:
    """b is a moved 5 px right and 3 px down: inside the frame the flow a -> b is (5, 3) and b -> a is
    (-5, -3), to a tenth of a pixel."""
    img = carphone_frames[30]
    a, b = img[10:130, 10:160], img[7:127, 5:155]
    f_ab, f_ba = (_numpy(f) for f in dis_flows(_tensor(a), _tensor(b)))
    inner = (slice(16, -16), slice(16, -16))
    assert np.abs(np.median(f_ab[inner].reshape(-1, 2), 0) - (5, 3)).max() < 0.1, np.median(
        f_ab[inner].reshape(-1, 2), 0
    )
    assert np.abs(np.median(f_ba[inner].reshape(-1, 2), 0) - (-5, -3)).max() < 0.1


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (8, 12), (12, 8), (5, 300), (31, 200)])
def test_any_frame_size_gives_a_finite_flow_of_its_size(size) -> None:
    g = torch.Generator().manual_seed(0)
    a, b = (torch.rand(2, 3, *size, generator=g) * 255 for _ in range(2))
    for f in dis_flows(a, b):
        assert f.shape == (2, 2, *size) and bool(torch.isfinite(f).all())


def test_a_batch_of_pairs_gives_each_pairs_own_flows(carphone_frames, monkeypatch) -> None:
    """Pairs together, alone, or in batches cut by the memory budget: the same flows."""
    from vidiff import torch_dis

    a = torch.cat([_tensor(carphone_frames[i]) for i in (0, 40, 60)])
    b = torch.cat([_tensor(carphone_frames[i]) for i in (2, 42, 62)])
    together = dis_flows(a, b)
    monkeypatch.setattr(torch_dis, "MAX_BATCH_PIXELS", 2 * 144 * 176)  # two flows a batch: 6 in 3 batches
    cut = dis_flows(a, b)
    for k in range(3):
        alone = dis_flows(a[k : k + 1], b[k : k + 1])
        for t, c, s in zip(together, cut, alone, strict=True):
            assert torch.allclose(t[k : k + 1], s, atol=1e-3) and torch.allclose(c[k : k + 1], s, atol=1e-3)


class _Graph:
    def replay(self) -> None:
        pass


@pytest.mark.parametrize("agrees", [True, False])
def test_cuda_graph_replay_is_checked_against_eager_and_falls_back(
    agrees, carphone_frames, monkeypatch
) -> None:
    """The graph path's bookkeeping, on the CPU with a stand-in capture: a first call per shape returns the
    eager flow; a capture that agrees is replayed after, one that disagrees turns the graphs off. The
    capture happens in inference mode (as the prior stack runs it) and the replay outside it."""
    from vidiff import torch_dis

    a, b = _tensor(carphone_frames[0])[:, :1], _tensor(carphone_frames[2])[:, :1]
    want = torch_dis.dis_flow(a, b)
    out = want.clone() if agrees else want + 1.0

    def capture(self, i0, i1, params):
        with torch.inference_mode():  # the real capture's static inputs are inference tensors
            return _Graph(), i0.clone(), i1.clone(), out

    monkeypatch.setattr(torch_dis._CudaGraphs, "_capture", capture)
    graphs = torch_dis._CudaGraphs()
    with torch.inference_mode():
        assert torch.equal(graphs.run(a, b, torch_dis.MEDIUM), want)
    assert graphs.enabled is agrees and len(graphs.graphs) == int(agrees)
    again = graphs.run(a, b, torch_dis.MEDIUM)
    assert torch.equal(again, want)
