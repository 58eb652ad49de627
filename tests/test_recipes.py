"""Recipes and the pipeline runner: every shipped recipe on a real clip, infilling, batches, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import count_frames, run_main, sha256, write_clip

from vidiff.errors import ConfigError
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames
from vidiff.metrics.quality import psnr
from vidiff.recipes import HERE, load_recipe, recipe_names
from vidiff.runner.infill import detect_bad_frames
from vidiff.runner.recipe import run_recipe

ROOT = Path(__file__).resolve().parent.parent
VIDIFF = str(Path(sys.executable).parent / "vidiff")
FAST = ["interpolate.method=blend", "encode.preset=ultrafast"]
DIS = ["interpolate.method=dis"]  # tests not about the method: the default (auto) is the slow learned model


def _cli(*args):
    return subprocess.run([VIDIFF, *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.fixture
def cli(capsys):
    """`vidiff ARGS` in this process (conftest.run_main); the kill -9 test runs real processes (_cli)."""
    return lambda *args: run_main(capsys, *args)


def test_pipelines_folder_is_the_shipped_recipes():
    names = sorted(p.stem for p in (ROOT / "pipelines").glob("*.yaml"))
    assert names == recipe_names() and {"fps_x2", "fps_60", "slowmo_x4", "repair", "social_clip"} <= set(
        names
    )
    for n in names:
        assert (ROOT / "pipelines" / f"{n}.yaml").read_text() == (HERE / f"{n}.yaml").read_text()


def test_fps_x2_keeps_audio(bbb_short, tmp_path):
    out = tmp_path / "x2.mp4"
    run_recipe(load_recipe("fps_x2").with_overrides(FAST), str(bbb_short), str(out), progress=False)
    src, info = probe(bbb_short), probe(out)
    assert info.fps == 2 * src.fps and abs(count_frames(out) - 2 * src.n_frames) <= 1
    assert info.audio and abs(info.audio[0].duration - src.audio[0].duration) <= 0.05


def test_fps_60_exact_rate_and_duration(carphone, tmp_path):
    out = tmp_path / "60.mp4"
    run_recipe(load_recipe("fps_60").with_overrides(DIS), str(carphone), str(out), progress=False)
    src, info = probe(carphone), probe(out)
    assert info.fps == 60
    assert abs(count_frames(out) - src.duration * 60) <= 1


@pytest.mark.parametrize("audio", ["slow", "drop"])
def test_slowmo_x4_same_rate_four_times_longer(bbb_short, tmp_path, audio):
    out = tmp_path / "slow.mp4"
    r = load_recipe("slowmo_x4").with_overrides(FAST + [f"encode.audio={audio}"])
    run_recipe(r, str(bbb_short), str(out), progress=False)
    src, info = probe(bbb_short), probe(out)
    assert info.fps == src.fps
    assert abs(count_frames(out) - 4 * src.n_frames) <= 2
    assert abs(info.duration - 4 * src.duration) <= 2 / float(src.fps)
    if audio == "slow":
        assert info.audio and abs(info.audio[0].duration - 4 * src.audio[0].duration) <= 0.1
    else:
        assert not info.audio


def _damaged(carphone, tmp_path):
    frames = read_frames(carphone, max_frames=40)
    bad = [f.copy() for f in frames]
    bad[10] = np.zeros_like(bad[10])  # black
    bad[20] = bad[19].copy()  # frozen
    bad[21] = bad[19].copy()
    rng = np.random.default_rng(0)
    bad[30] = rng.integers(0, 256, bad[30].shape, dtype=np.uint8)  # corrupt
    return frames, write_clip(tmp_path / "damaged.mp4", bad)


def test_repair_finds_and_fixes_black_frozen_corrupt(carphone, tmp_path):
    frames, damaged = _damaged(carphone, tmp_path)
    found = detect_bad_frames(damaged)
    assert found == {10: "black", 20: "frozen", 21: "frozen", 30: "corrupt"}
    out = tmp_path / "fixed.mp4"
    rep = run_recipe(load_recipe("repair"), str(damaged), str(out), progress=False)
    assert [x["frame"] for x in rep["replaced"]] == [10, 20, 21, 30]
    fixed, dam = read_frames(out), read_frames(damaged)
    assert len(fixed) == 40
    for i in (10, 30):  # black and corrupt frames come back close to the truth
        assert psnr(fixed[i], frames[i]) > psnr(dam[i], frames[i]) + 10
    for i in (20, 21):  # frozen frames move again (a 3-frame gap is not rebuilt exactly on this slow clip)
        assert np.abs(fixed[i].astype(int) - fixed[19]).mean() > 0.5
        assert psnr(fixed[i], frames[i]) > 25


def test_infill_cli_frames_and_auto_report(carphone, tmp_path, cli):
    _, damaged = _damaged(carphone, tmp_path)
    r = cli("infill", damaged, "-o", tmp_path / "a.mp4", "--auto", "-q", "--method", "dis")
    assert r.returncode == 0, r.stderr
    assert "black at frame 10 (0.400 s)" in r.stdout and "corrupt at frame 30 (1.200 s)" in r.stdout
    r = cli(
        "infill", damaged, "-o", tmp_path / "b.mp4", "--frames", "10,29-30", "-q", "--json", "--method", "dis"
    )
    assert r.returncode == 0, r.stderr
    assert '"frame": 29' in r.stdout and count_frames(tmp_path / "b.mp4") == 40
    r = cli("infill", damaged, "-o", tmp_path / "c.mp4", "--frames", "10-99", "--method", "dis")
    assert r.returncode == 2 and "outside the clip" in r.stderr and not (tmp_path / "c.mp4").exists()


def test_run_repair_lists_what_it_replaced(carphone, tmp_path, cli):
    """`vidiff run repair` says what it did, one line per defect, as `vidiff infill --auto` does (the
    recipe's comment promises it; it printed only the 'wrote' line)."""
    _, damaged = _damaged(carphone, tmp_path)
    r = cli("run", "repair", "-i", damaged, "-o", tmp_path / "f.mp4", "-q", "infill.method=dis")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == f"wrote {tmp_path / 'f.mp4'} (repair)"
    assert any(x.startswith("black at frame 10 (0.400 s)") for x in lines)
    assert any(x.startswith("corrupt at frame 30 (1.200 s)") for x in lines)
    assert any(x.startswith("frozen at frame") for x in lines), lines


def test_social_clip_recipe(carphone_short, tmp_path):
    out = tmp_path / "s.mp4"
    r = load_recipe("social_clip").with_overrides(["encode.preset=ultrafast", "generate.extend=0.4"])
    run_recipe(r, str(carphone_short), str(out), progress=False)
    info = probe(out)
    assert (info.width, info.height) == (1080, 1920) and info.fps == 30 and info.codec == "h264"


def test_social_clip_honours_or_refuses_every_key(carphone_short, tmp_path):
    """The recipe calls vidiff.generate.make_clip: codec, pixel format, interpolator and aspect are used;
    keys a generated clip cannot honour are refused in one line before any work."""
    out = tmp_path / "s.mp4"
    keys = ["generate.extend=0.2", "encode.codec=h265", "encode.preset=ultrafast", "encode.pix_fmt=yuv444p"]
    r = load_recipe("social_clip").with_overrides([*keys, "interpolate.method=blend", "reframe.aspect=1:1"])
    rep = run_recipe(r, str(carphone_short), str(out), progress=False)
    info = probe(out)
    assert info.codec == "hevc" and info.pix_fmt == "yuv444p" and (info.width, info.height) == (1080, 1080)
    assert rep["interpolate"] == "blend" and rep["recipe"] == "social_clip"
    for bad, words in [
        ("encode.audio=copy", "no source audio"),
        ("interpolate.factor=2", "use interpolate.fps"),
        ("interpolate.fps=20", "24, 25, 30, 50, 60"),
        ("interpolate.steps=2", "has no option 'steps'"),
        ("generate.seconds=3", "seconds does not apply to a clip"),  # was ignored: a clip's own length
        ("generate.motion=zoom-in", "motion does not apply to a clip"),
        ("generate.strength=0.5", "strength does not apply to a clip"),
    ]:
        with pytest.raises(ConfigError, match=words):
            run_recipe(
                load_recipe("social_clip").with_overrides([bad]), str(carphone_short), str(tmp_path / "x.mp4")
            )
        assert not (tmp_path / "x.mp4").exists()


def test_social_clip_fills_in_as_vidiff_generate_and_refuses_a_method_for_a_still(carphone, tmp_path, capsys):
    """The recipe named interpolate method dis, so a model's keyframes were filled in by dis where vidiff
    generate uses auto, and --quality was refused: it names none now (make_clip's default, the CLI's).
    A still's camera motion is made at the output rate: a method given for it was ignored; now refused."""
    from vidiff.cli import main
    from vidiff.generate.clip import make_clip

    assert "method" not in load_recipe("social_clip").stage("interpolate")
    still = tmp_path / "still.png"
    import cv2

    cv2.imwrite(str(still), read_frames(carphone, 1)[0])
    for door in ("recipe", "cli", "api"):
        out = tmp_path / f"{door}.mp4"
        if door == "recipe":
            r = load_recipe("social_clip").with_overrides(["interpolate.method=blend"])
            with pytest.raises(ConfigError, match="interpolate does not apply to a still: it is how frames"):
                run_recipe(r, str(still), str(out), progress=False)
        elif door == "cli":
            assert main(["generate", "--image", str(still), "-o", str(out), "--interpolate", "blend"]) == 2
            err = capsys.readouterr().err
            assert (
                err.startswith("vidiff: error: interpolate does not apply to a still")
                and err.count("\n") == 1
            )
        else:
            with pytest.raises(ConfigError, match="interpolate does not apply to a still"):
                make_clip(out, image=str(still), interpolate_options={"steps": 2}, progress=False)
        assert not out.exists()
    keys = ["encode.preset=ultrafast", "generate.seconds=0.5"]
    rep = run_recipe(
        load_recipe("social_clip").with_overrides(keys), str(still), str(tmp_path / "s.mp4"), False
    )
    assert rep["source"] == "image" and rep["interpolate"] is None and rep["frames"] == 15


def test_social_clip_passes_the_engine_on_or_refuses_it(carphone, tmp_path, capsys, monkeypatch):
    """`vidiff run social_clip --engine X` (interpolate.engine) was dropped without a word: it reaches the
    method now, and one that takes none (dis, a clip's default) refuses it as fps_x2 does."""
    from vidiff.cli import main
    from vidiff.generate import clip

    out = str(tmp_path / "o.mp4")
    assert main(["run", "social_clip", "-i", str(carphone), "-o", out, "--engine", "torch"]) == 2
    err = capsys.readouterr().err
    want = "recipe social_clip: method 'dis' has no option 'engine' (its options: preset, occlusion, sigma)"
    assert err == f"vidiff: error: {want}\n", err
    got = {}
    monkeypatch.setattr(clip, "make_clip", lambda output, **kw: got.update(kw) or {})
    keys = ["interpolate.method=diffusion", "interpolate.steps=2"]
    assert main(["run", "social_clip", "-i", str(carphone), "-o", out, "--engine", "torch", *keys]) == 0
    assert got["interpolate"] == "diffusion" and got["interpolate_options"] == {"steps": 2, "engine": "torch"}


def test_engine_for_a_recipe_without_an_interpolate_stage_names_the_flag(carphone, tmp_path, capsys):
    """`vidiff run repair --engine torch` said "override 'interpolate.engine=torch': recipe 'repair' has
    no 'interpolate' stage", an override the user never typed; it names --engine now, before any work."""
    from vidiff.cli import main

    out = tmp_path / "o.mp4"
    assert main(["run", "repair", "-i", str(carphone), "-o", str(out), "--engine", "torch", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "vidiff: error: --engine runs an interpolate stage's networks; recipe repair has none"
    )
    assert err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize(
    "recipe, keys, words",
    [
        ("social_clip", [], "recipe social_clip: no input: give -i (a clip or a still), or generate.prompt="),
        ("social_clip", ["generate.prompt=a fox"], "no input, and generate.prompt alone: give -i"),
        ("social_clip", ["generate.weights=w"], "no input, and generate.weights alone: give -i"),
        ("social_clip", ["generate.prompt=a fox", "--shard", "0/2"], "no input, and generate.prompt alone"),
        ("fps_x2", [], "recipe fps_x2: no input: give one (-i: a video, a folder or a glob)"),
        ("repair", ["--ray"], "recipe repair: no input: give one (-i"),  # before Ray is looked for
    ],
)
def test_a_recipe_without_an_input_runs_from_a_prompt_or_is_one_line(tmp_path, capsys, recipe, keys, words):
    """`-i` is optional: a social_clip whose generate stage has a prompt and weights makes the clip from
    the prompt (tests/test_video_backends.py); anything else without an input is one line, no work."""
    from vidiff.cli import main

    out = tmp_path / "o.mp4"
    assert main(["run", recipe, "-o", str(out), *keys]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("vidiff: error: recipe ") and words in err and len(err.splitlines()) == 1, err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="no input"):  # the API's door: run_recipe(recipe, None, ...)
        run_recipe(load_recipe(recipe).with_overrides([k for k in keys if "=" in k]), None, str(out))


@pytest.mark.parametrize("recipe, stage", [("social_clip", "generate"), ("repair", "infill")])
def test_workers_for_a_recipe_made_in_one_process_is_refused_not_ignored(
    carphone, tmp_path, capsys, recipe, stage
):
    """`--workers N` with social_clip or repair ran as if it were not given: one line now, no work."""
    from vidiff.cli import main

    out = tmp_path / "o.mp4"
    assert main(["run", recipe, "-i", str(carphone), "-o", str(out), "--workers", "2"]) == 2
    assert capsys.readouterr().err == (
        f"vidiff: error: --workers: recipe {recipe} makes its clip in one process (its {stage} stage); leave it out\n"
    )
    assert not out.exists()
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    with pytest.raises(ConfigError, match=f"makes its clip in one process \\(its {stage} stage\\)"):
        run_recipe(load_recipe(recipe), str(carphone), str(out), workers=2)  # the API's door: refused too
    assert not out.exists()


def test_unknown_stage_key_is_one_line_with_file_and_line(tmp_path, carphone, cli):
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "stages:\n  - decode: {}\n  - interpolate:\n      method: dis\n      factr: 2\n  - encode: {}\n"
    )
    r = cli("run", bad, "-i", carphone, "-o", tmp_path / "o.mp4")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"{bad} line 5: unknown key 'factr' in stage 'interpolate'" in r.stderr
    with pytest.raises(ConfigError, match="unknown stage 'sharpen'"):
        bad.write_text("stages:\n  - decode: {}\n  - sharpen: {}\n  - encode: {}\n")
        load_recipe(bad)
    r = cli("run", "fps_x2", "-i", carphone, "-o", tmp_path / "o.mp4", "interpolate.methd=blend")
    assert r.returncode == 2 and "unknown key 'methd'" in r.stderr and not (tmp_path / "o.mp4").exists()
    for method in ("dis", "rife"):  # neither takes steps (checked on the real constructor, not a wrapper)
        r = cli("run", "fps_x2", "-i", carphone, "-o", tmp_path / "o.mp4", f"interpolate.method={method}",
                 "interpolate.steps=2")  # fmt: skip
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        assert f"method '{method}' has no option 'steps'" in r.stderr and not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x [*x]\n", "line 1: unknown key 'a'"),
        ("stages:\n  - decode: {}\n  - interpolate: {factor: &x [*x]}\n  - encode: {}\n", "wrong type"),
    ],
)
def test_a_recursive_yaml_alias_is_a_config_error_not_a_recursion_error(tmp_path, text, words):
    """The key-line map walked a recursive alias for ever (RecursionError traceback, exit 1)."""
    bad = tmp_path / "loop.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_recipe(bad)


