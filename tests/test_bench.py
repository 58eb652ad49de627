"""`vidiff bench`: the held-out-frame protocol on real and never-seen clips, peers, skips, outputs."""

import json
import shutil
from fractions import Fraction

import numpy as np
import pytest
from conftest import write_clip

from vidiff.cli import main
from vidiff.errors import ConfigError, InputError, UnsupportedError
from vidiff.metrics import bench as bench_mod
from vidiff.metrics import peers
from vidiff.metrics.bench import FIELDS, bench, resolve_methods, run_isolated, run_method
from vidiff.metrics.peers import run_minterpolate
from vidiff.metrics.protocol import parse_factor, targets
from vidiff.metrics.report import markdown, write_bench


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def moving_clip(path, n=13, h=64, w=96):
    """A bright square moving 3 px per frame over a gradient: a clip no method was tuned on."""
    base = np.tile(np.linspace(30, 200, w, dtype=np.uint8)[None, :, None], (h, 1, 3))
    frames = []
    for i in range(n):
        f = base.copy()
        f[20:36, 10 + 3 * i : 26 + 3 * i] = (240, 60, 60)
        frames.append(f)
    return write_clip(path, frames)


def test_bench_real_clip_in_process(carphone):
    recs = bench([carphone], [parse_factor("2"), parse_factor("5/2")], "dup,blend,dis", isolate=False,
                 progress=False, max_frames=25)  # fmt: skip
    assert [(r["factor"], r["method"]) for r in recs] == [
        (2, "dup"), (2, "blend"), (2, "dis"), (2.5, "dup"), (2.5, "blend"), (2.5, "dis"),
    ]  # fmt: skip
    for r in recs:
        assert set(FIELDS) <= set(r) and r["status"] == "ok"
        assert (r["clip"], r["width"], r["height"]) == ("carphone_pristine", 176, 144)
        assert 20 < r["psnr"] < 50 and 0.5 < r["ssim"] <= 1 and 0.3 < r["flicker_ratio"] < 1.5
    x2 = {r["method"]: r for r in recs if r["factor"] == 2}
    assert x2["dis"]["n_frames"] == 12 and x2["dis"]["per_t"] == [
        {"t": 0.5, "psnr": x2["dis"]["psnr"], "ssim": x2["dis"]["ssim"], "n": 12}
    ]
    assert x2["dup"]["psnr"] < x2["blend"]["psnr"] < x2["dis"]["psnr"]
    assert x2["dis"]["speed_ratio_vs_dis"] == 1.0 and x2["dup"]["speed_ratio_vs_dis"] < 1.0
    ratio = next(r for r in recs if r["factor"] == 2.5 and r["method"] == "dis")
    assert ratio["keep_ratio"] == "2/5" and [p["t"] for p in ratio["per_t"]] == pytest.approx(
        [1 / 3, 0.5, 2 / 3]
    )


def test_cli_bench_never_seen_clip_json(tmp_path, capsys):
    clip = moving_clip(tmp_path / "any.mp4")
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "bench", "--input", clip, "--factor", "2", "--methods", "dis,blend", "--json",
                             "--out", out_dir, "--quiet", "--in-process")  # fmt: skip
    assert code == 0, err
    recs = json.loads(out)
    assert [r["method"] for r in recs] == ["dis", "blend"]
    assert all(r["clip"] == "any" and r["n_frames"] == 6 and r["status"] == "ok" for r in recs)
    dis, blend = recs
    assert dis["psnr"] > blend["psnr"] + 3  # a moving edge: flow beats a cross-fade
    assert json.loads((out_dir / "results.json").read_text()) == recs
    md = (out_dir / "results.md").read_text()
    assert "Command: `" in md and "--methods dis,blend" in md and "| any (96x64) |" in md
    for png in ("psnr_by_t.png", "psnr_by_method.png"):
        assert (out_dir / png).read_bytes()[:4] == b"\x89PNG"


def test_isolated_worker_reports_its_own_rss(carphone):
    r = run_isolated(carphone, parse_factor("2"), "blend", max_frames=9)
    assert r["status"] == "ok" and r["n_frames"] == 4 and 20 < r["peak_rss_mb"] < 2000


def test_an_isolated_workers_rss_is_its_own_not_its_parents(carphone):
    """Linux keeps the high-water mark from before exec in ru_maxrss: a worker started by a parent holding
    a gigabyte read a gigabyte (a grown pytest worker: 2173 MB for a 9-frame blend). It reads its own now."""
    held = np.ones(1 << 30, np.uint8)  # touched: resident
    r = run_isolated(carphone, parse_factor("2"), "blend", max_frames=9)
    assert held[-1] == 1 and 20 < r["peak_rss_mb"] < 700, r["peak_rss_mb"]


