"""A raw elementary stream read twice (the probe, then each pass): opened again for a pass, not sought to
0. A raw MPEG-4 Part 2 stream (.m4v) with B-frames is sought by its parser's stamps, and its seek to 0
landed on its first P-frame: a whole file lost its first 3 frames with a damage warning, and random
access could not decode frame 0."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.color import frame_to_rgb
from vidiff.io.random_access import open_frames
from vidiff.io.reader import VideoReader


def b_frame_stream(path: Path, fmt: str, codec: str, n: int = 12) -> list[np.ndarray]:
    """`n` noise frames, two B-frames between references; returns them as FFmpeg decodes the file (from its start)."""
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=25, options={"bf": "2"})
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(n):
            im = np.random.default_rng(i).integers(0, 255, (48, 64, 3)).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    with av.open(str(path)) as c:
        return [frame_to_rgb(f) for f in c.decode(video=0)]


@pytest.mark.parametrize("fmt, codec, ext", [("m4v", "mpeg4", "m4v"), ("mpeg2video", "mpeg2video", "m2v")])
def test_a_whole_raw_stream_with_b_frames_reads_whole(tmp_path: Path, capsys, fmt: str, codec: str, ext: str):
    src = tmp_path / f"rec.{ext}"
    decoded = b_frame_stream(src, fmt, codec)
    frames = list(VideoReader(src))
    assert [f.time for f in frames] == [Fraction(k, 25) for k in range(12)]
    assert all(np.array_equal(f.image, d) for f, d in zip(frames, decoded, strict=True))
    out = tmp_path / "x2.mp4"
    assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
    assert capsys.readouterr().err == ""  # no damage warning
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 24
    r = open_frames(src)
    assert len(r) == 12
    got = r.get([0, 11, 1])
    assert all(np.array_equal(g, frames[i].image) for g, i in zip(got, [0, 11, 1], strict=True))
    r.close()
