"""Wan VACE (`WanVACEPipeline`, `vidiff.generate.backends.wan_vace`) with a tiny random pipeline
(tests/tiny_pipes.py): the frames it keeps and the mask reach diffusers' `preprocess_conditions` as ComfyUI's
extend-video workflow gives them (kept frames first, mask 0; made frames mid gray, mask 1): a clip's last
frames, a still as the first frame, a still as the last, nothing from a prompt alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_continue_clip import _as_frames, _cut, _frames
from tiny_pipes import TINY_RECIPE, generate_json, wan_vace_dir

from vidiff.generate.social import reframe

pytest.importorskip("transformers")
pytest.importorskip("ftfy")  # diffusers' VACE prompt cleaning calls it

N_CLIP = 24  # 0.77 s at 30 fps: 9 frames at 16 fps held
TINY = ["--steps", "1", "--keyframe-size", "32x32", "--interpolate", "dis", "--preset", "ultrafast"]
TINY += ["--prompt", "a cat", "--quiet"]


@pytest.fixture(scope="module")
def vace(tmp_path_factory) -> Path:
    return wan_vace_dir(tmp_path_factory.mktemp("vace") / "w")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return _cut(tmp_path_factory.mktemp("clip") / "cut.mp4", n=N_CLIP, tone=False)


def _spy(monkeypatch) -> list[tuple]:
    """Each call's (video, mask) as `preprocess_conditions` gives them back: (1, 3, F, H, W) in [-1, 1] and
    (1, 3, F, H, W) in [0, 1]; (None, None) where the call had no video."""
    from diffusers import WanVACEPipeline

    calls: list[tuple] = []
    real = WanVACEPipeline.preprocess_conditions

    def spy(self, video, mask, *args, **kwargs):
        out = real(self, video, mask, *args, **kwargs)
        calls.append((None, None) if video is None else (out[0], out[1]))
        return out

    monkeypatch.setattr(WanVACEPipeline, "preprocess_conditions", spy)
    return calls


def _kept(mask) -> list[int]:
    """The mask per frame: 0 kept, 1 made (the same over the frame)."""
    m = mask[0].float()
    assert bool((m == m[:, :, :1, :1]).all())  # one value a frame
    return [round(float(v)) for v in m[0, :, 0, 0]]


def _near(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and float(np.abs(a.astype(int) - b.astype(int)).mean()) < 2.0  # 8-bit rounding


def test_a_clips_last_frames_are_kept_and_the_rest_made(tmp_path, capsys, monkeypatch, vace, clip):
    """17 frames a window at Wan's 16 fps: the clip's last 9 (4k+1, the frames nearest 16 fps times, 1.875
    clip frames apart, ending on its last) kept, mask 0; 8 mid-gray frames made, mask 1. --extend 1 s (16
    keyframes) needs a second window, which keeps the first window's last 9 frames the same way (the
    continuation's motion carried on, `keyframes.carried`)."""
    from test_window_carry import _each_its_own, _windows

    calls = _spy(monkeypatch)
    windows = _windows(monkeypatch)
    out = tmp_path / "o.mp4"
    rc, rep = generate_json(capsys, out, vace, "--clip", str(clip), *TINY, "--frames", "17", "--extend", "1")
    assert rc == 0, rep
    assert (rep["pipeline"], rep["conditioning"], rep["conditioning_frames"]) == (
        "WanVACEPipeline",
        "video",
        9,
    )
    assert (rep["windows"], rep["keyframes_made"], rep["frames_kept"]) == (2, 16, N_CLIP)
    assert (rep["size"], rep["fps"]) == ([176, 144], 30)
    (video, mask), (video2, mask2) = calls
    assert _kept(mask) == [0] * 9 + [1] * 8
    got = _as_frames(video)
    src = _frames(clip)
    picks = [N_CLIP - 1 - round((8 - j) * 1.875) for j in range(9)]
    assert picks[-1] == N_CLIP - 1
    for g, i in zip(got[:9], picks, strict=True):
        assert _near(g, reframe(src[i], (32, 32)))
    assert np.abs(got[9:].astype(int) - 128).max() <= 1  # to be made: mid gray
    assert _kept(mask2) == [0] * 9 + [1] * 8  # a later window: the 9 before it kept
    _each_its_own(_as_frames(video2)[:9], windows[0], 9)
    assert rep["window_joins"][0]["frames_carried"] == 9
    made = _frames(out)
    assert len(made) == rep["frames"] == N_CLIP + rep["frames_made"]


