"""What an output keeps of its source, second part: the audio of slow motion (`--audio slow`, the
slowmo_x4 recipe) and subtitles an output container cannot hold as they are. Inputs made here with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import write_clip

from vidiff.errors import InputError
from vidiff.io.audio import RATE, AudioTrack
from vidiff.io.probe import VideoFile
from vidiff.io.streams import codec_name
from vidiff.runner.upscale import upscale_file

FPS = Fraction(24)
FAST = {"method": "blend", "preset": "ultrafast", "progress": False, "workers": 1}


def clip_with_audio(
    path: Path,
    audio_at: float = 0.0,
    n: int = 36,
    tone_s: float = 1.0,
    streams: int = 1,
    layout: str = "mono",
) -> Path:
    """`n` frames at 24 fps (H.264) and `tone_s` seconds of an 8 kHz AAC tone whose first sample is at
    `audio_at` seconds (the video starts at 0); as PyAV (FFmpeg) muxes them, the AAC's first packet, its
    priming, is stamped before the tone (before 0 in .mkv and .mp4)."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.options = {"qp": "0", "preset": "ultrafast"}
        tracks = [c.add_stream("aac", rate=8000) for _ in range(streams)]
        for a in tracks:
            a.layout = layout
        for i in range(n):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, i : i + 16] = (230, 80, 30)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        tone = (0.3 * np.sin(np.arange(int(8000 * tone_s)) / 5)).astype(np.float32)
        lead = round(audio_at * 8000)
        for a in tracks:
            planes = np.repeat(tone[None], a.codec_context.layout.nb_channels, axis=0)
            for k in range(0, len(tone), 1024):
                af = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planes[:, k : k + 1024]), format="fltp", layout=layout
                )
                af.sample_rate, af.pts = 8000, lead + k
                c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def decoded_audio(path: Path) -> tuple[float, np.ndarray]:
    """(the first decoded sample's time, the first channel's samples) of a file's first audio stream."""
    with av.open(str(path)) as c:
        frames = list(c.decode(audio=0))
        first = float(frames[0].pts * frames[0].time_base)
        rate = frames[0].sample_rate
        x = np.concatenate([f.to_ndarray()[0] for f in frames])
    return first, x if rate == RATE else np.asarray(x)


def sound_span(path: Path) -> tuple[float, float]:
    """(start, end) in seconds of the sound (over a tenth of the tone's level) of a file's first audio
    stream (a time-stretch smears a sharp edge by up to its window, about as much both sides)."""
    first, x = decoded_audio(path)
    with av.open(str(path)) as c:
        rate = c.streams.audio[0].codec_context.sample_rate
    loud = np.flatnonzero(np.abs(x) > 0.03)
    return first + loud[0] / rate, first + (loud[-1] + 1) / rate


@pytest.mark.parametrize("ext", [".mkv", ".mp4"])
def test_a_slowed_track_has_every_sample_of_an_opened_input(tmp_path, ext):
    """`AudioTrack.from_file` given the run's open input (`VideoFile`) read it through a pass that begins
    with a seek to 0; in .mkv that seek drops the AAC priming packet stamped before 0, and the decoder took
    the first real packet for priming: 1024 samples (128 ms at 8 kHz) short, and early by as much."""
    src = clip_with_audio(tmp_path / f"in{ext}")
    alone = AudioTrack.from_file(src, fade_in=0, fade_out=0).samples
    with VideoFile(src) as f:
        list(f.reading().__enter__().demux())  # the run reads the file before (probe, frames)
        f.end_pass()
        opened = AudioTrack.from_file(f, fade_in=0, fade_out=0).samples
    assert opened.shape == alone.shape and np.array_equal(opened, alone)
    assert alone.shape[1] >= RATE  # the whole second of tone


@pytest.mark.parametrize("audio_at", [0.0, 0.25])
def test_slow_motion_audio_is_stretched_in_step_with_the_picture(tmp_path, audio_at):
    """4x slow motion with the audio slowed (pitch kept): 1 s of tone lasts 4 s, and its middle is where
    the picture puts it: 4x its source time, within 15 ms. Sound that started 0.25 s into the video
    started at 0 (the A/V offset was lost), and atempo's output ran early by 44 ms and ended short."""
    src = clip_with_audio(tmp_path / "in.mkv", audio_at=audio_at)
    out = tmp_path / "slow.mkv"
    r = upscale_file(src, out, factor=4, speed=0.25, audio_mode="slow", **FAST)
    assert r["audio"] == "slow"
    (a0, a1), (b0, b1) = sound_span(src), sound_span(out)
    assert a0 == pytest.approx(audio_at, abs=0.005) and a1 - a0 == pytest.approx(1.0, abs=0.005)
    assert (b0 + b1) / 2 == pytest.approx(4 * (a0 + a1) / 2, abs=0.015)
    assert b1 - b0 == pytest.approx(4.0, abs=0.1)


