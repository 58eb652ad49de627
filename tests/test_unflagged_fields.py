"""Interlaced and telecined clips whose flags do not say so (`vidiff.io.field_scan`): an interlaced capture
or a hard-telecined DVD rip re-encoded progressive (x264 without --tff), and a clip flagged interlaced only
after its first frames (a title card), are read by auto as a flagged one is, in the field order idet
finds; progressive clips, however detailed, are read exactly as before. Each door agrees, and a worker
takes the parent's scan instead of scanning again."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import write_clip
from test_deinterlace import H, W, film, moment, moments, woven

from vidiff.cli import main
from vidiff.io import deinterlace, field_scan
from vidiff.io.deinterlace import deinterlace_scope
from vidiff.io.probe import probe
from vidiff.io.reader import VideoReader, read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.fields import comb_score
from vidiff.recipes import load_recipe
from vidiff.runner import upscale_file
from vidiff.runner.infill import infill_file
from vidiff.runner.recipe import run_recipe
from vidiff.runner.seek import crc, frames_at

NOTE = "flagged progressive, but idet finds"


def encode(path: Path | io.BytesIO, pictures: list[np.ndarray], rate: Fraction, x264: str = "", **kw) -> None:
    """`pictures` coded by x264 (its options `x264`, none: progressive), one a frame at `rate`."""
    with av.open(path, "w", **kw) as c:
        s = c.add_stream("libx264", rate=rate, options={"x264-params": x264 or "bframes=0", "crf": "1"})
        s.width, s.height, s.pix_fmt = pictures[0].shape[1], pictures[0].shape[0], "yuv420p"
        for i, im in enumerate(pictures):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / rate
            c.mux(s.encode(f))
        c.mux(s.encode(None))


def combed(path: Path, tff: bool = True, n: int = 18) -> Path:
    """`n` frames of two fields a field apart (top first with `tff`), coded progressive."""
    pictures = []
    for i in range(n):
        first, second = moment(2 * i), moment(2 * i + 1)
        im = (first if tff else second).copy()
        im[1::2] = (second if tff else first)[1::2]
        pictures.append(im)
    encode(path, pictures, Fraction(25))
    return path


def telecined(path: Path, n_film: int = 16) -> Path:
    """`n_film` film frames 2:3 pulled down into 29.97 fps frames (fields AA BB BC CD DD), coded
    progressive: a hard-telecined DVD rip re-encoded without its flags."""
    fields: list[np.ndarray] = []
    for j in range(n_film):
        fields += [film(j)] * (2 if j % 2 == 0 else 3)
    pictures = []
    for i in range(len(fields) // 2):
        im = fields[2 * i].copy()
        im[1::2] = fields[2 * i + 1][1::2]
        pictures.append(im)
    encode(path, pictures, Fraction(30000, 1001))
    return path


def interlaced_later(path: Path) -> Path:
    """A still title of 20 frames coded progressive, then 16 woven frames coded interlaced (top field
    first): two raw H.264 streams one after the other, in Matroska."""
    raw = io.BytesIO()
    encode(raw, [moment(0)] * 20, Fraction(25), format="h264")
    encode(raw, [woven(i) for i in range(1, 17)], Fraction(25), "interlaced=1:tff=1:bframes=0", format="h264")
    raw.seek(0)
    with av.open(raw, format="h264") as i, av.open(str(path), "w") as o:
        out = o.add_stream_from_template(i.streams.video[0])
        for n, p in enumerate(p for p in i.demux(video=0) if p.size):
            p.stream, p.pts, p.dts, p.time_base = out, n, n, Fraction(1, 25)
            o.mux(p)
    return path


@pytest.mark.parametrize("tff", [True, False], ids=["top-first", "bottom-first"])
def test_a_combed_clip_flagged_progressive_is_read_a_frame_per_field(tmp_path: Path, tff: bool, capsys):
    """An interlaced capture coded progressive: auto finds its combing and its field order (its flags
    state none), reads every field in the order shot, and says why in its note."""
    src = combed(tmp_path / "rip.mp4", tff)
    with deinterlace_scope("off"):
        stored = read_frames(src)
    assert min(comb_score(f) for f in stored[1:]) > 2.0
    info = probe(src)
    assert (info.interlaced, info.deinterlace, info.fps, info.n_frames) == (None, "field", 50, 36)
    order = "top field first" if tff else "bottom field first"
    assert f"{NOTE} its fields shot apart" in capsys.readouterr().err
    assert any(f"bwdif ({order} by idet)" in n and "--deinterlace off" in n for n in info.notes)
    frames = list(VideoReader(src))
    assert [f.time for f in frames] == [Fraction(k, 50) for k in range(36)]
    assert moments([f.image for f in frames]) == list(range(36))  # every field, in the order shot
    assert max(comb_score(f.image) for f in frames) < 0.6
    with deinterlace_scope("off"):  # (off: as stored, as before)
        assert all(np.array_equal(a, b) for a, b in zip(read_frames(src), stored, strict=True))


def test_telecined_film_flagged_progressive_is_read_as_its_film(tmp_path: Path, capsys):
    src = telecined(tmp_path / "dvd.mp4")  # 20 stored frames
    info = probe(src)
    assert (info.deinterlace, info.fps, info.n_frames) == ("film", Fraction(24000, 1001), 16)
    assert f"{NOTE} 2:3 pulldown in its fields" in capsys.readouterr().err
    frames = list(VideoReader(src))
    assert moments([f.image for f in frames]) == list(range(0, 32, 2))  # each film frame once
    assert [f.time for f in frames] == [Fraction(1001, 24000) * n for n in range(16)]
    assert max(comb_score(f.image) for f in frames) < 0.6


def test_interlaced_after_a_progressive_title(tmp_path: Path, capsys):
    """The first frame's flag decided everything: a title coded progressive, then interlaced frames,
    was read as stored, combed. The flags over the scanned frames decide now."""
    src = interlaced_later(tmp_path / "titled.mkv")
    with av.open(str(src)) as c:
        assert [f.interlaced_frame for f in c.decode(video=0)] == [0] * 20 + [1] * 16
    info = probe(src)
    assert (info.deinterlace, info.fps, info.n_frames) == ("field", 50, 72)
    assert "its first frame flagged progressive, later ones interlaced" in capsys.readouterr().err
    frames = read_frames(src)
    assert moments(frames[42:]) == list(range(4, 34))  # the woven frames' fields, in the order shot
    assert max(comb_score(f) for f in frames[40:]) < 0.6


def _progressive(tmp_path: Path) -> list[Path]:
    """Progressive clips the kind idet could take for combing: fine detail in motion (pixel noise panned
    down 1 and 3 rows a frame, 2-pixel blocks panned down a row a frame, one-row stripes), frames held
    twice, a lossless RGB copy of a 4:2:0 clip."""
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 255, (300, 96, 3)).astype(np.uint8)
    blocks = np.kron(rng.integers(0, 255, (150, 48, 3)), np.ones((2, 2, 1))).astype(np.uint8)
    stripes = np.zeros((300, 96, 3), np.uint8)
    stripes[::2] = 255
    made = {
        "noise1": [noise[i : i + H] for i in range(30)],
        "noise3": [noise[3 * i : 3 * i + H] for i in range(30)],
        "blocks": [blocks[i : i + H] for i in range(30)],
        "stripes": [stripes[i : i + H] for i in range(30)],
    }
    for name, pictures in made.items():
        encode(tmp_path / f"{name}.mp4", [np.ascontiguousarray(p) for p in pictures], Fraction(25))
    # carphone held two frames each, losslessly (15 fps uploaded at 30, animation on twos): idet took a
    # frame against an unlike one before and a like one after for fields of two moments
    phone = read_frames(str(sample_clip("carphone_pristine")), max_frames=30)
    write_clip(tmp_path / "held.mkv", [f for f in phone for _ in range(2)], codec="ffv1", pix_fmt="bgr0")
    # and as it is, in RGB: its 4:2:0 chroma at full size holds rows in pairs (idet judged luma alone now)
    write_clip(tmp_path / "rgb.mkv", phone, codec="ffv1", pix_fmt="bgr0")
    return [tmp_path / f"{name}.mp4" for name in made] + [tmp_path / "held.mkv", tmp_path / "rgb.mkv"]


def test_progressive_clips_are_read_exactly_as_before(tmp_path: Path):
    """No false alarm: every sample clip and synthetic detail in motion is read as stored, the same
    frames as `--deinterlace off` (which reads as vidiff read them before)."""
    clips = [Path(sample_clip(n)) for n in ("bikes", "carphone_pristine", "bigbuckbunny")]
    for src in [*clips, *_progressive(tmp_path)]:
        info = probe(src)
        assert (info.deinterlace, info.interlaced) == ("off", None), src
        assert not any(n.startswith("interlaced") for n in info.notes)
        found = field_scan.scan(str(src))
        assert found.tff + found.bff == 0 and found.flagged == 0, (src, found)
        if src.stat().st_size < 1 << 20:  # (the small ones: every frame compared)
            with deinterlace_scope("off"):
                want = [crc(f) for f in read_frames(src)]
            assert [crc(f) for f in read_frames(src)] == want


def test_every_door_reads_it_so(tmp_path: Path, capsys):
    """probe, metrics, run (a recipe), upscale, infill, a worker's seek and training's random access read
    a combed clip flagged progressive as the reader does."""
    from vidiff.io.random_access import FieldFrames, open_frames

    src = combed(tmp_path / "rip.mp4")
    ref = list(VideoReader(src))
    assert main(["probe", str(src), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["deinterlace"], got["fps"], got["n_frames"]) == ("field", "50/1", 36)
    assert main(["probe", str(src)]) == 0
    assert "50 fps (50.000) (deinterlaced: a frame per field)" in capsys.readouterr().out
    assert main(["metrics", str(src), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["frames"]) == 36
    fast = load_recipe("fps_x2").with_overrides(["interpolate.method=blend"])
    assert run_recipe(fast, str(src), str(tmp_path / "a.mp4"), progress=False)["out_frames"] == 72
    assert upscale_file(src, tmp_path / "b.mp4", fps=50, method="blend", progress=False)["out_frames"] == 36
    infill_file(src, tmp_path / "c.mp4", frames="5", method="blend", progress=False)
    with deinterlace_scope("off"):
        assert len(read_frames(tmp_path / "c.mp4")) == 36
    want = {i: (ref[i].time, crc(ref[i].image)) for i in (3, 4, 20)}
    assert [crc(im) for _, im in frames_at(str(src), want)] == [w[1] for w in want.values()]
    r = open_frames(src)
    assert isinstance(r, FieldFrames) and len(r) == 36
    idx = [5, 0, 35, 6, 21]
    assert all(np.array_equal(a, ref[i].image) for a, i in zip(r.get(idx), idx, strict=True))
    r.close()
    with deinterlace_scope("off"):
        assert probe(src).n_frames == 18 and len(open_frames(src)) == 18


def test_a_worker_takes_the_parents_scan(tmp_path: Path, monkeypatch):
    """A segment job carries what the planning pass found of the input's fields (and its film's phase):
    its worker reads the same frames without scanning the file again (each worker rescanned it)."""
    clips = {"field": combed(tmp_path / "rip.mp4"), "film": telecined(tmp_path / "dvd.mp4")}
    for how, src in clips.items():
        ref = list(VideoReader(src))
        assert probe(src).deinterlace == how
        carried = deinterlace.found(str(src))
        assert carried[0] is not None and (how != "film" or carried[1])
        monkeypatch.setattr(field_scan, "_FOUND", {})
        monkeypatch.setattr(deinterlace, "_PHASE", {})
        monkeypatch.setattr(field_scan, "_votes", lambda p: pytest.fail("scanned again"))
        monkeypatch.setattr(deinterlace, "phase_from", lambda f: pytest.fail("phase found again"))
        deinterlace.remember(str(src), carried)
        want = {i: (ref[i].time, crc(ref[i].image)) for i in (2, 9)}
        assert [crc(im) for _, im in frames_at(str(src), want)] == [w[1] for w in want.values()]
        monkeypatch.undo()


def test_workers_make_the_serial_runs_file(tmp_path: Path):
    """`--workers 2` on a combed clip flagged progressive: the file one process makes."""
    from conftest import sha256

    src = combed(tmp_path / "rip.mp4")
    fast = {"fps": 400, "method": "blend", "progress": False}
    one = upscale_file(src, tmp_path / "one.mp4", workers=1, **fast)
    two = upscale_file(src, tmp_path / "two.mp4", workers=2, **fast)
    assert (one["workers"], two["workers"]) == (1, 2) and one["out_frames"] == two["out_frames"] > 240
    assert sha256(tmp_path / "one.mp4") == sha256(tmp_path / "two.mp4")


def test_a_spawned_training_worker_takes_what_the_pool_found(tmp_path: Path, monkeypatch):
    """Training's clip pool goes to a spawned data worker pickled, with what it found of each clip at open
    (its fields, its last frames: `found_at_open`): the worker neither scans nor decodes them again."""
    import pickle

    from vidiff.io import access_tail
    from vidiff.train.data import ClipPool

    src = combed(tmp_path / "rip.mp4")
    ref = read_frames(src)
    pool = ClipPool([str(src)], 3)
    blob = pickle.dumps(pool)
    monkeypatch.setattr(field_scan, "_FOUND", {})  # (a fresh process's)
    monkeypatch.setattr(access_tail, "_FOUND", {})
    monkeypatch.setattr(field_scan, "_votes", lambda p: pytest.fail("scanned again"))
    monkeypatch.setattr(access_tail, "_judged", lambda *a: pytest.fail("last frames decoded again"))
    worker = pickle.loads(blob)
    got = worker.span(0, 30, 4)
    assert len(got) == 4 and all(np.array_equal(a, b) for a, b in zip(got, ref[30:34], strict=True))


def soft_telecined(path: Path, n_film: int = 30) -> Path:
    """`n_film` film frames coded by FFmpeg's MPEG-2 encoder as progressive frames of a 29.97i sequence
    with 2:3 soft pulldown (a DVD's film): its headers edited, as no encoder here sets them: the sequence
    header's rate 30000/1001, its extension's progressive_sequence 0, each picture's top_field_first and
    repeat_first_field in the 2:3 pattern (a film frame shown for 3, 2, 3, 2 fields), progressive_frame
    1 (ISO/IEC 13818-2 6.2.2.3, 6.2.3.1). Remuxed into MPEG-PS (a VOB's), stamped by FFmpeg's parser."""
    from test_deinterlace import long_film

    raw = io.BytesIO()
    with av.open(raw, "w", format="mpeg2video") as c:
        s = c.add_stream("mpeg2video", rate=Fraction(24000, 1001))
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.codec_context.max_b_frames = 0  # (coded order = shown order: the pattern by picture)
        s.codec_context.options = {"qscale": "2", "g": "12"}
        for i in range(n_film):
            c.mux(s.encode(av.VideoFrame.from_ndarray(long_film(i), format="rgb24")))
        c.mux(s.encode(None))
    data, k = bytearray(raw.getvalue()), 0
    for at in (i for i in range(len(data) - 8) if data[i : i + 3] == b"\x00\x00\x01"):
        code, ext = data[at + 3], data[at + 4] >> 4
        if code == 0xB3:  # sequence header: frame_rate_code 4 (30000/1001)
            data[at + 7] = (data[at + 7] & 0xF0) | 4
        elif code == 0xB5 and ext == 1:  # sequence extension: progressive_sequence 0
            data[at + 5] &= ~0x08
        elif code == 0xB5 and ext == 8:  # picture coding extension: tff, rff; progressive_frame 1
            tff, rff = [(1, 1), (0, 0), (0, 1), (1, 0)][k % 4]
            data[at + 7] = (data[at + 7] & ~0x82) | (0x80 * tff) | (0x02 * rff)
            data[at + 8] |= 0x80
            k += 1
    with av.open(io.BytesIO(bytes(data)), format="mpegvideo") as i, av.open(str(path), "w") as o:
        out = o.add_stream_from_template(i.streams.video[0])
        for p in i.demux(video=0):
            if p.size:
                p.stream = out
                o.mux(p)
    return path


def test_soft_telecined_film_is_read_as_its_film(tmp_path: Path):
    """MPEG-2 soft pulldown (a DVD's film, 23.976p stored, repeat_first_field: shown as 29.97i): each
    coded picture is a whole film frame, decoded once, flagged progressive; auto's scan finds it
    progressive, so it is neither deinterlaced nor taken for hard telecine. Its frames are stamped at
    the 3:2 cadence players show (3 fields, 2, 3, ...): read at those times, it was "variable rate" at
    24.8 fps and interpolated unevenly; it is read at 23.976 fps, evenly, at every door."""
    from test_deinterlace import long_film

    from vidiff.io.random_access import open_frames

    src = soft_telecined(tmp_path / "dvd.mpg")
    with av.open(str(src)) as c:
        frames = list(c.decode(video=0))
        shown = [
            round(float(b.time - a.time) * 60000 / 1001) for a, b in zip(frames, frames[1:], strict=False)
        ]
    assert len(frames) == 30 and not any(f.interlaced_frame for f in frames)
    assert shown[:8] == [3, 2] * 4  # fields each frame is shown for: the pulldown's cadence
    info = probe(src)
    assert (info.deinterlace, info.fps, info.is_vfr, info.n_frames) == (
        "off",
        Fraction(24000, 1001),
        False,
        30,
    )
    assert info.soft_pulldown and field_scan.scan(str(src)).combed() == "none"
    got = list(VideoReader(src))
    assert [f.time for f in got] == [Fraction(1001, 24000) * k for k in range(30)]
    near = [min(range(32), key=lambda j: np.abs(f.image.astype(int) - long_film(j)).mean()) for f in got]
    assert near == list(range(30)) and max(comb_score(f.image) for f in got) < 0.6
    r = open_frames(src)
    assert np.allclose(r.seconds(), [float(f.time) for f in got])
    r.close()
    want = {i: (got[i].time, crc(got[i].image)) for i in (7, 8, 21)}
    assert [crc(im) for _, im in frames_at(str(src), want)] == [w[1] for w in want.values()]
    out = upscale_file(src, tmp_path / "x2.mp4", factor=2, method="blend", progress=False)
    assert out["out_frames"] == 60 and probe(tmp_path / "x2.mp4").fps == Fraction(48000, 1001)
