"""The web app's browser previews (issue 33): an input a browser cannot play (MPEG-4 part 2, .mkv) gets an
H.264 .mp4 copy in the app's folder, with every frame at its own time; a playable one is used as it is."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import write_clip

from vidiff.ui.media import browser_playable, preview


def _frames(n: int = 6, h: int = 72, w: int = 96) -> list[np.ndarray]:
    return [np.full((h, w, 3), 20 + 30 * i, np.uint8) for i in range(n)]


def _decoded(path) -> tuple[str, list[float]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.codec_context.name, [round(float(f.time), 3) for f in c.decode(s)]


@pytest.mark.parametrize("name, codec", [("in.mkv", "libx264"), ("in.mp4", "mpeg4"), ("in.avi", "mpeg4")])
def test_an_unplayable_input_gets_an_h264_preview_at_the_same_times(tmp_path, name, codec):
    src = write_clip(tmp_path / name, _frames(), fps=Fraction(10), codec=codec, pix_fmt="yuv420p")
    folder = tmp_path / "job"
    folder.mkdir()
    assert not browser_playable(src)
    out = preview(src, folder)
    assert out.endswith("_preview.mp4") and out.startswith(str(folder)) and browser_playable(out)
    assert _decoded(out) == ("h264", _decoded(src)[1]) and _decoded(src)[1] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_a_playable_input_is_used_as_it_is(tmp_path):
    src = write_clip(tmp_path / "in.mp4", _frames(), codec="libx264")
    assert preview(src, tmp_path) == str(src) and list(tmp_path.iterdir()) == [src]


def test_a_tall_input_is_previewed_at_720_lines_and_garbage_falls_back_to_itself(tmp_path):
    src = write_clip(tmp_path / "tall.mkv", _frames(2, 1080, 1440), codec="mpeg4")
    with av.open(preview(src, tmp_path)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (960, 720)
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(b"not a video" * 10)
    assert preview(bad, tmp_path) == str(bad) and not (tmp_path / "bad_preview.mp4").exists()
