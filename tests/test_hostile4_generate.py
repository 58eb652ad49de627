"""generate's model arguments at the API door (hostile pass): a keyframe size as a pair is checked as a
string is, and a file argument that is a FIFO or a device is said to be one."""

import os
import re

import pytest

from vidiff.errors import ConfigError, InputError
from vidiff.generate.clip import parse_size
from vidiff.generate.hub_file import local_file


@pytest.mark.parametrize(
    "value, size",
    [("32x64", (32, 64)), ((32.0, 64.0), (32, 64)), ([32, 64], (32, 64)), (None, None)],
)
def test_keyframe_size_pairs_are_whole_numbers(value, size):
    # (32.0, 32.0) reached the pipeline as floats (a torch.randn failure after the weights loaded); a
    # recipe's YAML list [32, 64] was "write it as WIDTHxHEIGHT"
    got = parse_size(value)
    assert got == size and all(type(x) is int for x in got or ())


@pytest.mark.parametrize("value", [(True, 32), (0, 32), (32.5, 32), (32, 5000), [1, 2, 3], 5, b"32x32"])
def test_keyframe_size_refused_in_one_line(value):
    with pytest.raises(ConfigError, match="keyframe_size"):
        parse_size(value)


@pytest.mark.parametrize("what", ["vae", "lora", "transformer"])
def test_a_fifo_or_device_file_is_named_as_one(tmp_path, what):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    for path in (str(fifo), os.devnull):  # was "no such file" (and never opened: no hang)
        with pytest.raises(InputError, match="not a regular file"):
            local_file(path, what, offline=True)


def test_recipe_encode_audio_reaches_a_models_sound(tmp_path, monkeypatch, capsys):
    """social_clip with weights: encode.audio=drop kept the model's sound (LTX-2's) and encode.audio_codec
    =copy was ignored; drop is generate.no_audio now, copy one line."""
    import vidiff.generate.clip
    from vidiff.cli import main

    calls = []
    monkeypatch.setattr(vidiff.generate.clip, "make_clip", lambda out, **kw: calls.append(kw) or {})
    run = [
        "run",
        "social_clip",
        "-o",
        str(tmp_path / "o.mp4"),
        "generate.prompt=cat",
        "generate.weights=w",
        "-q",
    ]
    assert main([*run, "encode.audio=drop"]) == 0 and calls[-1]["no_audio"] is True
    assert main(run) == 0 and "no_audio" not in calls[-1]  # encode.audio none: the model's sound kept
    n = len(calls)
    for extra, line in [
        (["encode.audio_codec=copy"], "no source audio to copy"),
        (["encode.audio=drop", "generate.no_audio=false"], "give one"),
    ]:
        assert main([*run, *extra]) == 2
        assert line in capsys.readouterr().err and len(calls) == n


def test_paths_are_taken_for_weights_and_their_files(tmp_path):
    """weights, vae, lora and transformer are local paths too: a Path was 'must be a string' (image, clip
    and audio took one); bytes and numbers are still refused in one line."""
    from pathlib import Path

    from vidiff.generate.clip import make_clip

    kw = dict(prompt="a cat", progress=False)
    with pytest.raises(InputError, match="weights .*no-such: no such folder"):
        make_clip(tmp_path / "o.mp4", weights=Path(tmp_path / "no-such"), vae=Path("v.safetensors"), **kw)
    with pytest.raises(InputError, match="no such folder"):
        make_clip(tmp_path / "o.mp4", weights=str(tmp_path / "no-such"), lora=[Path("a.safetensors")], **kw)
    for bad in ({"weights": b"w"}, {"vae": 1}, {"transformer": [Path("t"), 2]}, {"weights": [Path("w")]}):
        with pytest.raises(ConfigError, match="must be a string or a path"):
            make_clip(tmp_path / "o.mp4", **{"weights": "w", **bad}, **kw)
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize("extend, count", [(1e308, "more than 22"), (1e6, "25000000")])
def test_a_huge_extension_is_one_line(tmp_path, extend, count):
    # 1e308 s times the rate is an infinity: round() raised OverflowError, a traceback
    import numpy as np
    from conftest import write_clip

    from vidiff.generate.clip import make_clip

    clip = write_clip(tmp_path / "c.mp4", [np.full((16, 16, 3), 40 * k, np.uint8) for k in range(4)])
    with pytest.raises(ConfigError, match=re.escape(f"extend {extend:g} s is {count} frames at 25 fps")):
        make_clip(tmp_path / "o.mp4", clip=str(clip), extend=extend, progress=False)
    assert not (tmp_path / "o.mp4").exists()
