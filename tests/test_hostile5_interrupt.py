"""Hostile pass 5: the Python API under Ctrl-C and threads. SIGINT sent by a timer to a script calling
`upscale_file` mid-run leaves no output, partial or lock file (only the parts folder a resume reads), and
the resumed run is byte-identical to an uninterrupted one; `make_clip` interrupted leaves nothing. Two
threads of one process writing one output: the file lock holds (one clear `OutputError`, one whole file)."""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import count_frames, write_clip

import vidiff
from vidiff.errors import OutputError

ROOT = Path(__file__).resolve().parent.parent

# the child: upscale_file with a per-frame transform that takes 5 ms when told (so a run lasts seconds) and keeps the
# resume key of no transform; Ctrl-C is exit code 130, as the CLI's
SCRIPT = """
import sys, time
from vidiff import upscale_file

def slow(image):
    time.sleep(0.005 if sys.argv[2:] == ["slow"] else 0)
    return image

slow.key = "identity"
try:
    r = upscale_file("in.mp4", sys.argv[1], factor=4, method="dis", progress=False, transform=slow)
    print("done", r["out_frames"])
except KeyboardInterrupt:
    sys.exit(130)
"""


def _moving(n: int, w: int, h: int) -> list[np.ndarray]:
    """n frames of noise sliding 2 px a frame (motion DIS follows, no scene cut)."""
    base = np.random.default_rng(0).integers(0, 255, (h, w + 2 * n, 3), np.uint8)
    return [np.ascontiguousarray(base[:, 2 * i : 2 * i + w]) for i in range(n)]


def _child(folder: Path, out: str, *how: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), out, *how], cwd=folder, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # even where ours is ignored
    )  # fmt: skip


def _hidden(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.startswith(".")}


def test_sigint_mid_run_leaves_only_the_resume_state_and_resumes_byte_identically(tmp_path: Path) -> None:
    write_clip(tmp_path / "in.mp4", _moving(120, 128, 96))
    ref = _child(tmp_path, "ref.mp4")
    assert ref.communicate(timeout=300)[0].split() == ["done", "480"]
    parts = tmp_path / ".out.mp4.vidiff-parts"
    p = _child(tmp_path, "out.mp4", "slow")
    deadline = time.monotonic() + 120
    while not (parts / "part00000.mkv").exists():  # one segment done: the timer fires mid-run
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.02)
    threading.Timer(0.2, p.send_signal, [signal.SIGINT]).start()
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130 and "Traceback" not in err, (p.returncode, err)
    assert not (tmp_path / "out.mp4").exists()
    assert _hidden(tmp_path) == {".out.mp4.vidiff-parts"}  # no partial output, no lock
    assert not [q.name for q in parts.iterdir() if "partial" in q.name]  # (manifest.lock: the parts' own)
    done = {q.name for q in parts.iterdir() if q.name.startswith("part")}
    r = _child(tmp_path, "out.mp4")
    assert r.communicate(timeout=300)[0].split() == ["done", "480"]
    assert filecmp.cmp(tmp_path / "ref.mp4", tmp_path / "out.mp4", shallow=False)
    assert _hidden(tmp_path) == set() and done  # resumed from the parts kept, then they went


def test_sigint_during_make_clip_leaves_nothing(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), _moving(1, 96, 96)[0])
    code = f"""
        import sys, time
        from vidiff.generate import make_clip
        def tick(done, total):
            print("frame", done, flush=True)
            time.sleep(0.01)
        try:
            make_clip("o.mp4", image={str(still)!r}, seconds=10, fps=30, aspect="1:1", progress=False, on_frame=tick)
        except KeyboardInterrupt:
            sys.exit(130)
    """
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    assert p.stdout.readline().startswith("frame")  # writing has begun
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130 and "Traceback" not in err, (p.returncode, err)
    assert sorted(q.name for q in tmp_path.iterdir()) == ["still.png"]


def test_two_threads_on_one_output_one_clear_error_one_whole_file(tmp_path: Path) -> None:
    """One process, two threads, one output name: the second is refused at once while the first writes
    (the OS lock is per open file, so it holds between threads), the first's file is whole and the same
    bytes as a run alone; two outputs at once are each whole and alike."""
    clip = write_clip(tmp_path / "in.mp4", _moving(12, 64, 48))
    alone = tmp_path / "alone.mp4"
    vidiff.upscale_file(clip, alone, factor=2, method="dis", progress=False)
    writing, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def held(image: np.ndarray) -> np.ndarray:
        calls.append(1)
        if len(calls) > 1:  # (the first call, on a blank frame, learns the output's size: before the lock)
            writing.set()
            release.wait(30)
        return image

    held.key = "identity"  # type: ignore[attr-defined]
    got: dict[str, object] = {}

    def first() -> None:
        got["first"] = vidiff.upscale_file(clip, tmp_path / "o.mp4", factor=2, method="dis", progress=False,
                                           transform=held)  # fmt: skip

    th = threading.Thread(target=first)
    th.start()
    try:
        assert writing.wait(30)
        with pytest.raises(OutputError, match="another vidiff is writing this output right now"):
            vidiff.upscale_file(clip, tmp_path / "o.mp4", factor=2, method="dis", progress=False)
        assert (tmp_path / ".o.mp4.vidiff-parts" / "manifest.json").exists()  # the first's, untouched
    finally:
        release.set()
        th.join(60)
    assert filecmp.cmp(alone, tmp_path / "o.mp4", shallow=False)
    outs = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    threads = [
        threading.Thread(target=vidiff.upscale_file, args=(clip, o), kwargs=dict(factor=2, method="dis", progress=False))
        for o in outs
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(filecmp.cmp(alone, o, shallow=False) for o in outs) and count_frames(outs[0]) == 24
    assert _hidden(tmp_path) == set()
