"""HunyuanVideo 1.5 through the hunyuanvideo backend: rules from the weights' configs, one line per refusal.

Tiny random HunyuanVideo 1.5 pipelines (tests/tiny_hunyuan.py, nothing downloaded): text to video and
image to video, a VAE with the real one's 16x space and 4x time compression and a transformer whose
`target_size` is 64. No real weights were run.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from tiny_hunyuan import hv10_dir, hv15_dir
from tiny_pipes import generate_json

from vidiff.generate.backends import resolve
from vidiff.generate.backends.hunyuan import HunyuanVideo, bucket
from vidiff.generate.keyframes import plan

pytest.importorskip("transformers")

FAST = ["--steps", "1", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--fps", "24"]
FAST += ["--seconds", "0.3", "--prompt", "a cat"]


@pytest.fixture(scope="module")
def hv(tmp_path_factory):
    root = tmp_path_factory.mktemp("hv15")
    still = root / "still.png"
    cv2.imwrite(str(still), np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8))
    return {"t2v": hv15_dir(root / "t2v"), "i2v": hv15_dir(root / "i2v", "i2v", guidance=4.5), "still": still}


def _generate(capsys, out, weights, *args) -> tuple[int, dict | str]:
    return generate_json(capsys, out, weights, *FAST, *args)


def test_rules_come_from_the_configs(hv):
    """4k+1 frames (the VAE's temporal factor), sides in 16s (its spatial factor x the patch), the
    default size diffusers' own bucket of the transformer's target_size, the guider's guidance."""
    b = resolve("auto", str(hv["t2v"]))
    assert (b.name, b.frame_step, b.multiple, b.target_size, b.guidance) == ("hunyuanvideo", 4, 16, 64, 6.0)
    assert (b.fps, b.window, b.max_frames, b.steps) == (24, 121, 241, 50)
    assert b.window_frames(241) == 241 and plan(b, 8.0, None, 193).windows == 1  # 8 s in one window
    assert b.size(16 / 9) == (80, 48) and b.size(9 / 16) == (48, 80) and b.size(1.0) == (64, 64)
    assert not b.can_condition_on_image
    i2v = resolve("auto", str(hv["i2v"]))
    assert i2v.guidance == 4.5 and i2v.is_image_to_video
    # the released weights' target_size (diffusers' conversion script: 640 for 480p, 960 for 720p)
    assert (bucket(640, 16, 16 / 9), bucket(960, 16, 9 / 16)) == ((848, 480), (720, 1264))
    assert HunyuanVideo("HunyuanVideo15Pipeline", "w").size(16 / 9) == (848, 480)  # no config at hand


def test_text_to_video_same_seed_same_bytes(tmp_path, capsys, hv):
    runs = {}
    for name, args in {"a": [], "b": [], "seed": ["--seed", "3"], "g": ["--guidance", "1"]}.items():
        rc, rep = _generate(capsys, tmp_path / f"{name}.mp4", hv["t2v"], "--aspect", "9:16", *args)
        assert rc == 0, rep
        runs[name] = (tmp_path / f"{name}.mp4").read_bytes()
    assert (rep["backend"], rep["pipeline"]) == ("hunyuanvideo", "HunyuanVideo15Pipeline")
    assert rep["keyframe_fps"] == 24
    assert rep["keyframe_size"] == [48, 80] and rep["window_frames"] == 9 and rep["guidance"] == 1
    assert runs["a"] == runs["b"] and runs["seed"] != runs["a"] and runs["g"] != runs["a"]


def test_shift_sets_the_schedulers_shift(tmp_path, capsys, hv):
    out = {}
    for name, args in {"own": [], "same": ["--shift", "5"], "other": ["--shift", "1.5"]}.items():
        # 2 steps: one runs from sigma 1 to 0, which no shift changes
        assert _generate(capsys, tmp_path / f"{name}.mp4", hv["t2v"], *args, "--steps", "2")[0] == 0
        out[name] = (tmp_path / f"{name}.mp4").read_bytes()
    assert out["same"] == out["own"] and out["other"] != out["own"]


def test_image_to_video_makes_the_bucket_of_the_aspect_from_the_still(tmp_path, capsys, hv):
    """The pipeline sizes itself from the image: vidiff reframes the still to that bucket first."""
    still = str(hv["still"])
    rc, rep = _generate(capsys, tmp_path / "a.mp4", hv["i2v"], "--image", still, "--aspect", "16:9")
    assert rc == 0, rep
    assert (rep["keyframe_size"], rep["guidance"], rep["source"]) == ([80, 48], 4.5, "image")
    assert _generate(capsys, tmp_path / "b.mp4", hv["i2v"], "--image", still, "--aspect", "16:9")[0] == 0
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    rc, rep = _generate(capsys, tmp_path / "c.mp4", hv["i2v"], "--image", still, "--keyframe-size", "64x64")
    assert rc == 0 and rep["keyframe_size"] == [64, 64], rep


def test_step_distilled_weights_take_8_steps_by_default(tmp_path, capsys, hv):
    """A transformer with use_meanflow (480p_i2v_step_distilled): the model card's 8 steps, not 50."""
    distilled = hv15_dir(tmp_path / "d", "i2v", guidance=1.0, meanflow=True)
    b = resolve("auto", str(distilled))
    assert (b.steps, b.guidance) == (8, 1.0) and resolve("auto", str(hv["i2v"])).steps == 50
    rc, rep = _generate(capsys, tmp_path / "d.mp4", distilled, "--image", str(hv["still"]))
    assert rc == 0 and rep["steps"] == 1, rep  # --steps as given


@pytest.mark.parametrize(
    ("kind", "args", "message"),
    [
        (
            "t2v",
            ["--image", "STILL"],
            "make a clip from a prompt only; for an image use weights that start from a frame",
        ),
        ("t2v", ["--seconds", "8"], "cannot start a window from a frame"),
        ("t2v", ["--keyframe-size", "40x40"], "hunyuanvideo needs sides in multiples of 16"),
        ("t2v", ["--frames", "10"], "hunyuanvideo takes 4k+1 frames, from 5 to 241"),
        ("t2v", ["--frames", "245"], "hunyuanvideo takes 4k+1 frames, from 5 to 241"),
        ("t2v", ["--lora", "x.safetensors"], "the HunyuanVideo15Pipeline takes no LoRA"),
        ("t2v", ["--transformer", "TFILE"], "cannot read a HunyuanVideo15Transformer3DModel from a"),
        ("t2v", ["--vae", "VFILE"], "vae: diffusers cannot read a AutoencoderKLHunyuanVideo15 from a"),
        ("t2v", ["--guidance-2", "3"], "this HunyuanVideo15Pipeline has one transformer"),
        ("t2v", ["--backend", "wan"], "holds a HunyuanVideo15Pipeline (hunyuanvideo), not backend wan"),
        ("i2v", [], "animates a still: give an image"),
        ("i2v", ["--image", "STILL", "--keyframe-size", "48x32"], "its own size from the image's aspect"),
    ],
)
def test_refusals_are_one_line_before_loading(tmp_path, capsys, monkeypatch, hv, kind, args, message):
    from vidiff.generate.backends.base import Backend

    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("loaded the model"))
    files = {"STILL": hv["still"], "TFILE": hv["t2v"] / "transformer" / "diffusion_pytorch_model.safetensors"}
    files["VFILE"] = hv["t2v"] / "vae" / "diffusion_pytorch_model.safetensors"
    args = [str(files.get(a, a)) for a in args]
    rc, err = _generate(capsys, tmp_path / "o.mp4", hv[kind], *args)
    assert rc == 2 and err.startswith("vidiff: error: ") and message in err and "\n" not in err, err
    assert not (tmp_path / "o.mp4").exists()


