"""Animated WebP input (`vidiff.io.webp_in`): frames at their own times, through every door; a damaged
file used up to what decodes with one warning line, refused with --strict. Every file is made here by
Pillow (lossless, so frames compare exactly)."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from test_sequences import square

from vidiff.cli import main
from vidiff.errors import InputError
from vidiff.io.probe import input_policy, probe
from vidiff.io.reader import VideoReader
from vidiff.runner.seek import crc, frames_at

UNEVEN = [40, 80, 40, 120, 40, 40]  # ms: a 25 fps grid with frames held two and three steps
TIMES = [Fraction(ms, 1000) for ms in (0, 40, 120, 160, 280, 320)]


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def webp(path: Path, frames: list[np.ndarray], durations: list[int] | int, mode: str = "RGB") -> Path:
    """An animated WebP of `frames` shown for `durations` ms each."""
    from PIL import Image

    ims = [Image.fromarray(f, mode) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=durations, loop=0, lossless=True)
    return path


def frame_chunks(data: bytes) -> list[tuple[int, int]]:
    """(offset, end) of each ANMF chunk of a WebP file."""
    out, pos = [], 12
    while pos + 8 <= len(data):
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + size + (size & 1)
        if data[pos : pos + 4] == b"ANMF":
            out.append((pos, end))
        pos = end
    return out


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return webp(tmp_path / "a.webp", [square(i) for i in range(6)], UNEVEN)


def test_frames_at_their_own_times(clip: Path):
    """Each frame at the sum of the durations before it; the rate the grid's (25), the clip VFR."""
    info = probe(clip)
    assert (info.n_frames, info.fps, info.is_vfr, info.container) == (6, 25, True, "webp")
    assert info.duration == pytest.approx(0.36) and info.audio == [] and info.damage is None
    got = list(VideoReader(clip))
    assert [f.time for f in got] == TIMES
    for i, f in enumerate(got):
        assert np.array_equal(f.image, square(i))


def test_a_webp_named_gif_is_read_by_its_bytes(clip: Path, tmp_path: Path):
    """A web animation saved under another name (a .gif that is a WebP) is a WebP all the same."""
    named = tmp_path / "sticker.gif"
    named.write_bytes(clip.read_bytes())
    assert probe(named).n_frames == 6 and [f.time for f in VideoReader(named)] == TIMES


def test_rounded_durations_stay_on_their_grid(tmp_path: Path):
    """A 30 fps animation stores 33, 33, 34 ms: a constant 30 fps clip, every frame on its grid."""
    path = webp(tmp_path / "b.webp", [square(i) for i in range(6)], [33, 33, 34, 33, 33, 34])
    info = probe(path)
    assert (info.fps, info.is_vfr) == (30, False)
    assert [f.time for f in VideoReader(path)] == [Fraction(k, 30) for k in range(6)]


def test_a_frame_of_no_duration_plays_100_ms(tmp_path: Path):
    """A duration of 0 (an ad's 'as fast as possible') is read as 100 ms, as browsers play it."""
    path = webp(tmp_path / "z.webp", [square(i) for i in range(3)], [0, 40, 40])
    assert [f.time for f in VideoReader(path)] == [0, Fraction(1, 10), Fraction(14, 100)]


def test_upscale_infill_metrics(clip: Path, tmp_path: Path, capsys):
    out = tmp_path / "x2.mkv"
    code, _, err = run_cli(
        capsys, "upscale", clip, "-o", out, "--factor", "2", "--method", "dis", "--quiet", "--workers", "1"
    )
    assert code == 0, err
    with av.open(str(out)) as c:
        times = [f.time for f in c.decode(video=0)]
    assert len(times) == 18 and times[-1] == pytest.approx(17 / 50)  # 0.36 s at 50 fps
    fixed = tmp_path / "fixed"
    code, _, err = run_cli(
        capsys, "infill", clip, "-o", f"{fixed}/", "--frames", "2", "--method", "dis", "--quiet"
    )
    assert code == 0, err
    assert len(list(fixed.glob("*.png"))) == 9  # 0.36 s at 25 fps: frames held 2 and 3 steps repeated
    code, out_text, err = run_cli(capsys, "metrics", clip)
    assert code == 0, err
    assert "6 frames" in out_text


def test_a_worker_reads_the_planned_frames(clip: Path):
    """A parallel run's worker cannot seek in what Pillow reads: it decodes from the start."""
    frames = list(VideoReader(clip))
    wanted = {i: (frames[i].time, crc(frames[i].image)) for i in (2, 4)}
    got = dict(frames_at(str(clip), wanted, Fraction(25)))
    assert sorted(got) == [2, 4] and np.array_equal(got[4], square(4))


def test_transparency_is_noted_once(tmp_path: Path, capsys):
    rgba = []
    for i in range(3):
        f = np.dstack([square(i), np.full(square(i).shape[:2], 255, np.uint8)])
        f[:8, :8, 3] = 0
        rgba.append(f)
    path = webp(tmp_path / "t.webp", rgba, 50, "RGBA")
    code, _, err = run_cli(capsys, "probe", path)
    assert code == 0 and err.count("alpha channel (transparency) is dropped") == 1


