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
from conftest import run_main

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
    r = run_main(capsys, *args)
    return r.returncode, r.stdout, r.stderr


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
    # a folder is taken one after another (two shots: no note); where its names skip a few numbers, one
    # note naming the pattern that keeps them
    code, _, err = run_cli(capsys, "probe", folder)
    assert code == 0 and err == ""
    gaps = write_numbered(tmp_path / "gaps", [1, 2, 3, 7, 8], name="f_{:04d}.png")
    code, _, err = run_cli(capsys, "probe", gaps)
    want = f"note: {gaps}: the images' numbers skip 3 (a folder's images are taken one after another)"
    assert code == 0 and err.startswith(want) and err.count("\n") == 1
    assert err.strip().endswith(str(gaps / "f_%04d.png"))
    unpadded = write_numbered(tmp_path / "plain", [1, 2, 4, 10, 11], name="img{}.jpg")
    code, _, err = run_cli(capsys, "probe", unpadded)
    assert code == 0 and "skip 6" in err and err.strip().endswith(str(unpadded / "img%d.jpg"))
    whole = write_numbered(tmp_path / "whole", [8, 9, 10, 11], name="img{}.png")  # no gap: no note
    code, _, err = run_cli(capsys, "probe", whole)
    assert code == 0 and err == ""


