"""Shared fixtures: the real sample clips, and small clips made on the fly with PyAV."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.io.samples import sample_clip

# `make test` runs a pytest-xdist worker a core: one OpenMP thread each there (two workers' spinning OpenMP
# threads would oversubscribe the cores); two for a plain pytest
os.environ.setdefault("OMP_NUM_THREADS", "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2")
# the learned networks run in PyTorch unless a test asks for an engine: an engine exports once per new
# frame size (seconds each); tests/test_engine.py tests the engines
os.environ.setdefault("VIDIFF_ENGINE", "torch")

# a model config small enough for tests that take seconds
TINY_MODEL = {
    "unet": {"block_channels": [16, 32], "spatial_attention_levels": [1], "heads": 2, "emb_dim": 32},
    "diffusion": {"priors": "dis"},
}


@pytest.fixture(autouse=True)
def _no_kept_pipeline():
    """Each test starts with no video diffusion pipeline kept from another (vidiff.generate.loaded):
    a test does not depend on what ran before it."""
    yield
    from vidiff.generate import loaded

    with loaded._LOCK:
        loaded._SLOT.clear()  # a hold a test left (a Backend loaded and not released) included


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The weights of each video diffusion pipeline read from its weights in the test (one a load)."""
    from vidiff.generate.backends.base import Backend

    count: list[str] = []
    real = Backend._build

    def counted(self, *args):
        count.append(self.weights)
        return real(self, *args)

    monkeypatch.setattr(Backend, "_build", counted)
    return count


@pytest.fixture(scope="session")
def bikes() -> Path:
    return sample_clip("bikes")


@pytest.fixture(scope="session")
def carphone() -> Path:
    return sample_clip("carphone_pristine")


@pytest.fixture(scope="session")
def carphone_short(carphone: Path, tmp_path_factory) -> Path:
    """carphone_pristine's first 30 frames (1 s at 29.97 fps), near-lossless, made once: for tests whose work
    grows with the clip's length (a clip is encoded again whole at 1080p) and whose checks do not."""
    with av.open(str(carphone)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in itertools.islice(c.decode(video=0), 30)]
    return write_clip(tmp_path_factory.mktemp("carphone") / "short.mp4", frames, Fraction(30000, 1001))


@pytest.fixture(scope="module")
def carphone_frames(carphone: Path) -> list[np.ndarray]:
    """carphone_pristine's first 87 frames, RGB (frames 82-86 are a fast pan: the RIFE and fusion checks)."""
    with av.open(str(carphone)) as c:
        return [f.to_ndarray(format="rgb24") for f in itertools.islice(c.decode(video=0), 87)]


@pytest.fixture(scope="session")
def bbb() -> Path:
    return sample_clip("bigbuckbunny")


@pytest.fixture(scope="session")
def bbb_short(bbb: Path, tmp_path_factory) -> Path:
    """bigbuckbunny's first 2 s at 320x180 with its AAC audio copied: the audio tests' clip, made once.

    The audio path (kept, slowed, dropped) is the same on 2 s of a small picture as on 5 s of 720p; the
    720p encode was most of those tests' time."""
    out = tmp_path_factory.mktemp("bbb_short") / "bbb_short.mp4"
    with av.open(str(bbb)) as src, av.open(str(out), "w") as dst:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        v = dst.add_stream("libx264", rate=vin.average_rate)
        v.width, v.height, v.pix_fmt = 320, 180, "yuv420p"
        v.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        a = dst.add_stream_from_template(ain)
        for packet in src.demux(vin, ain):
            if packet.pts is None or packet.pts * packet.time_base >= 2:
                continue
            if packet.stream is ain:
                packet.stream = a
                dst.mux(packet)
                continue
            for f in packet.decode():
                dst.mux(v.encode(f.reformat(width=320, height=180)))
        dst.mux(v.encode(None))
    return out


def run_main(capsys, *args: object) -> subprocess.CompletedProcess:
    """`vidiff ARGS` through the console script's main() in this process (no Python start and imports per
    call): its exit code and output as a finished process's. A kill -9 test needs a real process instead."""
    from vidiff.cli import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse's refusals exit, as the console script does
        code = e.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


def sha256(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_clip(
    path: Path,
    frames: list[np.ndarray],
    fps: Fraction = Fraction(25),
    times: list[Fraction] | None = None,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
) -> Path:
    """Encode frames (RGB uint8) into `path`, at constant fps or at explicit `times` (VFR), near-lossless."""
    h, w = frames[0].shape[:2]
    tb = Fraction(1, 1000) if times is not None else 1 / fps
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        s.codec_context.time_base = tb
        if codec == "libx264":
            s.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        if rotation:
            s.set_display_rotation(rotation)
        for i, im in enumerate(frames):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = int(times[i] / tb) if times is not None else i
            f.time_base = tb
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def count_frames(path: str | os.PathLike[str]) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))
