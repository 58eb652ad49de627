"""A .mov's start timecode (a tmcd track) carried to a .mov or .mp4 output, counted at the output's rate."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.timecode import retime, shown_timecode


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


@pytest.mark.parametrize(
    ("tc", "rate", "shift", "want"),
    [
        ("01:00:00:10", 24, Fraction(1, 2), "01:00:00:22"),
        ("23:59:59:23", 24, Fraction(1, 24), "00:00:00:00"),  # wraps at 24 hours
        ("00:00:59;29", Fraction(30000, 1001), Fraction(1001, 30000), "00:01:00;02"),  # ;00 and ;01 dropped
        ("00:09:59;29", Fraction(30000, 1001), Fraction(1001, 30000), "00:10:00;00"),  # not every 10th
        ("00:00:59;59", Fraction(60000, 1001), Fraction(1001, 60000), "00:01:00;04"),
        ("01:00:00:10", 24, Fraction(0), "01:00:00:10"),
        ("not a timecode", 24, Fraction(1), "not a timecode"),
    ],
)
def test_shown_timecode(tc, rate, shift, want):
    assert shown_timecode(tc, Fraction(rate), shift) == want


def test_a_recording_cut_inside_a_gop_gets_the_timecode_of_its_first_shown_frame(tmp_path: Path):
    """36 frames from 01:00:00:10 less their first 3 packets: the first frame shown is frame 12 (0.5 s),
    01:00:00:22; it was written as 01:00:00:10, the time of frames no decoder shows."""
    path = tmp_path / "cut.mov"
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.options = {"qp": "0", "preset": "ultrafast", "g": "12", "sc_threshold": "0"}
        v.metadata["timecode"] = "01:00:00:10"
        packets = 0
        for i in range(36):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, i : i + 16] = 200
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            for p in v.encode(f):
                packets += 1
                if packets > 3:
                    c.mux(p)
        c.mux(v.encode(None))
    with av.open(str(path)) as c:
        assert next(c.decode(video=0)).time == 0.5
    out = tmp_path / "x2.mov"
    assert main(["upscale", str(path), "-o", str(out), "--factor", "2", "--method", "blend", "--quiet"]) == 0
    assert timecodes(out) == [("video", "01:00:00:44"), ("data", "01:00:00:44")]  # 22/24 s = 44/48 s
