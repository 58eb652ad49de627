"""A recording cut inside a group of pictures keeps its subtitles and chapters on its pictures.

Its first frames refer to frames before the cut, so no decoder shows them: the clip starts at its first
keyframe, and its audio keeps its distance to that (`test_real_world_media`). Its subtitles and chapters
were timed from the stream's first packet, a frame no decoder shows, so each came out that far late."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from test_streams import ASS_HEADER, MS, _cues, _extras, mux_cues

from vidiff.cli import main

FPS = Fraction(24)
CUES = [(100, 400, "Before the cut"), (600, 900, "Second line"), (1200, 1450, "Last one")]  # ms
CHAPTERS = [(0, 1000, "Intro"), (1000, 1500, "Main")]


def cut_recording(path: Path) -> Path:
    """36 frames (keyframes at 0, 12, 24) less the first 3 packets: frames 3-11 cannot be decoded, the
    first shown is frame 12 (0.5 s); a SubRip track of `CUES` and `CHAPTERS`."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.options = {"qp": "0", "preset": "ultrafast", "g": "12", "sc_threshold": "0"}
        s = c.add_stream("subrip")
        s.codec_context.time_base, s.codec_context.subtitle_header = MS, ASS_HEADER
        c.set_chapters(
            [
                {"id": i + 1, "start": t0, "end": t1, "time_base": MS, "metadata": {"title": name}}
                for i, (t0, t1, name) in enumerate(CHAPTERS)
            ]
        )
        k = 0
        for i in range(36):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, i : i + 16] = (230, 80, 30)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            for p in v.encode(f):
                k += 1
                if k > 3:
                    c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        mux_cues(c, s, CUES)
    return path


def test_subtitles_and_chapters_of_a_recording_cut_inside_a_gop(tmp_path: Path):
    src = cut_recording(tmp_path / "cut.mkv")
    with av.open(str(src)) as c:
        assert next(c.decode(video=0)).time == 0.5  # the first frame shown
    out = tmp_path / "x2.mkv"
    args = ["--factor", "2", "--method", "blend", "--workers", "1", "--quiet"]
    assert main(["upscale", str(src), "-o", str(out), *args]) == 0
    # output time 0 is the source's 0.5 s: the cue before it is gone, the others 500 ms earlier
    assert _cues(out) == [(100, 400, "Second line"), (700, 950, "Last one")]
    assert _extras(out)["chapters"] == [(0, 500, "Intro"), (500, 1000, "Main")]
