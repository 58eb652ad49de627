"""A .mov's start timecode (a tmcd track) carried to a .mov or .mp4 output, counted at the output's rate."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.timecode import retime


@pytest.mark.parametrize(
    ("tc", "src", "out", "want"),
    [
        ("01:00:00:10", 24, 24, "01:00:00:10"),
        ("01:00:00:10", 24, 48, "01:00:00:20"),
        ("01:00:00:10", 24, 60, "01:00:00:25"),
        ("01:00:00:11", 24, 60, "01:00:00:28"),  # 27.5 frames: the nearest
        ("00:59:59:29", 30, 12, "01:00:00:00"),  # rounds up into the next second
        ("10:00:00;02", Fraction(30000, 1001), Fraction(60000, 1001), "10:00:00;04"),
        ("10:00:00;02", Fraction(30000, 1001), Fraction(48), "10:00:00:03"),  # no drop-frame at 48
        ("01:00:00:30", 24, 48, None),  # a frames field past the rate's: no timecode
        ("not a timecode", 24, 48, None),
        (None, 24, 48, None),
    ],
)
def test_retime(tc, src, out, want):
    assert retime(tc, Fraction(src), Fraction(out)) == want


def camera_mov(path: Path, timecode: str = "01:00:00:10") -> Path:
    """6 frames at 24 fps with a timecode track, as a camera or an editor writes one."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.metadata["timecode"] = timecode
        for i in range(6):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, 4 * i : 4 * i + 16] = 200
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def timecodes(path: Path) -> list[tuple[str, str | None]]:
    with av.open(str(path)) as c:
        return [(s.type, s.metadata.get("timecode")) for s in c.streams]


@pytest.mark.parametrize("ext", [".mov", ".mp4"])
def test_the_timecode_track_is_kept(tmp_path: Path, ext: str):
    src = camera_mov(tmp_path / "cam.mov")
    assert timecodes(src) == [("video", "01:00:00:10"), ("data", "01:00:00:10")]
    out = tmp_path / f"x2{ext}"
    args = ["--method", "blend", "--workers", "1", "--quiet"]
    assert main(["upscale", str(src), "-o", str(out), "--factor", "2", *args]) == 0
    assert timecodes(out) == [("video", "01:00:00:20"), ("data", "01:00:00:20")]  # 10/24 s = 20/48 s
    fixed = tmp_path / f"fixed{ext}"
    assert main(["infill", str(src), "-o", str(fixed), "--frames", "2", *args[:2], "--quiet"]) == 0
    assert timecodes(fixed) == [("video", "01:00:00:10"), ("data", "01:00:00:10")]
