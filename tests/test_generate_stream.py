"""`generate --clip X --extend N` streams (issue 33 item 7): each frame goes to the encoder as it is made,
memory does not hold the clip, progress is shown, and the extension stops where the method stops carrying.
benchmarks/generate_memory.py measures the process's peak RSS against the clip's length."""

from __future__ import annotations

import math
import tracemalloc
from fractions import Fraction

from conftest import write_clip

from vidiff.flow import get_interpolator
from vidiff.generate import extend_frames, make_clip
from vidiff.generate.clip import MAX_EXTEND_FRAMES
from vidiff.generate.social import reframe, retime
from vidiff.io.reader import read_frames
from vidiff.metrics.quality import psnr

SIZE = (1080, 1080)  # the 1:1 preset: 3.5 MB a frame, so a held clip shows at once


def test_clip_extension_is_streamed_with_progress_and_bounded_by_default(tmp_path, capsys, carphone):
    src = read_frames(carphone, 30)
    clip = write_clip(tmp_path / "c.mp4", src, fps=Fraction(30000, 1001))
    out = tmp_path / "o.mp4"
    tracemalloc.start()
    try:
        report = make_clip(out, clip=str(clip), aspect="1:1", crf=0, preset="ultrafast")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the default extension: 1 s or as far as the motion carries, whichever is shorter (22 frames at 29.97)
    assert report["frames_extended"] == MAX_EXTEND_FRAMES and report["frames_observed"] == 30
    n_out = math.ceil(Fraction(30 + MAX_EXTEND_FRAMES) * 30 / Fraction(30000, 1001))
    assert report["frames"] == n_out == 53
    # the whole output would be 53 x 3.5 MB = 185 MB; streamed, a few frames are held
    frame = SIZE[0] * SIZE[1] * 3
    assert peak < 8 * frame, f"peak {peak / 2**20:.0f} MiB"
    err = capsys.readouterr().err
    assert "extend: 100%" in err and f"write: 100%|██████████| {n_out}/{n_out}" in err
    # what was written is the clip and its extension, retimed and reframed
    decoded = read_frames(out)
    new = extend_frames(read_frames(clip), MAX_EXTEND_FRAMES)
    want = list(retime(read_frames(clip) + new, Fraction(30000, 1001), Fraction(30), get_interpolator("dis")))
    assert len(decoded) == len(want) == n_out
    assert min(psnr(d, reframe(w, SIZE)) for d, w in zip(decoded[-5:], want[-5:], strict=True)) > 35
