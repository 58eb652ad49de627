"""Windows: interpolators with context get overlapping windows of keyframes at real times, streaming; seams
between windows do not show (flicker across a window boundary matches the inside of a window)."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import sha256, write_clip
from window_fakes import DeltaTModel, LagrangeWindow, NoisyWindow

from vidiff.io.reader import read_frames
from vidiff.metrics.temporal import frame_diff
from vidiff.runner import upscale_file
from vidiff.windows import pair_windows, plan_windows

FAST = {"preset": "ultrafast", "progress": False}


def _kfs(n: int, cuts=(), step=Fraction(1, 25)):
    return [
        SimpleNamespace(
            frame=SimpleNamespace(image=np.full((2, 2, 3), i, np.uint8), time=i * step), cut=i in cuts
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("pairs, context", [(1, 0), (3, 0), (4, 2), (2, 3), (8, 1)])
def test_windows_cover_every_pair_once_with_context_inside_each_scene(pairs, context):
    n, cuts = 40, {13, 14, 30}
    scene = np.cumsum([i in cuts for i in range(n)])
    covered, held = [], 0
    for w in plan_windows(iter(_kfs(n, cuts)), pairs, context):
        ids = [int(f[0, 0, 0]) for f in w.frames]
        assert ids == list(range(ids[0], ids[-1] + 1))  # consecutive keyframes, in order
        held = max(held, len(ids))
        core = ids[w.lo : w.hi + 1]
        covered += [(a, a + 1) for a in core[:-1]]
        if w.cut:
            assert len(ids) == 2 and scene[ids[1]] == scene[ids[0]] + 1
            continue
        assert len(set(scene[ids])) == 1  # never across a cut
        assert 1 <= len(core) - 1 <= pairs
        same = [i for i in range(n) if scene[i] == scene[core[0]]]
        assert w.lo == min(context, core[0] - same[0])  # full context unless the scene ends first
        assert len(ids) - 1 - w.hi == min(context, same[-1] - core[-1])
    assert covered == [(i, i + 1) for i in range(n - 1)]
    assert held <= pairs + 2 * context + 1


def _half_rate(carphone, tmp_path, n=120):
    truth = read_frames(carphone, max_frames=n)
    src = write_clip(tmp_path / "half.mp4", truth[::2], fps=Fraction(15000, 1001))
    return truth, src


def test_runner_gives_context_at_window_edges_and_window_size_does_not_change_output(carphone, tmp_path):
    _, src = _half_rate(carphone, tmp_path, 40)
    outs = []
    for pairs in (2, 3, 50):
        fake = LagrangeWindow(context=2)
        out = tmp_path / f"w{pairs}.mp4"
        r = upscale_file(src, out, factor=2, method=fake, window=pairs, **FAST)
        assert r["window"] == {"pairs": pairs, "context": 2} and r["out_frames"] == 40
        # every target got 2 observed frames each side, except near the clip's ends (20 keyframes)
        assert len(fake.got) == 19
        for k, (_tau, left, right) in enumerate(fake.got):
            assert (left, right) == (min(2, k), min(2, 18 - k)), (pairs, k, left, right)
        outs.append(sha256(out))
    assert len(set(outs)) == 1  # same frames whatever the window size: no seam at window edges


def _flicker_ratio(truth, out, pairs, factor=2):
    """Flicker across a kept frame (mean |F(p+1) - F(p-1)| of the output over the real clip's) at the
    keyframes where one window ends and the next begins, divided by the same at keyframes inside windows.

    Kept frames are exact, so a seam shows as the frames on its two sides not matching: a change of
    look from one window to the next that the real clip does not have.
    """
    n = min(len(truth), len(out))
    keys = range(factor, n - 1, factor)
    r = {
        p: frame_diff(out[p - 1], out[p + 1]) / max(frame_diff(truth[p - 1], truth[p + 1]), 1e-3)
        for p in keys
    }
    edge = [r[p] for p in keys if p % (factor * pairs) == 0]
    inside = [r[p] for p in keys if p % (factor * pairs)]
    return float(np.mean(edge) / np.mean(inside))


def test_seams_do_not_show_flicker_across_window_boundary_vs_inside(carphone, tmp_path):
    truth, src = _half_rate(carphone, tmp_path)
    ratios = {}
    for name, fake in (("lagrange", LagrangeWindow(context=1)), ("noisy", NoisyWindow())):
        out = tmp_path / f"{name}.mkv"
        upscale_file(src, out, factor=2, method=fake, window=4, crf=0, **FAST)
        ratios[name] = _flicker_ratio(truth, read_frames(out), pairs=4)
    assert abs(ratios["lagrange"] - 1) < 0.1, ratios
    assert ratios["noisy"] > 1.5, ratios  # the measure does see a seam when there is one


def test_seams_with_the_diffusion_model(carphone, tmp_path):
    from vidiff.flow import get_interpolator, interpolator_names

    if "diffusion" not in interpolator_names():
        pytest.skip("the diffusion method is not registered")
    try:
        interp = get_interpolator("diffusion")
    except Exception as e:  # noqa: BLE001 - no weights shipped yet
        pytest.skip(f"the diffusion method cannot load: {e}")
    truth, src = _half_rate(carphone, tmp_path, 60)
    out = tmp_path / "diffusion.mkv"
    r = upscale_file(src, out, factor=2, method=interp, window=4, crf=0, **FAST)
    assert r["window"]["pairs"] == 4
    ratio = _flicker_ratio(truth, read_frames(out), pairs=4)
    assert abs(ratio - 1) < 0.1, ratio


@pytest.mark.parametrize("step", [Fraction(2), Fraction(4), Fraction(5, 2)])
def test_bench_protocol_gives_context_models_kept_frames_each_side(step):
    """`vidiff bench` scores a context model the way the runner uses it: kept frames each side at their
    real times. A curved ramp in time is rebuilt far better from 4 kept frames than from a pair."""
    from vidiff.metrics.protocol import kept_indices, score_interpolator

    n = 41
    frames = [np.full((8, 8, 3), round(128 + 100 * np.sin(0.4 * i)), np.uint8) for i in range(n)]
    with_ctx, pair = LagrangeWindow(context=1), LagrangeWindow(context=0)
    psnr_ctx = score_interpolator(iter(frames), step, with_ctx).summary()["psnr"]
    psnr_pair = score_interpolator(iter(frames), step, pair).summary()["psnr"]
    assert psnr_ctx > psnr_pair + 3, (psnr_ctx, psnr_pair)
    kept = kept_indices(n, step)
    pairs = len(kept) - 1
    seg = 0
    for tau, left, right in with_ctx.got:
        while not kept[seg] < tau < kept[seg + 1]:
            seg += 1
        assert (left, right) == (min(1, seg), min(1, pairs - 1 - seg)), (tau, left, right)
    # each target once, besides the untimed warm-up of the first window of each shape (a repeat)
    assert len(set(with_ctx.got)) == n - len(kept) - (n - 1 - kept[-1])


def test_a_pairs_model_output_does_not_depend_on_the_other_pairs_of_its_window(carphone):
    """After dedupe the gaps of a window's pairs differ; each pair is measured in its own gap, so the
    model's frame for a pair is the same alone or beside a pair twice as long (a model whose output
    depends on the times: random, non-zero output layer)."""
    import torch
    from conftest import TINY_MODEL

    from vidiff.diffusion.interpolator import DiffusionInterpolator
    from vidiff.diffusion.model import VidiffModel
    from vidiff.diffusion.sampling import Workspace

    torch.manual_seed(0)
    model = VidiffModel.from_config(TINY_MODEL).eval()
    with torch.no_grad():
        model.unet.conv_out.weight.normal_(0, 0.05)
    interp = DiffusionInterpolator.__new__(DiffusionInterpolator)
    interp.model, interp.steps, interp.sampler, interp.seed, interp.batch = model, 1, None, 0, 4
    interp.context, interp.run_model = 0, model  # the model run eagerly (no engine)
    interp.workspace = Workspace(0)
    f = read_frames(carphone, max_frames=4)
    alone = interp.interpolate_window(f[:2], [0.0, 0.04], [0.02])[0]
    beside = interp.interpolate_window([f[0], f[1], f[3]], [0.0, 0.04, 0.12], [0.02, 0.08])
    assert np.array_equal(alone, beside[0])
    # and the times do matter to this model: the same pair at another t gives another frame
    other = interp.interpolate_window(f[:2], [0.0, 0.04], [0.01])[0]
    assert not np.array_equal(alone, other)


def test_pair_windows_measure_each_pair_in_its_own_gap():
    """A deduped window (gaps 1, 2, 1 frames): each pair comes out at [0, 1] with its neighbours at their
    times in units of that pair's gap, and is the same cut from a larger window or from one holding only
    it and its context."""
    frames = ["f0", "f1", "f2", "f3"]
    times = [0.0, 0.04, 0.12, 0.16]
    pws = pair_windows(frames, times, [0.02, 0.08, 0.10, 0.14], context=1)
    assert [(pw.frames, pw.a, pw.positions, pw.start) for pw in pws] == [
        (["f0", "f1", "f2"], 0, [0], 0),
        (["f0", "f1", "f2", "f3"], 1, [1, 2], 0),
        (["f1", "f2", "f3"], 1, [3], 1),
    ]
    assert pws[1].times == pytest.approx([-0.5, 0.0, 1.0, 1.5]) and pws[1].targets == pytest.approx(
        [0.5, 0.75]
    )
    assert pws[1].times[1:3] == [0.0, 1.0]  # exactly
    alone = pair_windows(frames[1:3], times[1:3], [0.08], context=1)[0]
    assert alone.times == [0.0, 1.0] and alone.targets == pytest.approx([0.5])
    same = pair_windows(frames, times, [0.08], context=1)[0]
    assert (same.times, same.targets) == (pws[1].times, pws[1].targets[:1])


def _deduped_clip(carphone, tmp_path):
    """carphone's first 24 frames with some shown twice or three times (animation on twos and threes)."""
    real = read_frames(carphone, max_frames=24)
    shown = [1, 2, 1, 1, 3, 1, 2, 2, 1, 1, 1, 3, 1, 2, 1, 1, 2, 1, 1, 3, 1, 1, 2, 1]
    frames = [f for f, n in zip(real, shown, strict=True) for _ in range(n)]
    return write_clip(tmp_path / "deduped.mkv", frames), len(real), len(frames)


