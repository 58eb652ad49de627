"""`UpscaleOptions`: the one validation of a frame-rate run's options, whichever door (issue 31)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from conftest import sha256, write_clip

from vidiff import ConfigError, UpscaleOptions, upscale_file


@pytest.mark.parametrize(
    "bad",
    [
        {"codec": "mpeg9"},
        {"crf": 99},
        {"factor": 0},
        {"fps": -1},
        {"speed": 0},
        {"window": 0},
        {"window": True},
        {"max_run": 0},
        {"workers": 0},
        {"workers": "two"},
        {"audio_mode": "loud"},
    ],
)
def test_a_bad_option_is_refused_on_construction(bad):
    with pytest.raises(ConfigError):
        UpscaleOptions(**{"factor": 2, **bad})


def test_defaults_and_normalised_values():
    o = UpscaleOptions(factor=2, workers="3", audio=False)
    assert o.workers == 3 and o.resolved_audio == "drop" and o.encode.encoder == "libx264"
    assert o.replace(audio_mode="slow").resolved_audio == "slow"
    with pytest.raises(ConfigError):
        o.replace(crf=-1)


def test_unknown_keyword_or_wrong_options_type_is_a_config_error(tmp_path):
    src = write_clip(tmp_path / "in.mp4", [np.full((16, 16, 3), i * 20, np.uint8) for i in range(4)])
    with pytest.raises(ConfigError, match="fator"):
        upscale_file(src, tmp_path / "o.mp4", fator=2)
    with pytest.raises(ConfigError, match="UpscaleOptions"):
        upscale_file(src, tmp_path / "o.mp4", 2)
    assert not (tmp_path / "o.mp4").exists()


def test_options_object_and_keywords_give_the_same_bytes(tmp_path):
    frames = [np.full((32, 48, 3), i * 30, np.uint8) for i in range(6)]
    src = write_clip(tmp_path / "in.mp4", frames, fps=Fraction(10))
    fast = {"method": "blend", "preset": "ultrafast", "progress": False, "workers": 1}
    a = upscale_file(src, tmp_path / "a.mp4", factor=2, **fast)
    b = upscale_file(src, tmp_path / "b.mp4", UpscaleOptions(factor=3, **fast), factor=2)  # keyword wins
    assert a["out_frames"] == b["out_frames"] == 12
    assert sha256(tmp_path / "a.mp4") == sha256(tmp_path / "b.mp4")
