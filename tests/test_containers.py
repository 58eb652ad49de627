"""The same frames give the same output whatever container they come in (issue 32).

Twenty 96x64 frames of a moving square at 24 fps are written losslessly to .mp4 (H.264 qp 0), .mkv (FFV1),
.webm (VP9 lossless), .mov (H.264 qp 0), .avi (FFV1) and .flv (H.264 qp 0): Matroska, WebM and FLV store
times in milliseconds (20/24 s is 0.834 s), AVI in 1/24 s. Each is raised x2, x4 and to 60 fps into
lossless H.264 (.mkv): the frame counts and the frames must be equal.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.probe import on_grid, probe
from vidiff.io.reader import VideoReader, read_frames
from vidiff.runner.upscale import upscale_file

FPS = Fraction(24)
LOSSLESS = {  # container -> (encoder, options): each keeps the yuv420p planes exactly
    "mp4": ("libx264", {"qp": "0", "preset": "ultrafast"}),
    "mkv": ("ffv1", {}),
    "webm": ("libvpx-vp9", {"lossless": "1", "deadline": "realtime", "cpu-used": "8"}),
    "mov": ("libx264", {"qp": "0", "preset": "ultrafast"}),
    "avi": ("ffv1", {}),
    "flv": ("libx264", {"qp": "0", "preset": "ultrafast"}),
}
RATES = {"x2": {"factor": 2}, "x4": {"factor": 4}, "60fps": {"fps": 60}}
EXPECTED = {"x2": 40, "x4": 80, "60fps": 50}  # 20 frames at 24 fps last 5/6 s


def _square(n: int = 20, w: int = 96, h: int = 64) -> list[np.ndarray]:
    frames = []
    for i in range(n):
        im = np.full((h, w, 3), 40, np.uint8)
        im[20:36, 4 + 3 * i : 20 + 3 * i] = (230, 80, 30)
        frames.append(im)
    return frames


def _write(path: Path, frames: list[np.ndarray]) -> Path:
    codec, options = LOSSLESS[path.suffix[1:]]
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=FPS)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        s.codec_context.options = options
        for i, im in enumerate(frames):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("containers")
    frames = _square()
    return {ext: _write(d / f"square.{ext}", frames) for ext in LOSSLESS}


def test_same_frames_and_times_from_every_container(inputs):
    ref = list(VideoReader(inputs["mp4"]))
    assert [f.time for f in ref] == [Fraction(i, 24) for i in range(20)]
    for ext, path in inputs.items():
        info = probe(path)
        assert (info.fps, info.n_frames, info.is_vfr) == (FPS, 20, False), ext
        assert info.duration == pytest.approx(20 / 24, abs=1e-9), ext
        got = list(VideoReader(path))
        assert [f.time for f in got] == [f.time for f in ref], ext
        assert all(np.array_equal(a.image, b.image) for a, b in zip(ref, got, strict=True)), ext


@pytest.mark.parametrize("rate", sorted(RATES))
def test_same_output_from_every_container(inputs, tmp_path, rate):
    outs = {}
    for ext, path in inputs.items():
        out = tmp_path / f"{ext}.mkv"
        upscale_file(path, out, **RATES[rate], method="blend", crf=0, progress=False, workers=1)
        outs[ext] = read_frames(out)
    ref = outs["mp4"]
    assert len(ref) == EXPECTED[rate]
    for ext, frames in outs.items():
        assert len(frames) == len(ref), (rate, ext)
        assert all(np.array_equal(a, b) for a, b in zip(ref, frames, strict=True)), (rate, ext)


def test_cli_mkv_and_webm_give_the_mp4_frame_count(inputs, tmp_path):
    """The issue's report, as a user runs it: 41 frames came out of the .mkv and .webm, 40 of the .mp4."""
    for ext in ("mkv", "webm"):
        out = tmp_path / f"{ext}_x2.mp4"
        argv = ["upscale", str(inputs[ext]), "-o", str(out), "--factor", "2", "--method", "dis"]
        assert main([*argv, "--workers", "1", "--quiet"]) == 0
        assert probe(out).n_frames == 40, ext


def test_on_grid_rounds_only_what_the_container_rounded():
    ms = Fraction(1, 1000)
    assert on_grid(Fraction(792, 1000), FPS, ms) == Fraction(19, 24)  # 0.79167 s stored as 0.792
    assert on_grid(Fraction(1001, 30000) * 7 + ms / 2, Fraction(30000, 1001), ms) == Fraction(7007, 30000)
    assert on_grid(Fraction(300, 1000), FPS, ms) == Fraction(300, 1000)  # a real VFR time stays
    assert on_grid(Fraction(1, 60), FPS, Fraction(1, 24)) == Fraction(1, 60)  # at most a quarter frame