def test_a_pairs_output_does_not_depend_on_which_pairs_share_its_window(carphone, tmp_path):
    """Issue 14 point 5, through the runner on a deduped real clip: a model that measures each pair in its
    own gap gives the same bytes and sees the same pair windows whatever the window size; one measuring in
    the window's median gap (the old bug) changes with it (the test can see the bug)."""
    src, n_real, n_shown = _deduped_clip(carphone, tmp_path)
    hashes, got = {}, {}
    for per_pair in (True, False):
        for pairs in (1, 3, 50):
            fake = DeltaTModel(context=1, per_pair=per_pair)
            out = tmp_path / f"{per_pair}_{pairs}.mp4"
            r = upscale_file(src, out, factor=2, method=fake, window=pairs, crf=0, **FAST)
            assert r["duplicates_collapsed"] == n_shown - n_real and r["out_frames"] == 2 * n_shown
            hashes[per_pair, pairs], got[per_pair, pairs] = sha256(out), sorted(fake.got)
    assert hashes[True, 1] == hashes[True, 3] == hashes[True, 50]
    assert got[True, 1] == got[True, 3] == got[True, 50]
    assert all((0.0, 1.0) in zip(ts, ts[1:], strict=False) for _, ts, _ in got[True, 1])  # pairs at [0, 1]
    assert len({targets for *_, targets in got[True, 1]}) > 2  # its targets' t differ with the gaps
    assert len({hashes[False, 1], hashes[False, 3], hashes[False, 50]}) > 1


class _Unbuildable:
    """A windowed method that must not be built (a parallel run's parent only asks its context)."""

    name = "unbuildable"

    def __init__(self, context: int = 2) -> None:
        raise AssertionError("built")

    @classmethod
    def context_of(cls, context: int = 2) -> int:
        return context

    def interpolate_window(self, frames, times, target_times):  # pragma: no cover - never built
        raise AssertionError("built")


def test_method_context_without_building_the_method():
    """`method_context` reads a class's context from its options (`context_of`), or None for a pairs
    method, building nothing; a plain factory function is built once to ask."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator
    from vidiff.diffusion.model import load_settings
    from vidiff.flow import DISFlow, interpolator_factory
    from vidiff.windows import method_context

    assert method_context(_Unbuildable, {"context": 3}) == 3
    assert method_context(DISFlow, {}) is None
    assert method_context(lambda: LagrangeWindow(context=2), {}) == 2
    name, factory, options = interpolator_factory("diffusion")
    assert (name, factory, options) == ("diffusion", DiffusionInterpolator, {})
    assert method_context(factory, options) == load_settings("default").config.context
