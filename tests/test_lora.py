"""`--lora FILE[:SCALE]` on a video diffusion model's transformer, at every door (CLI, API, recipe, web app).

The LoRAs are random rank-2 adapters made with peft on a tiny random Wan transformer and written by the
pipeline's own `save_lora_weights` (tests/tiny_pipes.py `tiny_lora`): with one the frames differ from
without (same seed), scale 0 gives the same bytes as none, two stack, and each refusal is one line.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from tiny_pipes import TINY_GENERATE, failing_hub, generate_json, hub_at, tiny_lora, wan22_dir, wan_dir

from vidiff.cli import main
from vidiff.errors import ConfigError, UnsupportedError
from vidiff.generate.backends import resolve
from vidiff.generate.lora import apply_loras, check_lora_support, fetch_loras, parse_loras

pytest.importorskip("peft")
pytest.importorskip("transformers")

FAST = [*TINY_GENERATE, "--seed", "5"]


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


@pytest.fixture(scope="module")
def loras(tmp_path_factory, wan):
    root = tmp_path_factory.mktemp("loras")
    return tiny_lora(wan, root / "a.safetensors", 0), tiny_lora(wan, root / "b.safetensors", 1, ("to_k",))


def _generate(capsys, out, wan, *args) -> tuple[int, dict | str]:
    return generate_json(capsys, out, wan, *FAST, *args)


def test_a_lora_changes_the_frames_and_scale_zero_is_none(tmp_path, capsys, wan, loras):
    a = str(loras[0])
    assert _generate(capsys, tmp_path / "none.mp4", wan)[0] == 0
    rc, rep = _generate(capsys, tmp_path / "a.mp4", wan, "--lora", a)
    assert rc == 0 and rep["loras"] == [{"lora": a, "scale": 1.0, "stage": "all"}], rep
    assert _generate(capsys, tmp_path / "zero.mp4", wan, "--lora", f"{a}:0")[0] == 0
    none = (tmp_path / "none.mp4").read_bytes()
    assert (tmp_path / "a.mp4").read_bytes() != none
    assert (tmp_path / "zero.mp4").read_bytes() == none


def _keyframes(b) -> np.ndarray:
    return np.stack(b.keyframes("a cat", None, None, 5, (32, 32), 2, 5.0, 3, b.fps))


def test_two_loras_stack_each_at_its_scale(wan, loras):
    made = []
    for spec in ([], [str(loras[0])], [str(loras[1])], [str(loras[0]), f"{loras[1]}:0.5"]):
        b = resolve("auto", str(wan))
        b.load("cpu", None, False, True)
        apply_loras(b.pipe, fetch_loras(parse_loras(spec), False), str(wan))
        made.append(_keyframes(b))
    none, a, b_only, both = made
    assert not np.array_equal(both, a) and not np.array_equal(both, b_only) and not np.array_equal(a, none)
    assert b.pipe.transformer.active_adapters() == ["vidiff_lora_0", "vidiff_lora_1"]


def test_a14b_takes_a_lora_in_both_transformers_or_one(tmp_path, wan, loras):
    """No prefix: both of Wan 2.2 A14B's transformers; low= the low-noise one (transformer_2) alone."""
    folder = wan22_dir(tmp_path / "a14b", "t2v")
    for spec, high, low in ((str(loras[0]), True, True), (f"low={loras[0]}:0.7", False, True)):
        b = resolve("auto", str(folder))
        b.load("cpu", None, False, True)
        picked = parse_loras([spec])
        check_lora_support(b.kind, b.two_stage, picked)
        apply_loras(b.pipe, fetch_loras(picked, False), str(folder))
        has = [bool(getattr(t, "peft_config", None)) for t in (b.pipe.transformer, b.pipe.transformer_2)]
        assert has == [high, low], spec