def test_minterpolate_keeps_kept_frames_exact(monkeypatch, tmp_path):
    """FFmpeg's filter runs through PyAV: no `ffmpeg` program is needed (none on PATH here)."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    clip = moving_clip(tmp_path / "m.mp4", n=16)
    for factor in ("2", "4", "5/2"):
        r = run_method(clip, parse_factor(factor), "minterpolate")
        assert r["status"] == "ok", r["reason"]
        assert r["n_frames"] == len(targets(16, parse_factor(factor)))  # the same targets as every method
        assert r["psnr"] > 20 and r["peak_rss_mb"] > 0


def test_minterpolate_without_kept_frames_is_refused():
    with pytest.raises(UnsupportedError, match="no kept frame"):
        run_minterpolate(iter([]), Fraction(25), Fraction(2), 64, 48)


@pytest.mark.parametrize("w, h", [(31, 64), (64, 31)])
def test_minterpolate_too_small_picture_is_refused_with_why(w, h):
    """FFmpeg's filter refuses a side under 32 with "Invalid argument"; the skip says what is wrong."""
    frames = iter([np.zeros((h, w, 3), np.uint8)] * 3)
    with pytest.raises(UnsupportedError, match=f"at least 32x32 \\(this is {w}x{h}\\)"):
        run_minterpolate(frames, Fraction(25), Fraction(2), w, h)
    run_minterpolate(iter([np.zeros((32, 32, 3), np.uint8)] * 3), Fraction(25), Fraction(2), 32, 32).close()


def test_minterpolate_failure_is_skipped_with_the_reason(monkeypatch, carphone):
    """A filter FFmpeg refuses (here: an option it does not know) is a skipped record, not a crash."""
    monkeypatch.setattr(peers, "MINTERPOLATE", "minterpolate=fps={fps}:no_such_option=1")
    r = run_method(carphone, parse_factor("2"), "minterpolate", max_frames=5)
    assert r["status"] == "skipped" and "minterpolate failed" in r["reason"] and r["psnr"] is None


def test_method_without_weights_is_skipped(monkeypatch, carphone):
    def refuse(name, **kw):
        raise UnsupportedError("RIFE weights not found; run benchmarks/fetch_rife.sh")

    import vidiff.flow

    monkeypatch.setattr(vidiff.flow, "get_interpolator", refuse)
    r = run_method(carphone, parse_factor("2"), "rife", max_frames=5)
    assert r["status"] == "skipped" and "weights not found" in r["reason"]
    assert "rife (skipped): RIFE weights not found" in markdown([r])


def test_too_short_clip_is_skipped(tmp_path):
    clip = moving_clip(tmp_path / "short.mp4", n=4)
    r = run_method(clip, parse_factor("4"), "dis")
    assert r["status"] == "skipped" and "too short" in r["reason"]


def test_resolve_methods():
    assert resolve_methods("dis, blend,dis") == ["dis", "blend"]
    assert resolve_methods(None)[:5] == ["dup", "blend", "dis", "minterpolate", "rife"]
    with pytest.raises(ConfigError, match="unknown method 'dsi'"):
        resolve_methods("dis,dsi")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--input", "NOTAVIDEO"], "not a readable video"),
        (["--input", "MISSING"], "no such file"),
        (["--input", "CLIP", "--methods", "dis,nope"], "unknown method 'nope'"),
        # a model folder that is not there was a "skipped" row after the other methods ran, exit 0
        (
            ["--input", "CLIP", "--methods", "dis,diffusion@/nonexistent/vidiff-model"],
            "model weights not found",
        ),
        (["--input", "CLIP", "--factor", "1"], "must be above 1"),
        (["--input", "CLIP", "--factor", "two"], "invalid factor"),
    ],
)
def test_cli_bench_errors_are_one_line(tmp_path, capsys, carphone, args, message):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    subst = {"NOTAVIDEO": bad, "MISSING": tmp_path / "nope.mp4", "CLIP": carphone}
    code, out, err = run_cli(capsys, "bench", *[subst.get(a, a) for a in args], "--out", tmp_path / "o", "-q")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_write_bench_with_skips_and_no_results(tmp_path):
    rec = bench_mod._skip(bench_mod.base_record("x.mp4", parse_factor("2"), "rife"), "no weights")
    files = write_bench([rec], tmp_path / "o", ["Command: `vidiff bench`"])
    assert [f.name for f in files] == ["results.json", "results.md"]  # nothing to plot


