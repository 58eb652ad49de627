"""A held last frame (`vidiff.io.tail`): a GIF, an animated WebP or a VFR video whose last frame is shown
longer than one frame lasts as long in every output, its rate the frames' own, its hold repeated."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from test_sequences import square

from vidiff.io.probe import VideoFile, probe
from vidiff.io.reader import VideoReader
from vidiff.runner import upscale_file
from vidiff.runner.infill import infill_file

FAST = {"method": "blend", "progress": False, "workers": 1}


def gif(path: Path, durations: list[int]) -> Path:
    """An animated GIF of moving squares, frame k shown `durations[k]` ms."""
    from PIL import Image

    ims = [Image.fromarray(square(i)) for i in range(len(durations))]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=durations, loop=0)
    return path


def held_mp4(path: Path, times_ms: list[int], last_ms: int, audio_s: float = 0.0) -> Path:
    """An .mp4 (H.264, lossless) with frames at `times_ms`, the last one's packet lasting `last_ms`, and
    `audio_s` seconds of AAC."""
    tb = Fraction(1, 1000)
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.time_base = tb
        v.codec_context.options = {"qp": "0", "preset": "ultrafast"}
        a = c.add_stream("aac", rate=8000) if audio_s else None
        if a is not None:
            a.layout = "mono"
        steps = [b - t for t, b in zip(times_ms, times_ms[1:], strict=False)] + [last_ms]
        span = dict(zip(times_ms, steps, strict=True))

        def mux(packets: list[av.Packet]) -> None:
            for p in packets:
                p.duration = int(Fraction(span[int(p.pts * p.time_base * 1000)], 1000) / p.time_base)
                c.mux(p)

        for i, t in enumerate(times_ms):
            f = av.VideoFrame.from_ndarray(square(i)[:48, :64], format="rgb24")
            f.pts, f.time_base = t, tb
            mux(v.encode(f))
        mux(v.encode(None))
        if a is not None:
            tone = (0.3 * np.sin(np.arange(int(8000 * audio_s)) / 5)).astype(np.float32)
            for k in range(0, len(tone), 1024):
                af = av.AudioFrame.from_ndarray(tone[None, k : k + 1024], format="fltp", layout="mono")
                af.sample_rate, af.pts = 8000, k
                c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def decoded(path: Path) -> tuple[list[Fraction], list[np.ndarray]]:
    """The times and images of a file's video frames."""
    with av.open(str(path)) as c:
        frames = list(c.decode(video=0))
    return [Fraction(f.pts) * f.time_base for f in frames], [f.to_ndarray(format="rgb24") for f in frames]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """The same picture, but for the encoder's noise (a repeat of a frame is coded from it)."""
    return float(np.abs(a.astype(np.int16) - b).mean()) < 1.0


def stream_ends(path: Path) -> dict[str, float]:
    """Where each kind of stream of a file ends (its last packet's end, seconds)."""
    out: dict[str, float] = {}
    with av.open(str(path)) as c:
        for p in c.demux():
            if p.pts is not None and p.size:
                end = float((p.pts + p.duration) * p.time_base)
                out[p.stream.type] = max(out.get(p.stream.type, 0.0), end)
    return out


def test_a_gif_holding_its_last_frame_lasts_as_long(tmp_path: Path):
    """Shown 100, 100, 100 and 1000 ms: a 10 fps clip of 1.3 s (it was called 3.125 fps and 0.62 s)."""
    path = gif(tmp_path / "meme.gif", [100, 100, 100, 1000])
    info = probe(path)
    assert (info.fps, info.n_frames, info.is_vfr, info.end) == (10, 4, False, Fraction(13, 10))
    assert info.duration == pytest.approx(1.3) and info.damage is None
    out = tmp_path / "x2.mp4"
    r = upscale_file(path, out, factor=2, **FAST)
    times, images = decoded(out)
    assert r["out_frames"] == len(times) == 26 and times[-1] == Fraction(125, 100)  # 1.3 s at 20 fps
    # the hold: repeats from 0.3 s on
    assert all(same(im, images[6]) for im in images[6:]) and not same(images[5], images[6])


def test_a_vfr_video_holding_its_last_frame_keeps_its_audio_length(tmp_path: Path):
    """The last packet lasts 1 s, the audio 1.3 s: the output's picture ends with its audio."""
    path = held_mp4(tmp_path / "rec.mp4", [0, 100, 200, 300], 1000, audio_s=1.3)
    info = probe(path)
    assert (info.fps, info.n_frames, info.end) == (10, 4, Fraction(13, 10))
    out = tmp_path / "x2.mp4"
    upscale_file(path, out, fps=20, **FAST)
    times, _ = decoded(out)
    assert len(times) == 26
    ends = stream_ends(out)
    assert ends["video"] == pytest.approx(1.3, abs=0.01) and ends["audio"] == pytest.approx(1.3, abs=0.07)


def test_infill_repeats_a_held_last_frame(tmp_path: Path):
    """infill writes a frame a source frame at the clip's rate: the hold is 9 more of the last one."""
    path = gif(tmp_path / "meme.gif", [100, 100, 100, 1000])
    out = tmp_path / "fixed.mp4"
    r = infill_file(path, out, frames="1", method="blend", progress=False)
    times, images = decoded(out)
    assert r["frames"] == len(times) == 13 and times[-1] == Fraction(12, 10)
    assert all(same(im, images[3]) for im in images[3:]) and not same(images[2], images[3])