def test_one_frame_is_refused(tmp_path: Path, capsys):
    """One frame (a still saved as WebP, or an animation with a single frame left) is below 2 frames."""
    path = webp(tmp_path / "two.webp", [square(0), square(1)], 40)
    data = path.read_bytes()
    (a, _), (b, _) = frame_chunks(data)
    one = tmp_path / "one.webp"
    body = data[12:b]
    one.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body)
    still = webp(tmp_path / "still.webp", [square(0)], 40)
    for p in (one, still):
        code, _, err = run_cli(capsys, "upscale", p, "-o", tmp_path / "o.mp4", "--factor", "2")
        assert code == 2 and err.startswith("vidiff: error:") and "1 frame" in err and err.count("\n") == 1
    assert not (tmp_path / "o.mp4").exists()


def test_a_file_cut_short(clip: Path, tmp_path: Path, capsys):
    """Cut inside its last frame: the 5 whole frames used with ONE warning of counts; --strict refuses."""
    cut = tmp_path / "cut.webp"
    cut.write_bytes(clip.read_bytes()[:-30])
    before = cut.read_bytes()
    out = tmp_path / "o.mkv"
    code, _, err = run_cli(capsys, "upscale", cut, "-o", out, "--factor", "2", "--method", "dis", "--quiet")
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert (
        len(warnings) == 1 and "cut short" in warnings[0] and "6 frames in the file, 5 decoded" in warnings[0]
    )
    with av.open(str(out)) as c:
        assert len(list(c.decode(video=0))) == 16  # 5 frames, the last at 0.28 s: 0.32 s at 50 fps
    code, _, err = run_cli(capsys, "upscale", cut, "-o", tmp_path / "s.mkv", "--factor", "2", "--strict")
    assert code == 2 and "damaged" in err and "--strict" in err and err.count("\n") == 1
    assert cut.read_bytes() == before


def test_a_damaged_frame(clip: Path, tmp_path: Path, capsys):
    """A frame whose data is broken (bytes flipped): the frames before it are used."""
    data = bytearray(clip.read_bytes())
    start, end = frame_chunks(bytes(data))[3]
    for k in range(start + 36, end - 2):
        data[k] ^= 0x5A
    bad = tmp_path / "bad.webp"
    bad.write_bytes(bytes(data))
    assert [f.time for f in VideoReader(bad)] == TIMES[:3]
    assert capsys.readouterr().err.count("frame 3 is damaged") == 1
    with input_policy(True), pytest.raises(InputError, match="damaged"):
        probe(bad)


def test_the_social_tab_takes_an_animated_webp_as_a_clip(clip: Path, tmp_path: Path, monkeypatch):
    """A .webp upload was always a still (camera motion over its first frame): an animated one is a clip."""
    test_ui = pytest.importorskip("test_ui")
    if not test_ui.HAVE_UI:
        pytest.skip("needs the ui extra (gradio)")
    import vidiff.generate
    from vidiff.ui import social

    sent: dict = {}

    def fake(out, **kw):
        sent.update(kw)
        facts = {"source": "clip", "frames_observed": 6, "frames_extended": 5, "frames_loop": 0}
        return {"size": [64, 64], "fps": 24, "frames": 12, "seconds": 0.5, "notes": [], **facts}

    monkeypatch.setattr(vidiff.generate, "make_clip", fake)
    app = test_ui._handler_app(tmp_path)
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.5, extend=0.2, fps=24, loop=False)
    kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0)
    kw |= test_ui.SOCIAL_MODEL_FIELDS
    got = test_ui._last(social._run_social(app), str(clip), None, *kw.values())
    assert got.startswith("Done:"), got
    assert sent["clip"] is not None and sent["image"] is None


def test_the_web_apps_stills_read_frames_as_the_reader_times_them(clip: Path, tmp_path: Path):
    """The web app's stills decoded with FFmpeg's own stamps: nothing for an animated WebP, and a raw
    .h264 stream's last frame at every time (it has no stamps)."""
    from clip_kinds import make_clip

    from vidiff.io.reader import read_frames
    from vidiff.ui.media import frame_at

    assert np.array_equal(frame_at(clip, 0.13), square(2))  # shown from 0.12 s to 0.16 s
    raw = make_clip(tmp_path, "raw_h264", n=12)
    frames = read_frames(raw)
    assert np.array_equal(frame_at(raw, 0.0), frames[0]) and np.array_equal(frame_at(raw, 0.2), frames[5])


@pytest.mark.parametrize("name", ["a.webp", "a.gif", "a.avif", "rec.ts", "cam.MTS", "raw.h264", "clip.y4m"])
def test_the_web_app_takes_the_uploads_vidiff_reads(name: str):
    """Gradio checks an upload against the tab's file types by Python's mimetypes: "video" let no GIF,
    animated WebP or AVIF, MPEG-TS recording (text/x-typescript), raw stream or Y4M through ("Invalid
    file type") though vidiff reads each."""
    pytest.importorskip("gradio")
    from gradio_client.utils import is_valid_file

    from vidiff.ui.widgets import CLIP_TYPES

    assert is_valid_file(name, CLIP_TYPES) and not is_valid_file("notes.txt", CLIP_TYPES)