@pytest.fixture(scope="module")
def hv10(tmp_path_factory):
    return hv10_dir(tmp_path_factory.mktemp("hv10") / "hv")


def _tiny_lora(weights, out):
    """A random rank-2 LoRA (peft) on the attention of the HunyuanVideo 1.0 transformer in `weights`,
    saved by the pipeline's `save_lora_weights` as diffusers' LoRA trainers write them."""
    import torch
    from diffusers import HunyuanVideoPipeline, HunyuanVideoTransformer3DModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    transformer = HunyuanVideoTransformer3DModel.from_pretrained(weights, subfolder="transformer")
    torch.manual_seed(0)
    transformer.add_adapter(LoraConfig(r=2, lora_alpha=2, init_lora_weights=False, target_modules=["to_q"]))
    layers = {k: v * 20 for k, v in get_peft_model_state_dict(transformer).items()}
    HunyuanVideoPipeline.save_lora_weights(out.parent, transformer_lora_layers=layers, weight_name=out.name)
    return out


def test_hunyuanvideo_10_rules_bytes_transformer_file_and_lora(tmp_path, capsys, hv10):
    """1.0: sides in 16s (8x VAE x 2x2 patches), 129 frames and 1280x720 native, guidance 6.0 embedded;
    same seed same bytes; its transformer read from a file gives the same bytes; a LoRA changes them."""
    b = resolve("auto", str(hv10))
    assert (b.name, b.multiple, b.frame_step, b.window, b.fps, b.guidance) == (
        "hunyuanvideo",
        16,
        4,
        129,
        24,
        6.0,
    )
    assert b.size(16 / 9) == (1280, 720) and not b.can_condition_on_image
    size = ["--aspect", "1:1", "--keyframe-size", "32x32"]
    own_file = hv10 / "transformer" / "diffusion_pytorch_model.safetensors"
    runs = {}
    for name, args in {
        "a": [],
        "b": [],
        "seed": ["--seed", "3"],
        "file": ["--transformer", str(own_file)],
        "lora": ["--lora", str(_tiny_lora(hv10, tmp_path / "lora.safetensors"))],
    }.items():
        rc, rep = _generate(capsys, tmp_path / f"{name}.mp4", hv10, *size, *args)
        assert rc == 0, rep
        runs[name] = (tmp_path / f"{name}.mp4").read_bytes()
    assert rep["pipeline"] == "HunyuanVideoPipeline" and rep["guidance"] == 6.0
    assert runs["a"] == runs["b"] == runs["file"]
    assert runs["seed"] != runs["a"] and runs["lora"] != runs["a"]


def test_hunyuanvideo_10_refuses_a_negative_prompt_it_would_ignore(tmp_path, capsys, monkeypatch, hv10):
    from vidiff.generate.backends.base import Backend

    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("loaded the model"))
    rc, err = _generate(capsys, tmp_path / "o.mp4", hv10, "--negative-prompt", "blurry")
    assert rc == 2 and "no negative pass: leave negative_prompt out" in err and "\n" not in err, err
    assert not (tmp_path / "o.mp4").exists()
