"""Metrics with known answers on synthetic frames and clips, and `vidiff metrics` end to end."""

import json
from fractions import Fraction

import cv2
import numpy as np
import pytest
from conftest import write_clip

from vidiff.cli import main
from vidiff.errors import ConfigError, VidiffError
from vidiff.flow import Blend
from vidiff.metrics.clip import analyze_clip, worst_segments
from vidiff.metrics.protocol import (
    is_kept,
    kept_indices,
    parse_factor,
    score_interpolator,
    score_sequence,
    segments,
    targets,
)
from vidiff.metrics.quality import PSNR_CAP, psnr, ssim
from vidiff.metrics.temporal import SequenceComparison, frame_diff, tdiff_error, warping_error


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth random RGB texture: optical flow locks onto it everywhere."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 2.0) * 3 - 255, 0, 255).astype(np.uint8)


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- quality ------------------------------------------------------------------------------------


def test_psnr_known_values():
    a = np.zeros((8, 8, 3), np.uint8)
    assert psnr(a, a) == PSNR_CAP
    assert psnr(a, a + 10) == pytest.approx(10 * np.log10(255**2 / 100))
    b = a.copy()
    b[0, 0, 0] = 255  # MSE = 255² / 192
    assert psnr(a, b) == pytest.approx(10 * np.log10(192))


def test_ssim_identical_and_degraded():
    img = texture(48, 64)
    assert ssim(img, img) == pytest.approx(1.0)
    noisy = np.clip(img.astype(int) + np.random.default_rng(1).integers(-40, 40, img.shape), 0, 255).astype(
        np.uint8
    )
    assert 0.0 < ssim(img, noisy) < 0.9


def test_frame_metrics_refuse_bad_frames_with_one_config_error():
    """psnr, ssim, frame_diff, tdiff_error and warping_error checked nothing: None was an AttributeError,
    frames of two sizes a NumPy broadcast or OpenCV assertion error, float frames an OpenCV DIS error, 2x2
    frames scikit-image's win_size error; each is one VidiffError sentence now."""
    a = texture(32, 48)
    cases = [
        (lambda: psnr(None, a), ConfigError, "psnr: frame 1 is a NoneType"),
        (lambda: psnr(a, a[:, :40]), ConfigError, "shapes (32, 48, 3) and (32, 40, 3)"),
        (lambda: ssim(a[:2, :2], a[:2, :2]), ConfigError, "at least 7 px"),
        (lambda: ssim(a, a.astype(np.float32)), ConfigError, "frame 2 is float32"),
        (lambda: frame_diff(a, a[..., :2]), ConfigError, "frame 2 is uint8 (32, 48, 2)"),
        (lambda: frame_diff(a.tolist(), a), ConfigError, "frame 1 is a list"),
        (lambda: tdiff_error(a, a, a, a[:8]), ConfigError, "give one size"),
        (lambda: warping_error(a, a.astype(np.float32)), ConfigError, "frame 2 is float32"),
        (lambda: warping_error(a[:, :4], a[:, :4]), VidiffError, "too small for warping error"),
    ]
    for call, kind, words in cases:
        with pytest.raises(kind) as e:
            call()
        assert words in str(e.value) and "\n" not in str(e.value), (words, str(e.value))
    gray = a[..., 0]  # gray frames and strided views still measure
    assert psnr(gray, gray) == PSNR_CAP and ssim(gray, gray) == pytest.approx(1.0)
    assert frame_diff(a[:, ::-1], a[:, ::-1]) == 0.0 and warping_error(a[:8, :8], a[:8, :8]).valid > 0


# -- temporal -----------------------------------------------------------------------------------


def test_flicker_and_tdiff_known_values():
    a = np.full((4, 4, 3), 100, np.uint8)
    assert frame_diff(a, a) == 0.0
    assert frame_diff(a, a + 7) == 7.0
    # rebuilt moves by +7, truth by +3: the motion is 4 off everywhere
    assert tdiff_error(a, a + 7, a, a + 3) == 4.0


