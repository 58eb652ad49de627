"""Wan 2.1 at 720P samples at diffusers' documented shift 5.0 where the converted weights' scheduler says
3.0 (`vidiff.generate.backends.wan_shift`); 480P keeps the weights' own; `--shift` still wins. Tiny random
Wan folders with the UniPC flow-sigma scheduler Wan's Diffusers weights ship, named like 720P weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_pipes import TINY_GENERATE, generate_json, wan_dir

from vidiff.generate.backends.wan_shift import SHIFT_720P, default_shift, keyframe_tier

pytest.importorskip("transformers")


def _unipc(folder: Path, flow_shift: float = 3.0) -> Path:
    """`folder`'s scheduler replaced by Wan's Diffusers one: UniPC on flow sigmas at `flow_shift`."""
    from diffusers import UniPCMultistepScheduler

    UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=flow_shift
    ).save_pretrained(folder / "scheduler")
    index = json.loads((folder / "model_index.json").read_text())
    index["scheduler"] = ["diffusers", "UniPCMultistepScheduler"]
    (folder / "model_index.json").write_text(json.dumps(index))
    return folder


@pytest.fixture(scope="module")
def wan720(tmp_path_factory) -> Path:
    return _unipc(wan_dir(tmp_path_factory.mktemp("shift") / "Wan2.1-T2V-14B-720P-Diffusers"))


def test_the_720p_rule_by_the_keyframes_area():
    from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler

    assert [keyframe_tier(s) for s in [(1280, 720), (720, 1280), (960, 960), (832, 480), (960, 544)]] == [
        "720p", "720p", "720p", "480p", "480p",
    ]  # fmt: skip
    unipc = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    assert default_shift(unipc, (1280, 720)) == SHIFT_720P == 5.0
    assert default_shift(unipc, (832, 480)) is None  # 480P: the weights' own 3.0
    five = UniPCMultistepScheduler.from_config(unipc.config, flow_shift=5.0)
    assert default_shift(five, (1280, 720)) is None  # already 5.0: the scheduler stays as it is
    assert default_shift(FlowMatchEulerDiscreteScheduler(shift=3.0), (1280, 720)) == 5.0  # older conversions
    assert default_shift(FlowMatchEulerDiscreteScheduler(shift=3.0), (832, 480)) is None
    dynamic = FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True)
    assert default_shift(dynamic, (1280, 720)) is None  # sets its own from the frame size


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], 5.0),  # named 720P: 1280x720's area at the aspect
        (["--keyframe-size", "832x480"], 3.0),  # a 480P run of 720P weights: their own
        (["--keyframe-size", "1280x720", "--shift", "3"], 3.0),  # --shift still wins
        (["--keyframe-size", "1280x720", "--shift", "8"], 8.0),
    ],
)
def test_the_scheduler_the_pipeline_samples_with(tmp_path, capsys, monkeypatch, wan720, args, expected):
    """The real pipeline's call sees the scheduler: recorded there, then stopped (the tiny transformer's
    rotary table is too short for 720P keyframes)."""
    from diffusers import WanPipeline

    seen = []

    def record(self, *a, **k):
        seen.append(
            (type(self.scheduler).__name__, self.scheduler.config.flow_shift, k["height"], k["width"])
        )
        raise RuntimeError("recorded")

    monkeypatch.setattr(WanPipeline, "__call__", record)
    base = [a for a in TINY_GENERATE if a not in ("--keyframe-size", "32x32")]
    rc, err = generate_json(capsys, tmp_path / "o.mp4", wan720, *base, "--aspect", "16:9", *args)
    assert rc == 2 and "recorded" in err, err
    assert seen[0][:2] == ("UniPCMultistepScheduler", expected), seen


def test_a_small_run_of_720p_weights_keeps_their_own_shift(tmp_path, capsys, wan720):
    """At 32x32 (480P's side of the rule) the bytes are those of --shift 3, the weights' own; the report
    names a shift only where one was taken."""
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", wan720, *TINY_GENERATE)
    assert rc == 0 and "shift" not in rep, rep
    rc, rep = generate_json(capsys, tmp_path / "b.mp4", wan720, *TINY_GENERATE, "--shift", "3")
    assert rc == 0 and rep["shift"] == 3.0
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
