"""LTX-2 through the ltx2 backend: rules from the weights' configs, its sound muxed into the clip in step
with the frames, one line per refusal.

Tiny random LTX-2 pipelines (tests/tiny_ltx2.py, nothing downloaded): a 2-layer Gemma 3 text encoder, a
video VAE that compresses space and time 4x, an audio VAE and vocoder that make 16 kHz stereo lasting the
frames' time. No real weights were run.
"""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from tiny_ltx2 import ltx2_dir
from tiny_pipes import generate_json

from vidiff.cli import main
from vidiff.generate.backends import resolve
from vidiff.generate.backends.ltx2 import LTX2, compression
from vidiff.generate.model_audio import join_windows, track

pytest.importorskip("transformers")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--fps", "24"]
FAST += ["--prompt", "a cat", "--keyframe-size", "32x64", "--guidance", "1"]


@pytest.fixture(scope="module")
def ltx2(tmp_path_factory):
    root = tmp_path_factory.mktemp("ltx2")
    still = root / "still.png"
    cv2.imwrite(str(still), np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8))
    return {"t2v": ltx2_dir(root / "t2v"), "still": still}


def _generate(capsys, out, weights, *args) -> tuple[int, dict | str]:
    return generate_json(capsys, out, weights, *FAST, *args)