def test_warping_error_static_is_zero():
    img = texture(96, 128)
    w = warping_error(img, img)
    assert w.error == pytest.approx(0.0, abs=1e-6)
    assert w.valid > 0.99


@pytest.mark.parametrize("dx, dy", [(3, 0), (2, -2)])
def test_warping_error_pure_shift_is_near_zero(dx, dy):
    big = texture(160, 200)
    prev = big[20:116, 20:148]
    nxt = big[20 - dy : 116 - dy, 20 - dx : 148 - dx]  # content moves by (dx, dy)
    w = warping_error(prev, nxt)
    assert w.error < 1.0
    assert w.valid > 0.8  # only the strip that enters the frame has no source


def test_warping_error_measures_brightness_jump():
    # a 3-pixel pan plus +12 on every value: the motion is explained, the jump is what remains
    big = texture(160, 200)
    prev = big[20:116, 20:148]
    nxt = np.clip(big[20:116, 17:145].astype(int) + 12, 0, 255).astype(np.uint8)
    w = warping_error(prev, nxt)
    assert w.error == pytest.approx(12.0, abs=1.5)


def test_sequence_comparison_perfect_and_frozen():
    frames = [np.full((4, 4, 3), 10 * i, np.uint8) for i in range(5)]
    perfect = SequenceComparison()
    frozen = SequenceComparison()
    for f in frames:
        perfect.push(f, f)
        frozen.push(frames[0], f)
    assert perfect.flicker_ratio == 1.0 and perfect.tdiff_err == 0.0
    assert frozen.flicker_ratio == 0.0 and frozen.tdiff_err == 10.0
    static = SequenceComparison()
    for _ in range(3):
        static.push(frames[0], frames[0])
    assert static.flicker_ratio is None  # truth never changes: no ratio


# -- protocol -----------------------------------------------------------------------------------


def test_parse_factor():
    assert parse_factor("2") == 2 and parse_factor(4) == 4
    assert parse_factor("5/2") == parse_factor("2.5") == parse_factor("2/5") == Fraction(5, 2)
    for bad in ("1", "0", "-2", "x", "1/0"):
        with pytest.raises(ConfigError):
            parse_factor(bad)


def test_kept_frames_and_targets():
    assert kept_indices(10, Fraction(2)) == [0, 2, 4, 6, 8]
    assert kept_indices(12, Fraction(5, 2)) == [0, 2, 5, 7, 10]
    ts = targets(12, Fraction(5, 2))
    assert [t.index for t in ts] == [1, 3, 4, 6, 8, 9]
    assert [t.t for t in ts] == [
        Fraction(1, 2),
        Fraction(1, 3),
        Fraction(2, 3),
        Fraction(1, 2),
        Fraction(1, 3),
        Fraction(2, 3),
    ]
    # frames after the last kept one are not scored
    assert [t.index for t in targets(10, Fraction(4))] == [1, 2, 3, 5, 6, 7]
    for step in (Fraction(2), Fraction(4), Fraction(5, 2), Fraction(8)):
        kept = set(kept_indices(50, step))
        assert {i for i in range(50) if is_kept(i, step)} == kept


def test_segments_never_show_a_dropped_frame():
    frames = [np.full((2, 2, 3), i, np.uint8) for i in range(9)]
    segs = list(segments(frames, Fraction(4)))
    assert [(int(s.a[0, 0, 0]), int(s.b[0, 0, 0])) for s in segs] == [(0, 4), (4, 8)]
    assert [[int(g[0, 0, 0]) for g in s.truths] for s in segs] == [[1, 2, 3], [5, 6, 7]]


