"""First and last frame to video (`--last-image`, `vidiff.generate.end_frame`) with tiny random pipelines
(tests/tiny_pipes.py, nothing downloaded): the still reaches the pipeline's own end-frame input in the last
window only, same seed same bytes, another still other frames, and each refusal is one line before the
weights load. No real weights were run."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from tiny_pipes import (
    TINY_GENERATE,
    TINY_RECIPE,
    generate_json,
    ltx_condition_dir,
    ltx_dir,
    one_line_refusal,
    wan_i2v_dir,
)

pytest.importorskip("transformers")

RGB = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 255, 0)}


def _still(folder: Path, colour: str) -> Path:
    """A flat 60x40 PNG of `colour` (not the keyframes' aspect: it is reframed as the first still is)."""
    path = folder / f"{colour}.png"
    if not path.exists():
        cv2.imwrite(str(path), np.full((40, 60, 3), RGB[colour][::-1], np.uint8))
    return path


@pytest.fixture(scope="module")
def flf(tmp_path_factory) -> Path:
    """A Wan 2.1 FLF2V-shaped WanImageToVideoPipeline (its transformer embeds two images)."""
    return wan_i2v_dir(tmp_path_factory.mktemp("flf") / "w", flf2v=True)


@pytest.fixture(scope="module")
def ltx2(tmp_path_factory) -> Path:
    """A tiny LTX2Pipeline folder (tests/tiny_ltx2.py)."""
    from tiny_ltx2 import ltx2_dir

    return ltx2_dir(tmp_path_factory.mktemp("ltx2") / "t2v")


@pytest.fixture(scope="module")
def stills(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stills")
    for colour in RGB:
        _still(folder, colour)
    return folder


def _spy_last_images(monkeypatch, cls) -> list:
    """The `last_image` each call of `cls.prepare_latents` (diffusers' own, still run) is given."""
    seen: list = []
    real = cls.prepare_latents

    def spy(self, *args, **kwargs):
        last = kwargs.get("last_image", args[10] if len(args) > 10 else None)
        seen.append(None if last is None else last.detach().float().cpu())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "prepare_latents", spy)
    return seen


def test_the_last_still_reaches_the_pipelines_latents_same_seed_same_bytes(
    tmp_path, capsys, monkeypatch, flf, stills
):
    """The blue still reaches WanImageToVideoPipeline's latents as its last frame (in [-1, 1]: blue
    +1, red -1), reframed to the keyframes' size; the report names it; two runs give the same bytes."""
    from diffusers import WanImageToVideoPipeline

    seen = _spy_last_images(monkeypatch, WanImageToVideoPipeline)
    args = ["--image", str(stills / "red.png"), "--last-image", str(stills / "blue.png"), *TINY_GENERATE]
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", flf, *args)
    assert rc == 0, rep
    assert rep["last_image"] == str(stills / "blue.png") and rep["windows"] == 1
    assert len(seen) == 1 and tuple(seen[0].shape[-2:]) == (32, 32)
    means = seen[0].mean(dim=(0, 2, 3)).tolist()  # R, G, B
    assert means[2] > 0.95 and means[0] < -0.95, means
    assert generate_json(capsys, tmp_path / "b.mp4", flf, *args)[0] == 0
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_another_last_still_makes_other_frames(tmp_path, capsys, flf, stills):
    """Same seed, same first still: a green last still instead of a blue one changes the clip."""
    outs = {}
    for colour in ("blue", "green"):
        args = ["--image", str(stills / "red.png"), "--last-image", str(stills / f"{colour}.png")]
        assert generate_json(capsys, tmp_path / f"{colour}.mp4", flf, *args, *TINY_GENERATE)[0] == 0
        outs[colour] = (tmp_path / f"{colour}.mp4").read_bytes()
    assert outs["blue"] != outs["green"]


def test_several_windows_the_last_ends_on_the_still(tmp_path, capsys, monkeypatch, stills):
    """LTXConditionPipeline: 0.9 s at 24 fps (22 keyframes) in windows of 17 frames; the last is given
    the previous window's last 9 frames (a video condition at frame 0) and the still (an image condition
    at its last frame), and it is made just long enough (17 frames: 9 carried, 8 new) to end the clip on
    its last keyframe: 25 keyframes, the fewest at or past 22 that end on a frame count the model takes."""
    from diffusers import LTXConditionPipeline

    folder = ltx_condition_dir(tmp_path / "ltx")
    calls: list = []
    real = LTXConditionPipeline.__call__

    def spy(self, *args, **kwargs):
        conds = kwargs.get("conditions") or []
        calls.append((kwargs["num_frames"], [(len(c.video or []), c.frame_index) for c in conds], conds))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LTXConditionPipeline, "__call__", spy)
    args = ["--image", str(stills / "red.png"), "--last-image", str(stills / "blue.png"), *TINY_GENERATE]
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", folder, *args, "--seconds", "0.9", "--frames", "17")
    assert rc == 0, rep
    assert (rep["windows"], rep["keyframes"]) == (2, 25)
    assert [(n, fi) for n, fi, _ in calls] == [(17, []), (17, [(9, 0), (0, 16)])]
    assert np.asarray(calls[-1][2][1].image).reshape(-1, 3).tolist()[0] == [0, 0, 255]  # the blue still


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--last-image", "{blue}"], "last_image is the clip's last frame after image, its first"),
        (["--image", "{red}", "--last-image", "{blue}", "--loop"], "and loop ends it on its start"),
        (["--image", "{red}"], "make a clip from a first and a last frame: give last_image"),
        (["--image", "{red}", "--last-image", "{blue}", "--seconds", "6"], "use seconds 5.00 or less"),
        (["--image", "{red}", "--last-image", "{none}"], "no such file"),
    ],
)
def test_refusals_are_one_line(tmp_path, capsys, flf, stills, extra, line):
    """Without a first still, with a loop, FLF2V weights without a last still or past one window, a
    missing still: one line each, nothing written."""
    extra = [
        x.format(red=stills / "red.png", blue=stills / "blue.png", none=tmp_path / "x.png") for x in extra
    ]
    assert line in one_line_refusal(capsys, tmp_path / "a.mp4", flf, *TINY_GENERATE, *extra)


