import os
import shutil
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from conftest import count_frames, sha256, write_clip

from vidiff.errors import ConfigError, OutputError
from vidiff.io.color import frame_to_rgb
from vidiff.io.probe import VideoFile, probe
from vidiff.io.reader import VideoReader, read_frames
from vidiff.io.writer import VideoWriter, check_png_output


def test_probe_real_clips(bikes, carphone, bbb):
    b = probe(bikes)
    assert (b.width, b.height, b.fps, b.n_frames, b.is_vfr) == (640, 272, Fraction(25), 250, False)
    c = probe(carphone)
    assert c.fps == Fraction(30000, 1001) and c.n_frames == 120
    assert c.duration == pytest.approx(120 * 1001 / 30000)
    a = probe(bbb)
    assert a.audio and a.audio[0].codec == "aac" and a.audio[0].sample_rate == 48000
    assert a.rotation == 0 and a.pix_fmt == "yuv420p" and a.bit_depth == 8


def test_reader_streams_exact_times(carphone):
    frames = list(VideoReader(carphone))
    assert len(frames) == 120
    assert frames[1].time == Fraction(1001, 30000)
    assert frames[-1].time == Fraction(119 * 1001, 30000)
    assert frames[0].image.shape == (144, 176, 3) and frames[0].image.dtype == np.uint8


def test_vfr_detected(tmp_path, carphone):
    frames = read_frames(carphone, 6)
    times = [Fraction(x, 1000) for x in (0, 40, 120, 160, 300, 340)]
    p = write_clip(tmp_path / "vfr.mkv", frames, times=times)
    info = probe(p)
    assert info.is_vfr
    got = [f.time for f in VideoReader(p)]
    assert got == times


def test_writer_copies_audio_without_reencode(tmp_path, bbb):
    info = probe(bbb)
    out = tmp_path / "copy.mp4"
    with VideoWriter(out, info.width, info.height, info.fps, audio_from=bbb, preset="ultrafast") as w:
        for f in VideoReader(bbb):
            w.write(f.image)
    o = probe(out)
    assert o.n_frames == 132 and o.fps == 25
    assert o.audio[0].codec == "aac" and o.audio[0].channels == 6
    assert o.audio[0].duration == pytest.approx(info.audio[0].duration, abs=0.05)

    assert _audio_bytes(out) == _audio_bytes(bbb)  # packet-for-packet copy: the same audio bytes