def test_a_key_given_twice_is_refused_not_the_last_one_kept(tmp_path):
    """YAML keeps the last of two equal keys silently ({factor: 2, factor: 3} ran at x3)."""
    bad = tmp_path / "twice.yaml"
    bad.write_text(
        "stages:\n  - decode: {}\n  - interpolate:\n      factor: 2\n      factor: 3\n  - encode: {}\n"
    )
    with pytest.raises(
        ConfigError, match=r"twice.yaml line 5: key 'factor' is given twice \(first on line 4\)"
    ):
        load_recipe(bad)


def test_batch_three_good_one_corrupt_then_resume_and_shards(carphone, tmp_path, cli):
    src = tmp_path / "in"
    src.mkdir()
    frames = read_frames(carphone, max_frames=12)
    for k in range(3):
        write_clip(src / f"c{k}.mp4", frames[k : k + 8])
    (src / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    out = tmp_path / "out"
    r = cli("run", "fps_x2", "-i", src, "-o", out, "-q", *DIS)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "broken.mp4" in r.stderr
    done = sorted(p.name for p in out.iterdir())
    assert done == ["c0_fps_x2.mp4", "c1_fps_x2.mp4", "c2_fps_x2.mp4"]
    assert all(count_frames(out / d) == 16 for d in done)
    r = cli("run", "fps_x2", "-i", src, "-o", out, "-q", *DIS)
    assert "0 done, 3 already finished, 1 failed" in r.stdout
    shard_out = tmp_path / "sh"
    for i in range(2):
        cli("run", "fps_x2", "-i", str(src / "c*.mp4"), "-o", shard_out, "--shard", f"{i}/2", "-q", *DIS)
    assert sorted(p.name for p in shard_out.iterdir()) == done


def test_batch_clips_of_one_stem_get_outputs_of_their_own(carphone, tmp_path, cli):
    """c.mp4 and c.mkv were both written to c_fps_x2.mp4: the second failed as "another vidiff is writing
    this output"; clips that share a stem keep their extension in the output's name."""
    src = tmp_path / "in"
    src.mkdir()
    frames = read_frames(carphone, max_frames=6)
    for name in ("c.mp4", "c.mkv", "d.mp4"):
        write_clip(src / name, frames)
    out = tmp_path / "out"
    r = cli("run", "fps_x2", "-i", src, "-o", out, "-q", *DIS)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["c_mkv_fps_x2.mp4", "c_mp4_fps_x2.mp4", "d_fps_x2.mp4"]


# dis: the resume machinery, in seconds; auto (the learned model, the recipe's default): minutes on 2 cores
@pytest.mark.parametrize("method", ["dis", pytest.param("auto", marks=pytest.mark.slow)])
def test_kill_9_then_resume_gives_byte_identical_output(carphone, tmp_path, method):
    """A run killed mid-way resumes from its finished segments; the result equals an uninterrupted run's.
    carphone three times over (360 frames, 720 out: six 120-frame segments, two scene cuts at the joins):
    the resume machinery of a long clip at a quarter of bikes' pixels."""
    clip = write_clip(tmp_path / "long.mkv", read_frames(carphone) * 3)
    ref, out = tmp_path / "ref.mp4", tmp_path / "out.mp4"
    args = ["run", "fps_x2", "-i", clip, "encode.preset=ultrafast", f"interpolate.method={method}", "-q"]
    r = _cli(*args[:4], "-o", ref, *args[4:])
    assert r.returncode == 0, r.stderr
    parts = tmp_path / ".out.mp4.vidiff-parts"
    p = subprocess.Popen(
        [VIDIFF, *map(str, args[:4]), "-o", str(out), *args[4:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import json
    import os
    import signal
    import time

    t0 = time.time()
    while time.time() - t0 < 300 and p.poll() is None:
        m = parts / "manifest.json"
        try:
            if m.exists() and len(json.loads(m.read_text())["done"]) >= 2:
                break
        except ValueError:
            pass
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert not out.exists() and parts.exists()
    r = _cli(*args[:4], "-o", out, *args[4:], "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["resumed_frames"] >= 240
    assert sha256(out) == sha256(ref) and not parts.exists()


def test_a_text_key_override_takes_the_text_yaml_would_read_as_a_number():
    """`generate.prompt=1984` (YAML: the int 1984) was refused as the wrong type; a key that takes only
    text now takes what was typed, while numeric keys and non-scalars are read as before."""
    from vidiff.recipes import load_recipe

    r = load_recipe("social_clip").with_overrides(
        [
            "generate.prompt=1984",
            "generate.weights=2024-05-01",
            "generate.negative_prompt=yes",
            "generate.seed=7",
        ]
    )
    g = r.stage("generate")
    assert (g["prompt"], g["weights"], g["negative_prompt"], g["seed"]) == ("1984", "2024-05-01", "yes", 7)
    assert (
        load_recipe("social_clip").with_overrides(["reframe.aspect=1:1"]).stage("reframe")["aspect"] == "1:1"
    )
    with pytest.raises(ConfigError, match="wrong type"):
        load_recipe("social_clip").with_overrides(["generate.prompt=[a, b]"])
    with pytest.raises(ConfigError, match="wrong type"):
        load_recipe("social_clip").with_overrides(["generate.seed=seven"])


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ("encode.crf=2.5", "encode.crf = 2.5 has the wrong type (it takes a whole number)"),
        ("encode.crf=1e400", "encode.crf = inf has the wrong type (it takes a whole number)"),
        ("decode.fps=true", "decode.fps = True has the wrong type (it takes a number or text)"),
        ("generate.lora=3", "generate.lora = 3 has the wrong type (it takes text or a list)"),
    ],
)
def test_a_wrong_type_names_the_kinds_the_key_takes(override, says):
    """'has the wrong type' alone left the user to guess what the key wants: the line names it."""
    from vidiff.recipes import load_recipe

    with pytest.raises(ConfigError) as e:
        load_recipe("social_clip" if override.startswith("generate") else "fps_x2").with_overrides([override])
    assert says in str(e.value)


def test_null_leaves_a_key_out_as_a_null_stage_takes_no_options(tmp_path):
    """`generate.cache: null` was the wrong type: null on any key is that key left out (its default), in
    the file and in an override (which drops the recipe's own value); an unknown key is refused still."""
    from vidiff.recipes import load_recipe

    path = tmp_path / "r.yaml"
    path.write_text(
        "stages:\n  - generate: {seconds: 1, cache: null, offload: ~, weights: null}\n  - interpolate:\n"
        "  - encode: {crf: null}\n",
        encoding="utf-8",
    )
    r = load_recipe(path)
    assert (r.stage("generate"), r.stage("interpolate"), r.stage("encode")) == ({"seconds": 1}, {}, {})
    social = load_recipe("social_clip")
    assert social.stage("interpolate")["fps"] == 30
    o = social.with_overrides(["generate.cache=null", "interpolate.fps=null", "generate.cache=first-block"])
    assert "fps" not in o.stage("interpolate") and o.stage("generate")["cache"] == "first-block"
    path.write_text("stages:\n  - generate: {cache_size: null}\n  - encode: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'cache_size'"):
        load_recipe(path)
