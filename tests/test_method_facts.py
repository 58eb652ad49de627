"""The method figures the web app's hints and `--method`'s help show come from one table
(`vidiff.flow.METHOD_FACTS`), and that table is what the committed benchmark results say (issue 33)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from vidiff.flow import METHOD_FACTS, METHOD_WHAT, method_line

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
PEERS = ("dup", "blend", "dis", "minterpolate", "rife")


TIERS = ("max",)  # the quality tiers' rows: scored in benchmarks/results/model_tiers (a shared machine)


def _model_rows(folder: str = "model") -> list[dict]:
    return json.loads((RESULTS / folder / "results.json").read_text())


def test_psnr_and_dis_time_are_the_model_benchmarks():
    rows = _model_rows() + [r for r in _model_rows("model_tiers") if r["method"] in TIERS]
    bikes = {r["method"]: r for r in rows if r["clip"] == "bikes" and r["factor"] == 2}
    for name, facts in METHOD_FACTS.items():
        assert facts["psnr"] == pytest.approx(bikes[name]["psnr"], abs=0.005), name
    assert METHOD_FACTS["dis"]["s_per_frame"] == pytest.approx(bikes["dis"]["s_per_frame"], abs=0.0005)
    assert METHOD_FACTS["rife"]["x_dis"] == pytest.approx(bikes["rife"]["speed_ratio_vs_dis"], abs=0.05)


@pytest.mark.parametrize(("name", "folder"), [("diffusion", "model"), ("max", "model_tiers")])
def test_model_gain_is_the_mean_over_the_best_peer(name, folder):
    cases: dict[tuple, dict[str, float]] = {}
    for r in _model_rows(folder):
        cases.setdefault((r["clip"], r["factor"]), {})[r["method"]] = r["psnr"]
    gains = [c[name] - max(c[p] for p in PEERS) for c in cases.values()]
    assert len(gains) == 4 and METHOD_FACTS[name]["gain"] == pytest.approx(statistics.mean(gains), abs=0.005)
    assert min(gains) > 0  # no case below the best peer


@pytest.mark.parametrize(
    ("name", "runs"),
    [("fuse", "model_speed_small"), ("diffusion", "model_speed_small"), ("max", "tier_speed")],
)
def test_time_over_rife_is_the_median_of_the_speed_runs(name, runs):
    ratios = []
    for run in sorted((RESULTS / runs).glob("run*/results.json")):
        rows = {r["method"]: r for r in json.loads(run.read_text()) if r["clip"] == "bikes"}
        ratios.append(rows[name]["s_per_frame"] / rows["rife"]["s_per_frame"])
    assert len(ratios) == 4
    assert METHOD_FACTS[name]["x_rife"] == pytest.approx(statistics.median(ratios), abs=0.005)


def test_the_hint_and_the_help_say_the_same_figures():
    pytest.importorskip("gradio")
    from vidiff.cli import build_parser
    from vidiff.ui.rate import METHOD_HINTS

    assert "1.39× RIFE's time" in METHOD_HINTS["diffusion"] and "3x" not in METHOD_HINTS["diffusion"]
    sub = build_parser()._subparsers._group_actions[0].choices["upscale"]  # noqa: SLF001
    help_text = next(a.help for a in sub._actions if "--method" in a.option_strings)  # noqa: SLF001
    for name in [n for n in METHOD_FACTS if n in METHOD_WHAT]:  # a tier's key ("max"): test_quality.py
        assert method_line(name) in help_text and method_line(name) in METHOD_HINTS[name]