def test_blend_is_exact_on_a_linear_fade():
    # values linear in time: the cross-fade rebuilds every dropped frame exactly
    frames = [np.full((16, 16, 3), 20 * i, np.uint8) for i in range(9)]
    s = score_interpolator(frames, Fraction(4), Blend()).summary()
    assert s["psnr"] == PSNR_CAP and s["ssim"] == pytest.approx(1.0)
    assert s["flicker_ratio"] == pytest.approx(1.0) and s["tdiff_err"] == 0.0
    assert s["n_frames"] == 6
    assert [p["t"] for p in s["per_t"]] == [0.25, 0.5, 0.75]


def test_the_first_window_of_each_shape_is_a_warm_up_not_timed():
    """A method whose first call of a shape pays a set-up (an engine's export) is timed on its steady
    state: the first window of each shape runs twice, once untimed; the scores are those of Blend."""
    import time

    class SlowFirst(Blend):
        seen: set[int] = set()
        calls = 0

        def interpolate(self, a, b, ts):
            self.calls += 1
            if len(ts) not in self.seen:
                self.seen.add(len(ts))
                time.sleep(0.3)
            return super().interpolate(a, b, ts)

    frames = [np.full((16, 16, 3), 20 * i, np.uint8) for i in range(9)]
    slow = SlowFirst()
    s = score_interpolator(frames, Fraction(4), slow)
    assert slow.calls == 3 and s.seconds < 0.1  # 2 windows of one shape + its warm-up; no set-up timed
    assert s.summary()["psnr"] == score_interpolator(frames, Fraction(4), Blend()).summary()["psnr"]


def test_score_sequence_refuses_altered_kept_frames():
    frames = [np.full((8, 8, 3), 20 * i, np.uint8) for i in range(5)]
    s = score_sequence(frames, frames, Fraction(2)).summary()
    assert s["n_frames"] == 2 and s["psnr"] == PSNR_CAP
    shifted = frames[1:] + frames[-1:]
    with pytest.raises(VidiffError, match="kept frame 0"):
        score_sequence(frames, shifted, Fraction(2))


# -- clip report --------------------------------------------------------------------------------


def test_worst_segments_finds_the_bump_and_skips_cuts():
    vals = [1.0] * 40
    vals[10:13] = [4.0, 5.0, 4.0]
    vals[30] = 50.0  # a scene cut
    rows = [{"index": i, "time": i / 25, "cut": i == 30, "warp_err": v} for i, v in enumerate(vals)]
    segs = worst_segments(rows, top=3)
    assert segs[0]["frames"] == [9, 12] and segs[0]["peak_time"] == pytest.approx(11 / 25)
    assert all(not (s["frames"][0] <= 30 <= s["frames"][1]) for s in segs)


def test_static_clip_has_zero_flicker(tmp_path):
    img = texture(64, 80)
    clip = write_clip(tmp_path / "static.mp4", [img] * 6)
    r = analyze_clip(clip)
    s = r["summary"]
    assert s["n_frames"] == 6 and s["flicker"] == 0.0 and s["warp_err"] == pytest.approx(0.0, abs=1e-6)
    assert s["scene_cuts"] == []


def test_analyze_clip_and_find_defects_refuse_bad_arguments(tmp_path):
    """analyze_clip and find_defects did not check their arguments: reference=3 and top=None were a
    TypeError, on_frame=3 a TypeError after the first frame, max_frames=-1, 1.5 or True ran (as "no frame"
    or a truncation), max_frames="3" was a TypeError; each is one ConfigError now, before any frame."""
    from vidiff.metrics.defects import find_defects

    clip = write_clip(tmp_path / "c.mp4", [texture(32, 48, seed=i) for i in range(4)])
    cases = [
        (lambda: analyze_clip(clip, reference=3), "reference 3"),
        (lambda: analyze_clip(clip, top=None), "top None"),
        (lambda: analyze_clip(clip, top=-1), "top -1"),
        (lambda: analyze_clip(clip, on_frame=3), "on_frame 3"),
        (lambda: analyze_clip(clip, max_frames=-1), "max_frames must be a whole number, at least 2 (not -1)"),
        (lambda: analyze_clip(clip, max_frames=1), "at least 2 (not 1)"),  # was a report of nulls
        (lambda: find_defects(clip, max_frames=1.5), "max_frames 1.5"),
        (lambda: find_defects(clip, max_frames="3"), "max_frames '3'"),
        (lambda: find_defects(clip, max_frames=True), "max_frames True"),
    ]
    for call, words in cases:
        with pytest.raises(ConfigError) as e:
            call()
        assert words in str(e.value) and "\n" not in str(e.value), (words, str(e.value))
    assert len(analyze_clip(clip, max_frames=3, top=0)["frames"]) == 3