def test_change_tempo_keeps_sound_at_its_time_and_the_length_exact():
    """A burst at k seconds lands at k / tempo (its centre, within 5 ms) for slow and fast tempos, and the
    output is round(n / tempo) samples long (atempo alone: 17.5 ms early at 0.5, 43.5 ms at 0.25)."""
    from vidiff.io.audio import change_tempo

    n = RATE // 10
    burst = (0.3 * np.sin(np.arange(n) * 0.2) * np.hanning(n)).astype(np.float32)
    for tempo in (0.25, 0.5, 1 / 3, 2.0):
        x = np.zeros((2, 2 * RATE), np.float32)
        for at in (0, RATE // 3, RATE + 777):
            x[:, at : at + n] = burst
        y = change_tempo(x, tempo)
        assert y.shape == (2, round(2 * RATE / tempo))
        for at in (0, RATE // 3, RATE + 777):
            lo, hi = round((at - n) / tempo), round((at + 2 * n) / tempo)
            e = np.abs(y[0, max(lo, 0) : hi]).astype(np.float64)
            centre = max(lo, 0) + (e * np.arange(e.size)).sum() / e.sum()
            assert abs(centre - (at + n / 2) / tempo) / RATE < 0.005, (tempo, at)


# -- subtitles converted into the container's text codec -------------------------------------------------
@pytest.mark.parametrize(
    ("src_ext", "codec", "out_ext", "into", "args"),
    [
        (".mkv", "subrip", ".mp4", "mov_text", {}),
        (".mkv", "ass", ".mov", "mov_text", {}),
        (".mp4", "mov_text", ".mkv", "ass", {}),
        (".mkv", "subrip", ".webm", "webvtt", {"codec": "vp9", "preset": "8"}),
    ],
)
def test_text_subtitles_the_output_cannot_hold_are_converted(
    tmp_path, capsys, src_ext, codec, out_ext, into, args
):
    """SubRip or ASS into an .mp4 or .mov, mov_text into an .mkv, SubRip into a .webm were left out with a
    note: their cues are now decoded and encoded as the container's text codec, each at its time and with
    its text, and one note line says so."""
    from test_streams import CUES, _cues, _with_audio

    src = _with_audio(tmp_path / f"in{src_ext}", codec)
    out = tmp_path / f"out{out_ext}"
    upscale_file(src, out, factor=2, **{**FAST, **args})
    err = capsys.readouterr().err
    assert err == (
        f"note: {src}: subtitle stream #2 ({codec} -> {into}) converted: a {out_ext} file cannot hold it as "
        "it is (the text is kept; styling its codec cannot say is not)\n"
    )
    with av.open(str(out)) as c:
        (s,) = c.streams.subtitles
        assert codec_name(s) == into and s.metadata.get("language") == "eng"
    assert from_video(out, _cues(out)) == CUES
    # slow motion stretches the converted cues as it does the copied ones
    slow = tmp_path / f"slow{out_ext}"
    upscale_file(src, slow, factor=2, speed=0.5, **{**FAST, **args})
    assert from_video(slow, _cues(slow), Fraction(2)) == CUES


def from_video(path: Path, cues: list[tuple[int, int, str]], scale: Fraction = Fraction(1)) -> list:
    """Cues (start ms, end ms, text) timed from the file's first video frame, over `scale` (an .mkv made
    from an .mp4 whose AAC priming is stamped before 0 starts its video 128 ms in, to keep the sync)."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        at = v.start_time * v.time_base * 1000 if v.start_time else 0
    return [(round((a - at) / scale), round((b - at) / scale), t) for a, b, t in cues]


# -- DVD subtitles in slow motion ------------------------------------------------------------------------
def dvd_unit(stop_ms: int) -> bytes:
    """A DVD subtitle unit (SPU) of a 2x2 picture shown at once and cleared `stop_ms` later (its second
    control sequence's date, in ticks of 1024/90000 s)."""
    import struct

    rle = bytes([0x90, 0x90])  # each field's line: 2 pixels of colour 1
    first = 4 + len(rle)
    show = bytes([0x03, 0x32, 0x10, 0x04, 0xFF, 0xF0, 0x05, 0, 0, 1, 0, 0, 1, 0x06, 0, 4, 0, 5, 0x01, 0xFF])
    last = first + 4 + len(show)
    body = rle + struct.pack(">HH", 0, last) + show + struct.pack(">HH", round(stop_ms * 90 / 1024), last)
    body += bytes([0x02, 0xFF])
    return struct.pack(">HH", 4 + len(body), first) + body


def test_dvd_subtitles_stay_up_as_long_as_the_slowed_picture(tmp_path):
    """A DVD subtitle says inside its packet when it is cleared; slow motion stretched the packet's time
    and duration but not that: at 0.5x a cue shown for 0.5 s went after 0.5 s, not 1 s."""
    src = tmp_path / "dvd.mkv"
    with av.open(str(src), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        s = c.add_stream("dvdsub")
        s.codec_context.time_base = Fraction(1, 1000)
        for i in range(24):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 9 * i, np.uint8), format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(v.encode(f))
            if i == 2:
                p = av.Packet(dvd_unit(500))
                p.stream, p.time_base, p.pts, p.dts, p.duration = s, Fraction(1, 1000), 100, 100, 500
                c.mux(p)
        c.mux(v.encode(None))

    def shown(path: Path) -> list[tuple[int, int, int]]:
        """(pts ms, packet duration ms, the time the unit clears itself, ms) of each subtitle packet."""
        with av.open(str(path)) as c:
            st = c.streams.subtitles[0]
            return [
                (p.pts, p.duration, st.codec_context.decode2(p).end_display_time)
                for p in c.demux(st)
                if p.size
            ]

    assert shown(src) == [(100, 500, 500)]
    for speed, want in ((Fraction(1, 2), [(200, 1000, 1001)]), (Fraction(1), [(100, 500, 500)])):
        out = tmp_path / f"out{speed.denominator}.mkv"
        upscale_file(src, out, factor=2, speed=speed, audio_mode="drop", **FAST)
        assert shown(out) == want, speed


def test_image_frames_say_the_subtitles_are_left_out_too(tmp_path, capsys):
    """A clip with subtitles written as image frames lost them silently (the audio had its note line)."""
    from test_streams import _with_audio

    src = _with_audio(tmp_path / "in.mkv", "subrip")
    fast = {"method": "blend", "progress": False, "workers": 1}
    upscale_file(src, f"{tmp_path}/frames/", factor=2, **fast)
    err = capsys.readouterr().err
    assert err == (
        f"note: {tmp_path}/frames/: image frames hold no audio or subtitles; the input's audio and its 1 "
        "subtitle stream are left out\n"
    )
    upscale_file(src, f"{tmp_path}/silent/", factor=2, audio=False, **fast)
    assert capsys.readouterr().err == (
        f"note: {tmp_path}/silent/: image frames hold no subtitles; its 1 subtitle stream is left out\n"
    )


def test_slowing_audio_says_what_it_leaves_out(tmp_path, capsys):
    """Only the first audio stream is slowed, into stereo: a second language track, or 5.1, was lost
    without a word."""
    two = clip_with_audio(tmp_path / "two.mkv", streams=2)
    upscale_file(two, tmp_path / "a.mkv", factor=2, speed=0.5, audio_mode="slow", **FAST)
    assert capsys.readouterr().err == (
        f"note: {two}: slowed audio is the first audio stream, in stereo (audio stream #2 left out)\n"
    )
    surround = clip_with_audio(tmp_path / "six.mkv", layout="5.1")
    upscale_file(surround, tmp_path / "b.mkv", factor=2, speed=0.5, audio_mode="slow", **FAST)
    assert capsys.readouterr().err == (
        f"note: {surround}: slowed audio is the first audio stream, in stereo (its 6 channels mixed to stereo)\n"
    )
    upscale_file(
        clip_with_audio(tmp_path / "one.mkv"),
        tmp_path / "c.mkv",
        factor=2,
        speed=0.5,
        audio_mode="slow",
        **FAST,
    )
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("audio_at", [0.0, 0.25])
def test_the_streamed_slow_track_is_the_whole_one(tmp_path, audio_at):
    """Slow motion's audio is made as the output is written (`SlowedAudio`: memory flat, where the whole
    track in memory grew with the clip): the very samples of the track made whole, offset included."""
    from vidiff.io.slow_audio import SlowedAudio

    src = clip_with_audio(tmp_path / "in.mkv", audio_at=audio_at)
    whole = AudioTrack.from_file(src, fade_in=0, fade_out=0, tempo=0.25, start=0.0).samples
    streamed = np.concatenate(list(SlowedAudio(src, 0.25, start=0.0).chunks()), axis=1)
    assert streamed.shape == whole.shape and np.array_equal(streamed, whole)
    with pytest.raises(InputError, match="has no audio stream"):
        SlowedAudio(write_clip(tmp_path / "silent.mp4", [np.zeros((48, 64, 3), np.uint8)] * 2), 0.5)


def test_a_packet_of_two_cues_is_converted_into_one(tmp_path):
    """A muxer takes no two cues of a stream at one time: a source packet that decodes to two events is
    converted into one cue holding both lines (it would have been refused after all the work)."""
    import io
    from types import SimpleNamespace

    from test_streams import _with_audio

    from vidiff.io.subtitle_text import SubtitleConverter

    src = _with_audio(tmp_path / "in.mkv", "subrip")
    with av.open(str(src)) as c, av.open(io.BytesIO(), "w", format="mp4") as out:
        conv = SubtitleConverter(c.streams.subtitles[0], out, "mov_text")
        two = SimpleNamespace(
            decode=lambda: [
                SimpleNamespace(ass=b"0,0,Default,,0,0,0,,Top line"),
                SimpleNamespace(ass=b"1,0,Default,,0,0,0,,Bottom"),
            ]
        )
        (p,) = conv.packets(two, Fraction(1), Fraction(1, 2))
        assert (p.pts, p.duration) == (1000, 500)
        dec = av.CodecContext.create("mov_text", "r")
        (cue,) = dec.decode(p)
        assert cue.ass.split(b",", 8)[-1] == b"Top line\\NBottom"
