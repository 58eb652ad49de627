"""What a user sees in a real run (issue 33): segment joins without a quality step, audio kept in sync and
playable, damaged audio that cannot stop a run at its end, an ETA that ignores the start-up, segments sized
by work, workers that die with their parent and fit in memory."""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff import progress as progress_mod
from vidiff.errors import ConfigError, OutputError
from vidiff.io import segments
from vidiff.io.probe import VideoFile
from vidiff.io.reader import VideoReader, read_frames
from vidiff.io.segments import ResumableWriter
from vidiff.io.writer import VideoWriter
from vidiff.runner import costs, parallel, upscale_file

VIDIFF = [sys.executable, "-m", "vidiff"]
FAST = {"method": "dis", "preset": "ultrafast", "progress": False, "workers": 1}


def _cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([*VIDIFF, *map(str, args)], capture_output=True, text=True, timeout=300)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-10))


def _written(path: Path, frames: list[np.ndarray], fps: int = 30, **kw: object) -> None:
    """`frames` through a `ResumableWriter` on its plain path (no threads): the reference bytes."""
    h, w = frames[0].shape[:2]
    with ResumableWriter(path, w, h, Fraction(fps), **kw) as wr:
        for im in frames:
            wr.write(im)


# -- 1. segment joins ----------------------------------------------------------------------------------
def test_segment_starts_have_no_quality_step(carphone, tmp_path):
    """Segments join with no quality step: the output is one continuous encode of the lossless segments,
    so the frame where a segment starts is no key frame, and its bytes and its PSNR step (against the
    frame written, from the frame before) are within the other frames' (at most their 95th percentile;
    segments encoded on their own started with a key frame of 6-13 times the bytes and a 0.9-3 dB step).
    The file is the very bytes one uninterrupted encode of the frames makes."""
    frames = read_frames(carphone, max_frames=72)
    out, direct = tmp_path / "joined.mp4", tmp_path / "direct.mp4"
    h, w = frames[0].shape[:2]
    with ResumableWriter(out, w, h, Fraction(30), key={}, segment_frames=24) as wr:
        for im in frames:
            wr.write(im)
    with VideoWriter(direct, w, h, Fraction(30)) as dw:
        dw.write_all(frames)
    assert out.read_bytes() == direct.read_bytes()
    with av.open(str(out)) as c:
        pkts = sorted((p for p in c.demux(c.streams.video[0]) if p.dts is not None), key=lambda p: p.pts)
        sizes = np.array([p.size for p in pkts])
        keys = [k for k, p in enumerate(pkts) if p.is_keyframe]
    assert keys == [0]  # the encoder's own first key frame; none where a segment starts
    decoded = read_frames(out)
    ps = np.array([_psnr(a, b) for a, b in zip(frames, decoded, strict=True)])
    step = np.abs(np.diff(ps))  # step[i - 1]: into frame i
    starts = np.array([24, 48])
    rest = np.setdiff1d(np.arange(1, len(ps)), starts)
    assert step[starts - 1].max() <= np.percentile(step[rest - 1], 95), (step[starts - 1], step[rest - 1])
    assert sizes[starts].max() <= np.percentile(sizes[rest], 95), (sizes[starts], sizes[rest])


def test_a_damaged_segment_is_remade_and_short_disk_is_said(tmp_path, monkeypatch, capsys):
    """A part that does not decode back whole fails the join in one error and leaves the manifest, so
    the same run remakes just that segment; a disk too small for the lossless parts is said before
    the work, in one line."""
    frames = [np.full((48, 64, 3), 8 * k, np.uint8) for k in range(30)]
    out = tmp_path / "o.mp4"

    def run(expected: int | None = None) -> ResumableWriter:
        w = ResumableWriter(
            out, 64, 48, Fraction(25), key={"k": 1}, segment_frames=10, expected_frames=expected
        )
        for im in frames:
            w.write(im) if not w.can_skip(1) else w.skip(1)
        return w

    w = run()
    part = w.work / "part00001.mkv"
    part.write_bytes(part.read_bytes()[:200])
    with pytest.raises(OutputError, match=r"segment 1 .* damaged; rerun"):
        w.close()
    assert not out.exists() and sorted(w.parts.done()) == [0, 2]
    monkeypatch.setattr(segments.shutil, "disk_usage", lambda p: type("U", (), {"free": 10_000})())
    w = run(expected=30)
    assert w.resumed_frames == 20
    assert capsys.readouterr().err.count("warning:") == 1  # 10 frames of 64x48 may need 23 kB
    w.close()
    back = read_frames(out)
    assert len(back) == 30 and all(abs(b.mean() - f.mean()) < 2 for b, f in zip(back, frames, strict=True))


