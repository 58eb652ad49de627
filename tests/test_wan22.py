"""Wan 2.2 through the Wan backend: its rules read from the weights' configs, never from names.

Tiny random Wan 2.2-shaped pipelines (tests/tiny_pipes.py `wan22_dir`, nothing downloaded): a TI2V-5B-like
WanPipeline (`expand_timesteps`, a z_dim-48 VAE that compresses space 16x) and A14B-like text-to-video and
image-to-video pipelines (`transformer` + `transformer_2`, a `boundary_ratio`). No real weights were run.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from tiny_pipes import wan22_dir, wan_dir

from vidiff.cli import main
from vidiff.generate.backends import resolve
from vidiff.generate.backends.wan_rules import wan_rules
from vidiff.generate.keyframes import plan

pytest.importorskip("transformers")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--aspect", "1:1"]


@pytest.fixture(scope="module")
def w22(tmp_path_factory):
    root = tmp_path_factory.mktemp("wan22")
    return {k: wan22_dir(root / k, k) for k in ("ti2v", "t2v", "i2v")} | {"2.1": wan_dir(root / "w21")}


def _generate(capsys, out, *args) -> tuple[int, dict | str]:
    rc = main(["generate", "-o", str(out), "--prompt", "a cat", *args, *FAST, "--json"])
    cap = capsys.readouterr()
    return rc, json.loads(cap.out) if rc == 0 else cap.err.strip()


def test_each_wans_rules_come_from_its_configs(w22):
    """Rate, window, side multiple (VAE factor x patch), native size, two stages, a frame to start from."""
    got = {}
    for k, folder in w22.items():
        b = resolve("auto", str(folder))
        got[k] = (b.rules.variant.name, b.fps, b.window, b.multiple, b.frame_step, b.can_condition_on_image)
    assert got == {
        "ti2v": ("Wan 2.2 TI2V-5B", 24, 121, 32, 4, True),  # its WanPipeline takes a frame (from_pipe)
        "t2v": ("Wan 2.2 A14B", 16, 81, 16, 4, False),
        "i2v": ("Wan 2.2 A14B", 16, 81, 16, 4, True),
        "2.1": ("Wan 2.1", 16, 81, 16, 4, False),
    }
    assert resolve("auto", str(w22["t2v"])).rules.boundary_ratio == 0.875
    ti2v = resolve("auto", str(w22["ti2v"]))
    assert (ti2v.size(16 / 9), ti2v.size(9 / 16)) == ((1280, 704), (704, 1280))  # its native area
    assert plan(ti2v, 5.0, None, None).window == 121  # 5 s at 24 fps in one window
    # the real TI2V-5B's configs, as its config files state them: 16x VAE, 2x2 patches
    rules = wan_rules(
        {"_class_name": "WanPipeline", "expand_timesteps": True},
        {"z_dim": 48, "scale_factor_spatial": 16, "scale_factor_temporal": 4},
        {"patch_size": [1, 2, 2]},
    )
    assert (rules.multiple, rules.variant.fps, rules.expand_timesteps) == (32, Fraction(24), True)


def test_ti2v_clip_at_24_fps_in_32_multiples_same_seed_same_bytes(tmp_path, capsys, w22):
    args = ["--weights", str(w22["ti2v"]), "--seconds", "0.3", "--keyframe-size", "64x32", "--seed", "3"]
    args += ["--fps", "24"]
    rc, rep = _generate(capsys, tmp_path / "a.mp4", *args)
    assert rc == 0, rep
    assert (rep["variant"], rep["keyframes"], rep["keyframe_fps"], rep["window_frames"]) == (
        "Wan 2.2 TI2V-5B", 7, 24.0, 9,
    )  # fmt: skip
    assert _generate(capsys, tmp_path / "b.mp4", *args)[0] == 0
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_ti2v_starts_windows_from_a_frame_through_the_image_pipeline(tmp_path, capsys, w22):
    """TI2V's text-to-video weights animate a still and chain windows (WanImageToVideoPipeline on the
    same parts); the keyframes are the size asked for (diffusers would shrink a size off its rule)."""
    still = tmp_path / "still.png"
    import cv2

    cv2.imwrite(str(still), np.full((40, 40, 3), 120, np.uint8))
    args = ["--weights", str(w22["ti2v"]), "--seconds", "0.5", "--keyframe-size", "32x64", "--frames", "5"]
    rc, rep = _generate(capsys, tmp_path / "a.mp4", *args, "--image", str(still))
    assert rc == 0, rep
    assert (rep["source"], rep["windows"], rep["keyframes"]) == ("image", 3, 12)
    assert rep["keyframe_size"] == [32, 64]


@pytest.mark.parametrize(
    ("kind", "args", "message"),
    [
        ("ti2v", ["--keyframe-size", "48x48"], "keyframe_size 48x48: wan needs sides in multiples of 32"),
        ("ti2v", ["--frames", "10"], "frames 10: wan takes 4k+1 frames, from 5 to 121"),
        ("ti2v", ["--keyframe-fps", "30"], "keyframe_fps 30: wan makes 24 frames per second"),
        ("t2v", ["--frames", "5", "--keyframe-size", "32x32"], "cannot start a window from a frame"),
        ("i2v", ["--keyframe-size", "32x32"], "animates a still: give an image"),
    ],
)
def test_wan22_refusals_are_one_line_before_loading(tmp_path, capsys, monkeypatch, w22, kind, args, message):
    from vidiff.generate.backends.base import Backend

    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("loaded the model"))
    rc, err = _generate(capsys, tmp_path / "o.mp4", "--weights", str(w22[kind]), "--seconds", "0.5", *args)
    assert rc == 2 and err.startswith("vidiff: error: ") and message in err and "\n" not in err, err
    assert not (tmp_path / "o.mp4").exists()


def _counting(module, calls: list, name: str) -> None:
    module.register_forward_hook(lambda *a: calls.append(name))


@pytest.mark.parametrize("kind", ["t2v", "i2v"])
def test_a14b_runs_both_transformers_by_its_boundary_same_seed_same_frames(w22, kind):
    """Both transformers load; the first steps (high noise) run `transformer`, the last `transformer_2`."""
    b = resolve("auto", str(w22[kind]))
    b.load("cpu", None, False, True)
    assert b.pipe.transformer_2 is not None and b.pipe.config.boundary_ratio == b.rules.boundary_ratio
    calls: list[str] = []
    _counting(b.pipe.transformer, calls, "high")
    _counting(b.pipe.transformer_2, calls, "low")
    still = np.full((32, 32, 3), 90, np.uint8) if kind == "i2v" else None
    made = [b.keyframes("a cat", still, None, 5, (32, 32), 2, 5.0, 7, b.fps) for _ in range(2)]
    # 2 steps, each a conditional and an unconditional pass: step 1 at t 1000, step 2 below the boundary
    assert calls == ["high", "high", "low", "low"] * 2
    assert len(made[0]) == 5 and made[0][0].shape == (32, 32, 3)
    assert all(np.array_equal(x, y) for x, y in zip(*made, strict=True))


def test_offload_covers_both_transformers(w22):
    """Model CPU offload hooks every part, `transformer_2` too (diffusers' offload order names it)."""
    b = resolve("auto", str(w22["t2v"]))
    b.load("cpu", None, False, True, offload=True)  # make_clip: cuda only; the hooks are the same
    hooked = {n: hasattr(m, "_hf_hook") for n, m in b.pipe.components.items() if hasattr(m, "parameters")}
    assert hooked == {"vae": True, "text_encoder": True, "transformer": True, "transformer_2": True}


def test_ti2v_from_a_still_without_ftfy_is_one_line_before_loading(tmp_path, capsys, monkeypatch, w22):
    """TI2V's text-to-video weights start from a frame through WanImageToVideoPipeline, whose prompt
    cleaning calls ftfy unguarded: with a still (or a second window) the missing package is named first."""
    import sys

    import cv2

    from vidiff.generate.backends.base import Backend

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((40, 40, 3), 120, np.uint8))
    monkeypatch.setitem(sys.modules, "ftfy", None)  # not installed
    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("loaded the model"))
    rc, err = _generate(capsys, tmp_path / "o.mp4", "--weights", str(w22["ti2v"]), "--image", str(still))
    assert rc == 2 and err == (
        "vidiff: error: the WanImageToVideoPipeline needs the ftfy package to read the prompt: pip install ftfy"
    )