def test_the_parallel_plan_holds_as_long(tmp_path: Path):
    """The planning pass of a parallel run (`plan_jobs`) ends the clip where the serial run does."""
    from vidiff.runner.jobs import plan_jobs
    from vidiff.timeline import Plan

    path = gif(tmp_path / "meme.gif", [100, 100, 100, 1000])
    with VideoFile(path) as src:
        plan = Plan(Fraction(20))
        jobs = list(plan_jobs(src, plan, 8, True, False, 3, 1, None, {}))
    assert plan.planned == 26 and jobs[-1].hi == 26 and jobs[-1].pieces[-1].hold


def test_an_ordinary_last_frame_is_one_frame(tmp_path: Path):
    """A last packet of one frame's duration changes nothing."""
    path = held_mp4(tmp_path / "plain.mp4", [0, 100, 200, 300], 100)
    info = probe(path)
    assert (info.fps, info.end, info.duration) == (10, None, pytest.approx(0.4))
    assert upscale_file(path, tmp_path / "x2.mp4", factor=2, **FAST)["out_frames"] == 8


def test_a_webp_holding_its_last_frame(tmp_path: Path):
    """Shown 40, 60, 40, 60, 1000 ms: 20 fps (its frames' own), 1.2 s (it was 4.2 fps and 0.44 s)."""
    from PIL import Image

    path = tmp_path / "sticker.webp"
    ims = [Image.fromarray(square(i)) for i in range(5)]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=[40, 60, 40, 60, 1000], lossless=True)
    info = probe(path)
    assert (info.fps, info.end, info.duration) == (20, Fraction(6, 5), pytest.approx(1.2))
    r = upscale_file(path, tmp_path / "x2.mkv", factor=2, **FAST)
    assert r["out_frames"] == 48  # 1.2 s at 40 fps


def test_a_gif_frame_held_mid_clip_stays_still_then_moves(tmp_path: Path):
    """Delays 100, 1000, 100, 100 ms: frame 1 is a still for 1 s, as 10 repeats of it would be; it was
    morphed into frame 2 over that second. It stays, and moves in the last step before frame 2 only."""
    path = gif(tmp_path / "pause.gif", [100, 1000, 100, 100])
    from PIL import Image

    src = [f.image for f in VideoReader(path)]
    out = tmp_path / "frames"
    r = upscale_file(path, f"{out}/", factor=2, **FAST)  # PNG: exact pixels
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(out.glob("*.png"))]
    assert r["out_frames"] == len(images) == 26  # 1.3 s at 20 fps
    assert all(np.array_equal(images[j], src[1]) for j in range(2, 21))  # 0.10 s to 1.00 s: still
    assert not np.array_equal(images[21], src[1]) and np.array_equal(images[22], src[2])  # 1.05 s: moving


def test_the_parallel_plan_holds_a_mid_clip_still(tmp_path: Path):
    """The parallel planner makes the same plan: 0.10-1.00 s from frame 1 alone, 1.05 s between 1 and 2."""
    from vidiff.runner.jobs import plan_jobs
    from vidiff.timeline import Plan

    path = gif(tmp_path / "pause.gif", [100, 1000, 100, 100])
    with VideoFile(path) as src:
        jobs = list(plan_jobs(src, Plan(Fraction(20)), 8, True, False, 3, 1, None, {}))
    made = {
        tg.index: (p.window.frames[tg.a], p.window.frames[tg.b], tg.t)
        for job in jobs
        for p in job.pieces
        if not p.hold
        for tg in p.targets
    }
    assert all(made[j][0] == 1 and (made[j][1] == 1 or made[j][2] == 0) for j in range(2, 21))
    assert made[21] == (1, 2, 0.5) and made[1] == (0, 1, 0.5)


def test_infill_keeps_a_variable_rate_clips_timing(tmp_path: Path):
    """Frames at 0, 0.1, 0.2, 0.6, 0.7, 0.8 s and 0.9 s of audio: infill wrote the 6 frames at 10 fps, 0.6 s
    of video, its last three frames 0.3 s early against the audio. Frame 2 now fills 0.2-0.5 s."""
    path = held_mp4(tmp_path / "screen.mp4", [0, 100, 200, 600, 700, 800], 100, audio_s=0.9)
    src = [f.image for f in VideoReader(path)]
    out = tmp_path / "fixed.mp4"
    r = infill_file(path, out, frames="1,4", method="blend", progress=False)
    assert [(x["frame"], x["time_s"]) for x in r["replaced"]] == [(1, 0.1), (4, 0.7)]  # 4 was "at 0.4 s"
    times, images = decoded(out)
    assert r["frames"] == len(times) == 9 and stream_ends(out)["video"] == pytest.approx(0.9, abs=0.01)
    kept = {0: 0, 2: 2, 3: 2, 4: 2, 5: 2, 6: 3, 8: 5}  # output frame -> the source frame it shows
    assert all(same(images[j], src[i]) for j, i in kept.items())
