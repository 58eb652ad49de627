"""Step caching (`--cache`, `vidiff.generate.step_cache`), offload levels and fp8 weight storage
(`--offload LEVEL`, `--weight-dtype`, `vidiff.generate.offload`) with tiny random Wan pipelines
(tests/tiny_pipes.py, nothing downloaded): what the cache skips is counted by its hooks, off is the same
bytes as before, each window and run starts from a fresh cache state, every refusal is one line before
the model loads, and every door (CLI, API, recipe, web app) reaches the model. No real model was run:
random weights say nothing of a cache's or fp8's quality loss."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tiny_pipes import TINY_GENERATE, generate_json, one_line_refusal, wan22_dir, wan_dir

from vidiff.generate.backends import resolve
from vidiff.generate.loaded import free_models
from vidiff.generate.step_cache import CacheSpec

pytest.importorskip("transformers")

STEPS = 6
LOOSE = CacheSpec("first-block", 0.3)  # skips most passes of a tiny random Wan at 6 steps


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


class Stop(Exception):
    """Raised from a step callback: a window cancelled mid-way."""


def _keyframes(weights, cache=None, fresh=False, stop_at=None, **load) -> tuple[np.ndarray, dict | None]:
    """5 keyframes of the tiny model at `STEPS` steps, seed 7, and the cache's counts; `fresh`: a new
    load, not the kept pipeline; `stop_at`: first a window stopped after that many steps."""
    if fresh:
        free_models()
    b = resolve("auto", str(weights))
    b.load("cpu", None, False, True, cache=cache, **load)
    try:
        if stop_at is not None:
            with pytest.raises(Stop):
                b.keyframes("a cat", None, None, 5, (32, 32), STEPS, 5.0, 7, b.fps, on_step=_stopper(stop_at))
        made = np.stack(b.keyframes("a cat", None, None, 5, (32, 32), STEPS, 5.0, 7, b.fps))
        return made, None if b.cache is None else b.cache.facts(cache)
    finally:
        b.release()


def _stopper(n: int):
    def on_step(done: int) -> None:
        if done >= n:
            raise Stop()

    return on_step


def _no_bar(*_a, **_k) -> None:
    """The web app's progress callback, shown nowhere."""


def test_the_cache_skips_passes_and_off_is_the_same_bytes(wan):
    """With the cache, most transformer passes skip the blocks after the first (counted by its hooks)
    and the frames change; a run without it on the same kept pipeline is the same bytes as before and as
    a fresh load (the cache is taken off after its run)."""
    before, none = _keyframes(wan, fresh=True)
    cached, counts = _keyframes(wan, LOOSE)
    after, _ = _keyframes(wan)
    fresh, _ = _keyframes(wan, fresh=True)
    assert none is None
    assert counts["passes"] == 2 * STEPS  # a conditional and an unconditional pass a step
    assert 0 < counts["skipped"] < counts["passes"], counts
    assert not np.array_equal(cached, before)
    assert np.array_equal(before, after) and np.array_equal(before, fresh)


def test_a_tight_threshold_skips_less(wan):
    """The threshold decides: a tighter one skips fewer passes than a loose one."""
    _, loose = _keyframes(wan, LOOSE)
    _, tight = _keyframes(wan, CacheSpec("first-block", 0.001))
    assert tight["skipped"] < loose["skipped"], (tight, loose)


def test_each_window_starts_from_a_fresh_cache_state(wan):
    """A window stopped mid-way (the web app's Cancel) leaves diffusers' cache state, which it resets only
    at the end of a call: the next window starts fresh all the same (the same bytes and counts as one
    that follows nothing)."""
    alone, counts = _keyframes(wan, LOOSE)
    after_stop, counts_after = _keyframes(wan, LOOSE, stop_at=3)
    assert np.array_equal(alone, after_stop)
    # the counts run over the whole run: the stopped window's 3 steps, then the full window's
    assert counts_after["passes"] == counts["passes"] + 2 * 3


