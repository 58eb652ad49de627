"""Report times on a player's clock (`vidiff.io.clock`): a clip whose sound starts before its picture (a
GOP-cut recording, an .mov edited so) shows its first frame some time in; `vidiff metrics`, `infill`'s
report, `probe` and the web app's frame lookup give a frame the time a player shows it at."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from vidiff.io.clock import clock_shift, first_frame_at
from vidiff.io.probe import probe
from vidiff.metrics.clip import analyze_clip
from vidiff.runner.infill import infill_file
from vidiff.ui.media import frame_at

FPS, N, BLACK = 25, 24, 12


def _clip(path: str, video_start: float, audio_start: float | None) -> str:
    """N frames of a moving blurred pattern from `video_start` s (frame BLACK black), with a mono AAC tone
    from `audio_start` s to the picture's end (none: no audio)."""
    noise = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 256, (48, 96, 3), np.uint8), (0, 0), 2)
    base = cv2.normalize(noise, None, 0, 255, cv2.NORM_MINMAX)
    with av.open(path, "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt, v.time_base = 64, 48, "yuv420p", Fraction(1, 12800)
        a = c.add_stream("aac", rate=48000) if audio_start is not None else None
        if a is not None:
            a.layout = "mono"
        for i in range(N):
            img = np.zeros((48, 64, 3), np.uint8) if i == BLACK else np.ascontiguousarray(base[:, i : i + 64])
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            fr.pts, fr.time_base = round((video_start + i / FPS) / v.time_base), v.time_base
            c.mux(v.encode(fr))
        c.mux(v.encode(None))
        if a is not None:
            end, k = video_start + N / FPS, 0
            while audio_start + k * 1024 / 48000 < end:
                x = np.full((1, 1024), 0.05, np.float32)
                af = av.AudioFrame.from_ndarray(x, format="fltp", layout="mono")
                af.sample_rate, af.time_base = 48000, Fraction(1, 48000)
                af.pts = round(audio_start * 48000) + k * 1024
                c.mux(a.encode(af))
                k += 1
            c.mux(a.encode(None))
    return path


def test_first_frame_at() -> None:
    assert first_frame_at(0.8, [0.0]) == 0.8
    assert first_frame_at(2.169344, [1.4]) == 0.769344  # a GOP-cut TS: its sound a GOP early
    assert first_frame_at(1.4, [1.4]) == first_frame_at(1.4, []) == 0.0  # the picture first, or alone
    assert first_frame_at(0.0, [-0.021]) == 0.0  # an AAC priming delay is no offset
    assert clock_shift(0.8) == Fraction(4, 5)


@pytest.mark.parametrize(("video", "audio", "at"), [(0.8, 0.0, 0.8), (1.4, None, 0.0)])
def test_report_times_are_a_players(tmp_path, video: float, audio: float | None, at: float) -> None:
    """Sound from 0 and picture from 0.8 s: the black frame 12 is shown at 1.28 s, not 0.48 s (its time
    from the first frame); a picture alone from 1.4 s is shown from 0 (players count from the file's
    start), as before. The same time in metrics, infill's report and its repair, and the web app's
    frame lookup; the repaired file keeps the picture's delay."""
    src = _clip(str(tmp_path / "in.mov"), video, audio)
    assert probe(src).first_at == pytest.approx(at)
    shown = at + BLACK / FPS
    summary = analyze_clip(src)["summary"]
    (black,) = [d for d in summary["defects"] if d["kind"] == "black"]
    assert black["frames"] == [BLACK] and black["start"] == pytest.approx(shown)
    assert summary["first_at"] == pytest.approx(at)
    out = str(tmp_path / "out.mp4")
    r = infill_file(src, out, auto=True, method="blend", progress=False)
    assert [x["frame"] for x in r["replaced"]] == [BLACK]
    assert r["replaced"][0]["time_s"] == pytest.approx(shown)
    assert r["defects"][0]["start"] == pytest.approx(shown)
    assert probe(out).first_at == pytest.approx(at, abs=0.021)
    assert frame_at(src, shown).std() < 1 and frame_at(src, shown - 1 / FPS).std() > 10