def test_the_join_runs_as_the_segments_finish_with_the_same_bytes(bbb, tmp_path):
    """Issue 27: on the serial path (`overlap`) each finished segment goes into the output while later
    ones are made (two are in before the last frames are written), and the file, audio and all, is the
    very bytes of the join after the run."""
    frames = read_frames(bbb, max_frames=45)
    h, w = frames[0].shape[:2]
    kw = {"key": {}, "segment_frames": 10, "preset": "ultrafast"}
    classic, streamed = tmp_path / "classic.mp4", tmp_path / "streamed.mp4"
    with VideoFile(bbb) as src, ResumableWriter(classic, w, h, Fraction(25), audio_from=src, **kw) as wr:
        for im in frames:
            wr.write(im)
    with VideoFile(bbb) as src, ResumableWriter(streamed, w, h, Fraction(25), audio_from=src, **kw) as wr:
        for k, f in enumerate(wr.overlap(VideoReader(src))):
            if k == len(frames):
                break
            wr.write(f.image)
            if k == 29:  # three segments made: the join takes two of them before more frames come
                t0 = time.monotonic()
                while wr._joiner.joined < 2 and time.monotonic() - t0 < 60:
                    time.sleep(0.01)
                assert wr._joiner.joined >= 2
        joiner = wr._joiner
    assert streamed.read_bytes() == classic.read_bytes()
    assert joiner.teed == joiner.joined == 5  # the join kept up: no part was decoded back


def test_a_resumed_run_decodes_its_earlier_segments_then_takes_frames_as_made(carphone, tmp_path):
    """A resume's finished segments are decoded from their parts while the new ones are made; once the join
    has caught up (`StreamJoin.take`) it takes their frames as they are written; same bytes as one
    uninterrupted run."""
    frames = read_frames(carphone, max_frames=40)
    h, w = frames[0].shape[:2]
    kw = {"key": {"k": 2}, "segment_frames": 5, "preset": "ultrafast"}
    ref, out = tmp_path / "ref.mp4", tmp_path / "out.mp4"
    _written(ref, frames, **kw)
    first = ResumableWriter(out, w, h, Fraction(30), **kw)
    for im in frames[:15]:
        first.write(im)
    first.abort()  # segments 0-2 stay
    with ResumableWriter(out, w, h, Fraction(30), **kw) as again:
        for im in again.overlap(frames):
            if again.can_skip(1):
                again.skip(1)
            else:
                time.sleep(0.03)  # the making takes a while: the join catches up
                again.write(im)
        joiner = again._joiner
    assert out.read_bytes() == ref.read_bytes()
    assert joiner.joined == 8 and 1 <= joiner.teed <= 5, joiner.teed


def test_a_join_slower_than_the_making_holds_it_and_drops_nothing(carphone, tmp_path, monkeypatch):
    """The frames handed to the join wait in a bounded queue (`TEE_DEPTH`): an output encoder slower than
    the making holds the maker instead of letting memory grow or dropping frames."""
    frames = read_frames(carphone, max_frames=24)
    h, w = frames[0].shape[:2]
    kw = {"key": {}, "segment_frames": 6, "preset": "ultrafast"}
    ref, out = tmp_path / "ref.mp4", tmp_path / "out.mp4"
    _written(ref, frames, **kw)
    monkeypatch.setattr(segments, "TEE_DEPTH", 2)
    queued = []
    real_offer = segments.StreamJoin.offer

    def offer(self, frame):
        real_offer(self, frame)
        queued.append(len(self._frames))

    def slow_output(self):
        writer = real_open(self)
        real_write = writer.write_frame

        def write_frame(frame):
            time.sleep(0.02)
            real_write(frame)

        writer.write_frame = write_frame
        return writer

    real_open = ResumableWriter._open_output
    monkeypatch.setattr(segments.StreamJoin, "offer", offer)
    monkeypatch.setattr(ResumableWriter, "_open_output", slow_output)
    with ResumableWriter(out, w, h, Fraction(30), **kw) as wr:
        for im in wr.overlap(frames):
            wr.write(im)
        joiner = wr._joiner
    assert out.read_bytes() == ref.read_bytes()
    assert joiner.teed == joiner.joined == 4 and max(queued) <= 2 and len(queued) == 24


