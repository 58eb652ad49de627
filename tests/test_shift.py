"""`--shift`: a flow-matching sampler's shift (ComfyUI's ModelSamplingSD3), at every door, on tiny random
Wan pipelines (tests/tiny_pipes.py): the FlowMatchEuler one the tests build (`shift`) and the same folder
with the UniPC scheduler Wan's Diffusers weights ship (`flow_shift`, `use_flow_sigmas`)."""

from __future__ import annotations

import json
import shutil

import PIL.Image
import pytest
from tiny_pipes import TINY_GENERATE, wan_dir

from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.generate.shift import shift_key

pytest.importorskip("transformers")

FAST = [*TINY_GENERATE, "--seed", "5"]


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


@pytest.fixture(scope="module")
def unipc(tmp_path_factory, wan):
    """The tiny Wan with the scheduler of Wan's Diffusers weights: UniPC on flow sigmas, flow_shift 3."""
    from diffusers import UniPCMultistepScheduler

    folder = tmp_path_factory.mktemp("unipc") / "wan"
    shutil.copytree(wan, folder)
    sched = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    sched.save_pretrained(folder / "scheduler")
    index = json.loads((folder / "model_index.json").read_text())
    index["scheduler"] = ["diffusers", "UniPCMultistepScheduler"]
    (folder / "model_index.json").write_text(json.dumps(index))
    return folder


def _make(tmp_path, capsys, weights, name, *args) -> tuple[bytes, dict]:
    out = tmp_path / f"{name}.mp4"
    assert main(["generate", "-o", str(out), "--weights", str(weights), *FAST, *args, "--json"]) == 0
    return out.read_bytes(), json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("weights", "own"), [("wan", "7"), ("unipc", "3")])
def test_shift_changes_the_frames_and_its_own_value_is_none(tmp_path, capsys, request, weights, own):
    folder = request.getfixturevalue(weights)
    none, _ = _make(tmp_path, capsys, folder, "none")
    same, rep = _make(tmp_path, capsys, folder, "same", "--shift", own)  # the scheduler's own shift
    other, _ = _make(tmp_path, capsys, folder, "other", "--shift", "1.5")
    assert same == none and other != none and rep["shift"] == float(own)


def test_shift_is_refused_where_it_does_not_apply_before_loading(tmp_path, capsys, monkeypatch, wan):
    from vidiff.generate.backends.base import Backend

    dynamic = tmp_path / "dynamic"
    shutil.copytree(wan, dynamic)
    config = json.loads((dynamic / "scheduler" / "scheduler_config.json").read_text())
    config["use_dynamic_shifting"] = True
    (dynamic / "scheduler" / "scheduler_config.json").write_text(json.dumps(config))
    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("loaded the model"))
    for weights, shift, message in [
        (dynamic, "3", "sets its shift from the frame size (use_dynamic_shifting); leave shift out"),
        (wan, "0", "shift 0: give a number above 0 and at most 100"),
        (wan, "nan", "shift nan: give a number above 0"),
        (wan, "150", "shift 150: give a number above 0 and at most 100"),
    ]:
        out = tmp_path / "o.mp4"
        assert main(["generate", "-o", str(out), "--weights", str(weights), *FAST, "--shift", shift]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("vidiff: error: ") and message in err and "\n" not in err, err
        assert not out.exists()
    with pytest.raises(ConfigError, match=r"CogVideoXDDIMScheduler\) is not a flow-matching one"):
        shift_key("CogVideoXPipeline", {"_class_name": "CogVideoXDDIMScheduler", "snr_shift_scale": 3.0})
    with pytest.raises(ConfigError, match=r"EulerDiscreteScheduler\) is not a flow-matching one"):
        shift_key("StableVideoDiffusionPipeline", {"_class_name": "EulerDiscreteScheduler"})


def test_shift_at_the_api_recipe_and_web_app_doors(tmp_path, wan):
    from vidiff.generate import make_clip
    from vidiff.recipes import load_recipe

    still = tmp_path / "x.png"  # a real still: a missing one is refused first, for itself
    PIL.Image.new("RGB", (64, 48), (90, 120, 150)).save(still)
    with pytest.raises(ConfigError, match="shift applies to a video diffusion model"):
        make_clip(tmp_path / "o.mp4", image=str(still), shift=3.0)
    with pytest.raises(ConfigError, match="shift"):
        make_clip(tmp_path / "o.mp4", prompt="a cat", weights=str(wan), shift="3")
    with pytest.raises(ConfigError, match="shift"):
        load_recipe("social_clip").with_overrides(["generate.shift=high"])
    assert load_recipe("social_clip").with_overrides(["generate.shift=5"]).stage("generate")["shift"] == 5
    pytest.importorskip("gradio")
    from vidiff.ui.social_model import model_options

    assert model_options(None, None, None, "", None, "cpu", "auto", False, False, "", shift=5.0) == {
        "shift": 5.0
    }
