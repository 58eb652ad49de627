"""A file cut inside its last frame where the decoder does not flag the frame (`vidiff.io.cut_tail`):
raw HEVC and raw Motion JPEG (a whole frame's picture does not depend on bytes past its end; a cut one's
does), VP9 in IVF or MP4 (the demuxer hands the cut packet over short), and a concealed frame shown
before the last (B-frames in a raw .m2v or .m4v). The frame is left out with ONE warning line of
counts, and --strict refuses the file, as for a raw .h264 (`tests/test_raw_cut.py`)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.random_access import open_frames
from vidiff.io.reader import VideoReader

X265 = {"x265-params": "log-level=none"}
KINDS = {  # name: (container format, extension, encoder, pixel format, encoder options)
    "hevc": ("hevc", "hevc", "libx265", "yuv420p", {"preset": "ultrafast", **X265}),
    "h265-bframes": ("hevc", "h265", "libx265", "yuv420p", {"preset": "medium", **X265}),
    "mjpeg": ("mjpeg", "mjpeg", "mjpeg", "yuvj420p", {}),
    "vp9-ivf": ("ivf", "ivf", "libvpx-vp9", "yuv420p", {}),
    "vp9-mp4": ("mp4", "mp4", "libvpx-vp9", "yuv420p", {}),
    # concealed and flagged, but shown before the last frame (B-frames): it was used without a word
    "m2v-bframes": ("mpeg2video", "m2v", "mpeg2video", "yuv420p", {"bf": "2"}),
    "m4v-bframes": ("m4v", "m4v", "mpeg4", "yuv420p", {"bf": "2"}),
}


def noise_clip(path: Path, kind: str, n: int = 12) -> bytes:
    """`n` noise frames (64x48, 25 fps) of `kind`; returns the last packet's bytes (with two B-frames
    between references, 12 frames end on a B-frame: shown before the last)."""
    fmt, _, codec, pix_fmt, opts = KINDS[kind]
    last = b""
    with av.open(str(path), "w", format=fmt, options={"movflags": "faststart"} if fmt == "mp4" else {}) as c:
        s = c.add_stream(codec, rate=25, options=opts)
        s.width, s.height, s.pix_fmt = 64, 48, pix_fmt
        for i in range(n):
            im = np.random.default_rng(i).integers(0, 255, (48, 64, 3)).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            for p in [*s.encode(f), *(s.encode(None) if i == n - 1 else [])]:
                last = bytes(p) if p.size else last
                c.mux(p)
    return last


def cut_clip(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    """The whole clip, and a copy cut in the middle of its last packet."""
    whole = tmp_path / f"whole.{KINDS[kind][1]}"
    last = noise_clip(whole, kind)
    data = whole.read_bytes()
    at = data.rfind(last)
    assert at > 0
    cut = tmp_path / f"cut.{KINDS[kind][1]}"
    cut.write_bytes(data[: at + len(last) // 2])
    return whole, cut


def ts_cut(tmp_path: Path) -> Path:
    """An MPEG-2 .ts recording (B-frames) stopped three transport packets short: inside its last B-frame."""
    whole = tmp_path / "rec.ts"
    with av.open(str(whole), "w", format="mpegts") as c:
        s = c.add_stream("mpeg2video", rate=25, options={"bf": "2"})
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(12):
            im = np.random.default_rng(i).integers(0, 255, (48, 64, 3)).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    cut = tmp_path / "cut.ts"
    cut.write_bytes(whole.read_bytes()[: -3 * 188])
    return cut


def upscale(path: Path, out: Path, *extra: str) -> int:
    return main(["upscale", str(path), "-o", str(out), "--factor", "2", "--method", "blend", "-q", *extra])


@pytest.mark.parametrize("kind", list(KINDS))
def test_cut_in_its_last_frame_one_warning_the_frame_left_out(tmp_path: Path, capsys, kind: str):
    whole, cut = cut_clip(tmp_path, kind)
    assert upscale(whole, tmp_path / "whole_x2.mp4") == 0 and capsys.readouterr().err == ""
    want = {f.time: f.image for f in VideoReader(whole)}
    got = list(VideoReader(cut))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {cut}: ") and "12 frames, 11 decoded" in err[0]
    assert "its last frame is cut short" in err[0] and err[0].endswith("using 11")
    assert [f.index for f in got] == list(range(11))
    assert all(np.array_equal(f.image, want[f.time]) for f in got)  # each at its own time, as decoded whole
    out = tmp_path / "x2.mp4"
    assert upscale(cut, out, "--strict") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidiff: error:") and "last frame is cut short" in err[0]
    assert not out.exists()


def test_hevc_b_frames_the_cut_frame_is_shown_before_the_last(tmp_path: Path, capsys):
    """The last packet of a stream with B-frames is a frame shown before frames decoded ahead of it: that
    one is left out (its time a gap the run interpolates across); the last one shown is kept."""
    whole, cut = cut_clip(tmp_path, "h265-bframes")
    times = [f.time for f in VideoReader(cut)]
    capsys.readouterr()
    assert len(times) == 11 and times[-1] == Fraction(11, 25)
    gap = sorted(set(Fraction(k, 25) for k in range(12)) - set(times))
    assert len(gap) == 1 and gap[0] < Fraction(11, 25)
    assert upscale(cut, tmp_path / "x2.mp4") == 0
    with av.open(str(tmp_path / "x2.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 24  # the clip's 0.48 s at 50 fps: the gap filled


def test_random_access_leaves_it_out_too(tmp_path: Path, capsys):
    """Training's reader (a raw stream's frames counted from the start) serves the reader's frames."""
    _, cut = cut_clip(tmp_path, "h265-bframes")
    seq = [f.image for f in VideoReader(cut)]
    capsys.readouterr()
    r = open_frames(cut)
    assert len(r) == len(seq) == 11
    got = r.get([10, 0, 9, 4])  # (backwards too: decoding starts again)
    assert all(np.array_equal(a, seq[i]) for a, i in zip(got, [10, 0, 9, 4], strict=True))
    r.close()


def test_an_mpeg_ts_recording_cut_in_its_last_b_frame(tmp_path: Path, capsys):
    """An MPEG-2 .ts recording stopped inside its last packet, a B-frame: the demuxer hands over what it
    has, unflagged, and the decoder conceals the frame, shown before the last one: left out, one line."""
    cut = ts_cut(tmp_path)
    times = [f.time for f in VideoReader(cut)]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "12 frames, 11 decoded" in err[0] and "last frame is cut short" in err[0]
    assert len(times) == 11 and times[-1] == Fraction(11, 25)
