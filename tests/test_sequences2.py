"""Image sequences, second part: one list of image extensions, gaps in a pattern's numbering, sequences
numbered from another start (in and out), deep (16-bit) images. Every sequence is written by the test."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io import image_ext, sequence
from vidiff.io import probe as probe_mod
from vidiff.io.probe import probe
from vidiff.io.reader import VideoReader
from vidiff.runner import upscale_file


def test_one_list_of_image_extensions() -> None:
    """The sequence reader, the still of `generate --image`, the recipe and the web app read one list, from
    a module light enough for `--help` (it imports neither PyAV nor NumPy)."""
    assert sequence.IMAGE_EXT is image_ext.IMAGE_EXT
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"} == set(image_ext.IMAGE_EXT)
    code = "import sys, vidiff.io.image_ext, vidiff.generate.clip; print('av' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    import vidiff.generate.clip as clip

    assert not hasattr(clip, "IMAGE_EXT")  # no second list


# -- helpers ---------------------------------------------------------------------------------------------
W, H = 64, 48
FAST = {"method": "dis", "progress": False}


def square(i: int) -> np.ndarray:
    """Frame i of a square moving right and down over a gradient (RGB uint8; 4 px a frame: no two frames
    look alike to the duplicate check, which samples every 4th pixel)."""
    im = np.zeros((H, W, 3), np.uint8)
    im[:] = np.linspace(20, 120, W, dtype=np.uint8)[None, :, None]
    im[8 + i % 4 : 24 + i % 4, 2 + 4 * i : 18 + 4 * i] = (230, 80, 30)
    return im


def write_numbered(folder: Path, numbers: list[int], name: str = "f_{:04d}.png", base: int = 0) -> Path:
    """Frame n - base of `square` as image `name`.format(n) for each n of `numbers`."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        assert cv2.imwrite(str(folder / name.format(n)), cv2.cvtColor(square(n - base), cv2.COLOR_RGB2BGR))
    return folder


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    probe_mod._WARNED.clear()  # each run may give its damaged-input warning
    sequence._NOTED.clear()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- gaps in the numbering -------------------------------------------------------------------------------
def test_a_gap_in_a_patterns_numbers_is_a_missing_frame(tmp_path, capsys):
    """frame 1003, 1007 and 1008 of 1001-1010 were never rendered: their slots are kept (the frames around
    keep their times), ONE warning line counts them, --strict refuses, upscale --factor 1 rebuilds only
    them and writes every other frame exactly."""
    have = [1001, 1002, 1004, 1005, 1006, 1009, 1010]
    folder = write_numbered(tmp_path / "shot", have, base=1001)
    pattern = str(folder / "f_%04d.png")
    probe_mod._WARNED.clear()
    got = list(VideoReader(pattern))
    err = capsys.readouterr().err.strip().splitlines()
    assert [f.time for f in got] == [Fraction(n - 1001, 24) for n in have]
    assert len(err) == 1 and err[0] == (
        f"warning: {pattern}: 3 of 10 frames are missing, no file numbered so (f_1003.png, f_1007.png, "
        "f_1008.png); using 7"
    )
    info = probe(pattern)
    assert info.n_frames == 7 and info.duration == pytest.approx(10 / 24) and "3 of 10" in info.damage
    code, _, err = run_cli(
        capsys, "upscale", pattern, "-o", tmp_path / "s.mp4", "--factor", "2", "--strict", "-q"
    )
    assert code == 2 and err.count("\n") == 1 and "refused: strict input" in err and "3 of 10" in err
    code, out, err = run_cli(capsys, "upscale", pattern, "-o", f"{tmp_path}/fixed/", "--factor", "1", "--json", "-q", "--method", "dis")  # fmt: skip
    assert code == 0 and json.loads(out)["out_frames"] == 10 and err.count("warning:") == 1
    names = sorted(p.name for p in (tmp_path / "fixed").iterdir())
    assert names == [f"{k:06d}.png" for k in range(10)]
    for n in have:  # the frames that exist, exactly
        assert np.array_equal(
            cv2.imread(str(tmp_path / "fixed" / f"{n - 1001:06d}.png"))[..., ::-1], square(n - 1001)
        )
    rebuilt = cv2.imread(str(tmp_path / "fixed" / "000002.png"))[..., ::-1].astype(int)
    assert np.abs(rebuilt - square(2)).mean() < np.abs(rebuilt - square(1)).mean()  # the square moved on


def test_gaps_with_workers_give_the_frames_of_one_process(tmp_path, monkeypatch):
    """A parallel worker reads only its images (`frames_at`): a missing number keeps its slot there too."""
    import vidiff.runner.upscale as up

    monkeypatch.setattr(up, "segment_frames", lambda *a: 6)
    pattern = str(write_numbered(tmp_path / "shot", [1, 2, 3, 5, 6, 7, 8, 10, 11, 12], base=1) / "f_%04d.png")
    one = upscale_file(pattern, f"{tmp_path}/one/", factor=2, workers=1, **FAST)
    two = upscale_file(pattern, f"{tmp_path}/two/", factor=2, workers=2, **FAST)
    assert two["workers"] == 2 and one["out_frames"] == two["out_frames"] == 24
    for k in range(24):
        a, b = (cv2.imread(str(tmp_path / d / f"{k:06d}.png")) for d in ("one", "two"))
        assert np.array_equal(a, b), k


def test_a_long_run_of_missing_numbers_is_refused_and_a_folder_with_gaps_noted(tmp_path, capsys):
    folder = write_numbered(tmp_path / "two_shots", [1, 2, 3, 500, 501], name="f_{:04d}.png", base=0)
    code, _, err = run_cli(capsys, "probe", folder / "f_%04d.png")
    assert code == 2 and err.count("\n") == 1
    assert "no file numbered 4-499 (496 frames, between f_0003.png and f_0500.png)" in err
    # a folder is taken one after another; its names skip numbers: one note naming the pattern
    code, _, err = run_cli(capsys, "probe", folder)
    want = f"note: {folder}: the images' numbers skip 496 (a folder's images are taken one after another)"
    assert code == 0 and err.startswith(want) and err.count("\n") == 1
    assert err.strip().endswith(str(folder / "f_%04d.png"))
    unpadded = write_numbered(tmp_path / "plain", [1, 2, 4, 10, 11], name="img{}.jpg")
    code, _, err = run_cli(capsys, "probe", unpadded)
    assert code == 0 and "skip 6" in err and err.strip().endswith(str(unpadded / "img%d.jpg"))
    whole = write_numbered(tmp_path / "whole", [8, 9, 10, 11], name="img{}.png")  # no gap: no note
    code, _, err = run_cli(capsys, "probe", whole)
    assert code == 0 and err == ""
