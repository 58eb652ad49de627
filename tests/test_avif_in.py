"""An animated AVIF (a web animation, a phone's burst): FFmpeg shows its still primary image as a first,
one-frame video stream and the animation as a second; the first was taken, so the clip was "1 frame"."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from test_sequences import square

from vidiff.io.probe import probe
from vidiff.io.random_access import open_frames
from vidiff.io.reader import VideoReader
from vidiff.runner import upscale_file

PIL_AVIF = pytest.importorskip("PIL.features").check("avif")


@pytest.mark.skipif(not PIL_AVIF, reason="Pillow without AVIF")
def test_an_animated_avif_is_its_animation(tmp_path: Path, capsys):
    from PIL import Image

    path = tmp_path / "a.avif"
    ims = [Image.fromarray(square(i)) for i in range(6)]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=[40, 80, 40, 120, 40, 40], quality=90)
    info = probe(path)
    assert (info.n_frames, info.fps, info.is_vfr, info.notes) == (6, 25, True, [])
    assert "video streams" not in capsys.readouterr().err  # the still image is no stream left out
    times = [Fraction(ms, 1000) for ms in (0, 40, 120, 160, 280, 320)]
    assert [f.time for f in VideoReader(path)] == times
    r = open_frames(path)
    assert len(r) == 6
    r.close()
    out = tmp_path / "x2.mkv"
    assert upscale_file(path, out, factor=2, method="blend", progress=False)["out_frames"] == 18