# BENCHMARK.md figures (x2 PSNR, dB), reproduced within 0.15 dB
FIGURES = {
    ("carphone_pristine", 2): {"dup": 30.6, "blend": 33.3, "dis": 33.9, "minterpolate": 33.9},
    ("carphone_pristine", 4): {"dis": 31.6, "minterpolate": 31.3},
    ("bikes", 2): {"dup": 25.2, "blend": 28.6, "dis": 32.1, "minterpolate": 31.2},
    ("bikes", 4): {"dis": 28.8, "minterpolate": 27.3},
    ("bigbuckbunny", 2): {"dup": 32.1, "blend": 34.7, "dis": 38.5, "minterpolate": 38.1},
    ("bigbuckbunny", 4): {"dis": 34.9, "minterpolate": 33.9},
}


def _check_figures(clip, factor):
    recs = bench(
        [clip], [parse_factor(str(factor))], list(FIGURES[(clip, factor)]), isolate=False, progress=False
    )
    for r in recs:
        assert r["psnr"] == pytest.approx(FIGURES[(clip, factor)][r["method"]], abs=0.15), r["method"]


def test_benchmark_figures_carphone_x2():
    _check_figures("carphone_pristine", 2)


@pytest.mark.slow
@pytest.mark.parametrize("clip, factor", [k for k in FIGURES if k != ("carphone_pristine", 2)])
def test_benchmark_figures(clip, factor):
    _check_figures(clip, factor)


def test_bench_your_own_model_with_diffusion_at_dir(tmp_path):
    """`diffusion@DIR` benches a model folder; an untrained one returns the DIS prior, so it scores as DIS."""
    from vidiff.diffusion.model import VidiffModel

    model_dir = tmp_path / "mine"
    from conftest import TINY_MODEL

    VidiffModel.from_config(TINY_MODEL).save(model_dir)
    assert resolve_methods(f"dis,diffusion@{model_dir}") == ["dis", f"diffusion@{model_dir}"]
    with pytest.raises(ConfigError, match="unknown method 'nope@x'"):
        resolve_methods("nope@x")
    with pytest.raises(InputError, match="model weights not found"):
        resolve_methods(f"dis,diffusion@{tmp_path / 'none'}")
    clip = moving_clip(tmp_path / "moving.mp4")
    step = parse_factor("2")
    dis, mine = run_method(clip, step, "dis"), run_method(clip, step, f"diffusion@{model_dir}")
    assert mine["status"] == "ok" and mine["method"] == f"diffusion@{model_dir}"
    assert mine["psnr"] == pytest.approx(dis["psnr"], abs=1e-9)
    missing = run_method(clip, step, f"diffusion@{tmp_path / 'none'}")
    assert missing["status"] == "skipped" and "not found" in missing["reason"]


def test_bench_and_metrics_stream_a_clip_in_memory_flat_in_its_length(tmp_path, capfd):
    """`vidiff bench` (run_method) and `vidiff metrics` (analyze_clip) hold a few frames at a time:
    their peak of traced allocations (numpy's included) on 60 frames is within 1.3x that on 20 (a whole
    load would add 40 frames, 0.7 MB, to a ~1.6 MB peak); the input check stops decoding at --max-frames
    (a damaged tail past it is never read, so no warning)."""
    import tracemalloc

    from clip_kinds import make_clip as kind_clip

    from vidiff.cli.bench import check_inputs
    from vidiff.metrics.clip import analyze_clip

    path = kind_clip(tmp_path, "ffv1", n=60, w=96, h=64)

    def peak(fn, n: int) -> int:
        tracemalloc.start()
        fn(path, n)
        p = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return p

    bench_run = lambda p, n: run_method(p, parse_factor(2), "blend", max_frames=n)  # noqa: E731
    metrics_run = lambda p, n: analyze_clip(p, max_frames=n)  # noqa: E731
    for fn in (bench_run, metrics_run):
        short, long = peak(fn, 20), peak(fn, 60)
        assert long <= 1.3 * short, (fn, short, long)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    capfd.readouterr()
    assert check_inputs([str(cut)], [parse_factor(2)], 20) == [str(cut)]
    assert capfd.readouterr().err == ""
    check_inputs([str(cut)], [parse_factor(2)], None)  # read to its end: the damage is seen
    assert "cut.mkv" in capfd.readouterr().err


def test_ui_compare_offers_and_scores_minterpolate(carphone):
    """The web app's Compare tab has the ffmpeg peer beside vidiff's methods, scored as `vidiff bench` does."""
    gr = pytest.importorskip("gradio")
    from vidiff.ui.compare import _compare_layout, compare_methods

    with gr.Blocks():
        c = _compare_layout()
    assert ("minterpolate", "minterpolate") in c.methods.choices
    rows = {
        r["method"]: r for r in compare_methods(str(carphone), parse_factor("2"), ["dis", "minterpolate"], 9)
    }
    assert rows["minterpolate"]["status"] == "ok" and rows["minterpolate"]["n_frames"] == 4
    assert rows["minterpolate"]["psnr"] > 25 and rows["minterpolate"]["speed_ratio_vs_dis"] > 0