def test_the_cache_is_on_both_transformers_of_a_two_stage_wan(tmp_path):
    """Wan 2.2 A14B: the cache goes on `transformer` and `transformer_2` for the run, and off after it."""
    w = wan22_dir(tmp_path / "t2v", "t2v")
    b = resolve("auto", str(w))
    b.load("cpu", None, False, True, cache=LOOSE)
    try:
        parts = (b.pipe.transformer, b.pipe.transformer_2)
        assert all(t.is_cache_enabled for t in parts)
        b.keyframes("a cat", None, None, 5, (32, 32), STEPS, 5.0, 7, b.fps)
        assert b.cache.passes == 2 * STEPS  # both stages counted
    finally:
        b.release()
    assert not any(t.is_cache_enabled for t in parts)


def test_the_cli_reports_the_cache_and_refuses_a_bad_one(tmp_path, capsys, wan):
    """`--cache first-block:0.3`: the report says the cache and what it skipped; a bad method or
    threshold is one line, before the model loads."""
    rc, rep = generate_json(capsys, tmp_path / "c.mp4", wan, *TINY_GENERATE, "--cache", "first-block:0.3")
    assert rc == 0, rep
    assert rep["cache"]["method"] == "first-block" and rep["cache"]["threshold"] == 0.3
    assert rep["cache"]["passes"] == 4 and rep["cache"]["skipped"] >= 0  # 2 steps
    rc, plain = generate_json(capsys, tmp_path / "p.mp4", wan, *TINY_GENERATE)
    assert rc == 0 and "cache" not in plain
    for value, words in (
        ("tea", "unknown cache 'tea'; choose one of: first-block"),
        ("first-block:0", "the threshold must be above 0 and at most 1"),
        ("first-block:1.5", "the threshold must be above 0 and at most 1"),
        ("first-block:nan", "the threshold must be above 0 and at most 1"),
        ("first-block:fast", "the threshold must be a number"),
    ):
        err = one_line_refusal(capsys, tmp_path / "x.mp4", wan, *TINY_GENERATE, "--cache", value)
        assert err.startswith("vidiff: error: ") and words in err, err


def test_a_model_without_the_cache_is_one_line_before_loading(tmp_path, capsys, monkeypatch):
    """SkyReels V2's transformer blocks are not in diffusers' block registry: refused before the weights
    load (a load would fail the test)."""
    from tiny_ltx2 import skyreels_dir

    from vidiff.generate.backends.base import Backend

    sky = skyreels_dir(tmp_path / "sky")
    monkeypatch.setattr(Backend, "_build", lambda *a, **k: pytest.fail("loaded"))
    err = one_line_refusal(capsys, tmp_path / "x.mp4", sky, *TINY_GENERATE, "--cache", "first-block")
    assert "does not know the SkyReelsV2Transformer3DModel's blocks; leave cache out" in err, err


