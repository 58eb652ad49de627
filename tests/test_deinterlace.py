"""Interlaced clips deinterlaced as they are read (`vidiff.io.deinterlace`): a camcorder's 50i clip is
read as 50 clean frames a second (bwdif, a frame per field), in its field order, at every door; a
progressive clip is read exactly as before."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.io.deinterlace import deinterlace_scope
from vidiff.io.probe import probe
from vidiff.io.reader import VideoReader, read_frames
from vidiff.metrics.clip import analyze_clip
from vidiff.metrics.fields import comb_score
from vidiff.recipes import load_recipe
from vidiff.runner import upscale_file
from vidiff.runner.infill import infill_file
from vidiff.runner.recipe import run_recipe
from vidiff.runner.seek import crc, frames_at

W, H = 96, 64
STEP = 6  # pixels the picture moves a field
_TEX = np.random.default_rng(0).integers(0, 255, (H // 8, 40, 3)).astype(np.uint8).repeat(8, 0).repeat(8, 1)


def moment(t: int) -> np.ndarray:
    """The picture at field time `t`: a blocky texture moved STEP pixels left a field."""
    return np.ascontiguousarray(_TEX[:, STEP * t : STEP * t + W])


def interlaced_clip(
    path: Path,
    n: int = 6,
    tff: bool = True,
    audio: bool = False,
    x264: str = "",
    rate: Fraction = Fraction(25),
) -> Path:
    """`n` frames (up to 18) of two fields each, shot a field apart (the first field in the top rows with
    `tff`, in the bottom rows without), coded interlaced by x264 in that order (and its options `x264`);
    with `audio`, a tone as long."""
    with av.open(str(path), "w") as c:
        order = "tff=1" if tff else "bff=1"
        params = f"interlaced=1:{order}{x264}"
        s = c.add_stream("libx264", rate=rate, options={"x264-params": params, "crf": "1"})
        s.codec_context.flags |= av.codec.context.Flags.interlaced_dct | av.codec.context.Flags.interlaced_me
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        a = c.add_stream("aac", rate=48000) if audio else None
        for i in range(n):
            first, second = moment(2 * i), moment(2 * i + 1)
            woven = first.copy() if tff else second.copy()
            woven[1::2] = second[1::2] if tff else first[1::2]
            f = av.VideoFrame.from_ndarray(woven, format="rgb24")
            f.pts, f.time_base = i, 1 / rate
            c.mux(s.encode(f))
        c.mux(s.encode(None))
        if a is not None:
            t = np.arange(48000 * n // 25) / 48000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for k in range(0, tone.shape[1], 1024):
                af = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(tone[:, k : k + 1024]), format="fltp", layout="mono"
                )
                af.sample_rate, af.pts = 48000, k
                c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def flagged_clip(path: Path, pictures: list[np.ndarray]) -> Path:
    """`pictures` coded interlaced (top field first) by x264, whatever their fields hold."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25, options={"x264-params": "interlaced=1:tff=1", "crf": "1"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i, im in enumerate(pictures):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def woven(i: int) -> np.ndarray:
    """Frame `i` of two fields a field apart (top first)."""
    out = moment(2 * i).copy()
    out[1::2] = moment(2 * i + 1)[1::2]
    return out


