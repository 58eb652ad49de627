"""LTX-2's sound guidance (`--audio-guidance`, `vidiff.generate.model_audio.audio_guidance`): what reaches
diffusers' LTX2Pipeline call as `audio_guidance_scale` at each door, with a tiny random LTX-2 pipeline
(tests/tiny_ltx2.py, nothing downloaded). No real weights were run."""

from __future__ import annotations

import pytest
from tiny_ltx2 import ltx2_dir
from tiny_pipes import TINY_GENERATE, generate_json, one_line_refusal, wan_dir

pytest.importorskip("transformers")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--fps", "24"]
FAST += ["--prompt", "a cat", "--keyframe-size", "32x64", "--seconds", "0.2"]


class Seen(Exception):
    """Raised by the spy once the call's arguments are read (the sampler need not run again)."""


@pytest.fixture(scope="module")
def ltx2(tmp_path_factory):
    return ltx2_dir(tmp_path_factory.mktemp("ltx2") / "t2v")


def _scales(monkeypatch, stop: bool) -> list:
    """(guidance_scale, audio_guidance_scale) of each LTX2Pipeline call; `stop`: raise `Seen` after."""
    from diffusers import LTX2Pipeline

    seen: list = []
    real = LTX2Pipeline.__call__

    def spy(self, *args, **kwargs):
        seen.append((kwargs["guidance_scale"], kwargs.get("audio_guidance_scale")))
        if stop:
            raise Seen
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LTX2Pipeline, "__call__", spy)
    return seen


def test_a_guidance_given_alone_guides_the_sound_too(tmp_path, capsys, monkeypatch, ltx2):
    """--guidance 1 (a distilled model's: no CFG pass) was run with the sound at diffusers' 7.0, so CFG
    ran anyway; now it guides both. The call runs with it and the report says it."""
    seen = _scales(monkeypatch, stop=False)
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", ltx2, *FAST, "--guidance", "1")
    assert rc == 0, rep
    assert seen == [(1.0, 1.0)] and (rep["guidance"], rep["audio_guidance"]) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("args", "scales"),
    [
        ([], (3.0, 7.0)),
        (["--guidance", "4"], (4.0, 4.0)),
        (["--guidance", "1", "--audio-guidance", "5"], (1.0, 5.0)),
    ],
)
def test_the_sounds_guidance_by_default_and_given(tmp_path, capsys, monkeypatch, ltx2, args, scales):
    """Neither given: the model's pair (3.0, 7.0); --audio-guidance sets the sound's alone."""
    seen = _scales(monkeypatch, stop=True)
    with pytest.raises(Seen):
        generate_json(capsys, tmp_path / "a.mp4", ltx2, *FAST, *args)
    assert seen == [scales]


def test_the_api_and_the_recipe_take_it(tmp_path, monkeypatch, ltx2):
    """make_clip(audio_guidance=) and the recipe key generate.audio_guidance reach the call."""
    from vidiff.generate import make_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    seen = _scales(monkeypatch, stop=True)
    with pytest.raises(Seen):
        make_clip(tmp_path / "a.mp4", weights=str(ltx2), prompt="a cat", audio_guidance=2.5, progress=False)
    recipe = load_recipe("social_clip").with_overrides(
        [f"generate.weights={ltx2}", "generate.prompt=a cat", "generate.audio_guidance=6"]
    )
    with pytest.raises(Seen):
        run_recipe(recipe, None, str(tmp_path / "r.mp4"), progress=False)
    assert [a for _, a in seen] == [2.5, 6]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--audio-guidance", "0"], "audio_guidance must be above 0 and at most 30, not 0"),
        (["--audio-guidance", "31"], "audio_guidance must be above 0 and at most 30, not 31"),
        (["--audio-guidance", "nan"], "audio_guidance must be above 0 and at most 30, not nan"),
        (["--audio-guidance", "inf"], "audio_guidance must be above 0 and at most 30, not inf"),
        (["--audio-guidance", "1e400"], "audio_guidance must be above 0 and at most 30, not inf"),
        (["--audio-guidance", "loud"], "argument --audio-guidance: invalid float value: 'loud'"),
    ],
)
def test_out_of_range_is_one_line(tmp_path, capsys, ltx2, args, line):
    if "loud" in args:  # argparse's own refusal: exit 2, one line (vidiff's parser words it)
        from vidiff.cli import main

        with pytest.raises(SystemExit) as e:
            main(["generate", "-o", str(tmp_path / "a.mp4"), "--weights", str(ltx2), *FAST, *args])
        err = capsys.readouterr().err.strip()
        assert e.value.code == 2 and line in err and "\n" not in err
        return
    assert line in one_line_refusal(capsys, tmp_path / "a.mp4", ltx2, *FAST, *args)


