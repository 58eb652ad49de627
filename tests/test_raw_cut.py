"""A raw .h264 stream cut short inside its last frame: the decoder conceals that frame's missing part (grey
or smeared) and the stream states no frame count, so no damage was seen. The frame is left out with ONE
warning line of counts, and refused with --strict (`vidiff.io.reader`)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.random_access import FrameLost, open_frames
from vidiff.io.reader import VideoReader


def raw_h264(path: Path, n: int = 6) -> list[int]:
    """A raw H.264 stream of `n` noise frames (64x48, every packet about 2 KB); returns the packet sizes."""
    sizes = []
    with av.open(str(path), "w", format="h264") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.options = {"preset": "ultrafast"}
        for i in range(n):
            im = np.random.default_rng(i).integers(0, 255, (48, 64, 3)).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            for p in [*s.encode(f), *(s.encode(None) if i == n - 1 else [])]:
                sizes.append(p.size)
                c.mux(p)
    return sizes


def frames_in(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


@pytest.fixture
def cut(tmp_path: Path) -> Path:
    whole = tmp_path / "rec.h264"
    sizes = raw_h264(whole)
    path = tmp_path / "cut.h264"
    path.write_bytes(whole.read_bytes()[: -sizes[-1] // 2])  # half of the last frame's bytes
    return path


def upscale(path: Path, out: Path, *extra: str) -> int:
    return main(
        ["upscale", str(path), "-o", str(out), "--factor", "2", "--method", "blend", "--quiet", *extra]
    )


def test_a_whole_raw_stream_gives_no_warning(tmp_path: Path, capsys):
    path = tmp_path / "rec.h264"
    raw_h264(path)
    assert upscale(path, tmp_path / "x2.mp4") == 0 and capsys.readouterr().err == ""
    assert frames_in(tmp_path / "x2.mp4") == 12


def test_its_last_frame_cut_short_is_left_out_with_one_warning(cut: Path, tmp_path: Path, capsys):
    out = tmp_path / "x2.mp4"
    assert upscale(cut, out) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {cut}: file holds 6 frames, 5 decoded")
    assert "last frame is cut short" in err[0] and err[0].endswith("using 5")
    assert frames_in(out) == 10  # 5 frames at x2


def test_strict_refuses_it(cut: Path, tmp_path: Path, capsys):
    out = tmp_path / "x2.mp4"
    assert upscale(cut, out, "--strict") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidiff: error:") and "last frame is cut short" in err[0]
    assert not out.exists()


def test_random_access_leaves_it_out_too(cut: Path, capsys):
    """Training's reader (frames counted from the start) serves the reader's frames, not the cut one."""
    seq = [f.image for f in VideoReader(cut)]
    capsys.readouterr()
    r = open_frames(cut)
    assert np.array_equal(r.get([4])[0], seq[4])
    with pytest.raises(FrameLost):
        r.get([5])
    r.close()
