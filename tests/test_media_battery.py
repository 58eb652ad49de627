"""The codecs, containers and pixel layouts a user's clip comes in (`media_kinds`, made with PyAV): each is
probed, raised x2 (a playable output of twice the frames over the same time, its mean colour the input's:
no range or matrix slip) and, for some, measured and repaired. A few run by default; `-m slow` runs all.
Findings: tests/test_pixel_aspect.py and tests/test_mirrored.py."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pytest
from media_kinds import decoded, write_clip

from vidiff.cli import main
from vidiff.io.probe import probe

VP9 = {"deadline": "realtime", "cpu-used": "8"}
CASES = {  # id -> (file name, encoder, pixel format, write_clip's other arguments)
    "mpeg2-ts": ("a.ts", "mpeg2video", "yuv420p", {}),
    "mpeg4-avi-odd": ("a.avi", "mpeg4", "yuv420p", {"size": (175, 143)}),  # odd sides (padded to even)
    "mjpeg-full-range": ("a.avi", "mjpeg", "yuvj420p", {}),
    "vp9-webm": ("a.webm", "libvpx-vp9", "yuv420p", {"options": VP9}),
    "prores-mov": ("a.mov", "prores_ks", "yuv422p10le", {}),
    "ffv1-gray": ("a.mkv", "ffv1", "gray", {}),
    "h263-3gp": ("a.3gp", "h263", "yuv420p", {"size": (176, 144)}),
    "h264-1/90000": ("a.mkv", "libx264", "yuv420p", {"time_base": Fraction(1, 90000)}),
    # side data PyAV cannot name: reading the display matrix raised ValueError (a traceback in probe)
    "tiff-mov": ("a.mov", "tiff", "rgb24", {}),
}
SLOW_CASES = {
    "mpeg2-422-mkv": ("a.mkv", "mpeg2video", "yuv422p", {}),
    "msmpeg4v2-avi": ("a.avi", "msmpeg4v2", "yuv420p", {}),
    "msmpeg4v3-avi": ("a.avi", "msmpeg4", "yuv420p", {}),
    "wmv2-wmv": ("a.wmv", "wmv2", "yuv420p", {"container": "asf"}),
    "flv1-flv": ("a.flv", "flv", "yuv420p", {}),
    "mjpeg-422-mov": ("a.mov", "mjpeg", "yuvj422p", {}),
    "vp8-webm": ("a.webm", "libvpx", "yuv420p", {}),
    "vp8-ogg": ("a.ogg", "libvpx", "yuv420p", {}),
    "vp9-444-mkv": ("a.mkv", "libvpx-vp9", "yuv444p", {"options": VP9}),
    "av1-mkv": ("a.mkv", "libsvtav1", "yuv420p", {"size": (64, 64)}),
    "av1-10bit-mp4": ("a.mp4", "libsvtav1", "yuv420p10le", {"size": (64, 64)}),
    "hevc-mp4": ("a.mp4", "libx265", "yuv420p", {}),
    "hevc-10bit-mkv": ("a.mkv", "libx265", "yuv420p10le", {}),
    "prores-4444-mov": ("a.mov", "prores_ks", "yuv444p10le", {}),
    "dnxhd-mxf": ("a.mxf", "dnxhd", "yuv422p", {"size": (1920, 1080), "n": 3, "options": {"b": "36M"}}),
    "ffv1-gray16-mkv": ("a.mkv", "ffv1", "gray16le", {}),
    "huffyuv-avi": ("a.avi", "huffyuv", "yuv422p", {}),
    "huffyuv-rgb-avi": ("a.avi", "huffyuv", "rgb24", {}),
    "raw-avi": ("a.avi", "rawvideo", "yuv420p", {}),
    "raw-nut": ("a.nut", "rawvideo", "yuv420p", {}),
    "y4m-444": ("a.y4m", "rawvideo", "yuv444p", {}),
    "h264-m2ts": ("a.m2ts", "libx264", "yuv420p", {"container": "mpegts"}),
    "h264-full-range-mp4": ("a.mp4", "libx264", "yuvj420p", {}),
    "h264-10bit-mp4": ("a.mp4", "libx264", "yuv420p10le", {}),
    "h264-444-mp4": ("a.mp4", "libx264", "yuv444p", {}),
    "h264-hd-720p": ("a.mp4", "libx264", "yuv420p", {"size": (1280, 720), "n": 3}),
    "h264-16x16": ("a.mp4", "libx264", "yuv420p", {"size": (16, 16)}),
    "mpeg4-one-macroblock": ("a.avi", "mpeg4", "yuv420p", {"size": (16, 16)}),
    "h264-1/1000000-mov": ("a.mov", "libx264", "yuv420p", {"time_base": Fraction(1, 1000000)}),
    # older and editing codecs: camcorder, web, QuickTime and intermediate formats
    "dv-pal-avi": ("a.avi", "dvvideo", "yuv420p", {"size": (720, 576), "n": 4}),
    "mpeg1-mpg": ("a.mpg", "mpeg1video", "yuv420p", {}),
    "cinepak-avi": ("a.avi", "cinepak", "rgb24", {}),
    "svq1-mov": ("a.mov", "svq1", "yuv410p", {}),
    "jpeg2000-mov": ("a.mov", "jpeg2000", "yuv420p", {}),
    "qtrle-mov": ("a.mov", "qtrle", "rgb24", {}),
    "png-mov": ("a.mov", "png", "rgb24", {}),
    "cineform-mov": ("a.mov", "cfhd", "yuv422p10le", {}),
    "magicyuv-avi": ("a.avi", "magicyuv", "yuv422p", {}),
    "utvideo-avi": ("a.avi", "utvideo", "yuv420p", {}),
    "utvideo-rgb-avi": ("a.avi", "utvideo", "gbrp", {}),
    "h261-avi": ("a.avi", "h261", "yuv420p", {"size": (176, 144)}),
    "asv1-avi": ("a.avi", "asv1", "yuv420p", {}),
    "ffvhuff-avi": ("a.avi", "ffvhuff", "yuv420p", {}),
    "v210-mov": ("a.mov", "v210", "yuv422p10le", {}),
    "r210-mov": ("a.mov", "r210", "gbrp10le", {}),
    "msvideo1-avi": ("a.avi", "msvideo1", "rgb555le", {}),
    "zmbv-avi": ("a.avi", "zmbv", "bgr0", {}),
    "rv20-rm": ("a.rm", "rv20", "yuv420p", {}),
    "snow-nut": ("a.nut", "snow", "yuv420p", {}),
    "jpegls-avi": ("a.avi", "jpegls", "rgb24", {}),
}
DECODED_AS = {"prores-4444-mov": "yuv444p12le", "huffyuv-rgb-avi": "bgr0"}  # the decoder's pixel format
ALL = [pytest.param(k, *v, id=k) for k, v in CASES.items()] + [
    pytest.param(k, *v, id=k, marks=pytest.mark.slow) for k, v in SLOW_CASES.items()
]


@pytest.mark.parametrize("kind, name, codec, pix_fmt, extra", ALL)
def test_a_clip_of_every_kind_is_probed_and_raised_with_its_colour(
    tmp_path, kind, name, codec, pix_fmt, extra
):
    if codec not in av.codecs_available:
        pytest.skip(f"this PyAV has no {codec} encoder")
    n, (w, h) = extra.get("n", 8), extra.get("size", (64, 48))
    src = write_clip(tmp_path / name, codec, pix_fmt, **extra)
    frames, seconds, colour, _ = decoded(src)
    info = probe(src)
    k = 2 if info.deinterlace == "field" else 1  # interlaced (DV): read a frame per field
    want = (n, w, h, DECODED_AS.get(kind, pix_fmt))
    assert (info.n_frames // k, info.width, info.height, info.pix_fmt) == want
    assert info.damage is None
    out = tmp_path / "x2.mp4"
    assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
    got_frames, got_seconds, got_colour, _ = decoded(out)
    assert got_frames == 2 * frames * k
    assert got_seconds == pytest.approx(seconds, abs=0.011)
    assert np.abs(got_colour - colour).max() < 3, (colour, got_colour)
    got = probe(out)
    assert (got.width, got.height) == (w + w % 2, h + h % 2)  # 4:2:0 output: an odd side padded by one


@pytest.mark.parametrize("kind", ["mjpeg-full-range", "ffv1-gray", "h264-1/90000"])
def test_metrics_and_infill_read_them(tmp_path, capsys, kind):
    name, codec, pix_fmt, extra = CASES[kind]
    src = write_clip(tmp_path / name, codec, pix_fmt, n=10, **extra)
    assert main(["metrics", str(src), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["n_frames"] == 10
    out = tmp_path / "fixed.mkv"
    assert main(["infill", str(src), "-o", str(out), "--frames", "4", "--method", "blend", "-q"]) == 0
    assert decoded(out)[0] == 10


def test_an_audio_only_file_is_one_error_line(tmp_path, capsys):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as c:
        a = c.add_stream("aac", rate=48000)
        for k in range(5):
            f = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
            f.sample_rate, f.pts = 48000, k * 1024
            c.mux(a.encode(f))
        c.mux(a.encode(None))
    for argv in (
        ["probe", str(path)],
        ["upscale", str(path), "-o", str(tmp_path / "o.mp4"), "--factor", "2"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"vidiff: error: {path}: has no video stream"]


def _tone(
    stream: av.audio.stream.AudioStream, container: av.container.OutputContainer, seconds: float
) -> None:
    """`seconds` of quiet noise into an audio `stream` of 48 kHz stereo."""
    for k in range(int(seconds * 48000 / 960)):
        noise = np.random.default_rng(k).random((2, 960)).astype(np.float32) * 0.1 - 0.05
        f = av.AudioFrame.from_ndarray(noise, format="fltp", layout="stereo")
        f.sample_rate, f.pts, f.time_base = 48000, k * 960, Fraction(1, 48000)
        container.mux(stream.encode(f))
    container.mux(stream.encode(None))


def test_two_audio_streams_are_both_kept(tmp_path):
    src = tmp_path / "dub.mkv"
    with av.open(str(src), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        tracks = [c.add_stream("aac", rate=48000), c.add_stream("aac", rate=48000)]
        for i in range(10):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        for a in tracks:
            _tone(a, c, 0.4)
    assert len(probe(src).audio) == 2
    out = tmp_path / "x2.mp4"
    assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
    got = probe(out)
    assert (got.n_frames, len(got.audio)) == (20, 2)


@pytest.mark.parametrize(
    "name, options",
    [
        ("fragmented.mp4", {"movflags": "frag_keyframe+empty_moov"}),  # no frame count, no stream length
        ("shifted.mkv", {}),  # times before 0 (a cut with its times kept): the muxer shifts them
        ("shifted.nut", {}),
    ],
)
def test_a_clip_without_a_stated_length_or_with_times_before_zero_is_whole(tmp_path, name, options):
    src = write_clip(tmp_path / "src.mp4", "libx264", n=12, options={"g": "4", "bf": "2"})
    dst = tmp_path / name
    with av.open(str(src)) as i, av.open(str(dst), "w", options=options) as o:
        vi = i.streams.video[0]
        vo = o.add_stream_from_template(vi)
        shift = 0 if options else round(Fraction(3, 25) / vi.time_base)  # three frames before 0
        for p in i.demux(vi):
            if p.dts is not None:
                p.pts, p.dts, p.stream = p.pts - shift, p.dts - shift, vo
                o.mux(p)
    info = probe(dst)
    assert (info.n_frames, info.damage) == (12, None)
    out = tmp_path / "x2.mkv"
    assert main(["upscale", str(dst), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
    frames, seconds, _, _ = decoded(out)
    assert frames == 24 and seconds == pytest.approx(12 / 25, abs=0.011)


def test_a_raw_dv_file_is_read_at_its_frame_rate(tmp_path):
    """FFmpeg's DV demuxer states its 1/60000 time base as the average rate: a camcorder's .dv was
    "60000 fps" and x2 was refused ("output rate 120000 fps is over 1000"). Its frames, evenly 2002
    ticks apart, are 29.97 fps; its 8:9 pixels are kept. (DV is interlaced: read as stored here; by default
    a frame per field, 59.94 fps: `vidiff.io.deinterlace`.)"""
    src = write_clip(
        tmp_path / "tape.dv", "dvvideo", "yuv411p", size=(720, 480), n=4, fps=Fraction(30000, 1001)
    )
    info = probe(src, deinterlace="off")
    assert (info.fps, info.n_frames, info.sar) == (Fraction(30000, 1001), 4, Fraction(8, 9))
    assert (probe(src).fps, probe(src).n_frames) == (Fraction(60000, 1001), 8)
    out = tmp_path / "x2.mp4"
    up = ["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]
    assert main([*up, "--deinterlace", "off"]) == 0
    got = probe(out)
    assert (got.fps, got.n_frames, got.sar) == (Fraction(60000, 1001), 8, Fraction(8, 9))
    assert got.duration == pytest.approx(4 * 1001 / 30000, abs=0.002)