def _streams(path) -> tuple[float, np.ndarray | None]:
    """The video's duration and the decoded audio (channels, samples at 48 kHz), None without a track."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        seconds = float(v.duration * v.time_base)
        if not c.streams.audio:
            return seconds, None
        return seconds, np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)


def test_rules_come_from_the_configs(ltx2):
    """Frame counts by the VAE's temporal compression (4 here: 4k+1), sides in multiples of 32 (diffusers'
    check; the tiny VAE's 4x is less), the call's defaults where no config says."""
    b = resolve("auto", str(ltx2["t2v"]))
    assert (b.name, b.frame_step, b.multiple, b.sample_rate) == ("ltx2", 4, 32, 16000)
    assert (b.fps, b.window, b.steps, b.guidance, b.rate_conditioned) == (24, 121, 30, 3.0, True)
    assert b.can_condition_on_image and not b.is_image_to_video
    assert compression({"spatial_compression_ratio": 32, "temporal_compression_ratio": 8}) == (32, 8)
    assert compression({"patch_size": 4, "patch_size_t": 1, "spatio_temporal_scaling": [1, 1, 0]}) == (16, 4)
    assert LTX2("LTX2Pipeline", "w").size(768 / 512) == (768, 512)  # no config at hand: the table


def test_sound_is_muxed_for_the_clips_length_same_seed_same_bytes(tmp_path, capsys, ltx2):
    runs = {}
    for name, args in {"a": [], "b": []}.items():
        rc, runs[name] = _generate(capsys, tmp_path / f"{name}.mp4", ltx2["t2v"], "--seconds", "0.5", *args)
        assert rc == 0, runs[name]
    a = runs["a"]
    assert (a["backend"], a["keyframes"], a["audio"], a["audio_sample_rate"]) == (
        "ltx2",
        12,
        "the model's",
        16000,
    )
    seconds, sound = _streams(tmp_path / "a.mp4")
    assert seconds == pytest.approx(0.5) and sound is not None
    assert sound.shape[1] / 48000 == pytest.approx(seconds, abs=0.03)  # AAC frames of 1024 samples
    assert np.sqrt(np.mean(sound**2)) > 1e-4  # the model's sound, not silence
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_no_audio_drops_the_models_sound(tmp_path, capsys, ltx2):
    rc, r = _generate(capsys, tmp_path / "q.mp4", ltx2["t2v"], "--seconds", "0.3", "--no-audio")
    assert rc == 0 and r["audio"] == "dropped (no_audio)" and _streams(tmp_path / "q.mp4")[1] is None


def test_windows_from_a_still_keep_the_sound_in_step(tmp_path, capsys, ltx2):
    """A still and 0.7 s in windows of 9 frames (the image-to-video sibling): the sound lasts the clip."""
    rc, r = _generate(
        capsys,
        tmp_path / "w.mp4",
        ltx2["t2v"],
        "--seconds",
        "0.7",
        "--frames",
        "9",
        "--image",
        str(ltx2["still"]),
    )
    assert rc == 0, r
    assert (r["windows"], r["keyframes"], r["audio_seconds"]) == (2, 17, round(17 / 24, 3))
    seconds, sound = _streams(tmp_path / "w.mp4")
    assert seconds == pytest.approx(17 / 24) and sound.shape[1] / 48000 == pytest.approx(seconds, abs=0.03)


def test_join_windows_cuts_each_later_windows_first_frame():
    """Windows of 3 frames at 4 fps, 8 samples a frame: the second window's first frame's time is cut."""
    chunks = [(np.full((2, 24), k, np.float32), 32) for k in range(2)]
    joined, rate = join_windows(chunks, Fraction(4), 3, 5)
    assert rate == 32 and joined.shape == (2, 40)
    assert (joined[:, :24] == 0).all() and (joined[:, 24:] == 1).all()
    t = track(np.ones((1, 16000), np.float32), 16000, 1.5)  # mono to stereo 48 kHz, silence after 1 s
    assert t.samples.shape == (2, 72000) and t.samples[:, 1000].min() > 0.9 and not t.samples[:, 49000:].any()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--seconds", "0.5", "--keyframe-size", "48x96"],
            "keyframe_size 48x96: ltx2 needs sides in multiples of 32",
        ),
        (["--seconds", "0.5", "--frames", "8"], "frames 8: ltx2 takes 4k+1 frames"),
        (
            ["--seconds", "0.5", "--no-audio", "--audio", "x.wav"],
            "no_audio drops the clip's or the model's sound",
        ),
    ],
)
def test_refusals_are_one_line_before_loading(tmp_path, capsys, monkeypatch, ltx2, args, message):
    def no_load(*a, **k):
        raise AssertionError("loaded")

    monkeypatch.setattr(LTX2, "load", no_load)
    rc, err = _generate(capsys, tmp_path / "r.mp4", ltx2["t2v"], *args)
    assert rc == 2 and err.startswith(f"vidiff: error: {message}") and "\n" not in err, err


def test_no_audio_at_the_other_doors(tmp_path):
    """The API refuses a non-flag no_audio and a no_audio without a model in one line; the Social tab's box
    is sent only when ticked; a recipe takes generate.no_audio."""
    from vidiff.errors import ConfigError
    from vidiff.generate.clip import make_clip
    from vidiff.recipes import STAGES
    from vidiff.ui.social_model import model_options

    still = tmp_path / "s.png"
    cv2.imwrite(str(still), np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(ConfigError, match="no_audio"):
        make_clip(tmp_path / "o.mp4", weights="w", no_audio="yes")
    with pytest.raises(ConfigError, match="no_audio applies to a video diffusion model"):
        make_clip(tmp_path / "o.mp4", image=str(still), no_audio=True)
    assert not (tmp_path / "o.mp4").exists()
    base = [None] * 9
    assert model_options(*base, no_audio=True)["no_audio"] is True
    assert "no_audio" not in model_options(*base, no_audio=False)
    assert STAGES["generate"]["no_audio"] == (bool,)


def _tiny_lora(weights, out):
    """A random rank-2 LoRA (peft) on the video attention's queries of the LTX-2 transformer in `weights`,
    saved by the pipeline's `save_lora_weights` as diffusers' LoRA trainers write them."""
    import torch
    from diffusers import LTX2Pipeline, LTX2VideoTransformer3DModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    transformer = LTX2VideoTransformer3DModel.from_pretrained(weights, subfolder="transformer")
    torch.manual_seed(0)
    transformer.add_adapter(LoraConfig(r=2, lora_alpha=2, init_lora_weights=False, target_modules=["to_q"]))
    layers = {k: v * 20 for k, v in get_peft_model_state_dict(transformer).items()}
    LTX2Pipeline.save_lora_weights(out.parent, transformer_lora_layers=layers, weight_name=out.name)
    return out


@pytest.fixture(scope="module")
def base(ltx2, tmp_path_factory):
    """The bytes of a 0.3 s clip from the tiny LTX-2 as it is."""
    out = tmp_path_factory.mktemp("base") / "a.mp4"
    assert main(["generate", "-o", str(out), "--weights", str(ltx2["t2v"]), *FAST, "--seconds", "0.3"]) == 0
    return out.read_bytes()


def _bytes(tmp_path, capsys, ltx2, *args) -> bytes:
    rc, rep = _generate(capsys, tmp_path / "x.mp4", ltx2["t2v"], "--seconds", "0.3", *args)
    assert rc == 0, rep
    return (tmp_path / "x.mp4").read_bytes()


def test_its_own_transformer_from_a_file_gives_the_same_bytes(tmp_path, capsys, ltx2, base):
    own_file = ltx2["t2v"] / "transformer" / "diffusion_pytorch_model.safetensors"
    assert _bytes(tmp_path, capsys, ltx2, "--transformer", str(own_file)) == base


def test_a_lora_and_a_shift_change_the_bytes(tmp_path, capsys, ltx2, base):
    pytest.importorskip("peft")
    lora = _tiny_lora(ltx2["t2v"], tmp_path / "lora.safetensors")
    assert _bytes(tmp_path, capsys, ltx2, "--lora", str(lora)) != base
    assert _bytes(tmp_path, capsys, ltx2, "--shift", "7") != base


def test_image_to_video_weights_make_sound_too(tmp_path, capsys, ltx2):
    """LTX2ImageToVideoPipeline weights: a still and a prompt give a clip with the model's sound; without
    a still, one line before loading."""
    i2v = ltx2_dir(tmp_path / "i2v", "i2v")
    rc, r = _generate(capsys, tmp_path / "i.mp4", i2v, "--seconds", "0.3", "--image", str(ltx2["still"]))
    assert rc == 0 and (r["pipeline"], r["audio"]) == ("LTX2ImageToVideoPipeline", "the model's"), r
    assert _streams(tmp_path / "i.mp4")[1] is not None
    rc, err = _generate(capsys, tmp_path / "n.mp4", i2v, "--seconds", "0.3")
    assert rc == 2 and "animates a still: give an image" in err and "\n" not in err