def test_quick_handoffs_while_the_threads_run_and_the_interval_put_back(carphone, tmp_path):
    """While a writer's threads run with `handoffs` (the serial upscale on CUDA), the switch interval is
    vidiff's (a caller busy in Python hands the GIL over sooner); the last writer to finish, or to abort,
    puts back what was there before; without, it is left alone."""
    from vidiff.io.overlap import SWITCH_INTERVAL

    frames = read_frames(carphone, max_frames=12)
    h, w = frames[0].shape[:2]
    before = sys.getswitchinterval()
    a = ResumableWriter(tmp_path / "a.mp4", w, h, Fraction(30), key={}, segment_frames=5, preset="ultrafast")
    b = ResumableWriter(tmp_path / "b.mp4", w, h, Fraction(30), key={}, segment_frames=5, preset="ultrafast")
    for im in a.overlap(frames, handoffs=True):
        a.write(im)
    assert sys.getswitchinterval() == SWITCH_INTERVAL
    b.overlap(frames, handoffs=True)
    a.close()
    assert sys.getswitchinterval() == SWITCH_INTERVAL  # b still runs
    b.abort()
    assert sys.getswitchinterval() == before and (tmp_path / "a.mp4").exists()
    c = ResumableWriter(tmp_path / "c.mp4", w, h, Fraction(30), key={}, segment_frames=5, preset="ultrafast")
    c.overlap(frames)
    assert sys.getswitchinterval() == before
    c.abort()


def test_an_aborted_run_stops_the_join_and_keeps_the_segments(carphone, tmp_path):
    """Stopped mid-run (Ctrl-C, an error), the streaming join ends with it: no output and no temporary
    file appear, the finished segments stay, and the resume makes the uninterrupted file."""
    frames = read_frames(carphone, max_frames=30)
    h, w = frames[0].shape[:2]
    kw = {"key": {"k": 1}, "segment_frames": 10, "preset": "ultrafast"}
    ref, out = tmp_path / "ref.mp4", tmp_path / "out.mp4"
    _written(ref, frames, **kw)
    first = ResumableWriter(out, w, h, Fraction(30), **kw)
    for im in itertools.islice(first.overlap(frames), 25):
        first.write(im)
    joiner = first._joiner
    first.abort()
    assert not joiner._thread.is_alive() and joiner.out is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == [".out.mp4.vidiff-parts"]
    done = first.parts.done()  # the frames still queued behind were dropped: 17 to 25 were written
    assert not out.exists() and done[0] == 10 and set(done) <= {0, 1}
    with ResumableWriter(out, w, h, Fraction(30), **kw) as again:
        for im in again.overlap(frames):
            again.skip(1) if again.can_skip(1) else again.write(im)
    assert out.read_bytes() == ref.read_bytes()


