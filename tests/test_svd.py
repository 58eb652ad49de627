"""`vidiff generate --backend svd`: keyframes from a tiny randomly initialised SVD built from configs."""

import json

import cv2
import numpy as np
import pytest
import skimage.data
import torch

from vidiff.cli import main
from vidiff.generate.social import reframe
from vidiff.generate.svd import load_svd, svd_keyframes
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def svd_dir(tmp_path_factory):
    """A StableVideoDiffusionPipeline folder with tiny random components (6 frames, 64 px); no download."""
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        sample_size=8,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        block_out_channels=(32, 64),
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=24,  # fps, motion bucket, noise level: 3 x 8
        layers_per_block=1,
        cross_attention_dim=16,
        num_attention_heads=(2, 4),
        num_frames=6,
    )
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=(32, 64), down_block_types=("DownEncoderBlock2D",) * 2, layers_per_block=1
    )
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            image_size=224,
            patch_size=32,
            hidden_size=16,
            projection_dim=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
        )
    )
    scheduler = EulerDiscreteScheduler(
        prediction_type="v_prediction", use_karras_sigmas=True, sigma_min=0.002, sigma_max=700.0
    )
    pipe = StableVideoDiffusionPipeline(
        vae=vae,
        image_encoder=encoder,
        unet=unet,
        scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(crop_size=224, size=224),
    )
    out = tmp_path_factory.mktemp("svd")
    pipe.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


def test_svd_backend_makes_the_keyframes_and_vidiff_raises_their_rate(tmp_path, capsys, svd_dir, photo):
    out = tmp_path / "svd.mp4"
    args = ["generate", "--image", str(photo), "-o", str(out), "--backend", "svd", "--weights", str(svd_dir)]
    args += ["--seconds", "1", "--fps", "30", "--aspect", "1:1", "--steps", "2", "--seed", "3"]
    assert main([*args, "--interpolate", "dis", "--json", "--quiet", "--preset", "ultrafast"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"] == "svd"
    info = probe(out)
    assert (info.width, info.height, info.fps, info.n_frames) == (1080, 1080, 30, 30)
    # the output's first frame is SVD's first keyframe (same seed), reframed: only the codec differs
    keys, key_fps = svd_keyframes(load_svd(str(svd_dir)), skimage.data.astronaut(), 1.0, 1.0, 2, 3)
    assert len(keys) == 6 and key_fps == 6
    first = reframe(keys[0], (1080, 1080)).astype(float)
    mse = np.mean((read_frames(out)[0] - first) ** 2)
    assert 10 * np.log10(255**2 / mse) > 35


def test_svd_quiet_run_prints_nothing(tmp_path, svd_dir, photo):
    """--quiet in a fresh process: not even the notes diffusers and transformers log while the pipeline's
    modules import (transformers' image processor fallback without torchvision)."""
    import os
    import subprocess
    import sys

    out = tmp_path / "q.mp4"
    args = ["generate", "--image", str(photo), "-o", str(out), "--weights", str(svd_dir), "--steps", "1"]
    args += ["--seconds", "0.5", "--keyframe-size", "64x64", "--interpolate", "dis", "--preset", "ultrafast"]
    args += ["--aspect", "1:1", "--fps", "24"]  # the fewest pixels to write: 12 frames of 1080x1080
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", *args, "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert probe(out).n_frames == 12


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--weights", "{tmp}/nothing"], "no such folder"),
        ([], "needs weights"),
        (["--weights", "{tmp}"], "no model_index.json"),
        (["--weights", "{svd}", "--steps", "0"], "steps must be between"),
    ],
)
def test_svd_backend_bad_input_is_one_line(tmp_path, capsys, svd_dir, photo, extra, message):
    extra = [x.format(tmp=tmp_path, svd=svd_dir) for x in extra]
    out = tmp_path / "o.mp4"
    code = main(["generate", "--image", str(photo), "-o", str(out), "--backend", "svd", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


def test_svd_backend_continuing_a_clip_refuses_a_loop(tmp_path, capsys, svd_dir, carphone):
    """SVD continues a clip from its last frame (`vidiff.generate.continue_clip`, tests/test_continue_clip.py);
    a loop, which would end it on the clip's start, is one line before the model loads."""
    out = tmp_path / "o.mp4"
    args = [
        "generate",
        "--clip",
        str(carphone),
        "-o",
        str(out),
        "--backend",
        "svd",
        "--weights",
        str(svd_dir),
    ]
    code = main([*args, "--aspect", "1:1", "--loop"])
    assert code == 2 and "loop with a clip and a model" in capsys.readouterr().err
    assert not out.exists()


def test_a_scheduler_that_runs_off_its_table_is_one_line(tmp_path, capsys, svd_dir, photo):
    """The tiny pipeline's Euler scheduler (discrete timesteps, Karras sigmas) repeats timesteps from 6
    steps and indexes past its own table: an IndexError traceback from inside diffusers; one line now."""
    out = tmp_path / "o.mp4"
    args = ["generate", "--image", str(photo), "-o", str(out), "--weights", str(svd_dir), "--steps", "6"]
    args += ["--seconds", "0.5", "--keyframe-size", "64x64", "--interpolate", "dis", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("vidiff: error: the StableVideoDiffusionPipeline of weights") and err.count("\n") == 1
    )
    assert "try another --steps" in err and not out.exists()