NOT_A_NUMBER = "audio_guidance {!r}: must be a number"
OUT_OF_RANGE = "audio_guidance must be above 0 and at most 30, not {}"


@pytest.mark.parametrize(
    ("door", "value", "line"),
    [
        ("recipe", ".nan", OUT_OF_RANGE.format("nan")),
        ("recipe", ".inf", OUT_OF_RANGE.format("inf")),
        ("recipe", "loud", "generate.audio_guidance = 'loud' has the wrong type"),
        ("recipe", "true", "generate.audio_guidance = True has the wrong type"),
        ("api", float("nan"), OUT_OF_RANGE.format("nan")),
        ("api", float("inf"), OUT_OF_RANGE.format("inf")),
        ("api", "7", NOT_A_NUMBER.format("7")),
        ("api", True, "audio_guidance True: must be a number"),
        ("social", float("nan"), OUT_OF_RANGE.format("nan")),
        ("social", "loud", NOT_A_NUMBER.format("loud")),
    ],
)
def test_nan_inf_and_words_are_one_line_at_every_door(tmp_path, monkeypatch, ltx2, door, value, line):
    """The recipe override, make_clip and the Social tab's field (the CLI's: above): one VidiffError line
    each, before the weights load."""
    from vidiff.errors import VidiffError
    from vidiff.generate import make_clip
    from vidiff.generate.backends.base import Backend
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("the weights loaded"))
    if door == "social":
        pytest.importorskip("gradio")
        from social_fields import SOCIAL_UNTOUCHED

        from vidiff.ui import social
        from vidiff.ui.core import App

        page = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=24, loop=False)
        page |= dict(music=None, prompt="a cat", negative="", weights=str(ltx2), backend="auto", seed=0)
        settings = SOCIAL_UNTOUCHED | dict(keyframe_size="32x64", audio_guidance=value)
        run = social._run_social(App(tmp_path / "work"))
        outs = list(run(None, None, *page.values(), *settings.values(), None, lambda *a, **k: None))
        assert line in outs[-1][0] and "\n" not in outs[-1][0], outs[-1]
        return
    with pytest.raises(VidiffError) as e:
        if door == "api":
            make_clip(
                tmp_path / "a.mp4", weights=str(ltx2), prompt="a cat", audio_guidance=value, progress=False
            )
        else:
            overrides = [
                f"generate.weights={ltx2}",
                "generate.prompt=a cat",
                f"generate.audio_guidance={value}",
            ]
            run_recipe(load_recipe("social_clip").with_overrides(overrides), None, str(tmp_path / "r.mp4"))
    assert line in str(e.value) and "\n" not in str(e.value)


def test_a_model_without_sound_refuses_it(tmp_path, capsys):
    """Wan makes no sound: --audio-guidance would be ignored, so it is one line; without a model too."""
    wan = wan_dir(tmp_path / "wan")
    err = one_line_refusal(capsys, tmp_path / "a.mp4", wan, *TINY_GENERATE, "--audio-guidance", "5")
    assert "audio_guidance guides the sound LTX-2 makes; this WanPipeline makes none" in err


def test_no_audio_for_a_model_without_sound_is_refused_at_every_door(tmp_path, capsys):
    """Wan makes no sound: --no-audio (the recipe's generate.no_audio and encode.audio=drop, make_clip's
    no_audio) would be ignored, so it is one line before the model loads."""
    from vidiff.errors import ConfigError
    from vidiff.generate.clip import make_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    wan = wan_dir(tmp_path / "wan")
    err = one_line_refusal(capsys, tmp_path / "a.mp4", wan, *TINY_GENERATE, "--no-audio")
    assert "no_audio (a recipe's encode.audio=drop) leaves out the sound a model makes" in err
    assert err.endswith("this WanPipeline makes none")
    with pytest.raises(ConfigError, match="this WanPipeline makes none"):
        make_clip(tmp_path / "b.mp4", prompt="a cat", weights=wan, no_audio=True, progress=False)
    for key in ("generate.no_audio=true", "encode.audio=drop"):
        overrides = [f"generate.weights={wan}", "generate.prompt=a cat", key]
        with pytest.raises(ConfigError, match="this WanPipeline makes none"):
            run_recipe(load_recipe("social_clip").with_overrides(overrides), None, str(tmp_path / "r.mp4"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wan"]
