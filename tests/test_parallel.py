"""Parallel segments (`--workers N`): byte-identical to one process, resumable after a kill, options checked."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import psutil
import pytest
from conftest import run_main, sha256

from vidiff.errors import ConfigError
from vidiff.io.reader import VideoReader
from vidiff.runner import upscale_file
from vidiff.runner.jobs import run_job
from vidiff.runner.parallel import parse_workers, segments_per_job, workers_for
from vidiff.runner.seek import crc, frames_at

VIDIFF = str(Path(sys.executable).parent / "vidiff")
SIZE = (160, 68)  # width, height: small, so a 600-frame run takes seconds


def _cli(*args: object, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run([VIDIFF, *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


def make_clip(path: Path, sources: list[Path], n: int, dup_every: int = 0, keyint: int = 25) -> Path:
    """The first `n` frames of `sources` played one after another (so a scene cut at each join), at
    160x68; every `dup_every`-th frame shown twice (duplicates to collapse); H.264 with B-frames and a
    key frame every `keyint` frames, so a worker's seek lands mid-file."""
    frames: list[np.ndarray] = []
    per = -(-n // len(sources))
    for src in sources:
        for k, f in enumerate(VideoReader(src)):
            if k >= per or len(frames) >= n:
                break
            im = cv2.resize(f.image, SIZE, interpolation=cv2.INTER_AREA)
            frames.append(im)
            if dup_every and k % dup_every == dup_every - 1:
                frames.append(im.copy())
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = *SIZE, "yuv420p"
        s.codec_context.options = {"crf": "20", "preset": "veryfast", "x264-params": f"keyint={keyint}"}
        for i, im in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(im, format="rgb24")
            vf.pts = i
            c.mux(s.encode(vf))
        c.mux(s.encode(None))
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory, bikes, carphone) -> Path:
    """~300 frames: bikes (which has scene cuts of its own), then carphone, with duplicates."""
    return make_clip(tmp_path_factory.mktemp("par") / "clip.mp4", [bikes, carphone], 280, dup_every=9)


FAST = {"method": "dis", "preset": "ultrafast", "progress": False}


@pytest.fixture(scope="module")
def serial_x2(clip, tmp_path_factory) -> str:
    """The sha256 of `clip` x2 made by one process: what every interrupted or restarted run must equal."""
    ref = tmp_path_factory.mktemp("serial") / "ref.mp4"
    upscale_file(clip, ref, factor=2, workers=1, **FAST)
    return sha256(ref)


@pytest.mark.parametrize("rate", [{"factor": 2}, {"fps": 60}], ids=["x2", "fps60"])
def test_workers_2_is_byte_identical_to_workers_1(clip, tmp_path, rate):
    """Segments made by two processes join into the very file one process makes (cuts and dupes too)."""
    one = upscale_file(clip, tmp_path / "one.mp4", workers=1, **rate, **FAST)
    two = upscale_file(clip, tmp_path / "two.mp4", workers=2, **rate, **FAST)
    assert one["workers"] == 1 and two["workers"] == 2
    assert one["out_frames"] == two["out_frames"] > 4 * 120  # several segments, a short last one
    assert one["duplicates_collapsed"] == two["duplicates_collapsed"] > 0
    assert one["scene_cuts_s"] == two["scene_cuts_s"] and len(one["scene_cuts_s"]) >= 2
    assert sha256(tmp_path / "one.mp4") == sha256(tmp_path / "two.mp4")
    assert not list(tmp_path.glob(".*"))  # no parts, lock or temp file left