# -- 2. audio: the A/V offset kept, a codec browsers play ----------------------------------------------
def _late_video_clip(path: Path, audio_codec: str, late: int = 1) -> None:
    """A 2 s clip whose video starts `late` frames (of 24 fps) after its audio (silence from 0)."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.time_base = Fraction(1, 24)
        a = c.add_stream(audio_codec, rate=48000)
        a.layout = "stereo"
        pos = 0
        for k in range(48):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), k * 5, np.uint8), format="rgb24")
            f.pts, f.time_base = k + late, Fraction(1, 24)
            c.mux(v.encode(f))
            while pos < (k + late + 1) * 2000:
                af = av.AudioFrame.from_ndarray(
                    np.zeros((2, 1536), np.float32), format="fltp", layout="stereo"
                )
                af.sample_rate, af.pts = 48000, pos
                c.mux(a.encode(af))
                pos += 1536
        c.mux(v.encode(None))
        c.mux(a.encode(None))


def _starts(path: Path) -> tuple[float, float, str]:
    """(first video frame's time, first audio frame's time, audio codec)."""
    with av.open(str(path)) as c:
        v = next(c.decode(video=0)).time
    with av.open(str(path)) as c:
        a = next(c.decode(audio=0)).time
        name = c.streams.audio[0].codec_context.name
    return v, a, name


@pytest.mark.parametrize("container, codec, expect", [("mp4", "aac", "aac"), ("mkv", "ac3", "aac")])
def test_video_starting_late_keeps_its_offset(tmp_path, container, codec, expect):
    """Video 41.7 ms after the audio in the source: the same in the output (it was moved to 0, the audio
    left where it was: 41.7 ms early); AC-3 into .mp4 becomes AAC by default (browsers do not play it)."""
    src, out = tmp_path / f"late.{container}", tmp_path / "out.mp4"
    _late_video_clip(src, codec)
    v0, a0, _ = _starts(src)
    assert v0 - a0 == pytest.approx(1 / 24, abs=0.002)
    upscale_file(src, out, factor=2, **FAST)
    v1, a1, name = _starts(out)
    assert v1 - a1 == pytest.approx(v0 - a0, abs=0.002) and name == expect


def test_audio_codec_option_through_every_door(tmp_path):
    """--audio-codec copy keeps AC-3 in .mp4; a bad value is one line, exit 2, from the CLI and a recipe
    override, and a `ConfigError` from the API, before any work."""
    src = tmp_path / "ac3.mkv"
    _late_video_clip(src, "ac3", late=0)
    out = tmp_path / "copy.mp4"
    upscale_file(src, out, factor=2, audio_codec="copy", **FAST)
    assert _starts(out)[2] == "ac3"
    bad = _cli("upscale", src, "-o", tmp_path / "x.mp4", "--factor", "2", "--audio-codec", "mp3", "-q")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "audio codec 'mp3'" in bad.stderr
    rec = _cli("run", "fps_x2", "-i", src, "-o", tmp_path / "y.mp4", "encode.audio_codec=opus", "-q")
    assert rec.returncode == 2 and "audio codec 'opus'" in rec.stderr, rec.stderr
    with pytest.raises(ConfigError, match="audio codec"):
        upscale_file(src, tmp_path / "z.mp4", factor=2, audio_codec="flac", **FAST)
    with pytest.raises(ConfigError, match="cannot hold pcm_s16le"):  # copy where it cannot go: refused
        upscale_file(
            _pcm_clip(tmp_path / "pcm.mkv"), tmp_path / "w.mp4", factor=2, audio_codec="copy", **FAST
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ac3.mkv", "copy.mp4", "pcm.mkv"]


def _pcm_clip(path: Path) -> Path:
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("pcm_s16le", rate=8000)
        a.layout = "mono"
        for k in range(12):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), k * 9, np.uint8), format="rgb24")
            f.pts = k
            c.mux(v.encode(f))
            af = av.AudioFrame.from_ndarray(np.zeros((1, 333), np.int16), format="s16", layout="mono")
            af.sample_rate, af.pts = 8000, k * 333
            c.mux(a.encode(af))
        c.mux(v.encode(None))
        c.mux(a.encode(None))
    return path


# -- 3. audio whose timestamps are broken ---------------------------------------------------------------
def _broken_audio_avi(path: Path) -> None:
    """An AVI (mpeg4 + PCM) whose audio header claims 1000-byte blocks for 640-byte packets: the demuxer's
    timestamps repeat (0, 0, 1, 1, 2, ...), which a .mov muxer refuses (EINVAL) at the final join."""
    with av.open(str(path), "w", format="avi") as c:
        v = c.add_stream("mpeg4", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("pcm_s16le", rate=8000)
        a.layout = "mono"
        for k in range(50):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), k * 4, np.uint8), format="rgb24")
            f.pts = k
            c.mux(v.encode(f))
            p = av.Packet(bytes(640))
            p.stream, p.time_base, p.pts, p.dts = a, Fraction(1, 8000), k * 320, k * 320
            c.mux(p)
        c.mux(v.encode(None))
    data = bytearray(path.read_bytes())
    strh = data.find(b"auds") - 8  # the audio stream header: dwSampleSize at +44 of its body
    struct.pack_into("<I", data, strh + 8 + 44, 1000)
    strf = data.find(b"strf", strh)  # WAVEFORMATEX: nBlockAlign at +12
    struct.pack_into("<H", data, strf + 8 + 12, 1000)
    path.write_bytes(bytes(data))


def test_broken_audio_timestamps_warn_once_and_finish(tmp_path, capsys):
    """The run checks the audio before the work (a trial mux): the packets the muxer would refuse at the
    final join (it failed there with EINVAL after all the work, leaving the parts folder) are left out
    with one warning line; --strict refuses the file before any work."""
    src, out = tmp_path / "cut.avi", tmp_path / "x.mov"
    _broken_audio_avi(src)
    with av.open(str(src)) as c:
        dts = [p.dts for p in c.demux(audio=0) if p.dts is not None]
    assert any(b <= a for a, b in zip(dts, dts[1:], strict=False))  # the crafted damage is there
    upscale_file(src, out, factor=2, **FAST)
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "timestamps" in warnings[0], warnings
    with av.open(str(out)) as c:
        assert c.streams.audio and sum(1 for _ in c.decode(audio=0)) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.avi", "x.mov"]  # no parts left
    strict = _cli("upscale", src, "-o", tmp_path / "y.mov", "--factor", "2", "--method", "dis", "--strict")
    assert strict.returncode == 2 and strict.stderr.startswith("vidiff: error:"), strict.stderr
    assert strict.stderr.count("\n") == 1 and "timestamps" in strict.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.avi", "x.mov"]


# -- 4. the estimate -----------------------------------------------------------------------------------
class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_eta_counts_from_the_first_frames_and_a_long_run_says_so(monkeypatch, capsys):
    """100 s of start-up, 500 frames of an earlier run, then 1 frame a second: the ETA is 1 s a frame left
    (tqdm's own counted the wait and the resumed frames); the one note of a long run names the faster
    choice, once."""
    clock = _Clock()
    monkeypatch.setattr(progress_mod.time, "time", clock)
    bar = progress_mod.progress_bar(2000, "upscale", hint="--method dis about 18x faster")
    bar.waiting("loading diffusion")
    assert "loading diffusion" in str(bar)
    clock.t += 100  # start-up: model, workers
    bar.resumed(500)  # a resume: an earlier run's frames are not timed
    assert bar.format_dict["rate"] is None
    bar.update(10)
    assert bar.format_dict["rate"] is None and "loading" not in str(bar)
    for _ in range(20):
        clock.t += 1
        bar.update(1)
    assert bar.format_dict["rate"] == pytest.approx(1.0)
    assert "<24:30" in str(bar)  # 1470 frames left at 1 a second
    bar.close()
    notes = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("note:")]
    assert len(notes) == 1 and "24:" in notes[0] and "--method dis" in notes[0], notes


def test_ctrl_c_closes_the_bars_before_the_interrupted_line(monkeypatch, capsys):
    """Ctrl-C left the open bars to the garbage collector, which drew them once more after
    'vidiff: interrupted'; the interrupt closes them first, so that line is the last."""
    import gc

    import vidiff.cli.probe as probe_cli
    from vidiff.cli import main

    def interrupted(args):
        bar = progress_mod.progress_bar(10, "write")
        bar.update(3)
        raise KeyboardInterrupt

    monkeypatch.setattr(probe_cli, "run", interrupted)
    assert main(["probe", "x.mp4"]) == 130
    gc.collect()  # a bar left open would draw itself here
    err = capsys.readouterr().err
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()]
    assert lines[-1] == "vidiff: interrupted" and err.count("vidiff: interrupted") == 1, err
    assert "3/10" in lines[-2], err  # the bar as far as it got, above the line
    assert not [b for b in progress_mod.Bar._instances if isinstance(b, progress_mod.Bar)]


def test_hint_names_a_faster_method_from_the_measured_costs():
    assert "--method dis" in costs.faster_hint("diffusion", 720, 528)
    assert "--method fuse" in costs.faster_hint("diffusion", 720, 528)
    assert costs.faster_hint("dis", 720, 528) is None


# -- 5. segments sized by work -------------------------------------------------------------------------
def test_segments_are_sized_by_the_methods_measured_cost():
    """About half a minute of reference work a segment: 120 frames for DIS, fewer for the model at 720p;
    a fixed function of method and size (never a live timing), so every run cuts the same."""
    assert costs.segment_frames("dis", 1280, 720) == 120
    assert costs.segment_frames("diffusion", 176, 144) == 120
    slow = costs.segment_frames("diffusion", 720, 528)
    assert 24 <= slow < 60 and slow == costs.segment_frames("diffusion", 720, 528)
    assert costs.segment_frames("diffusion", 1920, 1080) == costs.SEGMENT_RANGE[0]
    assert costs.segment_frames("fuse", 720, 528) > slow  # cheaper method, longer segments


def test_a_resume_cuts_where_the_first_run_did(carphone, tmp_path):
    """A manifest of the same run with another segment length (an older cost table): the resume keeps its
    cuts and its finished segments, and the file is the uninterrupted run's, byte for byte."""
    frames = read_frames(carphone, max_frames=30)
    h, w = frames[0].shape[:2]
    ref, out = tmp_path / "ref.mp4", tmp_path / "out.mp4"
    with ResumableWriter(ref, w, h, Fraction(30), key={"k": 1}, segment_frames=10, preset="ultrafast") as wr:
        for im in frames:
            wr.write(im)
    first = ResumableWriter(out, w, h, Fraction(30), key={"k": 1}, segment_frames=10, preset="ultrafast")
    for im in frames[:25]:
        first.write(im)
    first.abort()  # interrupted: segments 0 and 1 finished
    again = ResumableWriter(out, w, h, Fraction(30), key={"k": 1}, segment_frames=20, preset="ultrafast")
    assert again.seg_n == 10 and again.resumed_frames == 20
    with again:
        for im in frames:
            if again.can_skip(1):
                again.skip(1)
            else:
                again.write(im)
    assert out.read_bytes() == ref.read_bytes()


# -- 6. workers: die with the parent, fit in memory ----------------------------------------------------
_CHILD = (
    "import os, sys, time; from vidiff.runner.parallel import die_with_parent; "
    "die_with_parent(int(sys.argv[1]), poll_s=0.1); print('up', flush=True); time.sleep(60)"
)


def test_a_worker_whose_parent_is_gone_at_start_up_exits():
    """The parent died while the worker was still starting (before its prctl): the worker sees it has
    been re-parented and exits at once (it waited on its job queue forever)."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    r = subprocess.run([sys.executable, "-c", _CHILD, gone.stdout.strip()], capture_output=True, timeout=60)
    assert r.returncode == 1 and b"up" not in r.stdout


def test_a_worker_dies_with_its_parent_killed_by_sigkill(tmp_path):
    """kill -9 of the parent: its worker ends within a second or two."""
    psutil = pytest.importorskip("psutil")
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys, time; "
            f"subprocess.Popen([sys.executable, '-c', {_CHILD!r}, str(os.getpid())]); time.sleep(60)",
        ],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    t0 = time.time()
    kids: list = []
    while not kids and time.time() - t0 < 30:
        kids = psutil.Process(parent.pid).children()
        time.sleep(0.05)
    assert kids
    time.sleep(1.0)  # past its start-up
    parent.kill()
    parent.wait()
    gone, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive


def test_worker_count_fits_the_free_memory(monkeypatch):
    """The command line's default workers ("auto"): no more than 80 % of the available memory holds at the
    method's measured RSS; the Python API's default (None) is one process."""
    monkeypatch.setattr(parallel, "cpu_count", lambda: 8)
    monkeypatch.setattr(parallel, "available_mb", lambda: 8000.0)
    mb = costs.worker_mb("diffusion", 720, 528)
    n = parallel.workers_for(parallel.cli_workers(None), 100_000, 49, mb)
    assert n == int(8000 * 0.8 // mb) < 8
    assert parallel.workers_for(6, 100_000, 49, mb) == 6  # asked for: kept
    assert parallel.workers_for(None, 100_000, 49, mb) == 1
    assert "GB free" in parallel.workers_line(n, mb, "diffusion")