# -- numbered from another start -------------------------------------------------------------------------
def test_start_number_numbers_the_output_at_every_door(tmp_path, capsys):
    """A shot numbered from 1001 reads as any other; --start-number 1001 writes it back numbered so (CLI
    upscale, infill and run, the API, the recipe's encode stage); a bad value, or one given for a video
    output, is one line before any work."""
    shot = write_numbered(tmp_path / "shot", list(range(1001, 1007)), base=1001)
    pattern = str(shot / "f_%04d.png")
    code, _, err = run_cli(capsys, "upscale", pattern, "-o", f"{tmp_path}/up/f_%04d.png", "--factor", "2", "--start-number", "1001", "-q", "--method", "dis")  # fmt: skip
    assert code == 0 and err == ""
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == [
        f"f_{n:04d}.png" for n in range(1001, 1013)
    ]
    # file 1001 + 2k is source frame k, exactly
    for k in range(6):
        got = cv2.imread(str(tmp_path / "up" / f"f_{1001 + 2 * k:04d}.png"))[..., ::-1]
        assert np.array_equal(got, square(k)), k
    code, _, err = run_cli(capsys, "infill", pattern, "-o", f"{tmp_path}/inf/", "--frames", "2", "--start-number", "7", "-q", "--method", "dis")  # fmt: skip
    assert code == 0 and sorted(p.name for p in (tmp_path / "inf").iterdir()) == [
        f"{n:06d}.png" for n in range(7, 13)
    ]
    code, _, err = run_cli(capsys, "run", "fps_x2", "-i", pattern, "-o", f"{tmp_path}/run/", "--start-number", "5", "-q", "interpolate.method=dis")  # fmt: skip
    assert code == 0 and min(p.name for p in (tmp_path / "run").iterdir()) == "000005.png"
    r = upscale_file(pattern, f"{tmp_path}/api/", factor=2, start_number=100, **FAST)
    assert r["out_frames"] == 12 and (tmp_path / "api" / "000111.png").is_file()
    assert not (tmp_path / "api" / "000112.png").exists()
    from vidiff.runner.infill import infill_file

    infill_file(pattern, f"{tmp_path}/api2/", frames="1", start_number=3, progress=False, method="dis")
    assert min(p.name for p in (tmp_path / "api2").iterdir()) == "000003.png"
    before = sorted(p.name for p in tmp_path.iterdir())
    for args, words in [
        (["upscale", pattern, "-o", tmp_path / "v.mp4", "--factor", "2", "--start-number", "1001"], "is a video file"),
        (["infill", pattern, "-o", tmp_path / "v.mp4", "--frames", "2", "--start-number", "1"], "is a video file"),
        (["upscale", pattern, "-o", tmp_path / "v.gif", "--factor", "2", "--start-number", "1"], "is an animated GIF"),
        (["upscale", pattern, "-o", f"{tmp_path}/n/", "--factor", "2", "--start-number", "-1"], "whole number from 0"),
        (["upscale", pattern, "-o", f"{tmp_path}/n/", "--factor", "2", "--start-number", "x"], "invalid int value"),
        (["run", "fps_x2", "-i", pattern, "-o", tmp_path / "v.mp4", "--start-number", "3"], "is a video file"),
        (["run", "fps_x2", "-i", pattern, "-o", f"{tmp_path}/n/", "encode.start_number=-2"], "recipe fps_x2: start number -2"),
        (["run", "social_clip", "-i", shot / "f_1001.png", "-o", tmp_path / "v.mp4", "--start-number", "3"], "a generated clip is a video file"),
        (["run", "fps_x2", "-i", shot, "-o", f"{tmp_path}/n/", "encode.start_number=1.5"], "wrong type"),
    ]:  # fmt: skip
        code, _, err = run_cli(capsys, *args, "-q")
        assert code == 2 and err.count("\n") == 1 and err.startswith("vidiff: error:") and words in err, (
            args,
            err,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    from vidiff.errors import ConfigError

    for bad in (True, 2.5, "1001", -1, 10**9):
        with pytest.raises(ConfigError, match="start_number|start number"):
            upscale_file(pattern, f"{tmp_path}/n/", factor=2, start_number=bad, **FAST)
    with pytest.raises(ConfigError, match="is a video file"):
        upscale_file(pattern, tmp_path / "v.mp4", factor=2, start_number=1, **FAST)


# -- deep images -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["f{}.tif", "f{}.png"])
def test_16_bit_images_are_rounded_to_8_with_one_note(tmp_path, capsys, name):
    """16-bit PNG and TIFF read as 8-bit RGB (every stage works on 8 bits), rounded, and one note line says
    the precision is dropped; a 16-bit RGB TIFF was taken for 8-bit (Pillow opens it as RGB) and not told."""
    folder = tmp_path / "deep"
    folder.mkdir()
    rng = np.random.default_rng(0)
    deep = [rng.integers(0, 65536, (H, W, 3)).astype(np.uint16) for _ in range(3)]
    for k, im in enumerate(deep):
        assert cv2.imwrite(str(folder / name.format(k)), im[..., ::-1])
    code, out, err = run_cli(capsys, "probe", folder)
    assert code == 0 and "rgb48 (16-bit)" in out
    assert err == f"note: {folder}: 16-bit images are read as 8-bit RGB (vidiff's frames are 8-bit; the output holds 8 bits a sample)\n"  # fmt: skip
    sequence._NOTED.clear()
    got = [f.image for f in VideoReader(folder)]
    assert all(np.array_equal(g, ((d.astype(np.uint32) + 128) // 257).astype(np.uint8)) for g, d in zip(got, deep, strict=True))  # fmt: skip
    assert capsys.readouterr().err.count("\n") == 1  # once per input


def test_infill_rebuilds_a_shots_lost_frames_in_their_slots(tmp_path, capsys):
    """infill wrote the images that read one after another: after a missing number (or an image that does
    not read) every file held the next one's picture, and the clip was short. A sequence's lost slots are
    now rebuilt in place (--auto or --frames, whose numbers are the slots), the others written exactly, and
    with --start-number the shot keeps its names."""
    have = [1001, 1002, 1004, 1005, 1006, 1007, 1009, 1010]
    folder = write_numbered(tmp_path / "shot", have, base=1001)
    (folder / "f_1006.png").write_bytes(b"not an image")  # unreadable: lost too
    pattern = str(folder / "f_%04d.png")
    out = tmp_path / "fixed"
    code, stdout, err = run_cli(capsys, "infill", pattern, "-o", f"{out}/f_%04d.png", "--auto", "--start-number", "1001", "--json", "-q", "--method", "dis")  # fmt: skip
    assert code == 0 and err.count("\n") == 1 and "warning:" in err
    r = json.loads(stdout)
    assert r["frames"] == 10 and [(x["frame"], x["why"], x["action"]) for x in r["replaced"]] == [
        (k, "missing", "rebuilt") for k in (2, 5, 7)
    ]
    assert r["defects"] == []  # the stand-ins of lost slots are no defect of the clip
    assert sorted(p.name for p in out.iterdir()) == [f"f_{n:04d}.png" for n in range(1001, 1011)]
    for n in range(1001, 1011):
        got = cv2.imread(str(out / f"f_{n:04d}.png"))[..., ::-1].astype(int)
        if n in (1003, 1006, 1008):  # rebuilt: nearer its own picture than its neighbours'
            assert np.abs(got - square(n - 1001)).mean() < np.abs(got - square(n - 1002)).mean(), n
        else:
            assert np.array_equal(got, square(n - 1001)), n
    code, stdout, _ = run_cli(capsys, "infill", pattern, "-o", f"{tmp_path}/listed/", "--frames", "4", "--json", "-q", "--method", "dis")  # fmt: skip
    r = json.loads(stdout)
    assert code == 0 and r["frames"] == 10
    assert sorted((x["frame"], x["why"]) for x in r["replaced"]) == [(2, "missing"), (4, "listed"), (5, "missing"), (7, "missing")]  # fmt: skip


def test_a_glob_is_told_how_to_name_a_sequence_and_options_refused_before_the_input(tmp_path, capsys):
    """ffmpeg users write `-pattern_type glob -i '*.png'`: vidiff said only "no such file". And an encoding
    option given for image frames was refused after the input was read (its note lines first)."""
    folder = write_numbered(tmp_path / "shot", [1, 2, 4], name="f_{:04d}.png")
    code, _, err = run_cli(
        capsys, "upscale", folder / "*.png", "-o", tmp_path / "o.mp4", "--factor", "2", "-q"
    )
    assert code == 2 and err.count("\n") == 1 and "a glob is no image sequence here: give its folder" in err
    code, _, err = run_cli(
        capsys, "upscale", folder, "-o", f"{tmp_path}/o/", "--factor", "2", "--crf", "20", "-q"
    )
    assert (
        code == 2
        and err.startswith("vidiff: error:")
        and err.count("\n") == 1
        and "crf does not apply" in err
    )


# -- EXIF orientation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_exif_orientation_is_applied_as_a_viewer_shows_the_picture(tmp_path, ext):
    """A phone's photos are stored sideways with an EXIF orientation that every viewer applies: a
    time-lapse read as stored came out on its side (and a portrait one was refused as two sizes). Each of
    the 8 orientations reads as Pillow's exif_transpose shows it (PNG exactly, JPEG within its loss)."""
    from PIL import Image, ImageOps

    rng = np.random.default_rng(1)
    stored = (rng.integers(0, 256, (6, 10, 3)) // 64 * 64).astype(np.uint8)  # 10x6, coarse: JPEG keeps it
    stored = np.kron(stored, np.ones((8, 8, 1), np.uint8))  # 80x48 in blocks of 8
    for orientation in range(1, 9):
        folder = tmp_path / f"o{orientation}"
        folder.mkdir()
        for k in range(2):
            exif = Image.Exif()
            exif[0x0112] = orientation
            Image.fromarray(stored).save(
                folder / f"f{k}{ext}", exif=exif.tobytes(), quality=100, subsampling=0
            )
        want = np.asarray(ImageOps.exif_transpose(Image.open(folder / f"f0{ext}")).convert("RGB"))
        info = probe(folder)
        got = [f.image for f in VideoReader(folder)]
        assert (info.height, info.width) == want.shape[:2] == got[0].shape[:2], orientation
        if ext == ".png":
            assert np.array_equal(got[0], want), orientation
        else:
            assert np.abs(got[0].astype(int) - want).mean() < 4, orientation
