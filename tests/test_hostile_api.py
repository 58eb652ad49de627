"""Hostile calls of the public Python API: a wrong type, an unknown keyword or a positional too many is one
`ConfigError` line before any work (never TypeError/AttributeError), no output is left, the input is kept."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import sha256, write_clip

import vidiff
from vidiff.errors import ConfigError, VidiffError


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 frames of 48x32 noise."""
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("hostile")
    return write_clip(d / "in.mp4", list(rng.integers(0, 255, (8, 32, 48, 3), np.uint8)))


HOSTILE = [None, True, 1.5, math.nan, b"x", [1], {"a": 1}, np.array(2), object()]


INFILL_ARGS = ["input", "output", "method", "method_options", "audio", "progress", "auto", "on_scan", "codec"]


def _valid(arg: str, value: object) -> bool:
    """A value `arg` takes (None for an optional mapping or callback, True for a flag): not hostile."""
    return (value is None and arg in ("method_options", "on_scan")) or (value is True and arg != "method")


@pytest.mark.parametrize(
    ("arg", "value"),
    [(a, v) for a in INFILL_ARGS for v in HOSTILE if not _valid(a, v)],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__ if type(x) is object else repr(x),
)
def test_infill_file_argument_types_are_one_config_error(clip: Path, tmp_path: Path, arg: str, value) -> None:
    """infill_file had no type checks: a None path was a TypeError from os.fspath, method None an
    AttributeError after the output was opened, method_options 'x' a TypeError; audio='no' and
    progress='x' were taken as True."""
    from vidiff.runner.infill import infill_file

    kw = dict(input=clip, output=tmp_path / "o.mp4", frames="3", method="blend", progress=False)
    kw[arg] = value
    before = sha256(clip)
    with pytest.raises(VidiffError) as e:
        infill_file(**kw)
    assert isinstance(e.value, ConfigError), e.value
    assert "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []
    assert sha256(clip) == before


def _calls(clip: Path, out: Path) -> dict:
    from vidiff.generate import extend_frames, make_clip
    from vidiff.metrics.bench import bench
    from vidiff.metrics.clip import analyze_clip
    from vidiff.runner.infill import infill_file
    from vidiff.runner.recipe import run_recipe

    return {
        "upscale_file": lambda: vidiff.upscale_file(clip, out, None, 2),
        "upscale_file kw": lambda: vidiff.upscale_file(clip, out, facter=2),
        "infill_file": lambda: infill_file(clip, out, auto=True, bogus=1),
        "analyze_clip": lambda: analyze_clip(clip, bogus=1),
        "make_clip": lambda: make_clip(out, bogus=1),
        "make_clip positional": lambda: make_clip(out, str(clip)),
        "run_recipe": lambda: run_recipe("fps_x2", clip, out, bogus=1),
        "run_recipe missing": lambda: run_recipe("fps_x2", clip),
        "bench": lambda: bench([clip], bogus=1),
        "probe": lambda: vidiff.probe(clip, bogus=1),
        "read_frames": lambda: vidiff.read_frames(clip, bogus=1),
        "sample_clip": lambda: vidiff.sample_clip("bikes", bogus=1),
        "VideoWriter": lambda: vidiff.VideoWriter(out, 16, 16, 25, bogus=1),
        "VideoReader": lambda: vidiff.VideoReader(clip, bogus=1),
        "VideoFile": lambda: vidiff.VideoFile(clip, bogus=1),
        "ImageSequence": lambda: vidiff.ImageSequence(clip.parent, bogus=1),
        "UpscaleOptions": lambda: vidiff.UpscaleOptions(facter=2),
        "register_interpolator": lambda: vidiff.register_interpolator("x", "a:b", bogus=1),
        "interpolator_names": lambda: vidiff.interpolator_names(1),
        "extend_frames": lambda: extend_frames([], 2, bogus=1),
    }


@pytest.mark.parametrize("name", list(_calls(Path("c"), Path("o"))))
def test_a_call_that_does_not_fit_the_signature_is_one_config_error(clip: Path, tmp_path: Path, name) -> None:
    """An unknown keyword (a typo: facter=2), a missing argument or a positional too many was Python's
    TypeError; it is a ConfigError naming what the call takes, before any work."""
    out = tmp_path / "o.mp4"
    with pytest.raises(ConfigError, match=r"it takes |known: ") as e:
        _calls(clip, out)[name]()
    assert "\n" not in str(e.value)
    assert not out.exists()