def _pcm_clip(src, channels: int, rate: int):
    """10 MJPEG frames and 0.4 s of PCM tone (whose layout the file states as a bare channel count)."""
    with av.open(str(src), "w") as c:
        v = c.add_stream("mjpeg", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuvj420p"
        a = c.add_stream("pcm_s16le", rate=rate)
        a.layout = "stereo" if channels == 2 else "mono"
        for i in range(10):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="rgb24")
            c.mux(v.encode(f.reformat(format="yuvj420p")))
        c.mux(v.encode(None))
        tone = (8000 * np.sin(np.arange(rate * 2 // 5) / 5)).astype(np.int16)
        af = av.AudioFrame.from_ndarray(np.tile(tone, channels)[None], format="s16", layout=a.layout.name)
        af.sample_rate, af.pts = rate, 0
        c.mux(a.encode(af))
        c.mux(a.encode(None))
    return src


@pytest.mark.parametrize("ext, channels, rate", [(".avi", 2, 44100), (".mkv", 1, 8000)])
def test_pcm_audio_with_only_a_channel_count_is_reencoded_into_mp4(tmp_path, ext, channels, rate):
    """PCM in .avi or .mkv states a channel count, not a layout ("2 channels"); the AAC encoder refused
    that layout, so an upscale of such a clip to .mp4 ended, after all its frames, in a traceback."""
    src = _pcm_clip(tmp_path / f"pcm{ext}", channels, rate)
    with av.open(str(src)) as c:
        assert c.streams.audio[0].codec_context.layout.name == f"{channels} channels"
    out = tmp_path / "out.mp4"
    with VideoWriter(out, 64, 48, Fraction(25), audio_from=src, preset="ultrafast") as w:
        w.write_all(read_frames(src))
    (audio,) = probe(out).audio
    assert (audio.codec, audio.channels, audio.sample_rate) == ("aac", channels, rate)
    assert audio.duration == pytest.approx(0.4, abs=0.05)


def test_audio_the_encoder_refuses_is_caught_before_the_work(tmp_path, monkeypatch, capfd):
    """A re-encode the encoder refuses (here: handed a bare-count layout, as before the fix above) failed
    at the join, after every frame was made, with a traceback; the trial now opens the re-encoder too, so
    the run starts with one warning and writes the video without audio."""
    import vidiff.io.writer as writer

    monkeypatch.setattr(writer, "encodable_layout", lambda layout: layout.name)
    src = _pcm_clip(tmp_path / "pcm.avi", 2, 44100)
    out = tmp_path / "out.mp4"
    with VideoWriter(out, 64, 48, Fraction(25), audio_from=src, preset="ultrafast") as w:
        w.write_all(read_frames(src))
    assert "its audio cannot be written into a mp4 file" in capfd.readouterr().err
    assert probe(out).audio == [] and count_frames(out) == 10


def test_audio_longer_than_the_video_is_not_damage(tmp_path, bbb, capfd):
    """A Matroska file states no frame count and its duration spans the audio too: 100 frames (4 s) with
    bbb's 5.3 s of audio are whole, not 'header lists 132 frames, 100 decoded' (what an upscale of bbb to
    .mkv said of its own output)."""
    info = probe(bbb)
    out = tmp_path / "short_video.mkv"
    with VideoWriter(out, info.width, info.height, info.fps, audio_from=bbb, preset="ultrafast") as w:
        w.write_all(f.image for f in VideoReader(bbb) if f.index < 100)
    capfd.readouterr()
    o = probe(out)
    assert o.header_frames is None and o.header_duration > 5.2 and o.damage is None
    assert len(read_frames(out)) == 100 and "warning" not in capfd.readouterr().err


def _audio_bytes(p):
    with av.open(str(p)) as c:
        return b"".join(bytes(pk) for pk in c.demux(c.streams.audio[0]) if pk.size)


def test_one_open_file_serves_probe_frames_and_audio(tmp_path, bbb, monkeypatch):
    """Issue 14 point 7: a `VideoFile` owns the open input and its metadata; the probe, each pass of
    frames and the audio copy come from it (torchcodec's shape), so an upscale opens its input once
    (it was four times), with the same frames and the same audio packets. The one more open: the audio,
    read beside the frames by the join that encodes the output as its segments finish (issue 27)."""
    opened: list[str] = []
    real_open = av.open

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", counting_open)
    fresh = [(f.time, f.image) for f in VideoReader(bbb)]
    assert opened.count(str(bbb)) == 1  # a reader given a path probes and decodes through one open
    with VideoFile(bbb) as src:
        assert src.info == probe(bbb)
        for _ in range(2):  # every pass starts from the first frame
            again = [(f.time, f.image) for f in VideoReader(src)]
            assert [t for t, _ in again] == [t for t, _ in fresh]
            assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(again, fresh, strict=True))
        reader = iter(VideoReader(src))
        next(reader)
        with pytest.raises(ConfigError, match="still under way"):  # one pass at a time
            next(iter(VideoReader(src)))
        reader.close()
    with pytest.raises(ConfigError, match="VideoFile is closed"):  # was PyAV's AssertionError
        next(iter(VideoReader(src)))
    opened.clear()
    from vidiff.runner import upscale_file

    out = tmp_path / "x1.mp4"
    r = upscale_file(bbb, out, factor=1, method="blend", preset="ultrafast", progress=False)
    assert opened.count(str(bbb)) == 2, opened  # the frames and the probe; the audio
    assert r["out_frames"] == 132 and r["audio_streams"] == 1
    assert _audio_bytes(out) == _audio_bytes(bbb)


@pytest.mark.parametrize("codec, ext", [("h265", ".mkv"), ("vp9", ".webm"), ("av1", ".mp4")])
def test_writer_codecs_round_trip(tmp_path, carphone, codec, ext):
    frames = read_frames(carphone, 8)
    out = tmp_path / f"o{ext}"
    with VideoWriter(out, 176, 144, Fraction(30000, 1001), codec=codec, crf=30, audio_from=None) as w:
        w.write_all(frames)
    back = read_frames(out)
    assert len(back) == 8
    mse = np.mean((back[3].astype(float) - frames[3]) ** 2)
    assert 10 * np.log10(255**2 / mse) > 28


def test_writer_keeps_rotation_and_webm_reencodes_audio(tmp_path, bbb):
    frames = read_frames(bbb, 10)
    out = tmp_path / "r.webm"
    with VideoWriter(
        out, 1280, 720, Fraction(25), codec="vp9", crf=40, preset="8", rotation=90, audio_from=bbb
    ) as w:
        w.write_all(frames)
    o = probe(out)
    assert o.rotation == 90
    assert o.audio[0].codec == "opus"  # AAC is not allowed in WebM: re-encoded


def test_writer_is_atomic(tmp_path, carphone):
    frames = read_frames(carphone, 4)
    out = tmp_path / "atomic.mp4"
    with pytest.raises(RuntimeError), VideoWriter(out, 176, 144, Fraction(25)) as w:
        w.write_all(frames)
        assert not out.exists()  # only the temporary name exists while writing
        raise RuntimeError("crash mid-write")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_writer_dropped_unclosed_leaves_nothing(tmp_path, carphone):
    """A writer never closed (no `with`, the caller's error between writes) left its partial file and its
    lock file beside the output; it takes them with it now, but not from a forked child's copy."""
    frames = read_frames(carphone, 30)

    def dropped() -> None:
        w = VideoWriter(tmp_path / "dropped.mp4", 176, 144, Fraction(25))
        w.write_all(frames)

    dropped()
    assert list(tmp_path.iterdir()) == []
    w = VideoWriter(tmp_path / "kept.mp4", 176, 144, Fraction(25))
    w.write_all(frames)
    pid = os.fork()
    if pid == 0:  # the child drops its copy of the writer
        del w
        os._exit(0)
    os.waitpid(pid, 0)
    w.close()
    assert [p.name for p in tmp_path.iterdir()] == ["kept.mp4"] and count_frames(tmp_path / "kept.mp4") == 30


def test_writer_refuses_input_and_odd_size(tmp_path, carphone, bbb):
    before = sha256(carphone)
    with pytest.raises(OutputError):
        VideoWriter(carphone, 176, 144, Fraction(25), inputs=[carphone])
    assert sha256(carphone) == before
    # the file whose audio is copied is an input too: writing over it replaced the input with the output
    mine = tmp_path / "mine.mp4"
    shutil.copy(bbb, mine)
    with VideoFile(mine) as opened:
        for source in (mine, opened):
            with pytest.raises(OutputError, match="same file as the input"):
                VideoWriter(mine, 176, 144, Fraction(25), audio_from=source)
    assert sha256(mine) == sha256(bbb) and sorted(p.name for p in tmp_path.iterdir()) == ["mine.mp4"]
    with pytest.raises(OutputError, match="extension"):
        VideoWriter(tmp_path / "x.txt", 176, 144, Fraction(25))


@pytest.mark.parametrize(
    "pix_fmt, size", [("yuv420p", (176, 144)), ("yuv422p", (176, 143)), ("yuv444p", (175, 143))]
)
def test_an_odd_side_chroma_halves_is_padded_with_its_last_column_or_row(tmp_path, pix_fmt, size):
    """x264 takes no odd side that the chroma halves (it was refused: "needs --pix-fmt yuv444p"): such a
    side is padded to even by repeating its last column or row; 4:4:4 keeps the size."""
    frames = [np.random.default_rng(k).integers(0, 256, (143, 175, 3), np.uint8) for k in range(3)]
    with VideoWriter(tmp_path / "odd.mkv", 175, 143, Fraction(25), crf=0, pix_fmt=pix_fmt) as w:
        assert w.coded_size == size
        w.write_all(frames)
    info = probe(tmp_path / "odd.mkv")
    assert (info.width, info.height, info.pix_fmt) == (*size, pix_fmt)
    got = read_frames(tmp_path / "odd.mkv")
    padded = [cv2.copyMakeBorder(f, 0, size[1] - 143, 0, size[0] - 175, cv2.BORDER_REPLICATE) for f in frames]
    with VideoWriter(tmp_path / "ref.mkv", *size, Fraction(25), crf=0, pix_fmt=pix_fmt) as w:
        w.write_all(padded)  # the frames padded by hand
    ref = read_frames(tmp_path / "ref.mkv")
    assert len(got) == 3 and all(np.array_equal(a, b) for a, b in zip(got, ref, strict=True))


@pytest.mark.parametrize(
    "tags, floor",
    [({}, 55), ({"colorspace": 1, "color_primaries": 1, "color_trc": 1}, 48), ({"color_range": 2}, 48)],
)
def test_lossless_round_trip_has_no_color_shift(tmp_path, carphone, tags, floor):
    """RGB -> yuv420p -> RGB at crf 0 must not shift levels, untagged, BT.709 or full range (swscale's
    yuv -> rgb loses ~1.1: 44-45 dB; BT.601's 4:2:0 by OpenCV keeps more than the others' matrix path)."""
    frames = read_frames(carphone, 5)
    with VideoWriter(tmp_path / "rt.mkv", 176, 144, Fraction(25), crf=0, color=tags) as w:
        w.write_all(frames)
    back = read_frames(tmp_path / "rt.mkv")
    d = back[2].astype(float) - frames[2]
    assert abs(d.mean()) < 0.1
    assert 10 * np.log10(255**2 / np.mean(d**2)) > floor


BT709 = {"colorspace": 1, "color_primaries": 1, "color_trc": 1}


@pytest.mark.parametrize(
    "pix_fmt, tags",
    [
        ("yuv420p", BT709),
        ("yuv444p", BT709),
        ("yuv420p", {"color_range": 2}),
        ("yuv420p10le", {**BT709, "color_range": 2}),
        ("yuv420p", {"colorspace": 9, "color_primaries": 9, "color_trc": 14}),
    ],
)
def test_tagged_output_is_written_and_read_in_its_own_matrix_and_range(tmp_path, pix_fmt, tags):
    """An output tagged BT.709, BT.2020 or full range (what such input carries to it) is converted with
    that matrix and range, the tags are in the file, and the reader decodes it with them: saturated
    colours come back (before: BT.709 red 11 levels off, and a full-range tag was dropped)."""
    im = np.zeros((64, 64, 3), np.uint8)
    im[:, :32], im[:, 32:] = (250, 5, 40), (3, 180, 252)
    with VideoWriter(tmp_path / "t.mkv", 64, 64, Fraction(25), crf=0, pix_fmt=pix_fmt, color=tags) as w:
        w.write_all([im] * 3)
    with av.open(str(tmp_path / "t.mkv")) as c:
        frame = next(c.decode(video=0))
        assert {k: int(getattr(frame, k)) for k in tags} == tags
    back = read_frames(tmp_path / "t.mkv")[1].astype(int)
    assert np.abs(back[4:-4, 4:28] - im[4:-4, 4:28]).max() <= 3
    assert np.abs(back[4:-4, 36:60] - im[4:-4, 36:60]).max() <= 3


@pytest.mark.parametrize("pix_fmt", ["yuv420p10le", "yuv422p10le", "yuv422p", "yuv444p10le"])
def test_high_bit_depth_and_422_input_is_read_without_a_level_shift(tmp_path, pix_fmt):
    """x265/ProRes-style input (10-bit 4:2:0 or 4:2:2, 8-bit 4:2:2) written losslessly (ffv1) from exact
    codes reads back at its levels; swscale, which read it before, took 1-1.7 off every channel."""
    rng = np.random.default_rng(0)
    im = cv2.GaussianBlur(rng.integers(0, 256, (48, 64, 3)).astype(np.uint8), (9, 9), 3)
    with VideoWriter(tmp_path / "in.mkv", 64, 48, Fraction(25), codec="ffv1", pix_fmt=pix_fmt) as w:
        w.write_all([im] * 2)
    with av.open(str(tmp_path / "in.mkv")) as c:
        assert next(c.decode(video=0)).format.name == pix_fmt
    d = read_frames(tmp_path / "in.mkv")[1].astype(float) - im
    assert np.abs(d.reshape(-1, 3).mean(axis=0)).max() < 0.15
    assert np.mean(d**2) < 255**2 / 10**4  # above 40 dB


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv422p", "yuv422p10le", "yuv444p10le"])
@pytest.mark.parametrize("color_range", [1, 2])
def test_4_2_2_4_4_4_and_high_bit_depth_output_is_written_without_a_level_shift(
    tmp_path, pix_fmt, color_range
):
    """Output in those formats went through swscale, whose full-range chroma came out 0.5 of a code low:
    a lossless round trip shifted R, G, B by -0.7, +0.6, -0.8 levels at 8 bits. It is converted by the
    tag's matrix and range, as the reader converts back."""
    rng = np.random.default_rng(0)
    im = cv2.GaussianBlur(rng.integers(0, 256, (48, 64, 3)).astype(np.uint8), (9, 9), 3)
    tags = {"color_range": color_range}
    with VideoWriter(
        tmp_path / "out.mkv", 64, 48, Fraction(25), codec="ffv1", pix_fmt=pix_fmt, color=tags
    ) as w:
        w.write_all([im] * 2)
    d = read_frames(tmp_path / "out.mkv")[1].astype(float) - im
    assert np.abs(d.reshape(-1, 3).mean(axis=0)).max() < 0.15
    assert np.mean(d**2) < 255**2 / 10**4  # above 40 dB


@pytest.mark.parametrize(
    "pix_fmt, full", [("yuv420p10le", False), ("yuv444p12le", True), ("yuv444p10le", True)]
)
def test_high_bit_depth_codes_scale_by_range(pix_fmt, full):
    """A 10/12-bit frame's codes map to RGB by its range: limited by 2^(n-8), full by (2^n - 1) / 255
    (white 1023 is 255, not 255.75; mid-grey chroma is 2^(n-1))."""
    frame = av.VideoFrame(4, 2, pix_fmt)
    frame.color_range = 2 if full else 1
    bits = int(pix_fmt[-4:-2])
    white = (2**bits - 1) if full else 235 << (bits - 8)
    for i, p in enumerate(frame.planes):
        p.update(np.full(p.buffer_size // 2, white if i == 0 else 1 << (bits - 1), np.uint16).tobytes())
    assert (frame_to_rgb(frame) == 255).all()


def test_png_output_checked_before_any_work(tmp_path, carphone):
    """`generate --strip` and `metrics --plot` share one check: .png, folder exists, not a folder or input."""
    ok = tmp_path / "s.png"
    assert check_png_output(ok, "--strip") == str(ok)
    with pytest.raises(ConfigError, match=r"^--plot .*x\.jpg: images are written as PNG"):
        check_png_output(tmp_path / "x.jpg", "--plot")
    with pytest.raises(OutputError, match="does not exist"):
        check_png_output(tmp_path / "no" / "x.png", "--strip")
    (tmp_path / "d.png").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_png_output(tmp_path / "d.png", "--strip")
    src = tmp_path / "in.png"
    src.write_bytes(b"")
    with pytest.raises(OutputError, match="same file as an input"):
        check_png_output(src, "--plot", [src])


def test_an_image_output_appears_only_whole(tmp_path):
    """`generate --strip` and `metrics --plot` wrote straight to their names (a crash mid-write left half a
    PNG, a failed cv2.imwrite left nothing and said nothing): both go through `write_atomically` now."""
    from vidiff.errors import OutputError
    from vidiff.io.writer import write_atomically

    out = tmp_path / "strip.png"
    write_atomically(out, lambda tmp: cv2.imwrite(tmp, np.full((8, 8, 3), 7, np.uint8)))
    assert cv2.imread(str(out)).mean() == 7 and sorted(p.name for p in tmp_path.iterdir()) == ["strip.png"]

    def half(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(b"\x89PNG")
        raise OSError(28, "No space left on device")

    for write in (half, lambda tmp: False):  # a write that dies, one that reports failure
        with pytest.raises(OutputError, match="other.png: cannot write"):
            write_atomically(tmp_path / "other.png", write)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["strip.png"]