def progressive_clip(path: Path, n: int = 6) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25, options={"crf": "1"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(n):
            f = av.VideoFrame.from_ndarray(moment(2 * i), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def moments(frames: list[np.ndarray]) -> list[int]:
    """The field time each frame shows (the nearest `moment`, its edge rows left out)."""
    return [
        int(np.argmin([np.abs(f[8:-8].astype(int) - moment(t)[8:-8]).mean() for t in range(38)]))
        for f in frames
    ]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return interlaced_clip(tmp_path_factory.mktemp("il") / "tff.mp4")


@pytest.mark.parametrize("tff", [True, False], ids=["top-first", "bottom-first"])
def test_a_field_per_frame_in_its_order_and_no_combing(tmp_path: Path, tff: bool):
    src = interlaced_clip(tmp_path / "i.mp4", tff=tff)
    with deinterlace_scope("off"):
        stored = read_frames(src)
    assert min(comb_score(f) for f in stored) > 2.0  # combed: the fields of two moments
    info = probe(src)
    assert (info.interlaced, info.deinterlace) == ("tff" if tff else "bff", "field")
    assert (info.fps, info.n_frames, info.duration) == (50, 12, 0.24)
    frames = list(VideoReader(src))
    assert [f.time for f in frames] == [Fraction(k, 50) for k in range(12)]
    assert moments([f.image for f in frames]) == list(range(12))  # every field, in the order shot
    assert max(comb_score(f.image) for f in frames) < 0.6  # as a progressive picture's


def test_probe_says_how_it_is_read(clip: Path, capsys):
    for mode, rate in [
        ("auto", "50 fps (50.000) (deinterlaced: a frame per field)"),
        ("frame", "25 fps (25.000) (deinterlaced)"),
        ("off", "25 fps (25.000) (interlaced: read as stored)"),
    ]:
        assert main(["probe", str(clip), "--deinterlace", mode]) == 0
        assert f"  rate   {rate}\n" in capsys.readouterr().out
    assert main(["probe", str(clip), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["interlaced"], got["deinterlace"], got["fps"], got["n_frames"]) == (
        "tff",
        "field",
        "50/1",
        12,
    )


def test_frame_mode_keeps_the_rate(clip: Path):
    assert probe(clip, deinterlace="frame").fps == 25
    with deinterlace_scope("frame"):
        frames = list(VideoReader(clip))
    assert [f.time for f in frames] == [Fraction(k, 25) for k in range(6)]
    assert max(comb_score(f.image) for f in frames) < 0.6
    assert moments([f.image for f in frames]) == list(range(0, 12, 2))  # each frame's first field


def test_a_progressive_clip_is_read_as_before(tmp_path: Path):
    src = progressive_clip(tmp_path / "p.mp4")
    with deinterlace_scope("off"):
        want, info = read_frames(src), probe(src)
    got = read_frames(src)
    assert len(got) == len(want) == 6 and all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert probe(src) == info and info.deinterlace == "off" and info.interlaced is None


def test_a_combed_clip_flagged_progressive_is_deinterlaced_when_asked(tmp_path: Path, capsys):
    """A bad transfer: fields woven into frames coded progressive, too few to outweigh the flag (6 moving
    frames: `field_scan.MOVING`). auto reads it as stored; field mends it (longer ones:
    test_unflagged_fields)."""
    src = tmp_path / "woven.mp4"
    with av.open(str(src), "w") as c:
        s = c.add_stream("libx264", rate=25, options={"crf": "1"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(6):
            woven = moment(2 * i)
            woven[1::2] = moment(2 * i + 1)[1::2]
            f = av.VideoFrame.from_ndarray(woven, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    assert probe(src).n_frames == 6 and min(comb_score(f) for f in read_frames(src)) > 2.0
    with deinterlace_scope("field"):
        frames = read_frames(src)
    assert moments(frames) == list(range(12)) and max(comb_score(f) for f in frames) < 0.6
    assert "deinterlaced as asked" in capsys.readouterr().err


def test_upscale_to_the_field_rate_and_past_it_with_its_audio(tmp_path: Path, capsys):
    src = interlaced_clip(tmp_path / "cam.mp4", audio=True)
    out = tmp_path / "50.mp4"
    assert main(["upscale", str(src), "-o", str(out), "--fps", "50", "--method", "blend", "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    note = "interlaced: deinterlaced with bwdif (top field first), one frame per field: read at 50 fps"
    assert err == [f"note: {src}: {note}"]
    with deinterlace_scope("off"):  # (the output is progressive; read as stored)
        frames, info = read_frames(out), probe(out)
    assert (info.fps, info.n_frames) == (50, 12) and info.audio
    assert moments(frames) == list(range(12)) and max(comb_score(f) for f in frames) < 0.6
    assert abs(info.audio[0].duration - info.duration) < 0.03  # the audio ends with the picture
    report = upscale_file(src, tmp_path / "60.mp4", fps=60, method="blend", progress=False)
    assert report["out_frames"] == 15
    with deinterlace_scope("off"):
        assert max(comb_score(f) for f in read_frames(tmp_path / "60.mp4")) < 0.6


def test_off_keeps_the_old_reading(clip: Path, tmp_path: Path):
    out = tmp_path / "x2.mp4"
    args = ["upscale", str(clip), "-o", str(out), "--factor", "2", "--method", "blend", "--quiet"]
    assert main([*args, "--deinterlace", "off"]) == 0
    with deinterlace_scope("off"):
        assert probe(out).n_frames == 12 and min(comb_score(f) for f in read_frames(out)[::2]) > 2.0


def test_every_door_refuses_a_bad_mode_before_any_work(clip: Path, tmp_path: Path, capsys):
    out = tmp_path / "o.mp4"
    for cmd in (["upscale", str(clip), "-o", str(out), "--factor", "2"], ["metrics", str(clip)]):
        with pytest.raises(SystemExit) as e:
            main([*cmd, "--deinterlace", "bob"])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("vidiff: error:") and "--deinterlace" in err[0]
    assert main(["run", "fps_x2", "-i", str(clip), "-o", str(out), "decode.deinterlace=bob"]) == 2
    assert "deinterlace 'bob'" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="deinterlace 'bob'"):
        upscale_file(clip, out, factor=2, deinterlace="bob")
    with pytest.raises(ConfigError, match="deinterlace 'bob'"):
        infill_file(clip, out, frames="2", deinterlace="bob")
    with pytest.raises(ConfigError, match="deinterlace 'bob'"):
        analyze_clip(clip, deinterlace="bob")
    with pytest.raises(ConfigError, match="deinterlace 1"):
        upscale_file(clip, out, factor=2, deinterlace=1)
    assert not out.exists()


def test_a_recipe_key_and_the_run_flag(clip: Path, tmp_path: Path):
    fast = load_recipe("fps_x2").with_overrides(["interpolate.method=blend"])
    assert run_recipe(fast, str(clip), str(tmp_path / "a.mp4"), progress=False)["out_frames"] == 24
    framed = fast.with_overrides(["decode.deinterlace=frame"])  # 6 frames x2
    assert run_recipe(framed, str(clip), str(tmp_path / "b.mp4"), progress=False)["out_frames"] == 12
    run = ["run", "fps_x2", "-i", str(clip), "-o", str(tmp_path / "c.mp4"), "interpolate.method=blend", "-q"]
    assert main([*run, "--deinterlace", "off"]) == 0
    with deinterlace_scope("off"):
        assert probe(tmp_path / "c.mp4").n_frames == 12


def test_metrics_and_infill_read_it_deinterlaced(clip: Path, tmp_path: Path, capsys):
    assert main(["metrics", str(clip), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["frames"]
    assert [r["time"] for r in rows] == [k / 50 for k in range(12)]
    out = tmp_path / "fixed.mp4"
    infill_file(clip, out, frames="5", method="blend", progress=False)
    with deinterlace_scope("off"):
        frames = read_frames(out)
    assert len(frames) == 12 and max(comb_score(f) for f in frames) < 0.6


def test_a_worker_reads_the_frames_the_plan_saw(clip: Path):
    """A segment job's reader deinterlaces as the planning pass did (the mode travels with the job)."""
    for mode in ("field", "off"):
        with deinterlace_scope(mode):
            ref = {f.index: (f.time, f.image) for f in VideoReader(clip)}
            want = {i: (ref[i][0], crc(ref[i][1])) for i in (3, 4, 5)}
            got = list(frames_at(str(clip), want))
        assert [i for i, _ in got] == [3, 4, 5]
        assert all(np.array_equal(im, ref[i][1]) for i, im in got)


def test_a_worker_seeks_into_a_deinterlaced_clip(tmp_path: Path, monkeypatch):
    """A worker seeks a frame early and deinterlaces on (bwdif looks one frame back): the frames the
    planning pass saw, without decoding the clip from its start for each job (which it did)."""
    from vidiff.runner import seek

    src = interlaced_clip(tmp_path / "gop.mp4", n=18, x264=":keyint=4:bframes=0")
    ref = {f.index: (f.time, f.image) for f in VideoReader(src)}
    monkeypatch.setattr(seek, "_from_start", lambda *a: pytest.fail("decoded from the start"))
    for first in (0, 1, 9, 17, 30):
        idx = [first, first + 1, first + 4]
        got = list(frames_at(str(src), {i: (ref[i][0], crc(ref[i][1])) for i in idx}))
        assert [i for i, _ in got] == idx and all(np.array_equal(im, ref[i][1]) for i, im in got)


@pytest.mark.parametrize("mode", ["auto", "frame"])
def test_training_random_access_gives_the_readers_frames(tmp_path: Path, mode: str):
    """Training's `open_frames` reads an interlaced clip deinterlaced, as every run does (it read the
    stored, combed frames): the reader's pixels and times, in any order; a progressive clip as before."""
    from vidiff.io.random_access import SeekReader, open_frames

    src = interlaced_clip(tmp_path / "cam.mp4", n=18, x264=":keyint=4")
    with deinterlace_scope(mode):
        ref = list(VideoReader(src))
        for engine in ("pyav", "decord"):  # (decord reads fields as stored: the pyav engine serves)
            r = open_frames(src, engine)
            assert len(r) == len(ref) == (36 if mode == "auto" else 18)
            assert np.allclose(r.seconds(), [float(f.time) for f in ref])
            idx = [5, 0, len(ref) - 1, 6, 7, 2]
            assert all(np.array_equal(a, ref[i].image) for a, i in zip(r.get(idx), idx, strict=True))
            r.close()
    plain = open_frames(progressive_clip(tmp_path / "p.mp4"))
    assert isinstance(plain, SeekReader) and len(plain) == 6
    plain.close()


def test_a_progressive_segmented_clip_is_read_as_stored(tmp_path: Path, capsys):
    """Film or progressive video flagged interlaced (25PsF): both fields of a frame are one moment.
    Deinterlaced a frame per field, each moment came twice (a 50 fps clip moving every other frame);
    auto reads it as stored, with a note, and --deinterlace field still deinterlaces it."""
    src = flagged_clip(tmp_path / "psf.mp4", [moment(2 * i) for i in range(18)])
    info = probe(src)
    assert (info.interlaced, info.deinterlace, info.fps, info.n_frames) == ("tff", "off", 25, 18)
    assert "progressive segmented" in capsys.readouterr().err
    frames = read_frames(src)
    assert moments(frames) == list(range(0, 36, 2))  # every moment once
    with deinterlace_scope("field"):
        assert len(read_frames(src)) == 36


def test_a_still_start_says_nothing_of_the_fields(tmp_path: Path):
    """A camcorder clip that starts on a still (a title, black): its still frames are no evidence that
    its fields show one moment; the moving ones after them decide (fields shot apart: deinterlaced)."""
    still = [moment(0)] * 20
    src = flagged_clip(tmp_path / "titled.mp4", still + [woven(i) for i in range(1, 17)])
    info = probe(src)
    assert (info.deinterlace, info.n_frames) == ("field", 72)
    assert max(comb_score(f) for f in read_frames(src)[40:]) < 0.6


def test_frames_too_small_for_bwdif_are_one_line(tmp_path: Path, capsys):
    """bwdif takes no plane under 4 pixels a side (a 4:2:0 frame 6 lines high): one error line naming
    the way out, not a traceback; read as stored, the clip is raised."""
    src = tmp_path / "tiny.mkv"
    with av.open(str(src), "w") as c:
        s = c.add_stream("mpeg2video", rate=25)
        s.codec_context.flags |= av.codec.context.Flags.interlaced_dct | av.codec.context.Flags.interlaced_me
        s.width, s.height, s.pix_fmt = 32, 6, "yuv420p"
        for i in range(6):
            im = np.random.default_rng(i).integers(0, 255, (6, 32, 3)).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    out = tmp_path / "x2.mp4"
    up = ["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]
    assert main(up) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("note:")]
    assert err == [
        f"vidiff: error: {src}: cannot deinterlace its 32x6 frames (Invalid argument); read them as stored: --deinterlace off"
    ]
    assert not out.exists()
    assert main([*up, "--deinterlace", "off"]) == 0 and out.exists()


def test_a_worker_seeks_into_a_raw_dv_tape(tmp_path: Path, monkeypatch):
    """A raw .dv (dvgrab's capture) states 60000 fps and its demuxer seeks to the nearest frame: a
    worker times its fields at the rate the reader does and seeks two frames early, so it finds the
    planned frames without decoding from the start for each job; random access times them alike."""
    from vidiff.runner import seek

    tex = np.random.default_rng(1).integers(0, 255, (30, 60, 3)).astype(np.uint8).repeat(16, 0).repeat(16, 1)
    src = tmp_path / "tape.dv"
    with av.open(str(src), "w", format="dv") as c:
        s = c.add_stream("dvvideo", rate=Fraction(30000, 1001))
        s.width, s.height, s.pix_fmt = 720, 480, "yuv411p"
        for i in range(12):
            pic = np.roll(tex, -16 * i, axis=1)[:, :720].copy()  # bottom field first: odd rows first
            pic[0::2] = np.roll(tex, -16 * i - 8, axis=1)[0::2, :720]
            f = av.VideoFrame.from_ndarray(pic, format="rgb24")
            f.pts, f.time_base = i, Fraction(1001, 30000)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    ref = {f.index: (f.time, f.image) for f in VideoReader(src)}
    assert len(ref) == 24
    monkeypatch.setattr(seek, "_from_start", lambda *a: pytest.fail("decoded from the start"))
    for first in (0, 7, 15, 20):
        idx = [first, first + 1, first + 3]
        got = list(frames_at(str(src), {i: (ref[i][0], crc(ref[i][1])) for i in idx}))
        assert [i for i, _ in got] == idx and all(np.array_equal(im, ref[i][1]) for i, im in got)
    from vidiff.io.random_access import open_frames

    r = open_frames(src)  # training's random access times the fields alike
    assert np.allclose(r.seconds(), [float(ref[i][0]) for i in range(24)])
    assert np.array_equal(r.get([7])[0], ref[7][1])
    r.close()


def telecined_clip(path: Path, n_film: int = 16, tff: bool = True, phase: int = 0) -> Path:
    """`n_film` film frames (gray: each field's chroma its own) 2:3 pulled down into 29.97i frames, top
    field first or bottom (fields AA BB BC CD DD: a film frame's fields in two or three frames), coded
    interlaced in that order; the first `phase` frames of the cadence cut off."""
    fields: list[np.ndarray] = []
    for j in range(n_film):
        fields += [film(j)] * (2 if j % 2 == 0 else 3)
    fields = fields[2 * phase :]
    rate = Fraction(30000, 1001)
    with av.open(str(path), "w") as c:
        order = "tff=1" if tff else "bff=1"
        s = c.add_stream("libx264", rate=rate, options={"x264-params": f"interlaced=1:{order}", "crf": "1"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(len(fields) // 2):
            first, second = fields[2 * i], fields[2 * i + 1]
            im = (first if tff else second).copy()
            im[1::2] = (second if tff else first)[1::2]
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / rate
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def film(j: int) -> np.ndarray:
    """Film frame `j`: `moment(2 * j)` in gray."""
    g = moment(2 * j).mean(2).astype(np.uint8)
    return np.repeat(g[:, :, None], 3, 2)


def test_telecined_film_bottom_field_first(tmp_path: Path):
    src = telecined_clip(tmp_path / "bff.mp4", tff=False)
    assert (probe(src).interlaced, probe(src).deinterlace, probe(src).n_frames) == ("bff", "film", 16)
    assert moments(read_frames(src)) == list(range(0, 32, 2))


def test_telecined_film_is_read_as_its_film_frames(tmp_path: Path, capsys):
    """A DVD's 29.97i film (2:3 pulldown woven into its fields): auto finds the repeated fields and reads
    each film frame once at 23.976 fps (fieldmatch, a repeat in five dropped), where a frame per field gave each two or
    three times; a true 29.97i video clip is still read a frame per field."""
    src = telecined_clip(tmp_path / "film.mp4")  # 20 stored frames
    info = probe(src)
    assert (info.deinterlace, info.fps, info.n_frames) == ("film", Fraction(24000, 1001), 16)
    assert "telecined film" in capsys.readouterr().err
    frames = list(VideoReader(src))
    assert moments([f.image for f in frames]) == list(range(0, 32, 2))  # each film frame once, in order
    assert [f.time for f in frames] == [Fraction(1001, 24000) * n for n in range(16)]
    assert max(comb_score(f.image) for f in frames) < 0.6
    with deinterlace_scope("field"):
        assert len(read_frames(src)) == 40
    short = telecined_clip(tmp_path / "short.mp4", 17)  # 21 stored: the last cycle cut short
    assert probe(short).n_frames == len(read_frames(short)) == 17
    assert main(["probe", str(src)]) == 0
    assert "24000/1001 fps (23.976) (telecined film: 2:3 pulldown undone)" in capsys.readouterr().out
    video = interlaced_clip(tmp_path / "video.mp4", n=18, rate=Fraction(30000, 1001))  # 59.94i video
    assert (probe(video).deinterlace, probe(video).fps, probe(video).n_frames) == (
        "field",
        Fraction(60000, 1001),
        36,
    )


@pytest.mark.parametrize("phase", range(5))
def test_film_cut_mid_cadence_keeps_each_film_frame_once(tmp_path: Path, phase: int):
    """Film starting at any place of its 2:3 cadence (cut from a longer clip), and ending at any: each
    film frame it holds read once, the probe's count agreeing (FFmpeg's decimate, cycles counted from
    the first frame, lost a film frame in the first five at phase 2 and kept a repeat in a short last
    cycle)."""
    for n_film in (16, 17):
        src = telecined_clip(tmp_path / f"p{phase}_{n_film}.mp4", n_film, tff=phase % 2 == 0, phase=phase)
        first = [0, 1, 1, 2, 3][phase]  # the film frame of the first stored frame's first field
        want = list(range(2 * first, 2 * n_film, 2))
        assert moments(read_frames(src)) == want
        assert probe(src).n_frames == len(want)


_WIDE = np.random.default_rng(1).integers(0, 255, (H // 8, 60, 1)).astype(np.uint8).repeat(8, 0).repeat(8, 1)


def long_film(j: int) -> np.ndarray:
    """Film frame `j` of a longer pan (`film`'s texture ends at frame 18)."""
    return np.repeat(np.ascontiguousarray(_WIDE[:, 12 * j : 12 * j + W]), 3, 2)


@pytest.mark.parametrize("phase", range(5))
def test_film_after_a_still_title_keeps_its_cadence(tmp_path: Path, phase: int):
    """A still title longer than the frames that find the phase, then the film moving: the phase is
    found in the moving frames, so none is repeated or lost where the motion starts (with the phase
    guessed from the still frames, a repeat stayed there)."""
    fields: list[int] = []
    for j in range(32):
        fields += [max(j, 22)] * (2 if j % 2 == 0 else 3)
    fields = fields[2 * phase :]
    rate = Fraction(30000, 1001)
    src = tmp_path / "title.mp4"
    with av.open(str(src), "w") as c:
        s = c.add_stream("libx264", rate=rate, options={"x264-params": "interlaced=1:tff=1", "crf": "1"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(len(fields) // 2):
            im = long_film(fields[2 * i]).copy()
            im[1::2] = long_film(fields[2 * i + 1])[1::2]
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / rate
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    with deinterlace_scope("film"):
        frames = read_frames(src)
        n = probe(src).n_frames
    near = [min(range(32), key=lambda j: np.abs(f.mean(2) - long_film(j)[:, :, 0]).mean()) for f in frames]
    assert [j for j in near if j > 22] == list(range(23, 32))
    assert n == len(frames) == 32 - [0, 1, 1, 2, 3][phase]


def test_film_at_every_door(tmp_path: Path, capsys):
    """`--deinterlace film` is a mode like the others: the CLI, a recipe key, the API; a worker reads
    the film's frames from the start (no seek into the pulldown's cadence)."""
    src = telecined_clip(tmp_path / "film.mp4")
    assert main(["metrics", str(src), "--deinterlace", "film", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["frames"]) == 16
    fast = load_recipe("fps_x2").with_overrides(["interpolate.method=blend", "decode.deinterlace=film"])
    assert run_recipe(fast, str(src), str(tmp_path / "a.mp4"), progress=False)["out_frames"] == 32
    assert analyze_clip(src, deinterlace="film") is not None
    prog = progressive_clip(tmp_path / "p.mp4")
    assert probe(prog).deinterlace == "off"
    with deinterlace_scope("auto"):
        frames = read_frames(src)
        want = {i: (Fraction(1001, 24000) * i, crc(frames[i])) for i in (3, 9)}
        got = dict(frames_at(str(src), want))
    assert all(np.array_equal(got[i], frames[i]) for i in want)


def test_training_random_access_reads_the_film_frames(tmp_path: Path):
    """Training's `open_frames` of telecined film gives the reader's film frames and times, in any order."""
    from vidiff.io.random_access import open_frames

    src = telecined_clip(tmp_path / "film.mp4")
    ref = list(VideoReader(src))
    for engine in ("pyav", "decord"):
        r = open_frames(src, engine)
        assert len(r) == len(ref) == 16
        assert np.allclose(r.seconds(), [float(f.time) for f in ref])
        idx = [5, 0, 15, 6, 7, 2]
        assert all(np.array_equal(a, ref[i].image) for a, i in zip(r.get(idx), idx, strict=True))
        r.close()


def test_the_scan_stops_on_judged_frames_not_repeats(tmp_path: Path, monkeypatch):
    """The scan's stop (`ENOUGH` judged frames) counts idet's frame judgements, not its repeated-field
    counts beside them (which stopped it early on film)."""
    from vidiff.io import field_scan

    monkeypatch.setattr(field_scan, "ENOUGH", 10)
    votes = field_scan._votes(str(telecined_clip(tmp_path / "film.mp4")))
    assert sum(votes[k] for k in field_scan.JUDGED) == 10 and votes["repeated"] >= 3