def test_a14b_low_noise_guidance_at_every_door(tmp_path, capsys, w22):
    """--guidance-2 is the low-noise transformer's guidance (diffusers' guidance_scale_2): the same value
    as the guidance gives the same frames as none, another changes them; one transformer: refused."""
    args = ["--weights", str(w22["t2v"]), "--seconds", "0.3", "--keyframe-size", "32x32", "--fps", "24"]
    rc, rep = _generate(capsys, tmp_path / "a.mp4", *args, "--guidance", "4", "--guidance-2", "1.5")
    assert rc == 0 and (rep["guidance"], rep["guidance_2"]) == (4.0, 1.5), rep
    rc, err = _generate(capsys, tmp_path / "o.mp4", "--weights", str(w22["ti2v"]), "--guidance-2", "3")
    assert rc == 2 and err.startswith("vidiff: error: guidance_2 is the low-noise transformer's guidance"), (
        err
    )
    rc, err = _generate(capsys, tmp_path / "o.mp4", *args, "--guidance-2", "99")
    assert rc == 2 and err == "vidiff: error: guidance_2 must be between 0 and 30, not 99", err
    b = resolve("auto", str(w22["t2v"]))
    b.load("cpu", None, False, True)
    made = []
    for g2 in (None, 4.0, 30.0):  # 4 steps: t 1000 and 910 on the high-noise transformer, 717 and 24 low
        b.guidance_2 = g2
        made.append(np.stack(b.keyframes("a cat", None, None, 5, (32, 32), 4, 4.0, 3, b.fps)))
    assert np.array_equal(made[0], made[1]) and not np.array_equal(made[0], made[2])
    from vidiff.recipes import load_recipe
    from vidiff.ui.social_model import model_options

    overridden = load_recipe("social_clip").with_overrides(["generate.guidance_2=2"])
    assert overridden.stage("generate")["guidance_2"] == 2
    assert model_options(None, None, None, "", None, "cpu", "auto", False, False, "", guidance_2=2.0) == {
        "guidance_2": 2.0
    }
