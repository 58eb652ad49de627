"""`--vae FILE`: a single-file VAE (ComfyUI's models/vae/ file, the original release's key layout) in place
of the weights' own, at every door (CLI, API, recipe, web app).

The tiny Wan pipeline's VAE is rebuilt in the real Wan 2.1 VAE's shape (four stages of dims 1, 2, 4, 4
times the base, two residual blocks each: the layout diffusers' converter reads) and its tensors renamed
to the original layout, the inverse of diffusers' conversion (checked against it). The same tensors must
give the same bytes as the folder's own VAE; other tensors other frames, also in the same process (the
kept pipeline is keyed on the file); every file that cannot fill the VAE is one line before loading.
"""

from __future__ import annotations

import re

import pytest
import torch
from tiny_pipes import (
    TINY_GENERATE,
    TINY_RECIPE,
    cogvideox_dir,
    generate_json,
    one_line_refusal,
    original_layout,
    wan_dir,
)

from vidiff.errors import ConfigError

pytest.importorskip("transformers")

FAST = [*TINY_GENERATE, "--seed", "5"]
# diffusers' residual block names -> the original's
RES = {"norm1.gamma": "residual.0.gamma", "conv1": "residual.2", "norm2.gamma": "residual.3.gamma"}
RES |= {"conv2": "residual.6", "conv_shortcut": "shortcut"}
HEADS = {"norm_out": "head.0", "conv_out": "head.2", "conv_in": "conv1"}


def _res(rest: str) -> str:
    return next((b + rest[len(a) :] for a, b in RES.items() if rest.startswith(a)), rest)


def _original(key: str) -> str:
    """A diffusers AutoencoderKLWan key in the original Wan VAE layout."""
    rules = [
        (r"(encoder|decoder)\.mid_block\.resnets\.(\d)\.(.*)", lambda m: f"{m[1]}.middle.{2 * int(m[2])}.{_res(m[3])}"),
        (r"(encoder|decoder)\.mid_block\.attentions\.0\.(.*)", lambda m: f"{m[1]}.middle.1.{m[2]}"),
        (r"(encoder|decoder)\.(norm_out|conv_out|conv_in)\.(.*)", lambda m: f"{m[1]}.{HEADS[m[2]]}.{m[3]}"),
        (r"(post_quant_conv|quant_conv)\.(.*)", lambda m: f"conv{2 if m[1][0] == 'p' else 1}.{m[2]}"),
        (r"encoder\.down_blocks\.(\d+)\.(.*)", lambda m: f"encoder.downsamples.{m[1]}.{_res(m[2])}"),
        (r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.*)", lambda m: f"decoder.upsamples.{4 * int(m[1]) + int(m[2])}.{_res(m[3])}"),
        (r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.*)", lambda m: f"decoder.upsamples.{4 * int(m[1]) + 3}.{m[2]}"),
    ]  # fmt: skip
    for pattern, rename in rules:
        m = re.fullmatch(pattern, key)
        if m:
            return rename(m)
    return key


def comfy_vae(weights, out, noise: float = 0.0, drop: int = 0):
    """The VAE of `weights` as one file in the original layout (`noise`: seeded noise on every tensor;
    `drop`: that many tensors left out)."""
    from diffusers.loaders.single_file_utils import convert_wan_vae_to_diffusers

    return original_layout(weights / "vae", _original, convert_wan_vae_to_diffusers, out, noise, drop)


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    """The tiny Wan pipeline with a VAE of the real Wan 2.1 VAE's shape."""
    from diffusers import AutoencoderKLWan

    weights = wan_dir(tmp_path_factory.mktemp("wan"))
    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 2, 4, 4], temperal_downsample=[False, True, True]
    )
    vae.save_pretrained(weights / "vae")
    return weights


def _generate(capsys, out, weights, *args) -> tuple[int, dict | str]:
    return generate_json(capsys, out, weights, *FAST, *args)


def test_the_same_tensors_from_a_comfyui_file_give_the_same_bytes(tmp_path, capsys, wan):
    same = comfy_vae(wan, tmp_path / "wan_2.1_vae.safetensors")
    other = comfy_vae(wan, tmp_path / "tuned_vae.safetensors", noise=0.05)
    runs = {}
    for name, vae in {"own": None, "same": same, "other": other}.items():
        rc, rep = _generate(capsys, tmp_path / f"{name}.mp4", wan, *(["--vae", str(vae)] if vae else []))
        assert rc == 0, rep
        runs[name] = (tmp_path / f"{name}.mp4").read_bytes()
        assert rep.get("vae_file") == (str(vae) if vae else None) and "transformer_files" not in rep
    assert runs["same"] == runs["own"]  # (a file in diffusers' own layout: the Wan 2.2 test below)
    assert runs["other"] != runs["own"]  # the kept pipeline is not taken for another VAE


def _refusal(capsys, tmp_path, weights, *args) -> str:
    return one_line_refusal(capsys, tmp_path / "x.mp4", weights, *FAST, *args)


