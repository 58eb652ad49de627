"""`--transformer FILE`: a single-file transformer (ComfyUI's / the original release's key layout) in place of
the weights' own, at every door (CLI, API, recipe, web app).

The files are the tiny random Wan transformer's own tensors renamed to the original Wan layout (ComfyUI's
`model.diffusion_model.` prefix), the inverse of diffusers' conversion; the helper checks itself against
that conversion. The same tensors must give the same bytes as the folder's own transformer; other tensors
other frames; and every file that cannot fill the transformer is one line before the model loads.
"""

from __future__ import annotations

import pytest
import torch
from tiny_pipes import (
    TINY_GENERATE,
    TINY_RECIPE,
    cogvideox_dir,
    generate_json,
    one_line_refusal,
    original_layout,
    wan22_dir,
    wan_dir,
)

from vidiff.errors import ConfigError

pytest.importorskip("transformers")

FAST = [*TINY_GENERATE, "--seed", "5"]

# diffusers' Wan names -> the original release's (what ComfyUI's diffusion_models/ files hold)
TO_ORIGINAL = [
    ("condition_embedder.time_embedder.linear_1", "time_embedding.0"),
    ("condition_embedder.time_embedder.linear_2", "time_embedding.2"),
    ("condition_embedder.text_embedder.linear_1", "text_embedding.0"),
    ("condition_embedder.text_embedder.linear_2", "text_embedding.2"),
    ("condition_embedder.time_proj", "time_projection.1"),
    ("attn1", "self_attn"),
    ("attn2", "cross_attn"),
    (".to_out.0.", ".o."),
    (".to_q.", ".q."),
    (".to_k.", ".k."),
    (".to_v.", ".v."),
    ("ffn.net.0.proj", "ffn.0"),
    ("ffn.net.2", "ffn.2"),
    (".norm2.", ".norm3."),
]


def _original(key: str) -> str:
    if key == "scale_shift_table":
        return "head.modulation"
    key = key.replace("proj_out", "head.head")
    for ours, theirs in TO_ORIGINAL:
        key = key.replace(ours, theirs)
    return "model.diffusion_model." + key.replace("scale_shift_table", "modulation")


def comfy_file(weights, out, part: str = "transformer", noise: float = 0.0, drop: int = 0):
    """The transformer of `weights` as one file in the original layout (`noise`: seeded noise added to
    every tensor; `drop`: that many tensors left out)."""
    from diffusers.loaders.single_file_utils import convert_wan_transformer_to_diffusers

    return original_layout(weights / part, _original, convert_wan_transformer_to_diffusers, out, noise, drop)


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


def _generate(capsys, out, weights, *args) -> tuple[int, dict | str]:
    return generate_json(capsys, out, weights, *FAST, *args)


def test_the_same_tensors_from_a_comfyui_file_give_the_same_bytes(tmp_path, capsys, wan):
    same = comfy_file(wan, tmp_path / "wan_same.safetensors")
    other = comfy_file(wan, tmp_path / "wan_tuned.safetensors", noise=0.05)
    assert _generate(capsys, tmp_path / "own.mp4", wan)[0] == 0
    rc, rep = _generate(capsys, tmp_path / "same.mp4", wan, "--transformer", str(same))
    assert rc == 0, rep
    assert rep["transformer_files"] == [{"file": str(same), "replaces": "transformer"}]
    assert _generate(capsys, tmp_path / "other.mp4", wan, "--transformer", str(other))[0] == 0
    own = (tmp_path / "own.mp4").read_bytes()
    assert (tmp_path / "same.mp4").read_bytes() == own
    assert (tmp_path / "other.mp4").read_bytes() != own


def test_a_file_in_diffusers_own_layout_loads_too(tmp_path, capsys, wan):
    own = next((wan / "transformer").glob("*.safetensors"))
    assert _generate(capsys, tmp_path / "a.mp4", wan)[0] == 0
    assert _generate(capsys, tmp_path / "b.mp4", wan, "--transformer", str(own))[0] == 0
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def _refusal(capsys, tmp_path, weights, *args) -> str:
    return one_line_refusal(capsys, tmp_path / "x.mp4", weights, *FAST, *args)


