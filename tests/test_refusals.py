"""The last silent or unbounded cases of issue 32: each is one error line (exit 2 / a `VidiffError`) before
any work, and leaves nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_clip

from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.generate import extend_frames
from vidiff.generate.clip import MAX_EXTEND_FRAMES
from vidiff.recipes import load_recipe
from vidiff.runner.upscale import upscale_file
from vidiff.train.config import check_config, load_config


def _one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("vidiff: error:"), (code, err)
    return err


@pytest.fixture
def tiny_frames() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (32, 32, 3), np.uint8) for _ in range(3)]


@pytest.mark.parametrize("n", [10**9, MAX_EXTEND_FRAMES + 1, -1, 2.5, True])
def test_extend_frames_is_bounded_before_any_work(tiny_frames, n):
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="extension of") as e:
        extend_frames(tiny_frames, n)
    assert time.perf_counter() - t0 < 1.0 and len(str(e.value).splitlines()) == 1
    if isinstance(n, int) and not isinstance(n, bool) and n > 0:
        assert f"{MAX_EXTEND_FRAMES} frames" in str(e.value) and "generate_horizon" in str(e.value)


def test_extend_frames_up_to_the_bound(tiny_frames):
    assert extend_frames(tiny_frames, 0) == []
    assert len(extend_frames(tiny_frames, MAX_EXTEND_FRAMES, scheme="hierarchical")) == MAX_EXTEND_FRAMES


def test_generate_extend_past_the_bound_is_one_line(tmp_path, capsys, carphone):
    out = tmp_path / "o.mp4"
    err = _one_line_error(
        capsys, main(["generate", "--clip", str(carphone), "-o", str(out), "--extend", "24"])
    )
    assert (
        "719 frames at 29.97 fps" in err and f"{MAX_EXTEND_FRAMES} frames past its end (0.73 s here)" in err
    )
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_recipe_with_a_stage_twice_names_the_stage_and_lines(tmp_path, capsys, carphone):
    bad = tmp_path / "twice.yaml"
    bad.write_text(
        "stages:\n  - decode: {}\n  - interpolate: {factor: 2, method: blend}\n"
        "  - interpolate: {factor: 2, method: blend}\n  - encode: {}\n"
    )
    with pytest.raises(
        ConfigError, match=r"twice.yaml line 4: stage 'interpolate' appears twice \(first at line 3\)"
    ):
        load_recipe(bad)
    out = tmp_path / "o.mp4"
    err = _one_line_error(capsys, main(["run", str(bad), "-i", str(carphone), "-o", str(out)]))
    assert "appears twice" in err and not out.exists()


def test_model_info_refuses_an_empty_size(capsys):
    for size in ("0x0", "640x0", "9000x10"):
        err = _one_line_error(capsys, main(["model-info", "default", "--size", size]))
        assert f"--size {size}: each side must be 1 to 8192 pixels" in err


def test_train_refuses_a_one_frame_clip_and_an_unwritable_output(tmp_path, capsys, carphone):
    from vidiff.io.reader import read_frames

    one = write_clip(tmp_path / "one.mp4", read_frames(carphone, 1))  # refused by the data layer, by name
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ConfigError, match="afile is not a folder"):
        check_config(load_config(None, [f"train.output={afile}/run"]))
    if Path("/proc/self").is_dir():  # a folder nobody can write into, root included
        with pytest.raises(ConfigError, match="/proc/self cannot be written"):
            check_config(load_config(None, ["train.output=/proc/self/run"]))
    out = tmp_path / "run"
    cfg = str(Path(__file__).resolve().parent.parent / "configs/train/default.yaml")
    err = _one_line_error(
        capsys, main(["train", "--quiet", cfg, f"data.clips=[{one}]", f"train.output={out}"])
    )
    assert "one.mp4: 1 frame(s)" in err and not out.exists()


def test_upscale_transform_of_another_size_than_out_size_is_refused(tmp_path, carphone):
    out = tmp_path / "o.mp4"

    def half(img: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(img[::2, ::2])

    with pytest.raises(
        ConfigError,
        match=r"transform makes 97x72 frames from 193x144 ones \(the source as shown: upright, square pixels\); "
        "out_size says 176x144",  # carphone's pixels are 128:117
    ):
        upscale_file(
            carphone, out, factor=2, method="blend", transform=half, out_size=(176, 144), progress=False
        )
    with pytest.raises(ConfigError, match=r"transform returns an array of shape \(144, 193\)"):
        upscale_file(carphone, out, factor=2, method="blend", transform=lambda im: im[..., 0], progress=False)
    assert list(tmp_path.iterdir()) == []