def test_weights_that_take_no_end_frame_are_refused_before_loading(tmp_path, capsys, monkeypatch, stills):
    """Wan 2.1 I2V (one image embedding: diffusers fails deep in the transformer) and LTXPipeline are one
    line each, said before any weights load; without a model, last_image is one line too."""
    import diffusers

    def no_load(*a, **k):
        raise AssertionError("loaded")

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained", no_load)
    both = ["--image", str(stills / "red.png"), "--last-image", str(stills / "blue.png"), *TINY_GENERATE]
    i2v = wan_i2v_dir(tmp_path / "i2v")
    assert "its transformer embeds one image (Wan 2.1 I2V)" in one_line_refusal(
        capsys, tmp_path / "a.mp4", i2v, *both
    )
    ltx = ltx_dir(tmp_path / "ltx")
    assert "diffusers' LTXPipeline takes a first frame only" in one_line_refusal(
        capsys, tmp_path / "a.mp4", ltx, *both
    )
    from vidiff.cli import main

    rc = main(["generate", "-o", str(tmp_path / "b.mp4"), *both[:4], "--quiet"])
    assert rc == 2 and "last_image applies to a video diffusion model" in capsys.readouterr().err


def test_the_recipe_and_the_social_tab_send_the_last_still(tmp_path, monkeypatch, flf, stills):
    """generate.last_image (with -i the first still) and the Social tab's last field (after no_audio)
    reach the pipeline as the CLI's --last-image: the blue still is the last frame its latents get."""
    pytest.importorskip("gradio")
    from diffusers import WanImageToVideoPipeline
    from social_fields import SOCIAL_UNTOUCHED

    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe
    from vidiff.ui import social
    from vidiff.ui.core import App

    seen = _spy_last_images(monkeypatch, WanImageToVideoPipeline)
    recipe = load_recipe("social_clip").with_overrides(
        [f"generate.last_image={stills / 'blue.png'}", f"generate.weights={flf}", "generate.prompt=a cat"]
        + TINY_RECIPE
    )
    report = run_recipe(recipe, str(stills / "red.png"), str(tmp_path / "r.mp4"), progress=False)
    assert report["last_image"] == str(stills / "blue.png")
    page = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.3, extend=None, fps=24, loop=False)
    page |= dict(music=None, prompt="a cat", negative="", weights=str(flf), backend="auto", seed=0)
    settings = SOCIAL_UNTOUCHED | dict(steps=2, keyframe_size="32x32", last_image=str(stills / "blue.png"))
    run = social._run_social(App(tmp_path / "work"))
    outs = list(
        run(str(stills / "red.png"), None, *page.values(), *settings.values(), None, lambda *a, **k: None)
    )
    assert outs[-1][0].startswith("Done") and "last image" in outs[-1][3], outs[-1]
    assert len(seen) == 2 and all(x.mean(dim=(0, 2, 3))[2] > 0.95 for x in seen)