def test_files_that_cannot_fill_the_transformer_are_one_line(tmp_path, capsys, wan):
    from safetensors.torch import load_file, save_file

    text = tmp_path / "notes.safetensors"
    text.write_text("not tensors")
    other = tmp_path / "other_model.safetensors"
    save_file({"model.diffusion_model.foo.weight": torch.zeros(3)}, str(other))
    short = comfy_file(wan, tmp_path / "short.safetensors", drop=2)
    wide = tmp_path / "wide.safetensors"
    tensors = load_file(str(comfy_file(wan, tmp_path / "w.safetensors")))
    key = "model.diffusion_model.head.head.weight"
    tensors[key] = torch.zeros(tensors[key].shape[0] + 4, *tensors[key].shape[1:])
    save_file(tensors, str(wide))
    scaled = tmp_path / "fp8_scaled.safetensors"
    save_file({**tensors, "scaled_fp8": torch.zeros(1)}, str(scaled))
    cases = {
        str(tmp_path / "missing.safetensors"): "no such file",
        str(tmp_path): "is a folder",
        str(text): "not a safetensors file",
        str(other): "none of the WanTransformer3DModel's",
        str(short): "holds",
        str(wide): "other shapes than the weights' WanTransformer3DModel",
        str(scaled): "scaled fp8",
        f"low={short}": "low= names one of a two-transformer Wan 2.2's transformers",
    }
    for value, says in cases.items():
        err = _refusal(capsys, tmp_path, wan, "--transformer", value)
        assert err.startswith("vidiff: error: transformer") and says in err, (value, err)
    err = _refusal(capsys, tmp_path, wan, "--transformer", str(short), "--transformer", str(short))
    assert "one file per transformer" in err


def test_wan22_a14b_takes_a_file_per_named_transformer(tmp_path, capsys):
    a14b = wan22_dir(tmp_path / "a14b", "t2v")
    low = comfy_file(a14b, tmp_path / "low.safetensors", part="transformer_2", noise=0.05)
    err = _refusal(capsys, tmp_path, a14b, "--transformer", str(low))
    assert "two transformers; name which" in err
    rc, rep = _generate(capsys, tmp_path / "a.mp4", a14b, "--transformer", f"low={low}")
    assert rc == 0 and rep["transformer_files"] == [{"file": str(low), "replaces": "transformer_2"}], rep


def test_a_pipeline_diffusers_cannot_read_from_one_file_is_one_line(tmp_path, capsys, wan):
    cog = cogvideox_dir(tmp_path / "cog")
    err = _refusal(capsys, tmp_path, cog, "--transformer", str(comfy_file(wan, tmp_path / "w.safetensors")))
    assert "diffusers cannot read a CogVideoXTransformer3DModel from a single file" in err


def test_the_api_recipe_and_web_app_doors(tmp_path, wan):
    """transformer= is checked at make_clip as the CLI's option; generate.transformer reaches it from a
    recipe; the web app's field sends a line a file."""
    import cv2
    import numpy as np

    from vidiff.generate import make_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    still = tmp_path / "s.png"
    cv2.imwrite(str(still), np.full((32, 32, 3), 80, np.uint8))
    with pytest.raises(ConfigError, match="transformer applies to a video diffusion model"):
        make_clip(tmp_path / "o.mp4", image=str(still), transformer="x.safetensors")
    with pytest.raises(ConfigError, match="transformer 5: must be a string or a path, or a list of them"):
        make_clip(tmp_path / "o.mp4", image=str(still), transformer=5)
    same = comfy_file(wan, tmp_path / "same.safetensors")
    recipe = load_recipe("social_clip").with_overrides(
        [f"generate.transformer={same}", f"generate.weights={wan}", "generate.prompt=a cat"] + TINY_RECIPE
    )
    report = run_recipe(recipe, None, str(tmp_path / "r.mp4"), progress=False)
    assert report["transformer_files"] == [{"file": str(same), "replaces": "transformer"}]
    pytest.importorskip("gradio")
    from vidiff.ui.social_model import model_options

    opts = model_options(None, None, None, "", None, "cpu", "auto", False, False, "", f" {same} \n")
    assert opts == {"transformer": [str(same)]}