@pytest.mark.parametrize(
    ("transformer", "pipelines", "words"),
    [
        ("UNetSpatioTemporalConditionModel", ("StableVideoDiffusionPipeline",), "takes no step cache"),
        (None, ("WanPipeline",), "(none named) takes no step cache"),
        ("LTX2VideoTransformer3DModel", ("LTX2Pipeline",), "does not know the LTX2VideoTransformer3DModel"),
        ("HunyuanVideoTransformer3DModel", ("HunyuanVideoImageToVideoPipeline",), "(cache_context)"),
    ],
)
def test_what_diffusers_registries_refuse(transformer, pipelines, words):
    """Read from diffusers' classes and registries: SVD's UNet takes no cache, LTX-2's blocks are not
    registered, HunyuanVideo's image-to-video pipeline names no transformer pass."""
    from vidiff.errors import UnsupportedError
    from vidiff.generate.step_cache import check_cache_support

    with pytest.raises(UnsupportedError, match=None) as e:
        check_cache_support("X", transformer, pipelines)
    assert words in str(e.value), e.value
    for ok in (
        ("WanTransformer3DModel", ("WanPipeline", "WanImageToVideoPipeline")),
        ("LTXVideoTransformer3DModel", ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline")),
        ("CogVideoXTransformer3DModel", ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline")),
        ("HunyuanVideoTransformer3DModel", ("HunyuanVideoPipeline",)),
    ):
        check_cache_support("X", *ok)


def test_the_api_recipe_and_web_app_reach_the_cache(tmp_path, wan):
    """make_clip(cache=), the recipe key generate.cache and the Social tab's cache field: the report
    says the cache; a value of the wrong type is one line at each."""
    from types import SimpleNamespace

    from social_fields import SOCIAL_UNTOUCHED

    from vidiff.errors import ConfigError
    from vidiff.generate import make_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe
    from vidiff.ui import social
    from vidiff.ui.core import App

    small = dict(prompt="a cat", steps=2, keyframe_size="32x32", aspect="1:1", fps=24, seconds=0.3)
    small |= dict(interpolate="dis", preset="ultrafast", progress=False)
    rep = make_clip(tmp_path / "a.mp4", weights=str(wan), cache="first-block:0.2", **small)
    assert rep["cache"]["threshold"] == 0.2
    with pytest.raises(ConfigError, match="cache 1: must be a string"):
        make_clip(tmp_path / "b.mp4", weights=str(wan), cache=1, **small)
    keys = [f"generate.weights={wan}", "generate.prompt=a cat", "generate.steps=2"]
    keys += ["generate.keyframe_size=32x32", "generate.seconds=0.3", "generate.cache=first-block:0.2"]
    keys += ["interpolate.method=dis", "reframe.aspect=1:1"]
    rep = run_recipe(
        load_recipe("social_clip").with_overrides(keys), None, str(tmp_path / "r.mp4"), progress=False
    )
    assert rep["cache"]["method"] == "first-block", rep
    with pytest.raises(ConfigError, match=r"generate.cache = \[1\] has the wrong type"):
        load_recipe("social_clip").with_overrides([*keys[:-3], "generate.cache=[1]"])
    app = App(tmp_path / "work")
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.3, extend=None, fps=24, loop=False)
    kw |= dict(music=None, prompt="a cat", negative="", weights=str(wan), backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED | dict(steps=2, keyframe_size="32x32", cache=" first-block:0.2 ")
    outs = list(social._run_social(app)(None, None, *kw.values(), SimpleNamespace(session_hash="t"), _no_bar))
    status, _, _, report = outs[-1]
    assert status.startswith("Done:"), status
    assert "| step cache | first-block:0.2, " in report and " of 4 passes skipped |" in report, report
    kw["cache"] = "tea"
    outs = list(social._run_social(app)(None, None, *kw.values(), SimpleNamespace(session_hash="t"), _no_bar))
    assert (
        outs[-1][0] == "vidiff: error: unknown cache 'tea'; choose one of: first-block (METHOD[:THRESHOLD])"
    )


def test_group_offload_on_the_cpu_is_the_same_bytes(wan):
    """diffusers' group offloading, block by block (onloaded to the CPU here: make_clip takes it on cuda
    only), hooks the parts and makes the same frames as the pipeline moved whole."""
    plain, _ = _keyframes(wan, fresh=True)
    grouped, _ = _keyframes(wan, offload="group")
    assert np.array_equal(plain, grouped)


def test_fp8_weights_are_stored_in_fp8_and_make_close_frames(wan):
    """`weight_dtype` fp8_e4m3fn: the transformer's block weights are float8, cast to fp32 per layer on
    the CPU (torch runs it there): frames close to, not equal to, the full weights'."""
    import torch

    full, _ = _keyframes(wan, fresh=True)
    b = resolve("auto", str(wan))
    b.load("cpu", None, False, True, weight_dtype="fp8_e4m3fn")
    try:
        assert b.pipe.transformer.blocks[0].attn1.to_q.weight.dtype == torch.float8_e4m3fn
        fp8 = np.stack(b.keyframes("a cat", None, None, 5, (32, 32), STEPS, 5.0, 7, b.fps))
    finally:
        b.release()
    diff = np.abs(fp8.astype(int) - full.astype(int))
    assert not np.array_equal(fp8, full) and diff.mean() < 1.0, diff.mean()
    again, _ = _keyframes(wan)  # fp8 is part of the kept pipeline's key: a full-weights run loads again
    assert np.array_equal(again, full)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--offload", "group"], "offload group moves the model's parts between the GPU and the CPU"),
        (["--offload", "sequential"], "offload sequential moves the model's parts"),
        (["--offload"], "offload model moves the model's parts"),
        (["--offload", "swap"], "argument --offload: invalid choice: 'swap'"),
        (["--weight-dtype", "fp4"], "argument --weight-dtype: invalid choice: 'fp4'"),
    ],
)
def test_offload_and_weight_dtype_refusals(tmp_path, capsys, wan, args, words):
    """Offload levels are cuda only (as --offload was); unknown levels and weight dtypes are one line
    (argparse's own for a name not among the choices)."""
    try:
        err = one_line_refusal(capsys, tmp_path / "x.mp4", wan, *TINY_GENERATE, *args)
    except SystemExit as e:  # argparse, in process (the console script prints one line and exits 2)
        assert e.code == 2
        err = capsys.readouterr().err.strip()
    assert err.startswith("vidiff: error: ") and words in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x.mp4").exists()