@pytest.mark.parametrize("recipe", [None, {"stages": []}, 3, "no_such_recipe", ""])
def test_run_recipe_takes_a_recipe_or_its_name(clip: Path, tmp_path: Path, recipe) -> None:
    """run_recipe(None/a dict/a number, ...) was an AttributeError ('has no attribute stage')."""
    from vidiff.runner.recipe import run_recipe

    with pytest.raises(ConfigError):
        run_recipe(recipe, clip, tmp_path / "o.mp4", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_run_recipe_by_name(clip: Path, tmp_path: Path) -> None:
    """A shipped recipe's name is loaded as `vidiff run` loads it."""
    from vidiff.runner.recipe import run_recipe

    r = run_recipe("fps_x2", clip, tmp_path / "o.mp4", progress=False)
    assert r["recipe"] == "fps_x2" and (tmp_path / "o.mp4").stat().st_size > 0


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"inputs": 3}, "inputs 3: must be a list of file paths"),
        ({"inputs": True}, "inputs True: must be a list of file paths"),
        ({"inputs": [1]}, "inputs entry 1: give a file path"),
        ({"inputs": []}, "inputs []: give one or more clips"),  # ran every sample clip
        ({"factors": None}, "factors None: give a list of factors"),
        ({"factors": 2}, "factors 2: give a list of factors"),
        ({"factors": np.array(2)}, "factors <array int64 ()>: give a list of factors"),
        ({"factors": ["x"]}, "invalid factor 'x'"),  # an AttributeError after the clip was read
        ({"methods": 3}, "methods 3: give names"),
        ({"methods": [1]}, "methods [1]: give names"),
        ({"qualities": np.array(2)}, "qualities <array int64 ()>: give names"),
        ({"isolate": "no"}, "isolate 'no': must be True or False"),
        ({"max_frames": 1}, "max_frames must be a whole number, at least 2"),
    ],
)
def test_bench_arguments_are_checked_before_any_clip(clip: Path, kw: dict, words: str) -> None:
    """bench() checked none of its list arguments: a number was a TypeError, a string factor an
    AttributeError mid-run, inputs=[] ran every sample clip."""
    from fractions import Fraction

    from vidiff.metrics.bench import bench

    args = dict(inputs=[clip], factors=[Fraction(2)], methods=["dup"], isolate=False, progress=False) | kw
    with pytest.raises(ConfigError, match=re.escape(words)):
        bench(**args)


def test_bench_takes_factors_as_numbers_or_text(clip: Path) -> None:
    from vidiff.metrics.bench import bench

    recs = bench([clip], factors=[2, "2"], methods="dup", isolate=False, progress=False)
    assert [r["factor"] for r in recs] == [2, 2] and all(r["status"] == "ok" for r in recs)


@pytest.mark.parametrize("name", ["psnr", "ssim", "frame_diff", "warping_error", "parse_factor"])
def test_public_metrics_signatures(name: str) -> None:
    import vidiff.metrics as metrics

    with pytest.raises(ConfigError, match="it takes"):
        getattr(metrics, name)(1, 2, 3, bogus=1)


@pytest.mark.parametrize("value", [np.array(2), np.array(2.5)])
def test_a_0d_array_for_a_list_is_one_config_error(clip: Path, tmp_path: Path, value) -> None:
    """A 0-d NumPy array passed the list checks (it is an ndarray) and failed in len(): a TypeError."""
    from vidiff.validate import check_same_length, check_times

    with pytest.raises(ConfigError):
        vidiff.upscale_file(clip, tmp_path / "o.mp4", factor=2, out_size=value)
    with pytest.raises(ConfigError):
        check_times(value)
    with pytest.raises(ConfigError):
        check_same_length("infill", frames=value, times=[0.0])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "kw", "words"),
    [
        ((None, "in", "out"), {}, "recipe None: give a file path"),  # an AttributeError
        (("fps_x2", 3, "out"), {}, "input 3: give a file path"),
        (("fps_x2", "in", None), {}, "output None: give a file path"),
        (("fps_x2", "in", "out"), {"shard": 3}, "shard 3: give 'i/n'"),
        (("fps_x2", "in", "out"), {"suffix": "/../../x"}, "without a folder"),  # wrote outside the folder
        (("fps_x2", "in", "out"), {"bogus": 1}, "run_many: got an unexpected keyword argument 'bogus'"),
    ],
)
def test_run_many_arguments(tmp_path: Path, clip: Path, args, kw, words) -> None:
    from vidiff.runner.recipe import run_many

    names = {"in": str(clip.parent), "out": str(tmp_path / "out")}
    args = tuple(names.get(a, a) if isinstance(a, str) else a for a in args)
    with pytest.raises(ConfigError, match=re.escape(words)):
        run_many(*args, progress=False, **kw)
    assert list(tmp_path.iterdir()) == []


