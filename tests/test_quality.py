"""Quality tiers (issue 28): `--quality fast|balanced|max|auto` resolved through one table
(`vidiff.quality.TIERS`) on every door: upscale, infill, recipes (`vidiff run`), bench, the Python API and
the web app's menus; a bad tier, or a tier with a method, is one line before any work."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_MODEL, count_frames, sha256, write_clip

from vidiff import ConfigError, UpscaleOptions, upscale_file
from vidiff.cli import main
from vidiff.flow import METHOD_FACTS, facts_text
from vidiff.io.reader import read_frames
from vidiff.quality import TIERS, apply_quality, checked_method, quality_help, quality_line

FAST = {"preset": "ultrafast", "progress": False, "workers": 1}


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def small(tmp_path_factory, carphone) -> Path:
    """The first 6 frames of carphone (176x144, real motion), near-lossless."""
    return write_clip(tmp_path_factory.mktemp("quality") / "c6.mp4", read_frames(carphone, 6), Fraction(25))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained tiny model over the DIS prior alone (no RIFE weights needed): fast on the CPU."""
    from vidiff.diffusion.model import VidiffModel

    folder = tmp_path_factory.mktemp("tiny") / "model"
    VidiffModel.from_config(TINY_MODEL).save(folder)
    return folder


# -- the table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tier, method, options",
    [
        ("fast", "dis", {}),
        ("balanced", "diffusion", {}),
        ("max", "diffusion", {"ensemble": 2}),
        ("auto", "auto", {}),
    ],
)
def test_each_tier_is_a_method_and_its_options(tier, method, options):
    assert apply_quality(tier) == (method, options)
    assert apply_quality(tier, "auto", {"seed": 3}) == (method, {**options, "seed": 3})  # options on top
    assert list(TIERS) == ["fast", "balanced", "max", "auto"]


def test_no_quality_leaves_the_method_and_bad_tiers_are_one_line():
    opts = {"steps": 2}
    assert apply_quality(None, "blend", opts) == ("blend", opts)
    for bad in ("ultra", "MAX", 2, ""):
        with pytest.raises(ConfigError, match="unknown quality .*; choose one of: fast, balanced, max, auto"):
            apply_quality(bad)
    with pytest.raises(ConfigError, match="give method or quality, not both"):
        apply_quality("max", "dis")
    with pytest.raises(ConfigError, match="sets ensemble=2, not 4"):
        apply_quality("max", "auto", {"ensemble": 4})
    with pytest.raises(ConfigError, match=r"quality 'fast' \(dis\): method 'dis' has no option 'steps'"):
        checked_method("fast", "auto", {"steps": 4})


def test_the_help_lines_come_from_method_facts(monkeypatch):
    """fast and balanced show dis's and diffusion's measured figures; max shows none until the lead's
    benchmark adds METHOD_FACTS["max"], then exactly those."""
    assert quality_line("fast").endswith(facts_text("dis")) and "dB" in quality_line("fast")
    assert quality_line("balanced").endswith(facts_text("diffusion"))
    assert quality_line("auto") == TIERS["auto"].what
    monkeypatch.delitem(METHOD_FACTS, "max", raising=False)  # until measured: what it is, no figures
    assert quality_line("max") == TIERS["max"].what
    monkeypatch.setitem(METHOD_FACTS, "max", {"psnr": 40.0, "x_rife": 2.5, "gain": 0.61})
    assert quality_line("max").endswith(
        "40.0 dB on bikes x2 (+0.61 dB mean over the best peer), 2.50× RIFE's time"
    )
    assert all(f"{t}: {quality_line(t)}" in quality_help() for t in TIERS)


def test_quality_imports_only_flow_and_errors():
    from test_layers import PKG, imports

    assert {m for m, _ in imports(PKG / "quality.py")} <= {"vidiff.flow", "vidiff.errors"}


# -- the Python API ----------------------------------------------------------------------------------