def test_a_one_frame_clip_is_refused_by_the_api_as_by_the_cli(tmp_path, capsys):
    """analyze_clip and find_defects gave a report (and an empty list) for a 1-frame clip, where `vidiff
    metrics` refused it; all three refuse it now with the same one sentence (InputError, exit 2)."""
    from vidiff.errors import InputError
    from vidiff.metrics.defects import find_defects

    clip = write_clip(tmp_path / "one.mp4", [texture(32, 48)])
    for call in (lambda: analyze_clip(clip), lambda: find_defects(clip)):
        with pytest.raises(InputError, match="has only 1 frame; .* needs at least 2"):
            call()
    assert main(["metrics", str(clip)]) == 2
    assert capsys.readouterr().err.strip().endswith("has only 1 frame; measuring needs at least 2")


def test_panning_clip_warping_error_is_small_and_flicker_is_not(tmp_path):
    big = texture(120, 200)
    frames = [big[10:106, 4 * i : 4 * i + 128] for i in range(8)]
    r = analyze_clip(write_clip(tmp_path / "pan.mkv", frames, codec="ffv1", pix_fmt="bgr0"))
    s = r["summary"]
    assert s["warp_err"] < 1.5 < s["flicker"]


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_metrics_real_clip_with_plot_and_reference(tmp_path, capsys, carphone):
    png = tmp_path / "c.png"
    code, out, err = run_cli(
        capsys,
        "metrics",
        carphone,
        "--reference",
        carphone,
        "--plot",
        png,
        "--max-frames",
        "12",
        "--json",
        "-q",
    )
    assert code == 0, err
    rep = json.loads(out)
    s = rep["summary"]
    assert s["n_frames"] == 12 and len(rep["frames"]) == 12
    assert s["psnr"] == PSNR_CAP and s["flicker_ratio"] == 1.0 and s["tdiff_err"] == 0.0
    assert 0 < s["warp_err"] < 10 and s["worst_segments"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    h, w = cv2.imread(str(png)).shape[:2]
    assert w >= 800 and h >= 500


def test_cli_metrics_text_report(capsys, carphone):
    code, out, _ = run_cli(capsys, "metrics", carphone, "--max-frames", "8", "-q")
    assert code == 0
    assert "warping error" in out and "worst segments" in out and "0:00." in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["NOTAVIDEO"], "not a readable video"),
        (["MISSING"], "no such file"),
        (["CLIP", "--plot", "x.jpg"], "PNG"),
        (["CLIP", "--plot", "NODIR"], "does not exist"),
        (["CLIP", "--reference", "NOTAVIDEO"], "not a readable video"),
    ],
)
def test_cli_metrics_errors_are_one_line(tmp_path, capsys, carphone, args, message):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    subst = {
        "NOTAVIDEO": bad,
        "MISSING": tmp_path / "nope.mp4",
        "CLIP": carphone,
        "NODIR": tmp_path / "no" / "x.png",
    }
    code, out, err = run_cli(capsys, "metrics", *[subst.get(a, a) for a in args], "-q")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_cli_metrics_reference_size_mismatch(tmp_path, capsys, carphone):
    other = write_clip(tmp_path / "small.mp4", [texture(32, 48)] * 3)
    code, _, err = run_cli(capsys, "metrics", carphone, "--reference", other, "-q")
    assert code == 2 and "reference is 48x32" in err and err.count("\n") == 1