def test_a_worker_seeks_to_the_planned_frames_in_every_container(inputs):
    """A parallel run's worker finds its frames by time (`vidiff.runner.seek`): the times it reads must be
    the reader's, or every worker falls back to decoding from the start."""
    from vidiff.runner.seek import _by_seek, crc

    for ext, path in inputs.items():
        frames = list(VideoReader(path))
        wanted = {f.index: (f.time, crc(f.image)) for f in frames[12:15]}
        got = list(_by_seek(str(path), sorted(wanted), wanted))
        assert [i for i, _ in got] == [12, 13, 14], ext
        assert all(np.array_equal(im, frames[i].image) for i, im in got), ext


def test_a_raw_h264_stream_without_timestamps_is_read_at_its_own_rate(inputs, tmp_path):
    """An Annex-B .h264 elementary stream (`ffmpeg -c copy -f h264`, a camera's or drone's dump) has no
    timestamps at all: it was refused as "video stream has zero frames". Its frames are counted and timed
    by the packets' durations (24 fps here, not the raw demuxer's stated 25)."""
    raw = tmp_path / "square.h264"
    with av.open(str(raw), "w", format="h264") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        s.codec_context.options = LOSSLESS["mp4"][1]
        for i, im in enumerate(_square()):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    info = probe(raw)
    assert (info.fps, info.n_frames, info.is_vfr, info.damage) == (FPS, 20, False, None)
    assert info.duration == pytest.approx(20 / 24, abs=1e-9)
    got, ref = list(VideoReader(raw)), list(VideoReader(inputs["mp4"]))
    assert [f.time for f in got] == [f.time for f in ref]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(ref, got, strict=True))
    out = tmp_path / "raw_x2.mp4"
    argv = ["upscale", str(raw), "-o", str(out), "--factor", "2", "--method", "dis", "--workers", "1"]
    assert main([*argv, "--quiet"]) == 0
    assert probe(out).n_frames == 40