def test_the_recipe_and_the_web_app_pass_the_loras_on(tmp_path, wan, loras):
    """generate.lora (a string or a list) reaches make_clip as the CLI's --lora; the web app's field is a
    line per LoRA."""
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    recipe = load_recipe("social_clip").with_overrides(
        [f"generate.lora=[{loras[0]}, {loras[1]}:0.5]", f"generate.weights={wan}", "generate.prompt=a cat"]
        + [
            "generate.steps=2",
            "generate.seconds=0.3",
            "generate.keyframe_size=32x32",
            "interpolate.method=dis",
        ]
        + ["interpolate.fps=24", "reframe.aspect=1:1", "encode.preset=ultrafast"]
    )
    report = run_recipe(recipe, None, str(tmp_path / "r.mp4"), progress=False)
    assert [x["scale"] for x in report["loras"]] == [1.0, 0.5]
    pytest.importorskip("gradio")
    from vidiff.ui.social_model import model_options

    opts = model_options(None, None, None, "", None, "cpu", "auto", False, False, f" {loras[0]}\n\n b:0.5 ")
    assert opts == {"lora": [str(loras[0]), "b:0.5"]}
    assert model_options(None, None, None, "", None, "cpu", "auto", False, False, " \n") == {}
    from vidiff.ui.social import _report_md

    shown = _report_md(report)  # the page's report table names each LoRA and its scale
    assert f"| LoRA | {loras[0]} at 1 |" in shown and f"| LoRA | {loras[1]} at 0.5 |" in shown