def test_files_that_cannot_fill_the_vae_are_one_line(tmp_path, capsys, wan):
    from safetensors.torch import load_file, save_file

    text = tmp_path / "notes.safetensors"
    text.write_text("not tensors")
    other = tmp_path / "other_model.safetensors"
    save_file({"first_stage_model.foo.weight": torch.zeros(3)}, str(other))
    short = comfy_vae(wan, tmp_path / "short.safetensors", drop=2)
    wide = tmp_path / "wide.safetensors"
    tensors = load_file(str(comfy_vae(wan, tmp_path / "w.safetensors")))
    tensors["conv2.weight"] = torch.zeros(
        tensors["conv2.weight"].shape[0] + 4, *tensors["conv2.weight"].shape[1:]
    )
    save_file(tensors, str(wide))
    cases = {
        str(tmp_path / "missing.safetensors"): "no such file",
        str(tmp_path): "is a folder",
        str(text): "not a safetensors file",
        str(other): "none of the AutoencoderKLWan's",
        str(short): "holds",
        str(wide): "other shapes than the weights' AutoencoderKLWan",
        " ": "give a .safetensors file or a hub file",
    }
    for value, says in cases.items():
        err = _refusal(capsys, tmp_path, wan, "--vae", value)
        assert err.startswith("vidiff: error: vae") and says in err, (value, err)
    cog = cogvideox_dir(tmp_path / "cog")
    err = _refusal(capsys, tmp_path, cog, "--vae", str(comfy_vae(wan, tmp_path / "v.safetensors")))
    assert "vae: diffusers cannot read a AutoencoderKLCogVideoX from a single file" in err


def test_the_api_recipe_and_web_app_doors(tmp_path, wan):
    """vae= is checked at make_clip as the CLI's option; generate.vae reaches it from a recipe; the web
    app's field, after the GIF box, sends the file stripped."""
    import cv2
    import numpy as np

    from vidiff.generate import make_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    still = tmp_path / "s.png"
    cv2.imwrite(str(still), np.full((32, 32, 3), 80, np.uint8))
    with pytest.raises(ConfigError, match="vae applies to a video diffusion model"):
        make_clip(tmp_path / "o.mp4", image=str(still), vae="x.safetensors")
    with pytest.raises(ConfigError, match="vae 5: must be a string"):
        make_clip(tmp_path / "o.mp4", image=str(still), vae=5)
    same = comfy_vae(wan, tmp_path / "same.safetensors")
    recipe = load_recipe("social_clip").with_overrides(
        [f"generate.vae={same}", f"generate.weights={wan}", "generate.prompt=a cat"] + TINY_RECIPE
    )
    report = run_recipe(recipe, None, str(tmp_path / "r.mp4"), progress=False)
    assert report["vae_file"] == str(same)
    pytest.importorskip("gradio")
    from vidiff.ui.social_model import model_options

    opts = model_options(None, None, None, "", None, "cpu", "auto", False, False, "", "", vae=f" {same} \n")
    assert opts == {"vae": str(same)}
    assert model_options(None, None, None, "", None, "cpu", "auto", False, False, vae="  ") == {}


def test_a_shared_app_reads_a_vae_file_only_from_its_folders(tmp_path):
    """The Social tab's VAE field (after the GIF box) is checked as a LoRA or transformer file: a shared
    app reads it only from its --weights-dir folders, a hub file only with --allow-hub."""
    pytest.importorskip("gradio")
    from types import SimpleNamespace

    import cv2
    import numpy as np
    from social_fields import SOCIAL_UNTOUCHED

    from vidiff.ui import social
    from vidiff.ui.core import App
    from vidiff.ui.exposure import Exposure

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    models = tmp_path / "models"
    (models / "w").mkdir(parents=True)
    app = App(tmp_path / "work", Exposure.from_options("127.0.0.1", True, weights_dirs=[str(models)]))
    kw = dict(aspect="9:16", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
    kw |= dict(music=None, prompt="a fox", negative="", weights=str(models / "w"), backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED
    assert list(kw)[-8:-3] == ["gif", "vae", "no_audio", "last_image", "audio_guidance"]  # the last fields
    assert list(kw)[-3:] == ["cache", "weight_dtype", "reference_image"]
    for value, words in (
        (f"{tmp_path}/v.safetensors", f"vae '{tmp_path}/v.safetensors': this app reads model files only"),
        ("a/b/v.safetensors", "vae 'a/b/v.safetensors': this shared app fetches no hub file"),
    ):
        kw["vae"] = value
        run = social._run_social(app)(str(still), None, *kw.values(), SimpleNamespace(session_hash="t"), None)
        line = list(run)[-1][0]
        assert line.startswith("vidiff: error: ") and words in line, line
    assert list(app.workdir.iterdir()) == []


def test_a_wan22_vae_from_a_file_in_diffusers_layout_or_one_line(tmp_path, capsys):
    """Wan 2.2's VAE (TI2V-5B's residual one): its own tensors from a file in diffusers' layout give the
    same bytes; in another layout (diffusers converts only Wan 2.1's) one line that says so, not 'lacks'."""
    from safetensors.torch import load_file, save_file
    from tiny_pipes import wan22_dir

    ti2v = wan22_dir(tmp_path / "ti2v", "ti2v")
    own_file = next((ti2v / "vae").glob("*.safetensors"))
    renamed = tmp_path / "wan2.2_vae.safetensors"
    save_file({_original(k): v for k, v in load_file(str(own_file)).items()}, str(renamed))
    assert _generate(capsys, tmp_path / "a.mp4", ti2v)[0] == 0
    rc, rep = _generate(capsys, tmp_path / "b.mp4", ti2v, "--vae", str(own_file))
    assert rc == 0 and rep["vae_file"] == str(own_file), rep
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    err = _refusal(capsys, tmp_path, ti2v, "--vae", str(renamed))
    assert "the weights' VAE is Wan 2.2's (is_residual), and diffusers converts only Wan 2.1's" in err, err
