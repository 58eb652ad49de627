"""Number and list options read one way at every door: ASCII digits only (`validate.check_ascii_number`),
no empty list entry (`validate.split_names`); and an engine export leaves no lock file and does not swap the
process's stdout/stderr."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main, write_clip

from vidiff.errors import ConfigError
from vidiff.metrics.bench import resolve_methods, resolve_qualities
from vidiff.metrics.protocol import parse_factor
from vidiff.runner.infill import parse_frames
from vidiff.timeline import parse_fps
from vidiff.validate import check_ascii_number

ARABIC_30, FULLWIDTH_30 = "\u0663\u0660", "\uff13\uff10"  # what int() and Fraction() read as 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("numbers")
    return str(write_clip(d / "in.mp4", list(rng.integers(0, 255, (4, 32, 48, 3), np.uint8))))


def _error_line(capsys, argv: list[str]) -> str:
    """`vidiff argv` exits 2 with one `vidiff: error:` line (argparse's own errors exit through SystemExit)."""
    r = run_main(capsys, *argv)
    code, err = r.returncode, [x for x in r.stderr.splitlines() if x.strip()]
    assert code == 2 and len(err) == 1 and err[0].startswith("vidiff: error: "), (code, err)
    return err[0]


@pytest.mark.parametrize("digits", [ARABIC_30, FULLWIDTH_30])
def test_non_ascii_digits_are_refused_by_every_number_option(capsys, tmp_path: Path, clip: str, digits: str):
    """`--fps ٣٠` was read as 30 (Python's number parsers take any script's digits)."""
    out = str(tmp_path / "o.mp4")
    for argv in (
        ["upscale", clip, "-o", out, "--fps", digits],
        ["upscale", clip, "-o", out, "--factor", digits[0]],
        ["metrics", clip, "--top", digits],  # a `type=int` option
        ["metrics", clip, "--max-frames", digits],
        ["infill", clip, "-o", out, "--frames", digits[0]],
        ["bench", "--input", clip, "--factor", digits[0]],
    ):
        assert "ASCII digits" in _error_line(capsys, argv), argv
    assert not Path(out).exists()


def test_non_ascii_digits_are_refused_by_the_api_parsers():
    for call in (
        lambda: parse_fps(ARABIC_30),
        lambda: parse_factor("\u0662"),
        lambda: parse_frames("\u0663", 10),
        lambda: check_ascii_number("2\u00b2", "factor"),  # a superscript two
    ):
        with pytest.raises(ConfigError, match="ASCII digits"):
            call()
    assert parse_fps("30") == 30 and parse_frames("1-2", 5) == {1, 2}  # ASCII ones read as before


def test_underscore_digits_are_refused_at_every_door(capsys, tmp_path: Path, clip: str):
    """`--fps 1_000` was read as 1000 (Python's int/float/Fraction and YAML 1.1 take '_' separators)."""
    from vidiff.generate.clip import parse_size
    from vidiff.generate.lora import parse_loras
    from vidiff.recipes import load_recipe
    from vidiff.runner.parallel import parse_workers
    from vidiff.runner.recipe import parse_shard
    from vidiff.validate import check_sar

    out = str(tmp_path / "o.mp4")
    for argv in (
        ["upscale", clip, "-o", out, "--fps", "3_0"],
        ["upscale", clip, "-o", out, "--factor", "1_0"],
        ["metrics", clip, "--top", "1_0"],
        ["infill", clip, "-o", out, "--frames", "1_0"],
        ["run", "fps_x2", "-i", clip, "-o", out, "interpolate.fps=3_0"],
        ["run", "fps_x2", "-i", clip, "-o", out, "dedupe.max_run=1_0"],  # an int-only key
    ):
        assert "without '_' separators" in _error_line(capsys, argv), argv
    for call in (
        lambda: parse_fps("1_000"),
        lambda: parse_factor("1_0"),
        lambda: parse_frames("1_0", 20),
        lambda: check_sar("3_2:27", "sar"),
        lambda: parse_workers("1_0"),
        lambda: parse_workers(ARABIC_30),
        lambda: parse_size("8_32x480"),
        lambda: parse_shard("1_0/20"),
        lambda: parse_loras("x.safetensors:0_5"),
    ):
        with pytest.raises(ConfigError, match="without '_' separators|ASCII digits"):
            call()
    assert parse_workers("3") == 3 and parse_size("832x480") == (832, 480) and parse_shard("1/4") == (1, 4)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stages:\n  - decode: {}\n  - dedupe: {max_run: 1_0}\n  - encode: {}\n")
    with pytest.raises(ConfigError, match="without '_' separators"):
        load_recipe(recipe)
    recipe.write_text("stages:\n  - decode: {}\n  - dedupe: {max_run: 10}\n  - encode: {}\n")
    assert load_recipe(recipe).stage("dedupe") == {"max_run": 10}  # plain digits read as before
    assert not Path(out).exists()


def test_an_empty_entry_in_a_list_option_is_refused(capsys):
    """`--methods dup,,blend` silently dropped the empty entry (a name the user meant to type)."""
    for spec in ("dup,,blend", "dup,blend,", ["dup", ""]):
        with pytest.raises(ConfigError, match="empty entry"):
            resolve_methods(spec)
    with pytest.raises(ConfigError, match="empty entry"):
        resolve_qualities("fast,,max")
    with pytest.raises(ConfigError, match="no method given"):
        resolve_methods("")
    assert resolve_methods("dup, blend,dup") == ["dup", "blend"]
    line = _error_line(capsys, ["bench", "--input", "carphone_pristine", "--methods", "dup,,blend"])
    assert "empty entry" in line


def _tiny_engine(tmp_path: Path):
    import torch

    from vidiff.engine import EngineModule, installed

    if not installed("onnxruntime"):
        pytest.skip("onnxruntime is not installed")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU())
    return EngineModule(net, "tiny", "onnxruntime", cache=tmp_path / "engine", note=None), torch.randn(
        1, 3, 8, 8
    )