def test_a_still_is_the_first_frame_and_a_last_still_the_last(tmp_path, capsys, monkeypatch, vace, clip):
    """--image: the still is frame 0, kept (not a `reference_images` subject); with --last-image the last
    frame is kept too (diffusers' first-last-frame example)."""
    from PIL import Image

    first, last = _frames(clip)[0], _frames(clip)[-1]
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(first).save(a)
    Image.fromarray(last).save(b)
    calls = _spy(monkeypatch)
    args = [*TINY, "--aspect", "1:1", "--fps", "24", "--seconds", "0.5", "--image", str(a)]
    rc, rep = generate_json(capsys, tmp_path / "i.mp4", vace, *args)
    assert rc == 0, rep
    rc, rep2 = generate_json(capsys, tmp_path / "l.mp4", vace, *args, "--last-image", str(b))
    assert rc == 0, rep2
    (v1, m1), (v2, m2) = calls
    n = _kept(m1)
    assert n[0] == 0 and set(n[1:]) == {1} and len(n) == rep["window_frames"]
    assert _near(_as_frames(v1)[0], reframe(first, (32, 32)))
    k = _kept(m2)
    assert k[0] == 0 and k[-1] == 0 and set(k[1:-1]) == {1}
    assert _near(_as_frames(v2)[-1], reframe(last, (32, 32)))


def test_a_prompt_alone_makes_every_frame(tmp_path, capsys, monkeypatch, vace):
    """Text to video: no video and no mask reach the pipeline (diffusers then makes every frame)."""
    calls = _spy(monkeypatch)
    rc, rep = generate_json(capsys, tmp_path / "t.mp4", vace, *TINY, "--aspect", "1:1", "--seconds", "0.3")
    assert rc == 0, rep
    assert rep["pipeline"] == "WanVACEPipeline" and rep["source"] == "prompt" and rep["variant"] == "Wan 2.1"
    assert calls == [(None, None)]


def _spy_references(monkeypatch) -> list[list]:
    """Each call's reference stills as `preprocess_conditions` gives them back: (3, H, W) canvases in
    [-1, 1] (the still fitted, whole, on white)."""
    from diffusers import WanVACEPipeline

    seen: list[list] = []
    real = WanVACEPipeline.preprocess_conditions

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        seen.append(out[2][0])
        return out

    monkeypatch.setattr(WanVACEPipeline, "preprocess_conditions", spy)
    return seen