def test_upscale_options_quality():
    o = UpscaleOptions(factor=2, quality="max", method_options={"steps": 2})
    assert (o.method, o.quality) == ("auto", "max")
    assert o.resolved_method == ("diffusion", {"ensemble": 2, "steps": 2})
    assert o.replace(crf=20).resolved_method == o.resolved_method  # a copy resolves the same
    assert UpscaleOptions(factor=2, method="blend").resolved_method == ("blend", {})
    with pytest.raises(ConfigError, match="unknown quality 'ultra'"):
        UpscaleOptions(factor=2, quality="ultra")
    with pytest.raises(ConfigError, match="not both"):
        UpscaleOptions(factor=2, quality="max", method="dis")


def test_upscale_file_fast_is_dis_byte_for_byte(tmp_path, small):
    a = upscale_file(small, tmp_path / "a.mp4", factor=2, quality="fast", **FAST)
    b = upscale_file(small, tmp_path / "b.mp4", factor=2, method="dis", **FAST)
    assert (a["method"], a["quality"], b["quality"]) == ("dis", "fast", None)
    assert sha256(tmp_path / "a.mp4") == sha256(tmp_path / "b.mp4")
    with pytest.raises(ConfigError, match="not both"):
        upscale_file(small, tmp_path / "c.mp4", factor=2, quality="max", method="dis", **FAST)
    assert not (tmp_path / "c.mp4").exists()


def test_infill_file_quality(tmp_path, small):
    from vidiff.runner.infill import infill_file

    r = infill_file(small, tmp_path / "a.mp4", frames="2", quality="fast", progress=False)
    assert (r["method"], r["quality"], [x["frame"] for x in r["replaced"]]) == ("dis", "fast", [2])
    for bad, word in (
        ({"quality": "ultra"}, "unknown quality"),
        ({"quality": "max", "method": "dis"}, "not both"),
    ):
        with pytest.raises(ConfigError, match=word):
            infill_file(small, tmp_path / "b.mp4", frames="2", progress=False, **bad)
    assert not (tmp_path / "b.mp4").exists()


# -- the command line --------------------------------------------------------------------------------