def test_an_export_leaves_no_lock_file_and_keeps_stdout(tmp_path: Path, monkeypatch):
    """Each export left `<name>.onnx.lock` in the cache for good, and the export swapped sys.stdout and
    sys.stderr for the whole process (other threads' output was swallowed while it ran)."""
    import torch

    seen = []
    real_export = torch.onnx.export

    def export(*args, **kwargs):
        seen.append((sys.stdout, sys.stderr))
        return real_export(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", export)
    before = (sys.stdout, sys.stderr)
    run, x = _tiny_engine(tmp_path)
    y = run(x)
    assert run.engine == "onnxruntime" and run.exports == 1
    assert torch.allclose(y, run.module(x), atol=1e-5)
    assert seen == [before]
    files = sorted(p.name for p in (tmp_path / "engine").iterdir())
    assert len(files) == 1 and files[0].endswith(".onnx"), files


def _value_options() -> list[tuple[str, str]]:
    """(subcommand, --option) for every option of every subcommand that takes a value."""
    import argparse

    from vidiff.cli import build_parser

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [
        (name, a.option_strings[-1])
        for name, p in subs.choices.items()
        for a in p._actions
        if a.option_strings and a.nargs != 0 and not isinstance(a, argparse._HelpAction)
    ]


@pytest.mark.parametrize("value", ["-1e5", "-inf", "-.5e1", "-NaN", "-1E+5", "-5"])
def test_a_negative_number_is_a_value_of_every_option(capsys, value: str):
    # argparse's own rule took '-5' and '-.5' only: '--guidance -1e5' was "expected one argument"
    from vidiff.cli import build_parser

    options = _value_options()
    assert ("generate", "--audio-guidance") in options and ("upscale", "--fps") in options
    for name, option in options:
        with contextlib.suppress(SystemExit):
            build_parser().parse_known_args([name, option, value])
        err = capsys.readouterr().err
        assert "expected" not in err and "unrecognized" not in err, (name, option, err)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["generate", "--image", "IMG", "--strength", "-1e5"], "between 0 and 1, not -100000"),
        (["generate", "--image", "IMG", "--strength", "-inf"], "between 0 and 1, not -inf"),
        (["generate", "--image", "IMG", "--crf", "-1e5"], "--crf: invalid int value: '-1e5'"),
        (["upscale", "CLIP", "-o", "OUT", "--factor", "-1e5"], "factor"),
    ],
)
def test_a_negative_number_gets_the_options_own_line(capsys, tmp_path: Path, clip: str, argv, says):
    from PIL import Image

    Image.new("RGB", (32, 32)).save(tmp_path / "a.png")
    subst = {"IMG": str(tmp_path / "a.png"), "CLIP": clip, "OUT": str(tmp_path / "o.mp4")}
    line = _error_line(
        capsys, [subst.get(x, x) for x in argv] + ["-o", str(tmp_path / "o.mp4")] * (argv[0] == "generate")
    )
    assert says in line and "expected one argument" not in line, line
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1e400", "not inf"),
        ("inf", "not inf"),
        ("-Infinity", "not -inf"),
        ("nan", "not nan"),
        ("-1e5", "not -100000"),
    ],
)
def test_a_recipe_reads_numbers_as_python_writes_them(capsys, tmp_path: Path, value: str, says: str):
    """YAML 1.1 reads '1e3', 'inf', 'nan' as text: 'has the wrong type' instead of the option's own line."""
    from PIL import Image

    from vidiff.recipes import load_recipe

    Image.new("RGB", (32, 32)).save(tmp_path / "a.png")
    out = tmp_path / "o.mp4"
    argv = ["run", "social_clip", "-i", str(tmp_path / "a.png"), "-o", str(out), f"generate.strength={value}"]
    assert f"strength must be between 0 and 1, {says}" in _error_line(capsys, argv)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"stages:\n  - generate: {{strength: {value}}}\n  - encode: {{}}\n")
    assert load_recipe(recipe).stage("generate")["strength"] != value  # a number, not text
    argv = ["run", str(recipe), "-i", str(tmp_path / "a.png"), "-o", str(out)]
    assert f"strength must be between 0 and 1, {says}" in _error_line(capsys, argv)
    assert not out.exists()


