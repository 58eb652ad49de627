"""LTXConditionPipeline, the class diffusers runs LTX-Video 0.9.5 and later with, through the LTX backend
(a tiny random LTX-Video pipeline, tests/tiny_pipes.py, saved under that class: the same parts)."""

from __future__ import annotations

import json

import pytest
from tiny_pipes import ltx_condition_dir

from vidiff.cli import main

pytest.importorskip("transformers")


def test_an_ltx_condition_pipeline_makes_a_clip_window_after_window(tmp_path, capsys):
    """It was 'not a video pipeline vidiff drives': now the LTX backend's, from a prompt, each later
    window started from the last frame through the pipeline's own `image` argument."""
    folder = ltx_condition_dir(tmp_path / "ltx")
    args = ["generate", "-o", str(tmp_path / "a.mp4"), "--weights", str(folder), "--prompt", "a cat"]
    args += [
        "--keyframe-size",
        "32x32",
        "--frames",
        "9",
        "--seconds",
        "0.6",
        "--fps",
        "24",
        "--aspect",
        "1:1",
    ]
    assert (
        main([*args, "--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--json"])
        == 0
    )
    rep = json.loads(capsys.readouterr().out)
    assert (rep["backend"], rep["pipeline"], rep["windows"], rep["keyframes"]) == (
        "ltx",
        "LTXConditionPipeline",
        2,
        14,
    )