def test_h264_with_b_frames_in_avi_keeps_its_frame_times(tmp_path):
    """AVI stores no pts: H.264 with B-frames in it decodes, in presentation order, with the decode-order
    stamps 1, 3, 2, 4, ...; each stamp that went back was stepped past the one before, so 20 frames
    spanned 22 steps and a x2 upscale made 44 frames of 0.92 s from 0.83 s. The stamps are put back in
    order: the clip's own times, and 40 frames out."""
    avi = tmp_path / "bframes.avi"
    with av.open(str(avi), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        s.codec_context.options = {"crf": "10", "preset": "medium", "bf": "3"}
        for i, im in enumerate(_square()):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    with av.open(str(avi)) as c:
        stamps = [f.pts for f in c.decode(video=0)]
    assert stamps != sorted(stamps)  # the decoder's stamps are out of order: the case under test
    got = list(VideoReader(avi))
    assert [f.time for f in got] == [Fraction(i, 24) for i in range(20)]
    assert all(np.abs(f.image.astype(int) - im).mean() < 3 for f, im in zip(got, _square(), strict=True))
    out = tmp_path / "avi_x2.mkv"
    upscale_file(avi, out, factor=2, method="blend", crf=0, progress=False, workers=1)
    assert probe(out).n_frames == 40


def _with_repeats(path: Path, repeats: set[int]) -> Path:
    """_square()'s 20 frames at 24 fps in .mkv, each frame in `repeats` followed by one more (its top rows
    white) stamped with the same time, as a muxer that lost a timestamp writes them; 20/24 s of PCM tone."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        s.codec_context.options = {**LOSSLESS["mp4"][1], "bf": "0"}
        a = c.add_stream("pcm_s16le", rate=8000)
        a.layout = "mono"
        stamps, packets = [], []
        for i, im in enumerate(_square()):
            for extra in range(1 + (i in repeats)):
                top = np.arange(64)[:, None, None] < 5 * extra  # the repeat: its top rows white
                f = av.VideoFrame.from_ndarray(np.where(top, 255, im).astype(np.uint8), format="rgb24")
                f.pts, f.time_base = len(stamps), 1 / FPS
                stamps.append(i)
                packets += s.encode(f)
        packets += s.encode(None)
        for p, i in zip(packets, stamps, strict=True):
            p.pts = p.dts = i  # in the encoder's 1/24 s
        c.mux(packets)
        tone = (8000 * np.sin(np.arange(8000 * 20 // 24) / 5)).astype(np.int16)
        af = av.AudioFrame.from_ndarray(tone[None], format="s16", layout="mono")
        af.sample_rate, af.pts = 8000, 0
        c.mux(a.encode(af) + a.encode(None))
    return path


def test_frames_that_repeat_a_timestamp_are_left_out(tmp_path, capsys):
    """Three frames stamped with the previous frame's time were each put a step later, pushing every later
    frame with them: 23 frames over 23/24 s against 20/24 s of audio, and a x2 upscale 46 frames long.
    They are left out, as ffmpeg does, with one warning line; --strict refuses the file before any work."""
    src = _with_repeats(tmp_path / "repeats.mkv", {3, 9, 15})
    info = probe(src)
    assert (info.n_frames, info.repeated, info.is_vfr) == (20, 3, False)
    got = list(VideoReader(src))
    assert [f.time for f in got] == [Fraction(i, 24) for i in range(20)]
    assert all(np.abs(f.image.astype(int) - im).mean() < 3 for f, im in zip(got, _square(), strict=True))
    assert capsys.readouterr().err.count("3 frames repeat an earlier frame's timestamp, left out") == 1

    out = tmp_path / "x2.mkv"
    argv = ["upscale", str(src), "-o", str(out), "--fps", "48", "--method", "blend", "--workers", "1"]
    assert main([*argv, "--quiet"]) == 0
    o = probe(out)
    assert o.n_frames == 40 and o.duration == pytest.approx(20 / 24, abs=1 / 48)
    assert len(o.audio) == 1 and o.audio[0].codec == "pcm_s16le"
    with av.open(str(out)) as c:  # every sample of the tone, no more
        assert sum(f.samples for f in c.decode(audio=0)) == 8000 * 20 // 24

    strict = tmp_path / "strict.mkv"
    assert main([*argv[:3], str(strict), *argv[4:], "--quiet", "--strict"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "3 frames repeat" in err and "--strict" in err
    assert not strict.exists()


def _joined_ts(path: Path, runs: tuple[int, ...] = (20, 12)) -> Path:
    """Clips of _square()'s frames (the first `runs[0]`, then the next `runs[1]`...) written as MPEG-TS and
    joined byte for byte, as `cat a.ts b.ts` joins them: each clip's stamps start again at the first's."""
    frames, data = _square(sum(runs)), b""
    for k, n in enumerate(runs):
        part = path.with_suffix(f".{k}.ts")
        with av.open(str(part), "w", format="mpegts") as c:
            s = c.add_stream("libx264", rate=FPS)
            s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
            s.codec_context.options = LOSSLESS["mp4"][1]
            for i in range(n):
                f = av.VideoFrame.from_ndarray(frames[sum(runs[:k]) + i], format="rgb24")
                f.pts, f.time_base = i, 1 / FPS
                c.mux(s.encode(f))
            c.mux(s.encode(None))
        data += part.read_bytes()
    path.write_bytes(data)
    return path


def test_stamps_that_start_again_are_frames_to_the_probe_too(tmp_path, capsys):
    """The reader keeps a frame whose stamp goes back (two clips joined) and steps it on, but the probe
    counted distinct stamps: 32 frames whose stamps start again at frame 20 were probed as 20 frames and
    12 repeats (refused with --strict), so `infill --frames 25` was outside the clip and the plans of
    `--workers` and seeks were short. The probe counts by the reader's rule (`vidiff.io.stamps`)."""
    src = _joined_ts(tmp_path / "joined.ts")
    with av.open(str(src)) as c:
        stamps = [p.pts for p in c.demux(video=0) if p.size]
    assert len(stamps) == 32 and stamps[20] == stamps[0] < stamps[19]  # the reset is in the file
    info = probe(src)
    got = list(VideoReader(src))
    assert info.n_frames == len(got) == 32 and info.repeated == 0 and not info.is_vfr
    assert [f.time for f in got] == [Fraction(i, 24) for i in range(32)]
    assert info.duration == pytest.approx(32 / 24)
    assert all(np.abs(f.image.astype(int) - im).mean() < 3 for f, im in zip(got, _square(32), strict=True))

    out = tmp_path / "fixed.mp4"
    argv = ["infill", str(src), "-o", str(out), "--frames", "25", "--method", "blend", "--quiet"]
    assert main([*argv, "--strict"]) == 0
    assert capsys.readouterr().err == ""
    assert probe(out).n_frames == 32


def test_short_clips_joined_keep_every_frame(tmp_path):
    """Clips shorter than a few frames, joined: the reorder window held stamps of two runs at once and
    sorted them together (5, 6, 0, 1 came out 0, 1, 5, 6), so the runs' stamps met as false repeats and
    5 of 21 frames were dropped, by the probe and the reader alike. Each run is ordered on its own now."""
    src = _joined_ts(tmp_path / "short.ts", runs=(7, 5, 9))
    info = probe(src)
    got = list(VideoReader(src))
    assert info.n_frames == len(got) == 21 and info.repeated == 0
    assert [f.time for f in got] == [Fraction(i, 24) for i in range(21)]
    assert all(np.abs(f.image.astype(int) - im).mean() < 3 for f, im in zip(got, _square(21), strict=True))


def _cover_first(path: Path, frames: list[np.ndarray] | None) -> Path:
    """An .mp4 whose first video stream is a 32x32 JPEG cover (disposition attached_pic, which the mp4
    muxer stores in moov/udta) followed by `frames` (none: an audio-only file). The udta box is moved
    before the traks, as some taggers write it, so the demuxer lists the cover first; moving boxes inside
    moov changes no offset into mdat."""
    with av.open(str(path), "w") as c:
        cover = c.add_stream("mjpeg", rate=1)
        cover.width, cover.height, cover.pix_fmt = 32, 32, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        if frames:
            s = c.add_stream("libx264", rate=FPS)
            s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
            s.codec_context.options = LOSSLESS["mp4"][1]
        else:
            s = c.add_stream("aac", rate=8000)
            s.layout = "mono"
        art = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 200, np.uint8), format="rgb24")
        c.mux(cover.encode(art.reformat(format="yuvj420p")) + cover.encode(None))
        if frames:
            for i, im in enumerate(frames):
                f = av.VideoFrame.from_ndarray(im, format="rgb24")
                f.pts, f.time_base = i, 1 / FPS
                c.mux(s.encode(f))
        else:
            af = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.float32), format="fltp", layout="mono")
            af.sample_rate, af.pts = 8000, 0
            c.mux(s.encode(af))
        c.mux(s.encode(None))
    data = path.read_bytes()
    at = data.index(b"moov") - 4
    end = at + int.from_bytes(data[at : at + 4], "big")
    kids, i = [], at + 8
    while i < end:
        kids.append(data[i : i + int.from_bytes(data[i : i + 4], "big")])
        i += len(kids[-1])
    kids.sort(key=lambda box: {b"mvhd": 0, b"udta": 1}.get(box[4:8], 2))
    path.write_bytes(data[: at + 8] + b"".join(kids) + data[end:])
    return path


