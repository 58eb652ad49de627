"""A 1-pixel-wide clip into image frames or a GIF: FFV1, the codec of their lossless parts, cannot open a
1-pixel-wide frame taller than 1 pixel, and the run failed halfway naming an internal parts file; it is now
refused before any work in one line naming the size."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main


def _clip(path: Path, width: int, height: int, n: int = 4) -> str:
    with av.open(str(path), "w") as c:
        s = c.add_stream("png", rate=10)
        s.width, s.height, s.pix_fmt = width, height, "rgb24"
        for k in range(n):
            frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), 40 * k, np.uint8), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return str(path)


@pytest.mark.parametrize("name", ["o.gif", "frames/", "jpg/%04d.jpg"])
@pytest.mark.parametrize("command", ["upscale", "infill"])
def test_a_one_pixel_wide_clip_into_frames_is_refused_first(capsys, tmp_path: Path, name: str, command: str):
    clip = _clip(tmp_path / "w1.mov", 1, 16)
    out = f"{tmp_path}/{name}"
    how = ["--factor", "2"] if command == "upscale" else ["--frames", "1"]
    code = main([command, clip, "-o", out, "--method", "blend", "-q", *how])
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert code == 2 and len(err) == 1, err
    assert "a 1x16 clip (1 pixel wide) cannot be written as" in err[0] and "parts" not in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1.mov"]  # nothing written, no parts left


def test_a_one_pixel_high_clip_into_frames_is_written(capsys, tmp_path: Path):
    clip = _clip(tmp_path / "h1.mov", 16, 1)
    out = tmp_path / "frames"
    assert main(["upscale", clip, "-o", f"{out}/", "--factor", "2", "--method", "blend", "-q"]) == 0
    assert len(list(out.glob("*.png"))) == 8


@pytest.mark.parametrize(("codec", "name"), [("ffv1", "o.mkv"), ("hevc", "o.mp4")])
def test_a_codec_that_refuses_a_tiny_frame_names_the_size(capsys, tmp_path: Path, codec: str, name: str):
    # was "cannot write ffv1 ... on this system": the same options write a 64x64 clip, the size is the reason
    clip = _clip(tmp_path / "w1.mov", 1, 16)
    code = main(
        [
            "upscale",
            clip,
            "-o",
            str(tmp_path / name),
            "--codec",
            codec,
            "--factor",
            "2",
            "--method",
            "blend",
            "-q",
        ]
    )
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert code == 2 and len(err) == 1, err
    assert "at 1x16" in err[0] and "this small" in err[0] and "on this system" not in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1.mov"]


def test_a_container_that_refuses_a_codec_still_says_so(capsys, tmp_path: Path):
    clip = _clip(tmp_path / "w1.mov", 1, 16)
    code = main(
        [
            "upscale",
            clip,
            "-o",
            str(tmp_path / "o.mov"),
            "--codec",
            "ffv1",
            "--factor",
            "2",
            "--method",
            "blend",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "into .mov on this system" in err and "this small" not in err, err
