"""Non-square pixels (a 16:9 DVD's 720x480 at 32:27, a 4:3 one's at 10:11): `probe` says so and an output
of the same frames is shown at the input's shape (`vidiff.io.aspect`); it was written with square pixels,
so a 16:9 clip's output was shown at 3:2."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from media_kinds import decoded, write_clip

from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.io.aspect import describe_sar, shown_size, written_sar
from vidiff.io.probe import probe
from vidiff.io.writer import VideoWriter


@pytest.mark.parametrize(
    "suffix, codec, sar",
    [
        (".mp4", "libx264", Fraction(10, 11)),
        (".mkv", "mpeg2video", Fraction(32, 27)),  # (MPEG-2 stores a display aspect: 16:9 is 32:27 here)
        (".avi", "mpeg4", Fraction(32, 27)),
    ],
)
def test_an_anamorphic_clip_keeps_its_pixel_aspect(tmp_path, capsys, suffix, codec, sar):
    src = write_clip(
        tmp_path / f"dvd{suffix}", codec, size=(720, 480), n=4, fps=Fraction(30000, 1001), sar=sar
    )
    assert probe(src).sar == sar
    assert main(["probe", str(src)]) == 0
    shown = round(720 * sar)
    assert (
        f"pixels {sar.numerator}:{sar.denominator} (non-square: shown {shown}x480)" in capsys.readouterr().out
    )
    for out_suffix in (".mp4", ".mkv", ".mov"):
        out = tmp_path / f"x2{out_suffix}"
        assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
        n, _, _, got = decoded(out)
        assert (n, got) == (8, sar), out_suffix


def test_infill_keeps_the_pixel_aspect_and_square_pixels_stay_square(tmp_path, capsys):
    src = write_clip(tmp_path / "dvd.mkv", "mpeg2video", size=(720, 480), n=5, sar=Fraction(32, 27))
    out = tmp_path / "fixed.mp4"
    assert main(["infill", str(src), "-o", str(out), "--frames", "2", "--method", "blend", "-q"]) == 0
    assert decoded(out)[3] == Fraction(32, 27)
    square = write_clip(tmp_path / "sq.mp4", "libx264", n=4)
    assert probe(square).sar is None
    capsys.readouterr()
    assert main(["probe", str(square), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sar"] is None
    out = tmp_path / "sq_x2.mp4"
    assert main(["upscale", str(square), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
    assert decoded(out)[3] in (None, Fraction(0), Fraction(1))


def test_the_pixel_aspect_rules():
    assert shown_size(720, 480, Fraction(32, 27)) == (853, 480)
    assert shown_size(1440, 1080, Fraction(4, 3)) == (1920, 1080)
    assert describe_sar(720, 480, Fraction(32, 27), rotation=90) == "32:27 (non-square: shown 480x853)"
    assert written_sar(Fraction(10, 11), None) == Fraction(10, 11)
    assert written_sar(Fraction(10, 11), lambda im: im[:10]) is None  # frames of another shape: square
    with pytest.raises(ConfigError, match="sar 'x': must be a pixel aspect ratio"):
        VideoWriter("/nonexistent/never.mp4", 16, 16, Fraction(25), sar="x")