def _png_header_only(path: Path, w: int, h: int) -> Path:
    """A grey PNG of w x h, its rows of zeros streamed through zlib (a large one is a small file)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    rows = b"".join(z.compress(b"\0" * (w + 1)) for _ in range(h)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b""))
    return path


def test_a_still_over_the_limit_is_refused_before_it_is_decoded(tmp_path: Path, monkeypatch) -> None:
    """`generate --image` decoded the still before checking its size: a 875 KB PNG declaring 30000x30000
    took 5.4 GB and 34 s (/usr/bin/time -v vidiff generate --image bomb.png, before this change) to be
    refused; its header is read first now (the decoder is never called here)."""
    import cv2

    from vidiff.errors import InputError
    from vidiff.generate import make_clip

    still = _png_header_only(tmp_path / "wide.png", 16385, 2)

    def no_decode(*_a, **_k):
        raise AssertionError("decoded before the size check")

    monkeypatch.setattr(cv2, "imread", no_decode)
    with pytest.raises(InputError, match="16385x2 is over the 16384-pixel limit per side"):
        make_clip(tmp_path / "o.mp4", image=str(still), progress=False)
    assert not (tmp_path / "o.mp4").exists()


def test_music_is_decoded_only_as_far_as_the_clip_needs(tmp_path: Path) -> None:
    """A music track for a short clip was decoded whole before it was trimmed (a 3-hour album: 4 GB, and
    make_clip's check decodes it once more): 60 s of AAC for 0.1 s took a 69.5 MB peak (tracemalloc),
    now under 1 MB."""
    import tracemalloc

    import av

    from vidiff.io.audio import AudioTrack

    path = tmp_path / "long.m4a"
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=48000)
        s.layout = "mono"
        silence = np.zeros((1, 1024), np.float32)
        for i in range(48000 * 60 // 1024):
            f = av.AudioFrame.from_ndarray(silence, format="fltp", layout="mono")
            f.sample_rate, f.pts = 48000, i * 1024
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    tracemalloc.start()
    try:
        track = AudioTrack.from_file(path, duration=0.1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert track.samples.shape == (2, 4800)
    assert peak < 1e6, peak


@pytest.mark.parametrize(
    ("config", "words"),
    [({"bogus": 1}, "unknown key(s) bogus"), ([], "not a JSON object"), ("{", "not a model config")],
)
def test_a_model_config_with_unknown_keys_is_refused(tmp_path: Path, config, words) -> None:
    """A U-Net config.json with a key VideoUNet3D does not take was dropped with diffusers' warning and the
    model built from the defaults instead (the run went on, rc 0); it is one InputError line now."""
    import json
    import shutil

    from vidiff.diffusion.model import VidiffModel
    from vidiff.errors import InputError

    shipped = Path(vidiff.__file__).parent / "weights" / "default"
    folder = Path(shutil.copytree(shipped, tmp_path / "model"))
    cfg = folder / "unet" / "config.json"
    good = json.loads(cfg.read_text())
    cfg.write_text(
        json.dumps({**good, **config})
        if isinstance(config, dict)
        else json.dumps(config)
        if config != "{"
        else "{"
    )
    with pytest.raises(InputError, match=re.escape(words)):
        VidiffModel.load(folder)


def test_model_settings_with_unknown_keys_are_refused(tmp_path: Path) -> None:
    """vidiff.json with a key ModelSettings does not take: dropped with diffusers' warning, rc 0."""
    import json
    import shutil

    from vidiff.diffusion.model import load_settings
    from vidiff.errors import InputError

    folder = Path(shutil.copytree(Path(vidiff.__file__).parent / "weights" / "default", tmp_path / "model"))
    path = folder / "vidiff.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "bogus": 1}))
    with pytest.raises(InputError, match=re.escape("not a vidiff model's settings (unknown key(s) bogus;")):
        load_settings(folder)