def test_cli_upscale_quality_max_end_to_end(tmp_path, capsys, small, tiny_model, monkeypatch):
    """A real `vidiff upscale --quality max` on 4 frames of carphone (the tiny model via --weights, with
    --seed and --engine: model options combine with a tier): the model is built with exactly the tier's
    option and the given ones, and the clip doubles with its kept frames the source's."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator

    built = []
    init = DiffusionInterpolator.__init__

    def spy(self, *args, **kwargs):
        built.append(kwargs)
        init(self, *args, **kwargs)

    monkeypatch.setattr(DiffusionInterpolator, "__init__", spy)
    src = write_clip(tmp_path / "c4.mp4", read_frames(small, 4), Fraction(25))
    out = tmp_path / "max.mp4"
    args = (
        "upscale",
        src,
        "-o",
        out,
        "--factor",
        "2",
        "--quality",
        "max",
        "--weights",
        tiny_model,
        "--seed",
        "1",
    )
    code, stdout, err = run_cli(
        capsys,
        *args,
        "--engine",
        "torch",
        "--workers",
        "1",
        "--crf",
        "0",
        "--preset",
        "ultrafast",
        "--json",
        "-q",
    )
    assert code == 0, err
    report = json.loads(stdout)
    assert (report["method"], report["quality"], report["out_frames"]) == ("diffusion", "max", 8)
    assert built == [{"weights": str(tiny_model), "seed": 1, "engine": "torch", "ensemble": 2}]
    assert count_frames(out) == 8
    kept, got = read_frames(src), read_frames(out)
    for k in range(4):  # output frame 2k is source frame k
        err2 = np.mean((kept[k].astype(float) - got[2 * k].astype(float)) ** 2)
        assert 10 * np.log10(255**2 / max(err2, 1e-9)) > 40, k


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--quality", "ultra"], "unknown quality 'ultra'; choose one of: fast, balanced, max, auto"),
        (["--quality", "max", "--method", "dis"], "give method or quality, not both"),
        (["--quality", "fast", "--steps", "4"], "quality 'fast' (dis): method 'dis' has no option 'steps'"),
    ],
)
@pytest.mark.parametrize("command", ["upscale", "infill"])
def test_cli_bad_quality_is_one_line_exit_2(tmp_path, capsys, small, command, extra, message):
    out = tmp_path / "o.mp4"
    rate = ["--factor", "2"] if command == "upscale" else ["--frames", "2"]
    code, _, err = run_cli(capsys, command, small, "-o", out, *rate, "-q", *extra)
    assert code == 2 and err.count("\n") == 1 and err.startswith("vidiff: error: ") and message in err, err
    assert not out.exists()


def test_cli_infill_quality_fast(tmp_path, capsys, small):
    code, stdout, err = run_cli(
        capsys,
        "infill",
        small,
        "-o",
        tmp_path / "a.mp4",
        "--frames",
        "3",
        "--quality",
        "fast",
        "-q",
        "--json",
    )
    assert code == 0, err
    r = json.loads(stdout)
    assert (r["method"], r["quality"], r["frames"]) == ("dis", "fast", 6)


@pytest.mark.parametrize("command", ["upscale", "infill", "run", "bench"])
def test_every_help_lists_the_tiers_with_their_line(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--quality" in text and all(f"{t}: {quality_line(t)}" in text for t in TIERS)


# -- recipes ---------------------------------------------------------------------------------------


def _recipe(tmp_path: Path, interpolate: str, name: str = "r.yaml") -> Path:
    p = tmp_path / name
    p.write_text(
        "stages:\n  - decode: {}\n"
        f"  - interpolate: {interpolate}\n"
        "  - encode: {codec: h264, preset: ultrafast}\n"
    )
    return p


def test_recipe_quality_key(tmp_path, small):
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    r = run_recipe(
        load_recipe(_recipe(tmp_path, "{factor: 2, quality: fast}")),
        str(small),
        str(tmp_path / "a.mp4"),
        progress=False,
    )
    assert (r["method"], r["quality"], r["out_frames"]) == ("dis", "fast", 12)
    with pytest.raises(ConfigError, match=r"r.yaml line 3: interpolate.quality: unknown quality 'ultra'"):
        load_recipe(_recipe(tmp_path, "{factor: 2, quality: ultra}"))
    both = load_recipe(_recipe(tmp_path, "{factor: 2, quality: max, method: dis}"))
    with pytest.raises(ConfigError, match="gives method 'dis' and quality 'max': keep one"):
        run_recipe(both, str(small), str(tmp_path / "b.mp4"), progress=False)
    assert not (tmp_path / "b.mp4").exists()


def test_cli_run_quality(tmp_path, capsys, small):
    """`vidiff run --quality` overrides the stage that makes frames: interpolate, or a repair's infill."""
    code, stdout, err = run_cli(
        capsys,
        "run",
        "fps_x2",
        "-i",
        small,
        "-o",
        tmp_path / "a.mp4",
        "--quality",
        "fast",
        "-q",
        "--json",
        "encode.preset=ultrafast",
    )
    assert code == 0, err
    assert (json.loads(stdout)["method"], json.loads(stdout)["quality"]) == ("dis", "fast")
    code, stdout, err = run_cli(
        capsys, "run", "repair", "-i", small, "-o", tmp_path / "b.mp4", "--quality", "fast", "-q", "--json"
    )
    assert code == 0, err
    assert (json.loads(stdout)["method"], json.loads(stdout)["quality"]) == ("dis", "fast")
    code, _, err = run_cli(
        capsys, "run", "fps_x2", "-i", small, "-o", tmp_path / "c.mp4", "--quality", "ultra"
    )
    assert code == 2 and err.count("\n") == 1 and "unknown quality 'ultra'" in err, err
    # social_clip names no method (it named dis, so --quality was refused): the tier fills in a clip's frames
    args = ("run", "social_clip", "-i", small, "-o", tmp_path / "d.mp4", "--quality", "fast", "-q", "--json")
    code, stdout, err = run_cli(capsys, *args, "encode.preset=ultrafast", "generate.extend=0.1")
    assert code == 0, err
    assert json.loads(stdout)["interpolate"] == "dis"


