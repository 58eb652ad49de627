"""What an output keeps of its source, the same bytes however it is made, and Matroska written the same twice.

The inputs are made here with PyAV: 36 small frames at 24 fps (1.5 s) with 1 s of AAC.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import sha256, write_clip

from vidiff.runner.upscale import upscale_file

FAST = {"method": "blend", "preset": "ultrafast", "progress": False, "workers": 1}


def _tiny(path: Path, n: int = 12) -> Path:
    """`n` grey 64x48 frames at 24 fps, each lighter than the last (H.264, lossless)."""
    return write_clip(path, [np.full((48, 64, 3), 10 * k, np.uint8) for k in range(n)], Fraction(24))


@pytest.mark.parametrize("ext", [".mkv", ".webm"])
def test_matroska_output_is_the_same_bytes_twice(tmp_path, ext):
    """Matroska and WebM drew a random segment UID and track UIDs for every file: the same run twice gave
    other bytes (an .mp4 did not). The muxer is told to be bitexact."""
    src = _tiny(tmp_path / "in.mp4")
    codec = {"codec": "vp9", "preset": "8"} if ext == ".webm" else {}
    outs = [tmp_path / f"{name}{ext}" for name in "ab"]
    for out in outs:
        upscale_file(src, out, factor=2, **{**FAST, **codec})
    assert sha256(outs[0]) == sha256(outs[1])


N, FPS = 36, Fraction(24)  # 1.5 s


def _with_audio(path: Path) -> Path:
    """N frames of a moving bar (H.264, lossless) and 1 s of AAC, as PyAV (FFmpeg) muxes them: in .mkv and
    .mp4 the AAC's first packet, its priming, is stamped before 0."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.options = {"qp": "0", "preset": "ultrafast"}
        a = c.add_stream("aac", rate=8000)
        a.layout = "mono"
        for i in range(N):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, i : i + 16] = (230, 80, 30)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        tone = (0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32)
        for k in range(0, len(tone), 1024):
            af = av.AudioFrame.from_ndarray(tone[None, k : k + 1024], format="fltp", layout="mono")
            af.sample_rate, af.pts = 8000, k
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    return path


def _audio_packets(path: Path) -> list[tuple[int, bytes]]:
    with av.open(str(path)) as c:
        return [(p.pts, bytes(p)) for p in c.demux(c.streams.audio[0]) if p.size]


@pytest.mark.parametrize("ext", [".mkv", ".mp4"])
def test_workers_give_the_same_audio_as_one_process(tmp_path, ext):
    """A parallel run's join read the audio from the input opened for the run, whose pass starts with a seek
    to 0, and that seek drops the AAC priming packet stamped before 0: `--workers 2` gave a file one audio
    packet short of `--workers 1`'s. Every join now reads the audio through its own open."""
    src = _with_audio(tmp_path / f"in{ext}")
    assert _audio_packets(src)[0][0] < 0  # the priming packet
    one, two = tmp_path / f"one{ext}", tmp_path / f"two{ext}"
    r1 = upscale_file(src, one, factor=8, **FAST)
    r2 = upscale_file(src, two, factor=8, **{**FAST, "workers": 2})
    assert (r1["workers"], r2["workers"]) == (1, 2)
    assert [b for _, b in _audio_packets(two)] == [b for _, b in _audio_packets(src)]
    assert sha256(one) == sha256(two)