def test_frames_at_gives_the_readers_frames(clip):
    """A worker's seek-and-decode returns exactly the frames the serial reader decodes."""
    ref = {f.index: (f.time, f.image) for f in VideoReader(clip)}
    rng = random.Random(0)
    for first in (0, 3, 60, 151, len(ref) - 9):
        idx = sorted({first, *rng.sample(range(first, len(ref)), 8)})
        want = {i: (ref[i][0], crc(ref[i][1])) for i in idx}
        got = list(frames_at(str(clip), want))
        assert [i for i, _ in got] == idx
        assert all(np.array_equal(im, ref[i][1]) for i, im in got)
    # a planned frame that does not match (here: a wrong checksum) falls back to decoding from the start
    want = {5: (ref[5][0], crc(ref[5][1]) ^ 1), 6: (ref[6][0], crc(ref[6][1]))}
    assert [i for i, _ in frames_at(str(clip), want)] == [5, 6]


def test_job_sizes():
    assert workers_for(None, 100) == 1  # under two segments: one process
    assert workers_for(4, 3 * 120) == 3  # never more processes than jobs
    assert workers_for(2, 30000) == 2
    assert segments_per_job(250, 2) == 8 and segments_per_job(5, 2) == 1


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", ""])
def test_bad_workers_is_one_line_exit_2(clip, tmp_path, bad, capsys):
    for args in (
        ["upscale", clip, "-o", tmp_path / "o.mp4", "--factor", "2", f"--workers={bad}"],
        ["run", "fps_x2", "-i", clip, "-o", tmp_path / "o.mp4", f"--workers={bad}"],
    ):
        r = run_main(capsys, *args)  # the console script's main() in this process
        code, err = r.returncode, r.stderr
        assert code == 2 and err.startswith("vidiff: error: workers"), err
        assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_bad_workers_from_the_api_and_a_recipe(clip, tmp_path):
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_many, run_recipe

    for bad in (0, True, 2.5, "x"):
        with pytest.raises(ConfigError, match="workers"):
            parse_workers(bad)
    with pytest.raises(ConfigError, match="workers"):
        upscale_file(clip, tmp_path / "o.mp4", factor=2, workers=0)
    with pytest.raises(ConfigError, match="workers"):
        run_recipe(load_recipe("fps_x2"), str(clip), str(tmp_path / "o.mp4"), workers=-1)
    with pytest.raises(ConfigError, match="workers"):
        run_many(load_recipe("fps_x2"), str(clip.parent), str(tmp_path / "out"), workers="many")
    assert parse_workers("3") == 3 and parse_workers(None) is None
    assert not list(tmp_path.iterdir())