def _red_on_white(canvas) -> bool:
    """A 2:1 red still fitted on a square white canvas: white above and below, red in the middle."""
    x = canvas.float()
    h = x.shape[1]
    return bool(
        (x[:, : h // 4 - 1] > 0.99).all()
        and (x[:, h // 2] - x.new_tensor([1, -1, -1])[:, None]).abs().max() < 0.05
    )


@pytest.fixture()
def red(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "red.png"
    Image.new("RGB", (64, 32), (255, 0, 0)).save(path)
    return path


def test_a_reference_image_is_kept_in_every_window(tmp_path, capsys, monkeypatch, vace, red):
    """--reference-image is VACE's `reference_images` in each window (two here: the second also keeps
    the first's last 9 frames), fitted whole on white by diffusers, not a frame: the keyframe count is
    what --seconds asks; the report names it."""
    seen = _spy_references(monkeypatch)
    args = [*TINY, "--aspect", "1:1", "--fps", "24", "--seconds", "1.5", "--frames", "17"]
    rc, rep = generate_json(capsys, tmp_path / "r.mp4", vace, *args, "--reference-image", str(red))
    assert rc == 0, rep
    assert (rep["windows"], rep["keyframes"], rep["reference_image"]) == (2, 24, str(red))
    assert [len(refs) for refs in seen] == [1, 1] and all(_red_on_white(refs[0]) for refs in seen)
    assert len(_frames(tmp_path / "r.mp4")) == rep["frames"] == 36


def test_the_recipe_and_the_social_tab_send_the_reference_image(tmp_path, monkeypatch, vace, red):
    """generate.reference_image and the Social tab's last field reach the pipeline as the CLI's."""
    pytest.importorskip("gradio")
    from social_fields import SOCIAL_UNTOUCHED

    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe
    from vidiff.ui import social
    from vidiff.ui.core import App

    seen = _spy_references(monkeypatch)
    recipe = load_recipe("social_clip").with_overrides(
        [f"generate.reference_image={red}", f"generate.weights={vace}", "generate.prompt=a cat"] + TINY_RECIPE
    )
    report = run_recipe(recipe, None, str(tmp_path / "r.mp4"), progress=False)
    assert report["reference_image"] == str(red)
    page = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.3, extend=None, fps=24, loop=False)
    page |= dict(music=None, prompt="a cat", negative="", weights=str(vace), backend="auto", seed=0)
    settings = SOCIAL_UNTOUCHED | dict(steps=1, keyframe_size="32x32")
    app = App(tmp_path / "work")
    up = app.workdir / "red.png"
    up.write_bytes(red.read_bytes())
    outs = list(
        social._run_social(app)(
            None,
            None,
            *page.values(),
            *{**settings, "reference_image": str(up)}.values(),
            None,
            lambda *a, **k: None,
        )
    )
    assert outs[-1][0].startswith("Done") and "reference image" in outs[-1][3], outs[-1]
    assert len(seen) == 2 and all(_red_on_white(refs[0]) for refs in seen)


def test_a_reference_image_is_refused_in_one_line_where_it_does_not_apply(tmp_path, capsys, monkeypatch, red):
    """Weights whose pipeline takes none (LTX-Video), before they load; no model; a folder as the still;
    through the API too."""
    import diffusers
    from tiny_pipes import ltx_dir, one_line_refusal

    from vidiff.cli import main
    from vidiff.errors import ConfigError, VidiffError
    from vidiff.generate import make_clip

    ltx = ltx_dir(tmp_path / "ltx")

    def no_load(*a, **k):
        raise AssertionError("loaded")

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained", no_load)
    args = [*TINY, "--aspect", "1:1", "--seconds", "0.3", "--reference-image"]
    err = one_line_refusal(capsys, tmp_path / "a.mp4", ltx, *args, str(red))
    assert "reference_image: these LTXPipeline weights take no reference image" in err, err
    assert "no such file" in one_line_refusal(
        capsys, tmp_path / "a.mp4", ltx, *args, str(tmp_path / "none.png")
    )
    rc = main(
        [
            "generate",
            "-o",
            str(tmp_path / "b.mp4"),
            "--image",
            str(red),
            "--reference-image",
            str(red),
            "--quiet",
        ]
    )
    assert rc == 2 and "reference_image applies to a video diffusion model" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="take no reference image"):
        make_clip(
            tmp_path / "c.mp4", prompt="a cat", weights=str(ltx), reference_image=str(red), progress=False
        )
    with pytest.raises(VidiffError, match="is a folder, not an image file"):
        make_clip(
            tmp_path / "c.mp4",
            prompt="a cat",
            weights=str(ltx),
            reference_image=str(tmp_path),
            progress=False,
        )
    assert not any((tmp_path / n).exists() for n in ("a.mp4", "b.mp4", "c.mp4"))
