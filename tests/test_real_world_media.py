"""The clips users bring from phones, editors and downloads, made small with PyAV: a portrait phone clip
(landscape frames with a display rotation), colour-tagged, 10-bit and HDR input, odd structure."""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from clip_kinds import frame_image

from vidiff.generate.social import reframe
from vidiff.io.probe import probe, strict_scope
from vidiff.io.reader import read_frames
from vidiff.runner.upscale import upscale_file


def shift_back(src: Path, dst: Path, frames: int, fps: int) -> Path:
    """`src`'s video packets copied into `dst` stamped `frames` frames (at `fps`) earlier: the frames
    before the cut end up before 0, kept in the file and left out on reading, as a phone's trim."""
    with av.open(str(src)) as i, av.open(str(dst), "w") as o:
        vi = i.streams.video[0]
        vo = o.add_stream_from_template(vi)
        cut = round(frames / (fps * vi.time_base))
        for p in i.demux(vi):
            if p.dts is not None:
                p.pts, p.dts, p.stream = p.pts - cut, p.dts - cut, vo
                o.mux(p)
    return dst


def phone_clip(
    path: Path,
    n: int = 6,
    w: int = 48,
    h: int = 32,
    fps: int = 30,
    rotation: int = 0,
    audio: int = 0,
    start: int = 0,
    gop: int | None = None,
) -> Path:
    """An H.264 clip of `n` distinct, lopsided frames (so a turn or a mirror shows), as a phone writes
    it: a portrait clip is landscape frames with a display `rotation`; `audio`: that many AAC tracks of
    the video's length; `start`: the first frame's time in seconds (a clip cut from a recording); `gop`:
    frames from one keyframe to the next (default: one keyframe)."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.options = {"crf": "0", "preset": "ultrafast", **({"g": str(gop)} if gop else {})}
        if rotation:
            s.set_display_rotation(rotation)
        tracks = [c.add_stream("aac", rate=48000) for _ in range(int(audio))]
        for a in tracks:
            a.layout = "mono"
        for i in range(n):
            f = av.VideoFrame.from_ndarray(frame_image(i, w, h), format="rgb24")
            f.pts, f.time_base = start * fps + i, Fraction(1, fps)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
        for k, a in enumerate(tracks):
            tone = np.sin(np.arange(n * 48000 // fps) / (20 + 10 * k)).astype(np.float32)[None]
            af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            af.sample_rate, af.pts = 48000, start * 48000
            c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def _nearest_turn(got: np.ndarray, stored: np.ndarray, size: tuple[int, int]) -> list[float]:
    """How far `got` is from `stored` reframed to `size` after 0-3 counter-clockwise quarter turns."""
    return [
        float(np.abs(got.astype(int) - reframe(np.ascontiguousarray(np.rot90(stored, k)), size)).mean())
        for k in range(4)
    ]


@pytest.mark.parametrize("rotation, turns", [(90, 1), (-90, 3)])
def test_a_reframe_of_a_rotated_phone_clip_crops_the_upright_picture(tmp_path, rotation, turns):
    """A phone's portrait clip (landscape frames, display rotation 90 or -90) reframed to 9:16 by a recipe
    was the 9:16 middle of the stored, sideways picture, written with the rotation on top: shown on its
    side, 1920 wide. The reframe now gets the frames upright, and the output is upright with no rotation,
    in one process or in workers."""
    src = phone_clip(tmp_path / "portrait.mp4", rotation=rotation)
    assert probe(src).rotation == rotation % 360
    stored = read_frames(src, 1)[0]
    size = (18, 32)
    for workers in (1, 2):
        out = tmp_path / f"vertical{workers}.mp4"
        upscale_file(
            src, out, factor=2, method="blend", transform=functools.partial(reframe, size=size),
            out_size=size, progress=False, workers=workers, crf=0, pix_fmt="yuv444p",
        )  # fmt: skip
        info = probe(out)
        assert (info.width, info.height, info.rotation, info.n_frames) == (18, 32, 0, 12)
        errs = _nearest_turn(read_frames(out, 1)[0], stored, size)
        assert int(np.argmin(errs)) == turns and errs[turns] < 3, errs


def test_a_rotated_clip_without_a_reframe_keeps_its_frames_and_rotation(tmp_path):
    """Without a transform the frames are interpolated as stored and the rotation is written (lossless);
    an identity transform (the web app's progress hook) changes neither."""
    src = phone_clip(tmp_path / "portrait.mp4", rotation=90)
    stored = read_frames(src)

    def tick(image: np.ndarray) -> np.ndarray:
        return image

    tick.key = "identity"
    for name, transform in (("plain", None), ("tick", tick)):
        out = tmp_path / f"{name}.mp4"
        upscale_file(src, out, factor=2, method="blend", transform=transform, progress=False, crf=0)
        info = probe(out)
        assert (info.width, info.height, info.rotation) == (48, 32, 90)
        assert np.abs(read_frames(out)[2].astype(int) - stored[1]).mean() < 2


def test_a_social_clip_from_a_phone_portrait_clip_is_upright(tmp_path):
    """`make_clip` (social_clip, `vidiff generate --clip`, the web app) reframed a rotated clip's stored
    frames: a portrait phone clip came out as a sideways crop. Its frames are now turned upright first."""
    from vidiff.generate.clip import make_clip

    src = phone_clip(tmp_path / "portrait.mp4", n=4, rotation=90)
    stored = read_frames(src, 1)[0]
    out = tmp_path / "social.mp4"
    make_clip(out, clip=str(src), extend=0.0, fps=30, progress=False)
    info = probe(out)
    assert (info.width, info.height, info.rotation) == (1080, 1920, 0)
    assert info.color == {
        "color_range": 1,
        "colorspace": 1,
        "color_primaries": 1,
        "color_trc": 1,
    }  # new frames
    errs = _nearest_turn(read_frames(out, 1)[0], stored, (1080, 1920))
    assert int(np.argmin(errs)) == 1 and errs[1] < 3, errs


def test_a_matroska_clip_that_starts_an_hour_in_is_whole(tmp_path, capsys):
    """Matroska states its last time as its duration: a clip whose stamps start at 3600 s (cut from a
    recording, remuxed with its times kept) was probed as "3600.50 s" long holding 0.5 s, so it was called
    damaged (a warning on every run) and refused under --strict. The header's time now counts from the
    clip's start; a file cut short is still found out."""
    from vidiff.cli import main

    src = phone_clip(tmp_path / "late.mkv", n=12, fps=25, start=3600, audio=True)
    info = probe(src)
    assert (info.start_time, info.n_frames, info.damage) == (3600.0, 12, None)
    assert info.header_duration == pytest.approx(0.5, abs=0.03)
    out = tmp_path / "x2.mp4"
    argv = ["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "--workers", "1"]
    assert main([*argv, "--quiet", "--strict"]) == 0
    assert "warning" not in capsys.readouterr().err
    o = probe(out)
    assert (o.n_frames, o.start_time) == (24, 0.0) and o.audio[0].duration == pytest.approx(0.48, abs=0.05)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    assert probe(cut).damage is not None


def coded_clip(
    path: Path,
    codec: str,
    pix_fmt: str,
    n: int = 4,
    color: dict | None = None,
    opaque: bool = False,
    **opts: str,
) -> Path:
    """`n` lopsided 48x32 frames in `codec` / `pix_fmt` (an alpha plane: its left half transparent, unless
    `opaque`), with the colour tags `color` (AVColorSpace etc.) on the stream."""
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=25, options=opts)
        s.width, s.height, s.pix_fmt = 48, 32, pix_fmt
        for key, value in (color or {}).items():
            setattr(s.codec_context, key, value)
        for i in range(n):
            rgba = np.dstack([frame_image(i, 48, 32), np.full((32, 48), 255, np.uint8)])
            rgba[:, :24, 3] = 255 if opaque else 0
            f = av.VideoFrame.from_ndarray(rgba, format="rgba")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


@pytest.fixture
def fresh_notes(monkeypatch):
    """Notes said again in this test (they are said once per input and process)."""
    from vidiff.io import notes

    monkeypatch.setattr(notes, "_NOTED", {})
    monkeypatch.delenv("VIDIFF_NOTED", raising=False)


@pytest.mark.parametrize(
    "codec, pix_fmt, opts",
    [("png", "rgba", {}), ("qtrle", "argb", {}), ("libvpx-vp9", "yuva420p", {"crf": "30", "b:v": "0"})],
)
def test_a_transparent_overlay_is_used_with_one_note_that_its_alpha_is_dropped(
    tmp_path, capsys, fresh_notes, codec, pix_fmt, opts
):
    """An editor's transparent overlay (PNG or QuickTime Animation in .mov, VP9 with alpha in .webm, whose
    decoder shows no alpha plane: the stream says alpha_mode 1) was used without a word about its lost
    transparency. It is said in one note line, once for the whole run."""
    from vidiff.cli import main

    src = coded_clip(
        tmp_path / f"overlay.{'webm' if codec == 'libvpx-vp9' else 'mov'}", codec, pix_fmt, **opts
    )
    out = tmp_path / "x2.mp4"
    argv = ["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "--workers", "1"]
    assert main([*argv, "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("note:") == 1 and "its alpha channel (transparency) is dropped" in err
    assert probe(out).n_frames == 8 and "alpha channel" in probe(src).notes[0]


def test_an_hdr_clip_keeps_its_tags_and_colour_with_one_note(tmp_path, capsys, fresh_notes):
    """A phone's HDR clip (10-bit BT.2020, PQ) is rounded to 8 bits: said in one note line, which was not
    said before; its colour tags go to the output, and the output's frames decode to the input's colours."""
    hdr = {"colorspace": 9, "color_primaries": 9, "color_trc": 16, "color_range": 1}
    src = coded_clip(tmp_path / "hdr.mkv", "ffv1", "yuv420p10le", color=hdr)
    out = tmp_path / "x2.mkv"
    upscale_file(src, out, factor=2, method="blend", progress=False, crf=0, pix_fmt="yuv444p")
    err = capsys.readouterr().err
    assert err.count("note:") == 1 and "HDR (PQ, BT.2020)" in err
    assert probe(out).color == hdr
    got, want = read_frames(out), read_frames(src)
    assert np.abs(got[2].astype(int) - want[1]).mean() < 1.0


def test_an_interlaced_clip_is_noted_and_a_plain_one_is_not(tmp_path, capsys, fresh_notes):
    """A camcorder's interlaced clip (the first frame says so) gets one note; a progressive clip none."""
    src = coded_clip(
        tmp_path / "i.mp4", "libx264", "yuv420p", n=6, flags="+ildct+ilme", **{"x264-params": "interlaced=1"}
    )
    plain = phone_clip(tmp_path / "p.mp4")
    assert [n.split(":")[0] for n in probe(src).notes] == ["interlaced"]
    assert probe(plain).notes == []
    assert capsys.readouterr().err.count("note:") == 1


def _swscale_rgb(path: Path, index: int = 0) -> np.ndarray:
    """Frame `index` of `path` decoded by FFmpeg's own converter by the frame's tags (as a player does),
    not by vidiff's: what the output's tags make of its samples elsewhere."""
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == index:
                return f.reformat(
                    format="rgb24", src_colorspace=f.colorspace, src_color_range=f.color_range
                ).to_ndarray()
    raise AssertionError("no such frame")


@pytest.mark.parametrize("codec, pix_fmt", [("png", "rgba"), ("libx264rgb", "bgr24")])
def test_an_rgb_source_is_written_in_bt709_and_tagged_so(tmp_path, fresh_notes, codec, pix_fmt):
    """An RGB source (PNG-in-MOV from an editor, x264rgb) is tagged "matrix RGB, full range": the tags
    went to the 4:2:0 output as they were (an identity matrix on YUV, which H.264 forbids; players that
    honour it show wrong colours). Its output is now written in BT.709 and tagged BT.709, limited range,
    and FFmpeg's own converter reading those tags gets the source's colours back."""
    opts = {"qp": "0", "preset": "ultrafast"} if codec == "libx264rgb" else {}
    src = coded_clip(tmp_path / "rgb.mov", codec, pix_fmt, **opts)
    assert probe(src).color["colorspace"] == 0  # the case under test: tagged RGB
    out = tmp_path / "x2.mp4"
    upscale_file(src, out, factor=2, method="blend", progress=False, crf=0, pix_fmt="yuv444p")
    assert probe(out).color == {"color_range": 1, "colorspace": 1, "color_primaries": 1, "color_trc": 1}
    want = read_frames(src, 1)[0].astype(int)
    assert np.abs(_swscale_rgb(out).astype(int) - want).mean() < 1.5
    assert np.abs(read_frames(out, 1)[0].astype(int) - want).mean() < 1.0


def test_an_untagged_yuv_clip_stays_untagged_and_a_tagged_one_keeps_its_tags(tmp_path):
    """A YUV source keeps its tags (untagged: untagged, so a player shows the output as the input)."""
    plain = phone_clip(tmp_path / "plain.mp4")
    tagged = coded_clip(
        tmp_path / "bt709full.mkv", "libx264", "yuv420p", color={"colorspace": 1, "color_range": 2}
    )
    for src in (plain, tagged):
        out = tmp_path / f"{src.stem}_x2.mkv"
        upscale_file(src, out, factor=2, method="blend", progress=False, crf=0)
        assert probe(out).color == probe(src).color


def test_probe_says_the_colour_tags_and_the_size_a_rotated_clip_is_shown_at(tmp_path, capsys, fresh_notes):
    """`vidiff probe` showed no colour facts and a portrait phone clip as 48x32 with a rotation only."""
    from vidiff.cli import main

    hdr = {"colorspace": 9, "color_primaries": 9, "color_trc": 18, "color_range": 1}
    src = coded_clip(tmp_path / "hlg.mkv", "ffv1", "yuv420p10le", color=hdr)
    assert main(["probe", str(src)]) == 0
    out = capsys.readouterr().out
    assert "colour BT.2020 matrix, limited range, HLG (HDR) transfer, BT.2020 primaries" in out
    assert main(["probe", str(phone_clip(tmp_path / "p.mp4", rotation=-90))]) == 0
    out = capsys.readouterr().out
    assert (
        "rotation 270 deg (shown 32x48)" in out and "colour untagged (taken as BT.601), limited range" in out
    )


def test_a_social_clip_of_an_hdr_clip_stays_hdr(tmp_path, fresh_notes):
    """A social clip's frames are made anew (tagged BT.709 when the source says nothing), but an HDR
    phone clip's frames are still HLG in BT.2020: they keep its tags, not BT.709's (shown flat and pale)."""
    from vidiff.generate.clip import make_clip

    hlg = {"colorspace": 9, "color_primaries": 9, "color_trc": 18, "color_range": 1}
    src = coded_clip(tmp_path / "hlg.mkv", "ffv1", "yuv420p10le", color=hlg)
    out = tmp_path / "social.mp4"
    make_clip(out, clip=str(src), extend=0.0, fps=30, progress=False)
    assert probe(out).color == hlg


def test_a_clip_trimmed_on_the_phone_is_whole(tmp_path, capsys):
    """A phone trims a clip by an edit list: the frames before the cut stay in the file, left out on
    reading. The header's frame count counts them, so a trimmed clip was called damaged ("header lists
    20 frames, 15 in the file": a warning each run, refused under --strict). Its frames are the cut's."""
    from vidiff.cli import main

    full = phone_clip(tmp_path / "full.mp4", n=20, fps=25)
    trimmed = shift_back(full, tmp_path / "trimmed.mov", frames=5, fps=25)
    info = probe(trimmed)
    assert (info.n_frames, info.header_frames, info.damage) == (15, 15, None)
    out = tmp_path / "x2.mp4"
    argv = ["upscale", str(trimmed), "-o", str(out), "--factor", "2", "--method", "blend", "--workers", "1"]
    assert main([*argv, "--quiet", "--strict", "--crf", "0"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert probe(out).n_frames == 30
    assert np.abs(read_frames(out, 1)[0].astype(int) - read_frames(full)[5]).mean() < 1


def test_a_file_with_two_video_streams_uses_the_first_and_says_so(tmp_path, capsys, fresh_notes):
    """A file with a second video stream (another angle, a depth map) had it left out unsaid."""
    path = tmp_path / "two.mp4"
    with av.open(str(path), "w") as c:
        streams = [c.add_stream("libx264", rate=25) for _ in range(2)]
        for s, (w, h) in zip(streams, ((48, 32), (16, 16)), strict=True):
            s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(4):
            for s in streams:
                f = av.VideoFrame.from_ndarray(frame_image(i, s.width, s.height), format="rgb24")
                f.pts, f.time_base = i, Fraction(1, 25)
                c.mux(s.encode(f))
        for s in streams:
            c.mux(s.encode(None))
    info = probe(path)
    assert (info.width, info.n_frames) == (48, 4)
    assert info.notes == ["holds 2 video streams: the first is used, #1 (h264 16x16) left out"]
    assert capsys.readouterr().err.count("note:") == 1


def test_the_web_apps_stills_of_a_portrait_phone_clip_are_upright(tmp_path):
    """The web app's before/after and defect stills showed a portrait phone clip on its side."""
    from vidiff.ui.media import frame_at

    src = phone_clip(tmp_path / "portrait.mp4", rotation=90)
    still = frame_at(src, 0.0)
    assert still.shape == (48, 32, 3)
    assert np.array_equal(still, np.rot90(read_frames(src, 1)[0]))


def test_the_web_app_shows_the_notes_about_its_input(tmp_path, fresh_notes):
    """The notes go to stderr, which the web app's user does not see: its result line carries them."""
    from vidiff.ui.core import with_warning

    src = coded_clip(tmp_path / "overlay.mov", "png", "rgba")
    probe(src)
    text = with_warning("Done.", str(src))
    assert text.startswith("Done.\n\nnote: overlay.mov: its alpha channel (transparency) is dropped")
    assert with_warning("Done.", str(phone_clip(tmp_path / "plain.mp4"))) == "Done."


@pytest.mark.parametrize("suffix, codec, pix_fmt", [(".gif", "gif", "rgb8"), (".mov", "png", "rgba")])
def test_an_opaque_clip_with_an_alpha_plane_gets_no_alpha_note(
    tmp_path, capsys, fresh_notes, suffix, codec, pix_fmt
):
    """Every GIF decodes with an alpha plane (bgra), as does many an opaque PNG-in-MOV or ProRes 4444:
    each got the alpha note, though nothing shows through. The first frame's alpha is looked at."""
    src = coded_clip(tmp_path / f"opaque{suffix}", codec, pix_fmt, opaque=True)
    info = probe(src)
    assert info.notes == [] and capsys.readouterr().err == ""
    out = tmp_path / "x2.mp4"
    upscale_file(src, out, factor=2, method="blend", progress=False)
    assert probe(out).n_frames == 8


def test_metrics_compares_a_kept_rotation_with_an_upright_reference(tmp_path):
    """ffmpeg-based tools (RIFE's scripts, Flowframes) turn a phone's portrait clip upright; vidiff keeps
    the stored frames and the rotation. `vidiff metrics --reference` refused the pair (reference 32x48,
    input 48x32); with rotations that differ, both are now compared upright."""
    from vidiff.metrics.clip import analyze_clip

    src = phone_clip(tmp_path / "portrait.mp4", rotation=90)
    upright_ref = tmp_path / "upright.mkv"
    with av.open(str(upright_ref), "w") as c:
        s = c.add_stream("ffv1", rate=30)
        s.width, s.height, s.pix_fmt = 32, 48, "bgr0"
        for i, im in enumerate(read_frames(src)):
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(im)), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 30)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    r = analyze_clip(src, reference=upright_ref)
    assert r["summary"]["psnr"] == float("inf") or r["summary"]["psnr"] > 60
    assert "display rotations differ (input 90, reference 0 deg): compared upright" in r["summary"]["notes"]


def test_probe_names_the_format_not_the_decoder(tmp_path):
    """An AV1 download was probed as "libdav1d" (the decoder FFmpeg picked), not as AV1."""
    src = phone_clip(tmp_path / "clip.mp4", n=3, w=64, h=64)
    out = tmp_path / "av1.mp4"
    upscale_file(src, out, factor=2, method="blend", progress=False, codec="av1", preset="12", crf=50)
    assert probe(out).codec == "av1"


def test_a_recording_cut_inside_a_gop_keeps_its_sound_in_sync(tmp_path, capsys):
    """A TS recording (or a copy cut off a keyframe) starts inside a group of pictures: its first frames
    refer to frames before the cut, and no decoder shows them. They were counted as frames ("file holds
    30 frames, 20 decoded (stopped at ...)": a warning, refused under --strict), and the audio was kept
    against the first packet, so the picture came out the cut's length early. Now the clip starts at its
    first keyframe and the audio keeps its distance to that."""
    from vidiff.cli import main

    full = phone_clip(tmp_path / "full.mp4", n=30, fps=25, audio=1, gop=10)  # keyframes at 0, 10, 20
    src = tmp_path / "cut.ts"
    with av.open(str(full)) as i, av.open(str(src), "w") as o:
        vi, ai = i.streams.video[0], i.streams.audio[0]
        vo, ao = o.add_stream_from_template(vi), o.add_stream_from_template(ai)
        k = 0
        for p in i.demux():
            if p.dts is None:
                continue
            if p.stream is vi:
                k += 1
                if k <= 3:  # cut after the keyframe: frames 3-9 cannot be decoded
                    continue
            p.stream = vo if p.stream is vi else ao
            o.mux(p)
    info = probe(src)
    assert (info.n_frames, info.damage) == (20, None)
    from vidiff.io.random_access import open_frames  # training's reader: the same frames

    r = open_frames(src)
    assert len(r) == 20 and np.array_equal(r.get([0])[0], read_frames(src, 1)[0])
    r.close()

    def shown_after_audio(path: Path) -> float:
        with av.open(str(path)) as c:
            f = next(c.decode(video=0))
            a = c.streams.audio[0]
            return float(f.pts * f.time_base) - float(a.start_time * a.time_base)

    out = tmp_path / "x2.mp4"
    argv = ["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "--workers", "1"]
    assert main([*argv, "--quiet", "--strict"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert probe(out).n_frames == 40
    assert shown_after_audio(out) == pytest.approx(shown_after_audio(src), abs=0.03)


def test_a_phone_clip_that_dropped_frames_keeps_its_30_fps(tmp_path):
    """A phone in low light (or a screen recorder) leaves frames out of its 30 fps grid: the stamps of a
    .mov (1/600 s) step by 20, now and then by 40. Its rate was the average (600/23 fps for the clip
    below), so x2 wrote 52.2 fps; it is the grid's 30 fps, and x2 writes 60. Jittered stamps, with no
    grid, keep the average."""
    tb = Fraction(1, 600)
    steps = [20] * 8 + [40, 20, 20, 40, 20, 20, 20, 40, 20, 20, 20]
    times = [sum(steps[:k]) for k in range(len(steps) + 1)]
    path = tmp_path / "drops.mov"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 48, 32, "yuv420p"
        s.codec_context.time_base = tb
        for i, t in enumerate(times):
            f = av.VideoFrame.from_ndarray(frame_image(i, 48, 32), format="rgb24")
            f.pts, f.time_base = t, tb
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    info = probe(path)
    assert (info.fps, info.is_vfr, info.n_frames) == (30, True, 20)
    assert info.duration == pytest.approx(float(times[-1] * tb) + 1 / 30)
    out = tmp_path / "x2.mp4"
    upscale_file(path, out, factor=2, method="blend", progress=False)
    assert probe(out).fps == 60
    from vidiff.io.stamps import grid_rate

    assert grid_rate([0, 19, 40, 61, 80, 100], tb) is None  # jitter: no grid


@pytest.mark.parametrize("pix_fmt, bits", [("gray10le", 10), ("rgb48le", 16), ("yuv420p10le", 10)])
def test_probe_gives_the_bit_depth_of_any_pixel_format(tmp_path, pix_fmt, bits):
    """The bit depth was read from the format's name ("p10"): 10-bit grey and 16-bit RGB said 8."""
    path = tmp_path / "deep.mkv"
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = 48, 32, pix_fmt
        for i in range(2):
            f = av.VideoFrame.from_ndarray(frame_image(i, 48, 32), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    assert probe(path).bit_depth == bits


def test_a_clip_trimmed_past_a_keyframe_is_whole(tmp_path):
    """Trimmed (an edit list) past a key frame, a clip's demuxer hands out only the frames stored from
    the key frame before the cut (here 26 of 30, 3 of them cut), so the header's count of frames stored
    (30, less 3 cut: 27) was taken for 4 frames lost: a damage warning, refused under --strict (an
    iPhone's HEVC clip trimmed on the phone). A header count beyond what the stream's stated duration
    shows is not compared."""
    full = tmp_path / "full.mov"
    with av.open(str(full), "w") as c:
        s = c.add_stream("libx264", rate=30, options={"g": "5", "bf": "2"})  # key frames at 0, 5, 10...
        s.width, s.height, s.pix_fmt = 48, 32, "yuv420p"
        for i in range(30):
            f = av.VideoFrame.from_ndarray(frame_image(i, 48, 32), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 30)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    trimmed = shift_back(full, tmp_path / "trimmed.mov", frames=7, fps=30)
    info = probe(trimmed)
    assert (info.n_frames, info.damage) == (23, None)
    with strict_scope(True):
        assert probe(trimmed).n_frames == len(read_frames(trimmed)) == 23