def test_ltx2_ends_on_the_still_through_its_condition_pipeline(tmp_path, capsys, monkeypatch, stills, ltx2):
    """LTX-2 text-to-video weights: the window runs as LTX2ConditionPipeline on the same parts, the first
    still at latent frame 0 and the blue one at the last (-1), and the clip keeps the sound it makes."""
    from diffusers import LTX2ConditionPipeline

    calls: list = []
    real = LTX2ConditionPipeline.__call__

    def spy(self, *args, **kwargs):
        calls.append((kwargs["num_frames"], [(c.index, np.asarray(c.frames)) for c in kwargs["conditions"]]))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LTX2ConditionPipeline, "__call__", spy)
    args = ["--image", str(stills / "red.png"), "--last-image", str(stills / "blue.png"), "--prompt", "a cat"]
    args += ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--fps", "24"]
    args += ["--keyframe-size", "32x64", "--guidance", "1", "--seconds", "0.2"]
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", ltx2, *args)
    assert rc == 0, rep
    assert (rep["pipeline"], rep["keyframes"], rep["audio"]) == ("LTX2Pipeline", 5, "the model's")
    (n, conds), *more = calls
    assert not more and n == 5 and [i for i, _ in conds] == [0, -1]
    assert conds[0][1][..., 0].min() == 255 and conds[1][1][..., 2].min() == 255  # red first, blue last


@pytest.mark.parametrize(
    ("transformer", "refused", "needs"),
    [({"image_dim": 1280}, True, False), ({"image_dim": 1280, "pos_embed_seq_len": 514}, False, True)],
)
def test_skyreels_image_to_video_follows_wans_rule(transformer, refused, needs):
    """SkyReels V2's image-to-video pipeline embeds both stills as Wan's does: a transformer config with
    one image embedding is refused (diffusers would fail in it), one with two needs a last still."""
    from vidiff.generate.backends.skyreels import SkyReelsV2

    b = SkyReelsV2("SkyReelsV2ImageToVideoPipeline", "w")
    b.configure({"model_index": {}, "transformer": transformer})
    assert (b.end_frame_refusal() is not None, b.needs_end_frame) == (refused, needs)
    t2v = SkyReelsV2("SkyReelsV2Pipeline", "w")
    assert "takes no image" in t2v.end_frame_refusal()


def test_wans_text_to_video_refusal_names_vace_too():
    """Wan's text-to-video weights take no end frame; the line names the classes that do, VACE's with
    the image-to-video one (`Backend.frame_weights`)."""
    from vidiff.generate.backends.wan import Wan

    why = Wan("WanPipeline", "w").end_frame_refusal()
    assert why.endswith("use weights that do (WanImageToVideoPipeline, WanVACEPipeline)"), why