def test_ray_missing_is_one_line_exit_2(clip, tmp_path):
    """Without Ray installed, --ray says how to install it (here an import hook hides the real one)."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "ray.py").write_text("raise ImportError('no ray here')\n")
    env = {**os.environ, "PYTHONPATH": str(hide)}
    r = _cli("run", "fps_x2", "-i", clip.parent, "-o", tmp_path / "out", "--ray", env=env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "pip install 'vidiff[ray]'" in r.stderr
    assert not (tmp_path / "out").exists()


def _wait_for_segments(parts: Path, proc: subprocess.Popen, n: int) -> None:
    t0 = time.time()
    while time.time() - t0 < 300 and proc.poll() is None:
        try:
            if len(json.loads((parts / "manifest.json").read_text())["done"]) >= n:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)


def test_kill_parent_then_resume_is_byte_identical(clip, serial_x2, tmp_path):
    """kill -9 of the parent: its workers go too, the finished segments stay, a rerun joins the same file."""
    out = tmp_path / "out.mp4"
    args = [
        "upscale",
        clip,
        "--factor",
        "2",
        "--method",
        "dis",
        "--preset",
        "ultrafast",
        "--workers",
        "2",
        "-q",
    ]
    p = subprocess.Popen([VIDIFF, *map(str, args), "-o", str(out)], stderr=subprocess.DEVNULL)
    parts = tmp_path / ".out.mp4.vidiff-parts"
    _wait_for_segments(parts, p, 1)
    kids = psutil.Process(p.pid).children(recursive=True)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    psutil.wait_procs(kids, timeout=10)
    assert not any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE for k in kids)  # none orphaned
    assert not out.exists() and parts.exists()
    r = _cli(*args, "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["resumed_frames"] >= 120
    assert sha256(out) == serial_x2 and not parts.exists()


def test_killed_worker_is_replaced_and_the_file_is_identical(clip, serial_x2, tmp_path):
    """kill -9 of one worker process: the pool is restarted, unfinished jobs run again, same file."""
    out = tmp_path / "out.mp4"
    p = subprocess.Popen(
        [VIDIFF, "upscale", str(clip), "-o", str(out), "--factor", "2", "--method", "dis"]
        + ["--preset", "ultrafast", "--workers", "2", "-q", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[psutil.Process] = []
    t0 = time.time()
    while not workers and time.time() - t0 < 60 and p.poll() is None:  # the pool's spawned processes
        kids = psutil.Process(p.pid).children()
        workers = [c for c in kids if "spawn_main" in " ".join(c.cmdline())]
        time.sleep(0.01)
    # killed at once: on a quiet machine this small clip's jobs finish within a second, so waiting for the
    # worker to be mid-job raced with its normal exit; a worker that dies at any point breaks the pool
    assert workers, "no worker process seen"
    workers[0].kill()
    report, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert json.loads(report)["worker_restarts"] == 1
    assert sha256(out) == serial_x2


def test_a_pool_broken_while_spawning_is_restarted(clip, serial_x2, tmp_path, monkeypatch):
    """A worker killed while the executor spawns its replacement makes submit fail with the closed pipe's
    OSError, not BrokenProcessPool (seen once in CI, `handle is closed`): the pool is restarted all the
    same, the job runs again, and the file is the one a single worker writes."""
    from vidiff.runner.parallel import LocalPool

    out = tmp_path / "out.mp4"
    submit, failed = LocalPool.submit, []

    def flaky(self, fn, *args):
        if not failed:
            failed.append(1)
            self._ex.submit = lambda *a: (_ for _ in ()).throw(OSError("handle is closed"))
        return submit(self, fn, *args)

    monkeypatch.setattr(LocalPool, "submit", flaky)
    r = upscale_file(clip, out, factor=2, workers=2, **FAST)
    assert failed and r["worker_restarts"] == 1 and sha256(out) == serial_x2


def test_run_job_skips_finished_segments(clip, tmp_path):
    """A job whose segments are all in the manifest writes nothing (a rerun after a kill, a Ray retry)."""
    from vidiff.io.probe import VideoFile
    from vidiff.io.segments import ResumableWriter
    from vidiff.runner.jobs import ClipSpec, plan_jobs
    from vidiff.timeline import Plan

    with VideoFile(clip) as src, ResumableWriter(tmp_path / "o.mp4", *SIZE, Fraction(50), key={}) as w:
        jobs = list(plan_jobs(src, Plan(Fraction(50)), 240, True, True, 3, 8, None, {}))
        assert [j.lo for j in jobs] == list(range(0, 240 * len(jobs), 240)) and jobs[-1].last
        spec = ClipSpec(str(clip), w.parts, "dis", {}, None, False)
        assert run_job(jobs[0], spec) == 240
        assert run_job(jobs[0], spec) == 0  # both segments finished: nothing made again
        for job in jobs[1:]:
            run_job(job, spec)
        w.adopt()
    assert w.n_frames == jobs[-1].hi and (tmp_path / "o.mp4").exists()


def test_the_parent_builds_no_interpolator(clip, tmp_path, monkeypatch):
    """The parent of a parallel run makes no frames, so it builds no interpolator (for the diffusion
    model: no U-Net, no RIFE, no engine export); its spawned workers build their own."""
    from vidiff.flow import DISFlow

    def built(*args: object, **kw: object) -> None:
        raise AssertionError("the parent built the interpolator")

    monkeypatch.setattr(DISFlow, "__init__", built)
    r = upscale_file(clip, tmp_path / "two.mp4", factor=2, workers=2, **FAST)
    assert r["workers"] == 2 and r["method"] == "dis" and r["out_frames"] > 4 * 120