@pytest.mark.parametrize(
    ("lora", "message"),
    [
        ("missing.safetensors", "lora missing.safetensors: no such file"),
        ("{a}:nan", "scale nan is not a finite number"),
        ("{a}:x", "scale 'x' is not a number"),
        ("{a}:inf", "scale inf is not a finite number"),
        ("high={a}", "high= names one of a two-transformer Wan 2.2's transformers"),
        ("{text}", "not a safetensors file"),
        ("{plain}", "not a LoRA: none of its 1 tensors is a LoRA layer"),
        ("{ltx}", "0 of its 8 layers are in the WanTransformer3DModel of weights"),
        ("{wide}", "0 of its 8 layers are in the WanTransformer3DModel of weights"),  # a wider model's
        ("{musubi}", "converter for its key format needs layer 'blocks_0_self_attn_k.lora_down.weight'"),
        ("someone/loras/a.safetensors", "not in the local Hugging Face cache (offline)"),
    ],
)
def test_each_refusal_is_one_line_before_any_step(tmp_path, capsys, monkeypatch, wan, loras, lora, message):
    import torch
    from safetensors.torch import load_file, save_file

    from vidiff.generate.backends.base import Backend

    (tmp_path / "text.safetensors").write_text("not a tensor file")
    save_file({"weight": torch.zeros(2)}, tmp_path / "plain.safetensors")
    renamed = {k.replace(".blocks.", ".transformer_blocks."): v for k, v in load_file(loras[0]).items()}
    save_file(renamed, tmp_path / "ltx.safetensors")  # LTX-Video's layer names
    wide = {k: v.repeat(1, 2) if ".lora_A." in k else v for k, v in load_file(loras[0]).items()}
    save_file(wide, tmp_path / "wide.safetensors")  # the same names, twice the input width
    q = "lora_unet_blocks_0_self_attn_q"  # musubi-tuner's names, one layer of the many its converter reads
    musubi = {f"{q}.lora_down.weight": torch.zeros(2, 24), f"{q}.lora_up.weight": torch.zeros(24, 2)}
    save_file({**musubi, f"{q}.alpha": torch.tensor(2.0)}, tmp_path / "musubi.safetensors")
    names = {k: tmp_path / f"{k}.safetensors" for k in ("text", "plain", "ltx", "wide", "musubi")}
    monkeypatch.setattr(Backend, "keyframes", lambda *a, **k: pytest.fail("sampled"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rc, err = _generate(capsys, tmp_path / "o.mp4", wan, "--lora", lora.format(a=loras[0], **names))
    assert rc == 2 and err.startswith("vidiff: error: ") and message in err and "\n" not in err, err
    assert not (tmp_path / "o.mp4").exists()


def test_a_lora_for_another_part_too_is_one_warning_line(tmp_path, capsys, wan, loras):
    import torch
    from safetensors.torch import load_file, save_file

    extra = {**load_file(loras[0]), "transformer.nowhere.to_q.lora_A.weight": torch.zeros(2, 2)}
    save_file(extra, tmp_path / "x.safetensors")
    rc = main(["generate", "-o", str(tmp_path / "x.mp4"), "--weights", str(wan), *FAST, "--lora", str(tmp_path / "x.safetensors")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert rc == 0 and err == (
        f"warning: lora {tmp_path / 'x.safetensors'}: 1 of its 9 layers are not in the transformer (by name "
        "and width); using the 8 that are"
    )


def test_an_svd_takes_no_lora_and_offline_a_cached_hub_lora_is_used(tmp_path, monkeypatch, loras):
    specs = parse_loras(["someone/loras/sub/a.safetensors:0.5"])
    with pytest.raises(UnsupportedError, match="the StableVideoDiffusionPipeline takes no LoRA"):
        check_lora_support("StableVideoDiffusionPipeline", False, specs)
    with pytest.raises(ConfigError, match="lora 'x:': scale '' is not a number"):
        parse_loras("x:")
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--loras"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha)
    (repo / "snapshots" / sha / "sub").mkdir(parents=True)
    shutil.copy(loras[0], repo / "snapshots" / sha / "sub" / "a.safetensors")
    hub_at(monkeypatch, "http://127.0.0.1:9", tmp_path / "hub")
    (got,) = fetch_loras(specs, offline=True)
    assert got.path == str(repo / "snapshots" / sha / "sub" / "a.safetensors") and got.scale == 0.5


def test_the_api_checks_lora_as_the_cli_does(tmp_path, loras):
    from vidiff.generate import make_clip

    still = tmp_path / "s.png"
    import cv2

    cv2.imwrite(str(still), np.full((32, 32, 3), 80, np.uint8))
    with pytest.raises(ConfigError, match="lora applies to a video diffusion model"):
        make_clip(tmp_path / "o.mp4", image=str(still), lora=str(loras[0]))
    with pytest.raises(ConfigError, match="lora 5: must be a string or a path, or a list of them"):
        make_clip(tmp_path / "o.mp4", image=str(still), lora=5)
    assert not (tmp_path / "o.mp4").exists()


def test_a_comfyui_format_lora_is_the_same_lora(tmp_path, wan, loras):
    """The original Wan / ComfyUI key names (diffusion_model.blocks.N.self_attn.q.lora_down ...), which
    diffusers' Wan loader converts, give the same frames as the same LoRA in diffusers' names."""
    from safetensors.torch import load_file, save_file

    names = {"attn1": "self_attn", "attn2": "cross_attn", "to_q": "q", "to_k": "k", "to_v": "v"}
    names |= {"lora_A": "lora_down", "lora_B": "lora_up", "transformer": "diffusion_model"}
    comfy = {".".join(names.get(p, p) for p in k.split(".")): v for k, v in load_file(loras[0]).items()}
    assert "diffusion_model.blocks.0.self_attn.q.lora_down.weight" in comfy
    save_file(comfy, tmp_path / "comfy.safetensors")
    made = []
    for path in (loras[0], tmp_path / "comfy.safetensors"):
        b = resolve("auto", str(wan))
        b.load("cpu", None, False, True)
        apply_loras(b.pipe, fetch_loras(parse_loras(str(path)), False), str(wan))
        made.append(_keyframes(b))
    assert np.array_equal(*made)


def test_loras_go_in_before_the_parts_are_offloaded(tmp_path, loras):
    """Backend.load puts the LoRAs in before model CPU offload hooks the parts (offload on the CPU here:
    the same hooks as with cuda); both of A14B's transformers take them."""
    folder = wan22_dir(tmp_path / "a14b", "t2v")
    b = resolve("auto", str(folder))
    picked = fetch_loras(parse_loras([f"{loras[0]}:0.5"]), False)
    b.load("cpu", None, False, True, offload=True, loras=picked)
    for t in (b.pipe.transformer, b.pipe.transformer_2):
        assert hasattr(t, "_hf_hook") and t.active_adapters() == ["vidiff_lora_0"]
    assert len(_keyframes(b)) == 5


def test_a_wan_i2v_with_a_lora_is_quiet_and_takes_a_text_to_video_lora(tmp_path, loras):
    """Wan 2.1 image to video (a CLIP image encoder): a text-to-video LoRA goes in (diffusers pads its
    image layers), and --quiet prints nothing: checking the pipeline's LoRA loader imported its module
    before vidiff quietened the libraries, and transformers said its image processor fell back to PIL."""
    import subprocess
    import sys

    import cv2
    from tiny_pipes import wan_i2v_dir

    folder = wan_i2v_dir(tmp_path / "i2v")
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((40, 40, 3), 120, np.uint8))
    args = ["generate", "-o", str(tmp_path / "o.mp4"), "--weights", str(folder), *FAST, "--image", str(still)]
    args += ["--steps", "1"]  # what is printed does not hang on the steps
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", *args, "--lora", str(loras[0]), "--json"],
        capture_output=True,
        text=True,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert json.loads(r.stdout)["loras"][0]["scale"] == 1.0


def test_a_hub_lora_when_the_hub_fails_is_one_line_or_the_cached_copy(tmp_path, monkeypatch, loras):
    """Online, a hub answering 503 is said at once (no retries for ~25 s): a LoRA the cache lacks is one
    line naming how to fetch it; one it holds is used from the cache with a note."""
    import time

    from vidiff.errors import InputError

    with failing_hub(monkeypatch, tmp_path / "hub"):
        specs = parse_loras("someone/loras/a.safetensors")
        t0 = time.perf_counter()
        with pytest.raises(
            InputError, match=r"cannot reach the hub \(.*503.*hf download someone/loras a.safetensors"
        ):
            fetch_loras(specs, offline=False)
        assert time.perf_counter() - t0 < 5
        sha = "0123456789abcdef0123456789abcdef01234567"
        repo = tmp_path / "hub" / "models--someone--loras"
        (repo / "refs").mkdir(parents=True)
        (repo / "refs" / "main").write_text(sha)
        (repo / "snapshots" / sha).mkdir(parents=True)
        shutil.copy(loras[0], repo / "snapshots" / sha / "a.safetensors")
        notes: list[str] = []
        (got,) = fetch_loras(specs, offline=False, note=notes.append)
        assert got.path == str(repo / "snapshots" / sha / "a.safetensors")
        assert (
            len(notes) == 1
            and notes[0].startswith("note: cannot reach the hub")
            and "from the local cache" in notes[0]
        )


def test_a_musubi_tuner_lora_is_the_same_lora(tmp_path, wan):
    """musubi-tuner's kohya-style keys (lora_unet_blocks_N_self_attn_q.lora_down.weight, an alpha per
    layer), which diffusers' Wan loader converts (it needs every attention and feed-forward layer), give
    the same frames as the same LoRA in diffusers' names."""
    import torch
    from safetensors.torch import load_file, save_file

    full = tiny_lora(
        wan, tmp_path / "full.safetensors", 2, ("to_q", "to_k", "to_v", "to_out.0", "net.0.proj", "net.2")
    )
    names = {
        "attn1": "self_attn",
        "attn2": "cross_attn",
        "to_q": "q",
        "to_k": "k",
        "to_v": "v",
        "to_out": "o",
    }
    musubi = {}
    for key, value in load_file(full).items():
        module, tail = key.removeprefix("transformer.").split(".lora_")
        p = module.split(".")  # blocks.0.attn1.to_out.0 / blocks.0.ffn.net.0.proj
        name = f"blocks_{p[1]}_ffn_{p[4]}" if p[2] == "ffn" else f"blocks_{p[1]}_{names[p[2]]}_{names[p[3]]}"
        down = tail.startswith("A")
        musubi[f"lora_unet_{name}.{'lora_down' if down else 'lora_up'}.weight"] = value
        musubi[f"lora_unet_{name}.alpha"] = torch.tensor(float(value.shape[0] if down else value.shape[1]))
    save_file(musubi, tmp_path / "musubi.safetensors")
    made = []
    for path in (full, tmp_path / "musubi.safetensors"):
        b = resolve("auto", str(wan))
        b.load("cpu", None, False, True)
        apply_loras(b.pipe, fetch_loras(parse_loras(str(path)), False), str(wan))
        made.append(_keyframes(b))
    assert np.array_equal(*made)