@pytest.mark.parametrize(
    ("seconds", "keyframe_fps", "expect"),
    [
        (0.3, 8, (3, (0, 2, 4), 5, 5, 1, 5)),  # 2 keyframes asked for at 8 fps: the 3rd lands on frame 4
        (6.0, 8, (49, (0, 2, 4), 97, 81, 2, 17)),  # 48 asked for: 49 end on model frame 96 (2 windows)
        (1.0, None, (17, None, 17, 17, 1, 17)),  # 16 at the model's 16 fps: 17 (4k+1)
    ],
)
def test_the_plan_ends_on_a_frame_the_model_makes(seconds, keyframe_fps, expect):
    """Wan 2.1's rules (16 fps, 4k+1 frames): with an end frame the keyframes' count is raised by the
    fewest until the last one is the last frame the model makes, the last window only as long as that
    needs; picked keyframes (a lower keyframe_fps) keep their spacing."""
    from vidiff.generate.backends.wan import Wan
    from vidiff.generate.keyframes import plan

    b = Wan("WanImageToVideoPipeline", "w")
    b.configure({"model_index": {}})
    p = plan(b, seconds, keyframe_fps, None, end=True)
    first = None if p.pick is None else p.pick[:3]  # the picks' spacing: every 2nd model frame
    assert (p.total, first, p.need, p.window, p.windows, p.last_window) == expect
    assert p.pick is None or p.pick[-1] == p.need - 1  # the last keyframe is the last frame made


def test_ltx2_condition_weights_take_the_first_still_and_the_last(
    tmp_path, capsys, monkeypatch, stills, ltx2
):
    """Weights saved as LTX2ConditionPipeline (it was 'not a video pipeline vidiff drives'): the first
    still is its condition at latent frame 0 in every window that has no last still, both in the last."""
    import shutil

    from diffusers import LTX2ConditionPipeline

    folder = Path(shutil.copytree(ltx2, tmp_path / "cond"))
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": "LTX2ConditionPipeline"}))
    calls: list = []
    real = LTX2ConditionPipeline.__call__

    def spy(self, *args, **kwargs):
        calls.append([c.index for c in kwargs.get("conditions") or ()])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LTX2ConditionPipeline, "__call__", spy)
    args = ["--image", str(stills / "red.png"), "--last-image", str(stills / "blue.png"), "--prompt", "a cat"]
    args += ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--fps", "24"]
    args += ["--keyframe-size", "32x64", "--guidance", "1", "--seconds", "0.3", "--frames", "5"]
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", folder, *args)
    assert rc == 0, rep
    assert (rep["pipeline"], rep["windows"], rep["keyframes"]) == ("LTX2ConditionPipeline", 2, 9)
    assert calls == [[0], [0, -1]]


def test_wan22_i2v_a14b_takes_the_last_still_in_its_latents(tmp_path, capsys, monkeypatch, stills):
    """Wan 2.2 I2V-A14B's transformers embed no image (its config's image_dim is None): the last still
    goes into the latents alone, both stages run; the pipelines with no end frame say so."""
    from diffusers import WanImageToVideoPipeline
    from tiny_pipes import wan22_dir

    from vidiff.generate.backends.cogvideox import CogVideoX
    from vidiff.generate.backends.hunyuan import HunyuanVideo

    seen = _spy_last_images(monkeypatch, WanImageToVideoPipeline)
    args = ["--image", str(stills / "red.png"), "--last-image", str(stills / "blue.png"), *TINY_GENERATE]
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", wan22_dir(tmp_path / "w", "i2v"), *args)
    assert rc == 0, rep
    assert rep["variant"] == "Wan 2.2 A14B" and len(seen) == 1 and seen[0].mean(dim=(0, 2, 3))[2] > 0.95
    for b in (
        HunyuanVideo("HunyuanVideo15ImageToVideoPipeline", "w"),
        CogVideoX("CogVideoXImageToVideoPipeline", "w"),
    ):
        assert b.end_frame_refusal() == f"diffusers' {b.kind} takes no end frame"
