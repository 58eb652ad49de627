"""Wan 2.2's default sampler steps and guidance follow the variant its configs imply (wan_rules.SAMPLING:
the Wan team's inference configs), not Wan 2.1's 50 steps at 5.0 for every Wan."""

from __future__ import annotations

import json

import pytest
from tiny_pipes import wan22_dir, wan_dir

from vidiff.cli import main
from vidiff.generate.backends import resolve

pytest.importorskip("transformers")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet", "--aspect", "1:1"]
FAST += ["--seconds", "0.3", "--keyframe-size", "32x32", "--fps", "24", "--prompt", "a cat"]


@pytest.fixture(scope="module")
def w22(tmp_path_factory):
    root = tmp_path_factory.mktemp("wan22")
    return {k: wan22_dir(root / k, k) for k in ("ti2v", "t2v", "i2v")} | {"2.1": wan_dir(root / "w21")}


def test_each_variants_defaults(w22):
    got = {}
    for k, folder in w22.items():
        b = resolve("auto", str(folder))
        got[k] = (b.steps, b.guidance, b.default_guidance_2)
    assert got == {
        "ti2v": (50, 5.0, None),
        "t2v": (40, 4.0, 3.0),  # high noise 4.0, low noise 3.0
        "i2v": (40, 3.5, 3.5),
        "2.1": (50, 5.0, None),
    }


def _generate(capsys, out, weights, *args) -> dict:
    rc = main(["generate", "-o", str(out), "--weights", str(weights), *FAST, *args, "--json"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return json.loads(cap.out)


def test_a14b_runs_its_own_pair_unless_a_guidance_is_given(tmp_path, capsys, w22):
    """Left out: 4.0 / 3.0, the same bytes as giving them; --guidance alone: both stages at it (a
    distilled LoRA's --guidance 1 is not run at 3.0 past the boundary)."""
    rep = _generate(capsys, tmp_path / "own.mp4", w22["t2v"])
    assert (rep["guidance"], rep["guidance_2"]) == (4.0, 3.0), rep
    given = _generate(capsys, tmp_path / "given.mp4", w22["t2v"], "--guidance", "4", "--guidance-2", "3")
    assert (tmp_path / "own.mp4").read_bytes() == (tmp_path / "given.mp4").read_bytes(), given
    rep = _generate(capsys, tmp_path / "one.mp4", w22["t2v"], "--guidance", "1")
    assert (rep["guidance"], rep["guidance_2"]) == (1.0, 1.0), rep
    rep = _generate(capsys, tmp_path / "low.mp4", w22["t2v"], "--guidance-2", "2")
    assert (rep["guidance"], rep["guidance_2"]) == (4.0, 2.0), rep
