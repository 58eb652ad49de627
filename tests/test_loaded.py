"""The last video diffusion pipeline loaded is kept for the next run in the process (vidiff.generate.loaded):
the web app and a script calling make_clip in a loop load the weights once, with the same bytes."""

from __future__ import annotations

import os

import pytest
from tiny_pipes import TINY_GENERATE, wan_dir

from vidiff.cli import main
from vidiff.generate import loaded

pytest.importorskip("transformers")

FAST = TINY_GENERATE


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


def _generate(out, wan, *args) -> bytes:
    assert main(["generate", "-o", str(out), "--weights", str(wan), *FAST, *args]) == 0
    return out.read_bytes()


def test_the_next_run_takes_the_kept_pipeline_with_the_same_bytes(tmp_path, wan, builds):
    first = _generate(tmp_path / "a.mp4", wan, "--seed", "3")
    again = _generate(tmp_path / "b.mp4", wan, "--seed", "3")
    other_seed = _generate(tmp_path / "c.mp4", wan, "--seed", "4")
    assert len(builds) == 1 and again == first
    assert loaded.free_models()
    assert _generate(tmp_path / "d.mp4", wan, "--seed", "4") == other_seed  # as a fresh load makes it
    assert len(builds) == 2


def test_other_settings_or_changed_weights_load_again(tmp_path, wan, builds):
    _generate(tmp_path / "a.mp4", wan)
    _generate(tmp_path / "b.mp4", wan, "--dtype", "bf16")  # another dtype: another pipeline
    assert len(builds) == 2
    _generate(tmp_path / "c.mp4", wan, "--dtype", "bf16")
    assert len(builds) == 2
    config = wan / "scheduler" / "scheduler_config.json"
    st = os.stat(config)
    os.utime(config, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the weights changed on disk
    _generate(tmp_path / "d.mp4", wan, "--dtype", "bf16")
    assert len(builds) == 3


def test_a_failed_load_keeps_nothing(tmp_path, wan, builds, capsys):
    bad = tmp_path / "bad.safetensors"
    import torch
    from safetensors.torch import save_file

    save_file({"transformer.nothing.lora_A.weight": torch.zeros(2, 7)}, str(bad))
    rc = main(["generate", "-o", str(tmp_path / "x.mp4"), "--weights", str(wan), *FAST, "--lora", str(bad)])
    assert rc == 2 and "0 of its 1 layers" in capsys.readouterr().err
    assert loaded._SLOT == {}
    _generate(tmp_path / "a.mp4", wan)
    assert len(builds) == 2


def test_a_pipeline_in_use_is_not_shared():
    """A run while the kept pipeline is in use (the web app's two jobs) builds its own, not kept; the
    kept one is taken again once free."""
    made = []

    def build():
        made.append(object())
        return made[-1]

    with loaded.loaded(("k",), build) as a, loaded.loaded(("k",), build) as b:
        assert a is not b and len(made) == 2
    with loaded.loaded(("k",), build) as c:
        assert c is a and len(made) == 2
        assert not loaded.free_models()  # in use: kept
    assert loaded.free_models() and loaded._SLOT == {}


def test_a_kept_pipeline_does_not_carry_the_last_runs_shift(tmp_path, wan, builds):
    """--shift rebuilds the scheduler of the pipeline: the next run without it takes the kept pipeline
    with the weights' own scheduler, the bytes a fresh load gives."""
    plain = _generate(tmp_path / "a.mp4", wan)
    shifted = _generate(tmp_path / "b.mp4", wan, "--shift", "9")
    assert shifted != plain and _generate(tmp_path / "c.mp4", wan) == plain
    assert len(builds) == 1
