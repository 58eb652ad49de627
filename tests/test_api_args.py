"""The Python API on bad arguments and in odd hosts: a `VidiffError` sentence before any work, never a
traceback or a crash; a plain script, stdin and tiny frames work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import count_frames

ROOT = Path(__file__).resolve().parent.parent


def moving(n: int, w: int, h: int) -> list[np.ndarray]:
    """n frames of a gradient sliding 2 px a frame (real motion for optical flow)."""
    y, x = np.mgrid[0:h, 0:w]
    out = []
    for i in range(n):
        v = ((x + 2 * i) * 7 + y * 3) % 256
        out.append(np.stack([v, 255 - v, (v * 2) % 256], -1).astype(np.uint8))
    return out


def write_mkv(path: Path, frames: list[np.ndarray]) -> Path:
    """Lossless ffv1 4:4:4 in .mkv: any frame size, odd or tiny."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = w, h, "yuv444p"
        for i, im in enumerate(frames):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def python(code: str, cwd: Path, stdin: bool = False, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter, as a script file without a main guard or piped to `python -`."""
    code = textwrap.dedent(code)
    if stdin:
        return subprocess.run(
            [sys.executable, "-"], input=code, cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
    script = cwd / "plain_script.py"
    script.write_text(code)
    return subprocess.run(
        [sys.executable, str(script)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


# -- crashes ------------------------------------------------------------------------------------------


def test_dis_on_small_frames_never_crashes_the_process():
    """OpenCV's DIS segfaulted on 96x8 (and 80x16, 200x24 ...): every size it can take now gives a flow
    and the others are one `UnsupportedError`, in a child process so that a crash is seen as one."""
    code = """
        import numpy as np
        from vidiff.errors import UnsupportedError
        from vidiff.flow import dis_flow, get_interpolator
        from vidiff.timeline import check_flow_size
        dis = get_interpolator("dis")
        for w, h in [(96, 8), (8, 96), (80, 16), (200, 24), (40, 8), (640, 16), (12, 8), (8, 12), (16, 16),
                     (1000, 9), (2000, 31), (35, 27)]:
            check_flow_size(w, h)
            a = np.random.default_rng(w * h).integers(0, 255, (h, w, 3), dtype=np.uint8)
            b = np.roll(a, 2, axis=1)
            for preset in (0, 1, 2):
                assert dis_flow(a, b, preset).shape == (h, w, 2)
            assert dis.interpolate(a, b, [0.5])[0].shape == (h, w, 3)
        for w, h in [(2, 2), (11, 11), (7, 96), (96, 7), (1, 64), (4, 4)]:
            try:
                check_flow_size(w, h)
            except UnsupportedError:
                pass
            else:
                raise AssertionError((w, h))
            a = np.zeros((h, w, 3), np.uint8)
            try:
                dis.interpolate(a, a, [0.5])
            except UnsupportedError:
                pass
            else:
                raise AssertionError((w, h))
        print("ok")
    """
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


@pytest.mark.parametrize("size, code", [((96, 8), 0), ((8, 96), 0), ((16, 16), 0), ((2, 2), 2)])
def test_tiny_clips_through_the_cli(tmp_path, size, code):
    """`vidiff upscale` of a tiny clip with DIS: made (96x8 was a segfault), or one error line."""
    w, h = size
    src = write_mkv(tmp_path / "x.mkv", moving(20, w, h))
    out = tmp_path / "o.mp4"
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", "upscale", src, "-o", out, "--factor", "2", "--method", "dis", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == code, r.stderr[-2000:]
    if code == 0:
        assert count_frames(out) == 40
    else:
        assert r.stderr.count("\n") == 1 and "too small for optical flow" in r.stderr, r.stderr
        assert not out.exists()


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """130 frames: x2 gives more than two segments, so a parallel default would spawn workers."""
    return write_mkv(tmp_path_factory.mktemp("api") / "in.mkv", moving(130, 32, 24))


@pytest.mark.parametrize("stdin", [False, True], ids=["script", "stdin"])
def test_upscale_file_from_a_plain_script_and_stdin(long_clip, tmp_path, stdin):
    """No `if __name__ == "__main__":` guard, or piped to `python -`: the API's default is one process
    (spawned workers would re-run the caller: 'worker processes died 4 times')."""
    out = tmp_path / "out.mp4"
    r = python(
        f"""
        from vidiff import upscale_file
        r = upscale_file({str(long_clip)!r}, {str(out)!r}, factor=2, method="dis", progress=False)
        print("workers", r["workers"], r["out_frames"])
        """,
        tmp_path,
        stdin=stdin,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["workers", "1", "260"]
    assert count_frames(out) == 260


def test_the_cli_keeps_every_core_by_default():
    from vidiff.runner.jobs import cpu_count
    from vidiff.runner.parallel import cli_workers, workers_for

    assert cli_workers(None) == cpu_count() and cli_workers("2") == 2
    assert workers_for(None, 10_000) == 1  # the API's default
    assert workers_for(cli_workers(None), 10_000) == min(cpu_count(), workers_for(64, 10_000))