def test_a_recipe_takes_1e2_where_it_takes_100(capsys, tmp_path: Path, clip: str):
    from vidiff.recipes import load_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text("stages:\n  - decode: {}\n  - interpolate: {fps: 1e2}\n  - encode: {}\n")
    assert load_recipe(recipe).stage("interpolate") == {"fps": 100.0}
    assert load_recipe("fps_x2").with_overrides(["interpolate.fps=1e2"]).stage("interpolate")["fps"] == 100.0
    assert (
        load_recipe("social_clip").with_overrides(["generate.prompt=inf"]).stage("generate")["prompt"]
        == "inf"
    )
    argv = ["run", "fps_x2", "-i", clip, "-o", str(tmp_path / "o.mp4"), "interpolate.fps=1_0e1"]
    assert "without '_' separators" in _error_line(capsys, argv)


def test_underscore_digits_are_refused_by_a_training_config(tmp_path: Path):
    """OmegaConf reads '1_000' as 1000: `train.steps=1_000` (or `steps: 1_000` in a file) was taken."""
    from vidiff.train.config import load_config

    with pytest.raises(ConfigError, match="train.steps '1_000': write numbers without '_' separators"):
        load_config(None, ["train.steps=1_000"])
    config = tmp_path / "c.yaml"
    config.write_text("train:\n  lr: 2.0e-4\n  steps: 1_000\n")
    with pytest.raises(ConfigError, match=r"c.yaml line 3 '1_000': write numbers without '_'"):
        load_config(config)
    config.write_text("train:\n  steps: 1000\n  output: runs/a_b\n")
    assert load_config(config).train.steps == 1000  # plain digits, and '_' in text, read as before
    assert load_config(None, ["train.steps=1000", "train.output=x_1"]).train.output == "x_1"
