"""What an output keeps of its source besides pictures and sound, and Matroska written the same twice.

The inputs are made here with PyAV: 24 frames at 24 fps (1 s) with a text subtitle track (mov_text in
.mp4, SubRip in .mkv), a title and a comment, language tags and two chapters.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

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
