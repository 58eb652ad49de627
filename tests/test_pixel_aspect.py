"""Non-square pixels (a 16:9 DVD's 720x480 at 32:27, a 4:3 one's at 10:11): `probe` says so and an output
of the same frames is shown at the input's shape (`vidiff.io.aspect`); it was written with square pixels,
so a 16:9 clip's output was shown at 3:2."""

from __future__ import annotations

import functools
import json
from fractions import Fraction

import numpy as np
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


def _circle_clip(path, n: int = 3):
    """An HDV-like clip: 96x48 stored at 4:3 pixels (shown 128x48), a disc 48 pixels wide as shown (36
    stored), so a picture left in stored pixels shows it 3/4 as wide as high."""
    import av
    import cv2

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25, options={"qp": "0"})
        s.width, s.height, s.pix_fmt = 96, 48, "yuv444p"
        s.codec_context.sample_aspect_ratio = Fraction(4, 3)
        for i in range(n):
            shown = np.full((48, 128, 3), 30, np.uint8)
            cv2.circle(shown, (64, 24), 20, (230, 200, 40), -1)
            stored = cv2.resize(shown, (96, 48), interpolation=cv2.INTER_AREA)
            f = av.VideoFrame.from_ndarray(stored, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def _disc_aspect(image: np.ndarray) -> float:
    """Width over height of the bright disc in `image`."""
    ys, xs = np.nonzero(image[..., 0] > 130)
    return (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)


def test_a_reframe_and_image_frames_of_non_square_pixels_see_the_shown_picture(tmp_path):
    """A reframe (a recipe's, `transform=`) cropped the stored pixels and wrote them square: a 4:3-pixel
    clip's disc came out squeezed to 3/4 of its width; PNG frames and a GIF (shown as stored) too."""
    import cv2

    from vidiff.generate.social import reframe
    from vidiff.runner.upscale import upscale_file

    src = _circle_clip(tmp_path / "hdv.mkv")
    assert abs(_disc_aspect(decoded_first(src)) - 0.75) < 0.1  # as stored
    out = tmp_path / "square.mp4"
    upscale_file(
        src, out, factor=2, method="blend", transform=functools.partial(reframe, size=(64, 48)),
        out_size=(64, 48), progress=False, crf=0, pix_fmt="yuv444p",
    )  # fmt: skip
    info = probe(out)
    assert (info.width, info.height, info.sar, info.n_frames) == (64, 48, None, 6)
    assert abs(_disc_aspect(decoded_first(out)) - 1) < 0.1
    frames = tmp_path / "frames"
    assert main(["upscale", str(src), "-o", f"{frames}/", "--factor", "2", "--method", "blend", "-q"]) == 0
    image = cv2.imread(str(frames / "000000.png"))[..., ::-1]
    assert image.shape == (48, 128, 3) and abs(_disc_aspect(image) - 1) < 0.1
    gif = tmp_path / "a.gif"
    assert main(["upscale", str(src), "-o", str(gif), "--factor", "2", "--method", "blend", "-q"]) == 0
    assert decoded_first(gif).shape == (48, 128, 3)


def decoded_first(path) -> np.ndarray:
    """The first frame of `path`, RGB, as stored."""
    import av

    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")


def test_an_output_that_cannot_hold_the_pixel_aspect_says_so_once(tmp_path, capsys):
    """VP9, AV1 and FFV1 state no pixel aspect and FFmpeg's Matroska muxer takes it only from the stream,
    which PyAV does not set: a .webm of a DVD clip was shown at 3:2 without a word."""
    src = write_clip(tmp_path / "dvd.mp4", "libx264", size=(720, 480), n=3, sar=Fraction(32, 27))
    capsys.readouterr()
    webm = tmp_path / "x2.webm"
    argv = ["--factor", "2", "--method", "blend", "-q", "--codec", "vp9"]
    assert main(["upscale", str(src), "-o", str(webm), *argv]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "pixel aspect" in line]
    assert notes == [
        f"note: {webm}: a .webm file of libvpx-vp9 holds no pixel aspect here: the input's 32:27 is left out "
        "and the output is shown with square pixels; an .mp4 (or .mov), or codec h264 or h265, keeps it"
    ]
    for out in (tmp_path / "x2.mp4", tmp_path / "x2.mkv"):  # vp9 in .mp4, h264 in .mkv: kept, no note
        codec = "vp9" if out.suffix == ".mp4" else "h264"
        assert main(["upscale", str(src), "-o", str(out), *argv[:-1], codec]) == 0
        assert "pixel aspect" not in capsys.readouterr().err
        assert probe(out).sar == Fraction(32, 27)
    fixed = tmp_path / "fixed.mkv"
    assert main(["infill", str(src), "-o", str(fixed), "--frames", "1", "--method", "blend", "-q"]) == 0
    assert "pixel aspect" not in capsys.readouterr().err


def test_probe_gives_one_shown_size_for_a_turned_clip_of_non_square_pixels(tmp_path, capsys):
    from vidiff.io.orient import display_matrix

    src = write_clip(
        tmp_path / "v.mp4", "libx264", size=(720, 480), n=2, sar=Fraction(32, 27), matrix=display_matrix(90)
    )
    assert main(["probe", str(src)]) == 0
    out = capsys.readouterr().out
    assert "rotation 90 deg (shown 480x853)" in out and "pixels 32:27 (non-square: shown 480x853)" in out


def test_a_recipe_keeps_the_pixel_aspect_and_the_mirror(tmp_path):
    from vidiff.io.orient import display_matrix

    src = write_clip(
        tmp_path / "dvd.mkv",
        "mpeg2video",
        size=(720, 480),
        n=4,
        sar=Fraction(32, 27),
        matrix=display_matrix(0, True),
    )
    out = tmp_path / "x2.mp4"
    assert main(["run", "fps_x2", "-i", str(src), "-o", str(out), "interpolate.method=blend", "-q"]) == 0
    info = probe(out)
    assert (info.n_frames, info.sar, info.rotation, info.flip) == (8, Fraction(32, 27), 0, True)


def test_a_pixel_aspect_out_of_all_reason_is_taken_as_square(tmp_path):
    """A damaged header's 200:1 would have made its frames 12800 pixels wide where they are shown square."""
    from vidiff.io.aspect import stream_sar

    class Stated:
        def __init__(self, sar):
            self.sample_aspect_ratio, self.codec_context = sar, None

    assert stream_sar(Stated(Fraction(200, 1))) is None
    assert stream_sar(Stated(Fraction(1, 200))) is None
    assert stream_sar(Stated(Fraction(2, 1))) == 2  # a 2x anamorphic lens
    src = write_clip(tmp_path / "bad.mp4", "libx264", n=3, sar=Fraction(200, 1))
    assert probe(src).sar is None