# -- bench -----------------------------------------------------------------------------------------


def test_bench_quality_rows(tmp_path, capsys, small):
    """`vidiff bench --quality fast` scores the tier as a row named `fast` (in its own worker process,
    the tier's name the method string): dis's figures, since fast is dis."""
    from vidiff.metrics.bench import resolve_qualities

    assert resolve_qualities("fast, max,fast") == ["fast", "max"] and resolve_qualities(None) == []
    args = (
        "bench",
        "--input",
        small,
        "--methods",
        "dis",
        "--quality",
        "fast",
        "--out",
        tmp_path / "b",
        "--json",
        "-q",
    )
    code, stdout, err = run_cli(capsys, *args)
    assert code == 0, err
    rows = {r["method"]: r for r in json.loads(stdout)}
    assert list(rows) == ["dis", "fast"] and rows["fast"]["status"] == "ok"
    assert rows["fast"]["psnr"] == pytest.approx(rows["dis"]["psnr"], abs=1e-9)
    assert "--quality fast" in (tmp_path / "b" / "results.md").read_text()
    code, _, err = run_cli(
        capsys, "bench", "--input", small, "--quality", "fast,ultra", "--out", tmp_path / "c"
    )
    assert code == 2 and err.count("\n") == 1 and "unknown quality 'ultra'" in err, err


# -- the web app's menus (the browser test is in test_ui.py) ----------------------------------------------


def test_ui_menus_resolve_through_the_table():
    pytest.importorskip("gradio")
    from vidiff.ui.rate import METHOD_HINTS, QUALITY_HINTS, choice_hint, chosen

    assert list(QUALITY_HINTS) == list(TIERS)
    assert all(quality_line(t) in QUALITY_HINTS[t] for t in TIERS)
    assert chosen("max", "auto") == {"method": "auto", "quality": "max"}
    assert chosen("auto", "dis") == {"method": "dis", "quality": None}
    assert choice_hint("max", "auto") == QUALITY_HINTS["max"]
    assert choice_hint("auto", "dis") == METHOD_HINTS["dis"]
    assert checked_method(**chosen("fast", "auto")) == ("dis", {})  # the Repair tab's interpolator
    with pytest.raises(ConfigError, match="not both"):
        checked_method(**chosen("max", "dis"))  # both set (the menus reset each other): one line


def test_ui_compare_scores_tiers_beside_methods(carphone):
    """The Compare tab offers fast, balanced and max beside the methods: each a row named by the tier."""
    pytest.importorskip("gradio")
    from vidiff.metrics.protocol import parse_factor
    from vidiff.ui.compare import COMPARE_TIERS, compare_methods

    assert COMPARE_TIERS == ("fast", "balanced", "max")
    rows = {r["method"]: r for r in compare_methods(str(carphone), parse_factor("2"), ["dis", "fast"], 7)}
    assert list(rows) == ["dis", "fast"] and rows["fast"]["psnr"] == pytest.approx(
        rows["dis"]["psnr"], abs=1e-9
    )
    assert [r["method"] for r in compare_methods(str(carphone), parse_factor("2"), ["fast", "blend"], 5)] == [
        "blend",
        "fast",
    ]
    with pytest.raises(ConfigError, match="two or more"):
        compare_methods(str(carphone), parse_factor("2"), ["fast"], 5)