def test_a_cover_picture_before_the_video_is_passed_over(tmp_path, capsys):
    """The first video stream was taken: an .mp4 listing its cover art (attached_pic) first was read as a
    one-frame 32x32 clip and refused ("has only 1 frame"). The first stream that is not an attached
    picture is the clip, for the probe, the reader, a worker's seek, random access and the web app."""
    from vidiff.io.random_access import open_frames
    from vidiff.runner.seek import _by_seek, crc
    from vidiff.ui.media import frame_at

    src = _cover_first(tmp_path / "cover.mp4", _square())
    with av.open(str(src)) as c:  # the case under test: the cover is the first video stream
        assert c.streams.video[0].disposition & av.stream.Disposition.attached_pic
    info = probe(src)
    assert (info.codec, info.width, info.height, info.n_frames) == ("h264", 96, 64, 20)
    got = list(VideoReader(src))
    assert [f.time for f in got] == [Fraction(i, 24) for i in range(20)]
    assert all(np.abs(f.image.astype(int) - im).mean() < 3 for f, im in zip(got, _square(), strict=True))
    wanted = {f.index: (f.time, crc(f.image)) for f in got[12:15]}
    assert [i for i, _ in _by_seek(str(src), sorted(wanted), wanted)] == [12, 13, 14]
    r = open_frames(src)
    assert len(r) == 20 and r.size == (96, 64)
    assert np.array_equal(r.get([7])[0], got[7].image)
    r.close()
    assert frame_at(src, 0.5).shape == (64, 96, 3)
    out = tmp_path / "x2.mp4"
    argv = ["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "--workers", "1"]
    assert main([*argv, "--quiet"]) == 0 and probe(out).n_frames == 40

    audio_only = _cover_first(tmp_path / "song.mp4", None)
    assert main(["probe", str(audio_only)]) == 2
    assert "has no video stream (only an attached picture: cover art)" in capsys.readouterr().err