def test_offload_and_weight_dtype_at_the_api_recipe_and_web_app(tmp_path, wan):
    """make_clip(offload=True) is model offload as before; a level by name, a bad level and a bad weight
    dtype are one line at the API, the recipe and the web app; fp8 reaches the report."""
    from types import SimpleNamespace

    from social_fields import SOCIAL_UNTOUCHED

    from vidiff.errors import ConfigError
    from vidiff.generate import make_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe
    from vidiff.ui import social
    from vidiff.ui.core import App

    small = dict(prompt="a cat", steps=2, keyframe_size="32x32", aspect="1:1", fps=24, seconds=0.3)
    small |= dict(interpolate="dis", preset="ultrafast", progress=False, weights=str(wan))
    for value, words in (
        (True, "offload model moves"),
        ("group", "offload group moves"),
        ("swap", "offload 'swap': give true (model) or one of: model, group, sequential"),
        (1, "offload 1: must be True or False"),
    ):
        with pytest.raises(ConfigError, match=re.escape(words)):
            make_clip(tmp_path / "a.mp4", offload=value, **small)
    with pytest.raises(ConfigError, match="unknown weight_dtype 'fp4'; choose one of: fp8_e4m3fn, fp8_e5m2"):
        make_clip(tmp_path / "a.mp4", weight_dtype="fp4", **small)
    rep = make_clip(tmp_path / "f.mp4", weight_dtype="fp8_e5m2", **small)
    assert rep["weight_dtype"] == "fp8_e5m2" and "offload" not in rep
    keys = [f"generate.weights={wan}", "generate.prompt=a cat", "generate.keyframe_size=32x32"]
    for key, words in (
        ("generate.offload=group", "offload group moves"),
        ("generate.offload=true", "offload model"),
    ):
        with pytest.raises(ConfigError, match=re.escape(words)):
            recipe = load_recipe("social_clip").with_overrides([*keys, key])
            run_recipe(recipe, None, str(tmp_path / "r.mp4"), progress=False)
    app = App(tmp_path / "work")
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.3, extend=None, fps=24, loop=False)
    kw |= dict(music=None, prompt="a cat", negative="", weights=str(wan), backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED | dict(steps=2, keyframe_size="32x32")
    for page, line in (
        (dict(offload="group"), "offload group moves the model's parts between the GPU and the CPU"),
        (dict(weight_dtype="fp4"), "unknown weight_dtype 'fp4'"),
    ):
        run = social._run_social(app)(
            None, None, *(kw | page).values(), SimpleNamespace(session_hash="t"), _no_bar
        )
        got = list(run)[-1][0]
        assert got.startswith("vidiff: error: ") and line in got, got
