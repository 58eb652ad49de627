"""Variations in one run (vidiff.generate.variations): several seeds and prompts of one tiny Wan, the
model loaded once, each clip's bytes a single run's, named by prompt and seed, skipped on a rerun, a clip
that fails reported and the rest made, and every bad option one line before any load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_pipes import TINY_GENERATE, wan_dir

from vidiff.cli import main
from vidiff.errors import ConfigError, UnsupportedError
from vidiff.generate.variations import MAX_CLIPS, make_clips, parse_seeds, read_prompts

pytest.importorskip("transformers")

FAST = TINY_GENERATE[: TINY_GENERATE.index("--prompt")]  # without its prompt


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


def _prompts(tmp_path: Path, text: str = "a cat\n\n# a comment line\n  a dog on the beach  \n") -> Path:
    path = tmp_path / "prompts.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys, out: Path, wan: Path, *args: str) -> tuple[int, list | str]:
    rc = main(["generate", "-o", str(out), "--weights", str(wan), *FAST, *args, "--json"])
    cap = capsys.readouterr()
    return rc, json.loads(cap.out) if cap.out else cap.err.strip()


def test_prompts_and_seeds_load_once_each_clip_a_single_runs_bytes(tmp_path, wan, builds, capsys):
    rc, entries = _run(
        capsys, tmp_path / "v.mp4", wan, "--prompts", str(_prompts(tmp_path)), "--seeds", "3,5"
    )
    assert rc == 0 and len(builds) == 1
    names = [Path(e["output"]).name for e in entries]
    assert names == ["v_p1_s3.mp4", "v_p1_s5.mp4", "v_p2_s3.mp4", "v_p2_s5.mp4"]
    assert [(e["prompt"], e["seed"], e["status"]) for e in entries][2] == ("a dog on the beach", 3, "done")
    assert entries[3]["report"]["seed"] == 5
    single = tmp_path / "single.mp4"
    assert main(["generate", "-o", str(single), "--weights", str(wan), *FAST, "--quiet"]
                + ["--prompt", "a dog on the beach", "--seed", "5"]) == 0  # fmt: skip
    assert single.read_bytes() == (tmp_path / "v_p2_s5.mp4").read_bytes()
    assert (tmp_path / "v_p1_s3.mp4").read_bytes() != (tmp_path / "v_p1_s5.mp4").read_bytes()
    assert (tmp_path / "v_p1_s5.mp4").read_bytes() != single.read_bytes() and len(builds) == 1


def test_seeds_alone_name_by_seed_say_clip_k_of_n_and_skip_on_a_rerun(tmp_path, wan, builds, capsys):
    out = tmp_path / "fox.mp4"
    args = ["generate", "-o", str(out), "--weights", str(wan), *FAST, "--prompt", "a cat", "--seeds", "1-2"]
    assert main([a for a in args if a != "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "clip 2 of 2: seed 2 -> " in err and "2 done, 0 already finished, 0 failed" in err
    first = (tmp_path / "fox_s1.mp4").read_bytes()
    rc, entries = _run(capsys, out, wan, "--prompt", "a cat", "--seeds", "1-3")
    assert rc == 0 and [e["status"] for e in entries] == ["skipped", "skipped", "done"]
    assert (tmp_path / "fox_s1.mp4").read_bytes() == first and len(builds) == 1
    rc, entries = _run(capsys, out, wan, "--prompt", "a cat", "--seeds", "1-3")
    assert rc == 0 and {e["status"] for e in entries} == {"skipped"} and len(builds) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fox_s1.mp4", "fox_s2.mp4", "fox_s3.mp4"]


def test_a_clip_that_fails_is_one_line_and_the_rest_are_made(tmp_path, wan, builds, capsys, monkeypatch):
    from vidiff.generate import keyframes

    real = keyframes.generate

    def out_of_memory_at_seed_2(b, p, prompt, still, neg, wh, steps, guidance, seed, *rest):
        if seed == 2:
            raise UnsupportedError("out of cuda memory making 5 frames at 32x32: try offload")
        return real(b, p, prompt, still, neg, wh, steps, guidance, seed, *rest)

    monkeypatch.setattr(keyframes, "generate", out_of_memory_at_seed_2)
    rc, entries = _run(capsys, tmp_path / "o.mp4", wan, "--prompt", "a cat", "--seeds", "1-3")
    assert rc == 1 and [e["status"] for e in entries] == ["done", "failed", "done"]
    assert entries[1]["error"].startswith("out of cuda memory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o_s1.mp4", "o_s3.mp4"] and len(builds) == 1
    main(["generate", "-o", str(tmp_path / "o.mp4"), "--weights", str(wan), *FAST, "--prompt", "a"]
         + ["--seeds", "2"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"vidiff: error: {tmp_path / 'o_s2.mp4'}: out of cuda memory making 5 frames at 32x32: try offload"
    ]


def test_an_error_before_the_model_loads_stops_the_run(tmp_path, wan, builds, capsys):
    rc, err = _run(capsys, tmp_path / "o.mp4", wan, "--prompt", "a cat", "--seeds", "1-3", "--crf", "99")
    assert rc == 2 and err.startswith("vidiff: error:") and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == [] and builds == []


def test_every_option_is_checked_when_every_output_is_there(tmp_path, wan, builds, capsys):
    """All skipped still checks the options (a bad --crf exited 0), without loading the model."""
    there = [tmp_path / f"o_s{s}.mp4" for s in (1, 2)]
    for path in there:
        path.write_bytes(b"finished")
    rc, err = _run(capsys, tmp_path / "o.mp4", wan, "--prompt", "a cat", "--seeds", "1-2", "--crf", "99")
    assert rc == 2 and err.startswith("vidiff: error:") and "crf" in err and len(err.splitlines()) == 1
    rc, entries = _run(capsys, tmp_path / "o.mp4", wan, "--prompt", "a cat", "--seeds", "1-2")
    assert rc == 0 and {e["status"] for e in entries} == {"skipped"}
    assert [p.read_bytes() for p in there] == [b"finished"] * 2 and builds == []


@pytest.mark.parametrize(
    "args, says",
    [
        (["--seeds", "4-1"], "runs backwards; write 1-4"),
        (["--seeds", "1-x"], "write a range (1-4) or a comma list"),
        (["--seeds", "-3"], "write a range"),
        (["--seeds", "1,2,1"], "seed 1 is given twice"),
        (["--seeds", f"0-{MAX_CLIPS}"], f"at most {MAX_CLIPS} clips"),
        (["--seeds", "0-99999999999"], "a seed is 0 to"),
        (["--seeds", "1-2", "--seed", "3"], "seed is one clip's and seeds several clips': give one"),
        (["--seeds", "١-٣"], "ASCII digits"),
    ],
)
def test_bad_seeds_are_one_line_before_any_load(tmp_path, wan, builds, capsys, args, says):
    rc, err = _run(capsys, tmp_path / "o.mp4", wan, "--prompt", "a cat", *args)
    assert rc == 2 and says in err and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == [] and builds == []


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "holds no prompt"),
        ("\n# only a comment\n   \n", "holds no prompt"),
        (b"\xff\xfe bad", "not UTF-8 text"),
        ("a\n" * 60, "60 prompts at 2 seeds are 120 clips: at most 100"),
    ],
)
def test_bad_prompt_files_are_one_line(tmp_path, wan, builds, capsys, text, says):
    path = tmp_path / "p.txt"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    rc, err = _run(capsys, tmp_path / "o.mp4", wan, "--prompts", str(path), "--seeds", "1-2")
    assert rc == 2 and says in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.txt"] and builds == []


def test_other_refusals(tmp_path, wan, capsys):
    prompts = str(_prompts(tmp_path))
    for args, says in [
        (["--prompts", prompts, "--prompt", "a cat"], "prompt is one clip's and prompts several"),
        (["--prompts", str(tmp_path / "none.txt")], "cannot read the prompts"),
        (["--prompts", "/dev/zero"], "not a regular file"),
    ]:
        rc, err = _run(capsys, tmp_path / "o.mp4", wan, *args)
        assert rc == 2 and says in err and len(err.splitlines()) == 1, err
    img = tmp_path / "still.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(img), np.zeros((32, 32, 3), np.uint8))
    assert main(["generate", "--image", str(img), "-o", str(tmp_path / "s.mp4"), "--seeds", "1-2"]) == 2
    assert "give weights" in capsys.readouterr().err


def test_the_api_checks_its_own_arguments(tmp_path, wan):
    assert parse_seeds("1-3,7") == [1, 2, 3, 7] and parse_seeds([4, 2]) == [4, 2]
    assert read_prompts(_prompts(tmp_path)) == ["a cat", "a dog on the beach"]
    for kwargs, says in [
        ({"prompts": "a cat"}, "give a list of prompts, or a path"),
        ({"prompts": ["a cat", " "]}, "each prompt is a non-empty string"),
        ({"prompts": []}, "at least one prompt"),
        ({"seeds": 3}, "write a range"),
        ({"seeds": [1, -1]}, "seeds entry"),
        ({}, "give seeds and/or prompts"),
    ]:
        with pytest.raises(ConfigError, match=says):
            make_clips(tmp_path / "o.mp4", weights=wan, progress=False, **kwargs)
    assert list(tmp_path.glob("*.mp4")) == []


def test_the_recipe_takes_seeds_and_a_list_of_prompts(tmp_path, wan, builds, capsys):
    out = tmp_path / "r.mp4"
    args = ["run", "social_clip", "-o", str(out), "--quiet", f"generate.weights={wan}", "generate.seeds=2"]
    args += ["generate.prompts=[a cat, a dog]", "generate.steps=2", "generate.seconds=0.3"]
    args += ["generate.keyframe_size=32x32", "interpolate.method=dis", "interpolate.fps=24"]
    args += ["reframe.aspect=1:1", "encode.preset=ultrafast"]
    assert main([*args, "--json"]) == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    assert [Path(c["output"]).name for c in report["clips"]] == ["r_p1_s2.mp4", "r_p2_s2.mp4"]
    assert report["clips_failed"] == 0 and len(builds) == 1
    single = tmp_path / "single.mp4"
    assert (
        main(
            ["generate", "-o", str(single), "--weights", str(wan), *FAST, "--prompt", "a dog", "--seed", "2"]
        )
        == 0
    )
    assert single.read_bytes() == (tmp_path / "r_p2_s2.mp4").read_bytes()
