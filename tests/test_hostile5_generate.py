"""hostile5, round 2: the new doors of `vidiff generate` (a clip continued by a video diffusion model,
`--cache`, `--offload`, `--weight-dtype`) with tiny random pipelines (tests/tiny_pipes.py): every option
is checked before the clip's frames are decoded (a minute's clip is read once, after the checks), and
each odd value is one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write_clip
from PIL import Image
from tiny_pipes import ltx_dir

from vidiff.cli import main
from vidiff.errors import ConfigError, InputError, UnsupportedError, VidiffError
from vidiff.generate import make_clip
from vidiff.generate.continue_clip import ClipTail
from vidiff.generate.offload import check_weight_dtype, parse_offload
from vidiff.generate.step_cache import CacheSpec, parse_cache

pytest.importorskip("transformers")


class Decoded(Exception):
    """Raised in place of reading the clip's frames: the run got as far as decoding it."""


@pytest.fixture(scope="module")
def ltx(tmp_path_factory) -> Path:
    return ltx_dir(tmp_path_factory.mktemp("ltx") / "w")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(12)]
    return write_clip(tmp_path_factory.mktemp("clip") / "c.mp4", frames)


@pytest.fixture
def no_decoding(monkeypatch) -> None:
    def read(self: ClipTail) -> None:
        raise Decoded()

    monkeypatch.setattr(ClipTail, "read", read)


def _continue(out: Path, clip: Path, ltx: Path, **kw) -> dict:
    args = {"keyframe_size": "32x32", "frames": 17, "steps": 2, "progress": False, **kw}
    return make_clip(out, clip=str(clip), weights=str(ltx), prompt="a cat", **args)


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"dtype": "fp64"}, "unknown dtype"),
        ({"guidance": 99.0}, "guidance must be between"),
        ({"guidance_2": 3.0}, "guidance_2 is the low-noise"),
        ({"cache": "first-block:0"}, "threshold must be above 0"),
        ({"cache": "FIRST-BLOCK"}, "unknown cache"),
        ({"weight_dtype": "fp8"}, "unknown weight_dtype"),
        ({"offload": "group"}, "use it with device cuda"),
        ({"offload": "Model"}, "give true (model)"),
        ({"keyframe_size": "0x32"}, "each side must be 1-4096"),
        ({"shift": -1.0}, "shift"),
        ({"audio_guidance": 2.0}, "audio_guidance"),
        ({"extend": -1.0}, "extend"),
        ({"loop": True}, "loop with a clip and a model"),
    ],
)
def test_a_bad_option_is_refused_before_the_clip_is_decoded(
    tmp_path: Path, clip: Path, ltx: Path, no_decoding: None, kw: dict, says: str
) -> None:
    with pytest.raises(VidiffError) as e:
        _continue(tmp_path / "o.mp4", clip, ltx, **kw)
    assert says in str(e.value) and len(str(e.value).splitlines()) == 1, e.value
    assert not (tmp_path / "o.mp4").exists()


def test_good_options_reach_the_clips_frames(
    tmp_path: Path, clip: Path, ltx: Path, no_decoding: None
) -> None:
    # the hook above stands where the frames are read: good options get that far
    with pytest.raises(Decoded):
        _continue(tmp_path / "o.mp4", clip, ltx, extend=0.3, guidance=3.0, seed=2)


@pytest.mark.parametrize("extend", [1e308, 60.0])
def test_an_extend_past_the_models_windows_is_refused_before_the_clip_is_decoded(
    tmp_path: Path, clip: Path, ltx: Path, no_decoding: None, extend: float
) -> None:
    with pytest.raises(VidiffError, match="windows at most"):
        _continue(tmp_path / "o.mp4", clip, ltx, extend=extend)


@pytest.mark.parametrize(
    ("value", "threshold"),
    [("first-block", 0.05), (" first-block ", 0.05), ("first-block:", 0.05), ("first-block :0.1", 0.1)],
)
def test_cache_spellings_taken(value: str, threshold: float) -> None:
    assert parse_cache(value) == CacheSpec("first-block", threshold)


@pytest.mark.parametrize(
    "value",
    ["first-block:0", "first-block:nan", "first-block:-0", "first-block:inf", "FIRST-BLOCK", ":0.1", "",
     "first-block:٠.١", "first-block:0x1", "first-block:1_0", "first-block:0.1:0.2", 1, True, b"first-block",
     "first-block:" + "1" * 5000, "x" * 5000],
)  # fmt: skip
def test_cache_odd_values_are_one_short_line(value: object) -> None:
    with pytest.raises(ConfigError) as e:
        parse_cache(value)
    assert len(str(e.value)) < 200 and "\n" not in str(e.value)


@pytest.mark.parametrize("value", ["Model", " model", "true", "1", "", 1, 0, 1.0, ["model"], "g" * 5000])
def test_offload_odd_values_are_one_short_line(value: object) -> None:
    with pytest.raises(ConfigError, match="give true") as e:
        parse_offload(value)
    assert len(str(e.value)) < 200


@pytest.mark.parametrize("value", ["FP8_E4M3FN", "float8_e4m3fn", "fp8", "", 1, ["fp8_e5m2"], "f" * 5000])
def test_weight_dtype_odd_values_are_one_short_line(value: object) -> None:
    with pytest.raises(ConfigError, match="unknown weight_dtype") as e:
        check_weight_dtype(value)  # a list was Python's TypeError (unhashable)
    assert len(str(e.value)) < 200


def test_a_cache_on_a_one_block_transformer_is_one_line(tmp_path: Path, clip: Path, ltx: Path) -> None:
    # the tiny LTX has one transformer block: diffusers' hook raised IndexError (a traceback)
    with pytest.raises(UnsupportedError, match="1 block; the first-block cache") as e:
        _continue(tmp_path / "o.mp4", clip, ltx, cache="first-block")
    assert len(str(e.value).splitlines()) == 1 and not (tmp_path / "o.mp4").exists()


def test_a_huge_number_on_the_command_line_is_one_short_line(tmp_path: Path, capsys) -> None:
    still = tmp_path / "s.png"
    Image.new("RGB", (64, 64)).save(still)
    out = tmp_path / "o.mp4"
    with pytest.raises(SystemExit) as e:  # argparse's usage errors exit from the parser
        main(["generate", "-o", str(out), "--image", str(still), "--crf", "1" * 5000])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("vidiff: error: argument --crf: invalid int value: '111") and "..." in err
    assert len(err) < 300 and not out.exists()


@pytest.mark.parametrize("field", ["image", "last_image"])
def test_a_folder_above_the_output_as_a_still_is_named_a_folder(tmp_path: Path, field: str) -> None:
    # was "output ... is inside the input's folder": the output's check ran first
    (tmp_path / "sub").mkdir()
    still = tmp_path / "s.png"
    Image.new("RGB", (64, 64)).save(still)
    kw = {"image": str(tmp_path)} if field == "image" else {"image": str(still), "last_image": str(tmp_path)}
    with pytest.raises(InputError, match="is a folder, not an image file"):
        make_clip(tmp_path / "sub" / "o.mp4", prompt="a cat", weights=str(tmp_path / "w"), **kw)
