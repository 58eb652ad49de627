"""SkyReels V2 through the skyreels backend: Wan-shaped rules from its configs, 24 fps, one line per
refusal. A tiny random SkyReelsV2Pipeline (tests/tiny_ltx2.py, nothing downloaded); no real weights run."""

from __future__ import annotations

import pytest
from tiny_ltx2 import skyreels_dir
from tiny_pipes import generate_json

from vidiff.generate.backends import resolve

pytest.importorskip("transformers")
pytest.importorskip("ftfy")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--fps", "24"]
FAST += ["--prompt", "a cat", "--keyframe-size", "32x32", "--aspect", "1:1"]


@pytest.fixture(scope="module")
def sky(tmp_path_factory):
    return skyreels_dir(tmp_path_factory.mktemp("sky") / "t2v")


def _generate(capsys, out, weights, *args) -> tuple[int, dict | str]:
    return generate_json(capsys, out, weights, *FAST, *args)


def test_rules_bytes_and_refusals(tmp_path, capsys, sky):
    """4k+1 frames and sides in 16s from the configs, 24 fps and 97 frames from the table; same seed same
    bytes; a clip past one window from text-to-video weights and a side off 16 are one line each."""
    b = resolve("auto", str(sky))
    assert (b.name, b.frame_step, b.multiple, b.fps, b.window, b.steps, b.guidance) == (
        "skyreels", 4, 16, 24, 97, 50, 6.0,
    )  # fmt: skip
    assert not b.can_condition_on_image and b.size(960 / 544) == (960, 544)
    runs = {}
    for name in ("a", "b"):
        rc, rep = _generate(capsys, tmp_path / f"{name}.mp4", sky, "--seconds", "0.3")
        assert rc == 0, rep
        runs[name] = (tmp_path / f"{name}.mp4").read_bytes()
    assert runs["a"] == runs["b"] and (rep["pipeline"], rep["keyframes"]) == ("SkyReelsV2Pipeline", 7)
    rc, err = _generate(capsys, tmp_path / "c.mp4", sky, "--seconds", "5")
    assert rc == 2 and "needs 2 windows" in err and "\n" not in err
    rc, err = _generate(capsys, tmp_path / "c.mp4", sky, "--seconds", "0.3", "--keyframe-size", "40x32")
    assert rc == 2 and "multiples of 16" in err and "\n" not in err
