"""Defect detection and repair on the real clips: each kind injected at known frames, scored per kind.

    python benchmarks/defects.py [--seeds 4] [--first-seed 0] [--length 36] [--kinds flicker,...] [--detect-only]
                                 [--method dis] [--out DIR]
    python benchmarks/defects.py --scores [--seeds 60] [--out DIR]   (the skip test's scores, below)

Each trial cuts a stretch of one real clip (bikes inside one shot, carphone_pristine, bigbuckbunny at
640x360), injects one defect of one kind at a random position, strength and variant (moved on where
bigbuckbunny's pulldown twins would make it change nothing or start early: a swap of twins, a freeze
held from or starting on one), writes it losslessly (FFV1, bgr0: decoding gives back the very RGB
written), and runs what `vidiff metrics` and
`vidiff infill --auto --method dis` run (`find_defects`, `infill_file`, output FFV1 too; `--method auto`
repairs with the product's default interpolator instead). Negatives: the
clean stretch itself, a hold of a shot's first frame after a real cut (a held shot, not a freeze), a hold
at the clip's start, and bikes' own five hard cuts.

Detection: an event found of kind K matches an injected one of kind K when their frames overlap (one
frame of slack); precision = matched found / found, recall = matched injected / injected, per kind.
Frame level: the frames named against the frames injected. 'duplicate' (one repeat: bigbuckbunny is a 24 fps
render shown at 25 fps, a repeat every 25 frames) is listed, not scored. Repair: PSNR against the clean
frames of every frame changed, before and after; every frame not repaired must come back bit-exact.

`--scores`: where the skip test's thresholds come from (vidiff.metrics.defects, SKIP_SCORE and
SKIP_MIN_DIFF). The score (`skip_score`) of every transition the test looks at, in the clean negatives,
the cut trials and every whole shot of the sample clips (none a skip), and of each injected skip of the
jump trials (the same trials as a full run's), with the score the test used before (the three ratios without
the residual's spread, over 2.9) beside it; written to scores.md / scores.json in --out.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from report import command_line, rows_json, write_report

from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.io.writer import VideoWriter
from vidiff.metrics.defects import (
    CUT_VALID,
    SKIP_MIN_DIFF,
    SKIP_SCORE,
    SKIP_SPREAD,
    DefectFinder,
    skip_score,
)
from vidiff.metrics.quality import psnr
from vidiff.runner.infill import infill_file
from vidiff.timeline import frames_differ

SCORED = ("black", "frozen", "corrupt", "flicker", "jump", "cut")
TARGET = {k: 0.9 if k == "flicker" else 0.95 for k in SCORED}
SHOTS = {  # frame ranges inside one shot (bikes cuts at 30, 76, 137, 187, 242)
    "bikes": [(77, 137), (138, 187), (188, 242)],
    "carphone_pristine": [(0, 120)],
    "bigbuckbunny": [(0, 132)],
}
BIKES_CUTS = (30, 76, 137, 187, 242)
LOSSLESS = {"codec": "ffv1", "crf": None, "pix_fmt": "bgr0"}
PSNR_CAP = 99.0


def load(name: str) -> list[np.ndarray]:
    frames = read_frames(sample_clip(name))
    if name == "bigbuckbunny":  # 1280x720: half size keeps the run short
        frames = [cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in frames]
    return frames


def stretch(frames: list[np.ndarray], name: str, rng: np.random.Generator, length: int) -> list[np.ndarray]:
    a, b = SHOTS[name][rng.integers(len(SHOTS[name]))]
    start = int(rng.integers(a, max(a + 1, b - length + 1)))
    return [f.copy() for f in frames[start : start + length]]


# -- injections: (damaged frames, clean frames a perfect repair gives, truth events) -----------------
def inject_black(seg, p, rng):
    run = int(rng.integers(1, 3))
    value = 0 if rng.random() < 0.6 else int(rng.integers(0, 256))
    bad = [f.copy() for f in seg]
    for j in range(run):
        bad[p + j] = np.full_like(seg[p], value)
    return bad, seg, [("black", set(range(p, p + run)))], f"run {run}, value {value}"


def inject_frozen(seg, p, rng):
    run = int(rng.integers(2, 7))
    # neither the held frame nor the first replaced one a twin of the frame before it (bigbuckbunny's
    # pulldown): else the repeats found start before the injected ones, or the first changes nothing
    while not (frames_differ(seg[p - 2], seg[p - 1]) and frames_differ(seg[p - 1], seg[p])):
        p += 1
    bad = [f.copy() for f in seg]
    for j in range(run):
        bad[p + j] = seg[p - 1].copy()
    return bad, seg, [("frozen", set(range(p, p + run)))], f"{run} repeats"


def inject_corrupt(seg, p, rng):
    h, w = seg[p].shape[:2]
    frac = float(rng.choice([1 / 16, 1 / 9, 1 / 4]))
    rh, rw = int(h * frac**0.5), int(w * frac**0.5)
    y, x = int(rng.integers(0, h - rh)), int(rng.integers(0, w - rw))
    bad = [f.copy() for f in seg]
    kind = str(rng.choice(["noise", "blocks", "grey"]))
    region = bad[p][y : y + rh, x : x + rw]
    if kind == "noise":
        region[:] = rng.integers(0, 256, region.shape, dtype=np.uint8)
    elif kind == "grey":
        region[:] = np.array([128, 128 + rng.integers(-60, 60), 128], np.uint8)
    else:  # 16x16 macroblocks copied from random places of the frame (a decoder's lost slice)
        for by in range(0, rh - 15, 16):
            for bx in range(0, rw - 15, 16):
                sy, sx = int(rng.integers(0, h - 16)), int(rng.integers(0, w - 16))
                region[by : by + 16, bx : bx + 16] = seg[p][sy : sy + 16, sx : sx + 16]
    return bad, seg, [("corrupt", {p})], f"{kind}, {frac:.3f} of the frame"


def _flicker_one(img, rng_vals):
    mode, amount, ch, blob = rng_vals
    x = img.astype(np.float32)
    if mode == "offset":
        x += amount
    elif mode == "gain":
        x *= 1.0 + amount / 128.0
    elif mode == "colour":
        x[..., ch] += amount
    else:  # local: a soft blob
        x += amount * blob[..., None]
    return np.clip(x, 0, 255).round().astype(np.uint8)


def inject_flicker(seg, p, rng):
    h, w = seg[p].shape[:2]
    pattern = str(rng.choice(["single", "pair", "burst"]))
    mode = str(rng.choice(["offset", "gain", "colour", "local"]))
    amount = float(rng.uniform(15, 40)) * (1 if rng.random() < 0.7 else -1)
    cy, cx, r = rng.uniform(0.25, 0.75) * h, rng.uniform(0.25, 0.75) * w, 0.3 * min(h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r)).astype(np.float32)
    frames = {"single": [p], "pair": [p, p + 1], "burst": list(range(p, p + 10, 2))}[pattern]
    bad = [f.copy() for f in seg]
    for j in frames:
        bad[j] = _flicker_one(seg[j], (mode, amount, int(rng.integers(3)), blob))
    return bad, seg, [("flicker", set(frames))], f"{pattern}, {mode} {amount:+.0f}"


def inject_jump(seg, p, rng):
    if rng.random() < 0.5:
        if not frames_differ(seg[p], seg[p + 1]):  # a pulldown pair: swapping it changes nothing
            p += 1
        bad = [f.copy() for f in seg]
        bad[p], bad[p + 1] = seg[p + 1].copy(), seg[p].copy()
        return bad, seg, [("jump", {p, p + 1})], "swap"
    k = int(rng.choice([3, 5]))
    kept = seg[:p] + seg[p + k :]
    return [f.copy() for f in kept], kept, [("jump", {p})], f"skip {k}"


INJECT = {
    "black": inject_black,
    "frozen": inject_frozen,
    "corrupt": inject_corrupt,
    "flicker": inject_flicker,
    "jump": inject_jump,
}


def cut_trial(clips, names, rng, length):
    """Two clips joined (the second resized), with a held first frame after the cut or at the start."""
    a_name, b_name = rng.choice(names, 2, replace=False)
    a, b = stretch(clips[a_name], a_name, rng, length // 2), stretch(clips[b_name], b_name, rng, length // 2)
    h, w = a[0].shape[:2]
    b = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in b]
    hold = str(rng.choice(["none", "after cut", "at start"]))
    n_hold = int(rng.integers(4, 11))
    if hold == "after cut":
        b = [b[0]] * n_hold + b[: len(b) - n_hold]
    elif hold == "at start":
        a = [a[0]] * n_hold + a[: len(a) - n_hold]
    frames = a + b
    return frames, frames, [("cut", {len(a)})], f"{a_name} | {b_name}, hold {hold} ({n_hold})"


def natural_cut_trial(clips, cut, length):
    frames = [f.copy() for f in clips["bikes"][cut - length // 2 : cut + length // 2]]
    return frames, frames, [("cut", {length // 2})], f"bikes' own cut at frame {cut}"


# -- scoring ----------------------------------------------------------------------------------------
def write_lossless(path: Path, frames: list[np.ndarray]) -> None:
    h, w = frames[0].shape[:2]
    with VideoWriter(path, w, h, Fraction(25), **LOSSLESS) as wr:
        wr.write_all(frames)


def match(truth, found):
    """(matched truth flags, matched found flags) for events overlapping with one frame of slack."""
    t_ok, f_ok = [False] * len(truth), [False] * len(found)
    for i, (kind, frames) in enumerate(truth):
        grown = {g for f in frames for g in (f - 1, f, f + 1)}
        for j, d in enumerate(found):
            if d["kind"] == kind and grown & set(d["frames"]):
                t_ok[i] = f_ok[j] = True
    return t_ok, f_ok


def detect_trial(workdir: Path, bad, clean, truth, label: str) -> dict:
    """`--detect-only`: what `vidiff metrics` finds, from the frames themselves (the lossless file gives
    them back bit-exact), no repair run: many more seeds in the same time."""
    t0 = time.perf_counter()
    finder = DefectFinder(Fraction(25))
    for f in bad:
        finder.push(f)
    found = [d.as_dict() for d in finder.defects()]
    return trial_record(label, truth, found, [], 0, 0, time.perf_counter() - t0)


def trial_record(
    label: str, truth, found: list, repairs: list, untouched: int, exact: int, seconds: float
) -> dict:
    """One trial's row: what was injected and found, how they matched, and what the repair did."""
    t_ok, f_ok = match(truth, found)
    return {
        "trial": label,
        "truth": [{"kind": k, "frames": sorted(f)} for k, f in truth],
        "found": found,
        "truth_matched": t_ok,
        "found_matched": f_ok,
        "repairs": repairs,
        "untouched": untouched,
        "untouched_exact": exact,
        "seconds": round(seconds, 3),
    }


def run_trial(workdir: Path, bad, clean, truth, label: str, method: str = "dis") -> dict:
    src, out = workdir / "in.mkv", workdir / "out.mkv"
    write_lossless(src, bad)
    t0 = time.perf_counter()
    # what `vidiff infill --auto` found (`find_defects`, as `vidiff metrics` lists them) and did
    rep = infill_file(src, out, auto=True, method=method, audio=False, progress=False, **LOSSLESS)
    seconds = time.perf_counter() - t0
    found = rep["defects"]
    decoded_in, fixed = read_frames(src), read_frames(out)
    changed = {x["frame"] for x in rep["replaced"]} | set(rep["held"])
    injected = set().union(*(f for _, f in truth)) if truth else set()
    repairs = []
    for i in sorted(changed):
        before, after = psnr(decoded_in[i], clean[i]), psnr(fixed[i], clean[i])
        repairs.append(
            {
                "frame": i,
                "injected": i in injected,
                "before": min(before, PSNR_CAP),
                "after": min(after, PSNR_CAP),
            }
        )
    untouched = [i for i in range(len(fixed)) if i not in changed]
    exact = sum(bool(np.array_equal(fixed[i], decoded_in[i])) for i in untouched)
    return trial_record(label, truth, found, repairs, len(untouched), exact, seconds)


def summarize(rows: list[dict]) -> dict:
    """Per kind (and the two kinds of jump apart): detection precision/recall and repair PSNR."""
    out = {}
    for kind in SCORED:
        out[kind] = _score(rows, kind)
    for variant in ("swap", "skip"):
        out[f"jump ({variant})"] = _score([r for r in rows if f"({variant}" in r["trial"]], "jump")
    return out


def _score(rows: list[dict], kind: str) -> dict:
    """Detection and repair figures of one kind over `rows`."""
    n_truth = sum(t["kind"] == kind for r in rows for t in r["truth"])
    tp_truth = sum(
        ok for r in rows for t, ok in zip(r["truth"], r["truth_matched"], strict=True) if t["kind"] == kind
    )
    found = [
        (d, ok)
        for r in rows
        for d, ok in zip(r["found"], r["found_matched"], strict=True)
        if d["kind"] == kind
    ]
    tf = {(r["trial"], f) for r in rows for t in r["truth"] if t["kind"] == kind for f in t["frames"]}
    ff = {(r["trial"], f) for r in rows for d in r["found"] if d["kind"] == kind for f in d["frames"]}
    reps = [
        x for r in rows for x in r["repairs"] if any(t["kind"] == kind for t in r["truth"]) and x["injected"]
    ]
    return {
        "injected": n_truth,
        "found": len(found),
        "precision": sum(ok for _, ok in found) / len(found) if found else None,
        "recall": tp_truth / n_truth if n_truth else None,
        "frame_precision": len(tf & ff) / len(ff) if ff else None,
        "frame_recall": len(tf & ff) / len(tf) if tf else None,
        "repaired_frames": len(reps),
        "psnr_before": float(np.mean([x["before"] for x in reps])) if reps else None,
        "psnr_after": float(np.mean([x["after"] for x in reps])) if reps else None,
        "improved": sum(x["after"] > x["before"] for x in reps),
    }


def markdown(cmd: str, rows: list[dict], summary: dict, seconds: float) -> list[str]:
    f = lambda x, d=3: "–" if x is None else f"{x:.{d}f}"  # noqa: E731
    lines = [
        "# Defect detection and repair (benchmarks/defects.py)",
        "",
        f"`{cmd}`  ({len(rows)} trials, {seconds:.0f} s)",
        "",
        "| kind | injected | found | precision | recall | target | frame precision | frame recall "
        "| repaired frames | PSNR before | PSNR after | improved |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, s in summary.items():
        lines.append(
            f"| {kind} | {s['injected']} | {s['found']} | {f(s['precision'])} | {f(s['recall'])} | "
            f"{'≥ ' + str(TARGET[kind]) if kind in TARGET else ''} | {f(s['frame_precision'])} | {f(s['frame_recall'])} | {s['repaired_frames']} | "
            f"{f(s['psnr_before'], 2)} | {f(s['psnr_after'], 2)} | {s['improved']}/{s['repaired_frames']} |"
        )
    untouched = sum(r["untouched"] for r in rows)
    exact = sum(r["untouched_exact"] for r in rows)
    false_rep = [(r["trial"], x["frame"]) for r in rows for x in r["repairs"] if not x["injected"]]
    dups = [(r["trial"], d["frames"]) for r in rows for d in r["found"] if d["kind"] == "duplicate"]
    lines += [
        "",
        f"Frames not repaired: {untouched}, bit-exact in the lossless output: {exact}.",
        f"Clean frames changed by the repair: {len(false_rep)}"
        + (": " + "; ".join(f"{t} frame {i}" for t, i in false_rep[:12]) if false_rep else "")
        + ".",
        f"'duplicate' (reported, not repaired, not scored): {len(dups)} found.",
        "",
        "PSNR (dB) of the repaired frames against the clean ones (capped at 99: a swap put back is exact).",
        "",
        "## Misses and false alarms",
        "",
    ]
    for r in rows:
        for t, ok in zip(r["truth"], r["truth_matched"], strict=True):
            if not ok:
                got = ", ".join(f"{d['kind']} {d['frames']}" for d in r["found"]) or "nothing"
                lines.append(f"- missed {t['kind']} {t['frames']} in {r['trial']}: found {got}")
        for d, ok in zip(r["found"], r["found_matched"], strict=True):
            if not ok and d["kind"] in SCORED:
                lines.append(f"- false {d['kind']} {d['frames']} in {r['trial']} ({d['detail']})")
    return lines


def trials(clips: dict, names: list[str], seeds: range, length: int, kinds: list[str]):
    """Every trial of a run, (damaged frames, clean frames, truth events, label), in the order and with
    the seeds of every committed run: per seed, per clip each kind injected then the clean stretch; then
    two clips joined and one of bikes' own cuts. Prints each seed's end (seconds since the first)."""
    t0 = time.perf_counter()
    for seed in seeds:
        for name in names:
            for kind in kinds:
                rng = np.random.default_rng([seed, names.index(name), list(INJECT).index(kind)])
                seg = stretch(clips[name], name, rng, length + 5)
                p = int(rng.integers(6, length - 12))
                bad, clean, truth, what = INJECT[kind](seg, p, rng)
                at = min(truth[0][1])  # p, or one on where the injection at p would change nothing
                yield bad[:length], clean[:length], truth, f"{name} s{seed} {kind} ({what}) at {at}"
            rng = np.random.default_rng([seed, names.index(name), 99])
            seg = stretch(clips[name], name, rng, length)
            yield seg, seg, [], f"{name} s{seed} clean"
        rng = np.random.default_rng([seed, 100])
        bad, clean, truth, what = cut_trial(clips, names, rng, length)
        yield bad, clean, truth, f"s{seed} cut ({what})"
        bad, clean, truth, what = natural_cut_trial(clips, BIKES_CUTS[seed % len(BIKES_CUTS)], length)
        yield bad, clean, truth, f"s{seed} {what}"
        print(f"seed {seed} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)


# -- the skip test's scores (--scores) ---------------------------------------------------------------
OLD_SKIP_SCORE = 2.9  # the score before it: residual x sqrt(change x midpoint error) over this


def transition_scores(frames: list[np.ndarray]) -> list[dict]:
    """Every transition the skip test scores, as `DefectFinder._skips` does after the other detectors ran
    (cuts known): its index, level-free change (0-255), score, the earlier score (the three ratios without
    the spread), and the four terms the score is made of (`DefectFinder.skip_ratios`)."""
    finder = DefectFinder(Fraction(25))
    for f in frames:
        finder.push(f)
    finder.defects()
    n, out = len(frames), []
    for k in range(2, n - 1):
        if k in finder.cuts or finder.valid[k] < CUT_VALID:
            continue
        ratios = finder.skip_ratios(k, n)
        if ratios is None or ratios[0] <= 1.0:
            continue
        out.append(
            {
                "k": k,
                "change": finder.tdiff[k],
                "score": skip_score(*ratios),
                "old": (old := skip_score(*ratios[:3], 0.0)),  # no spread: no boost
                "old_x_spread": old * ratios[3],
                "ratios": list(ratios),
                "spread": ratios[3],
            }
        )
    return out


def score_rows(clips: dict, names: list[str], seeds: range, length: int) -> list[dict]:
    """Scores of the clean transitions (whole shots, clean and cut trials) and of the injected skips."""
    rows = []
    for name in names:
        for a, b in SHOTS[name]:
            rows += [
                {"where": f"{name} shot {a}-{b}", "skip": False, **s}
                for s in transition_scores(clips[name][a:b])
            ]
    for bad, _, truth, label in trials(clips, names, seeds, length, ["jump"]):
        scores = transition_scores(bad)
        if not truth or truth[0][0] == "cut":  # a clean stretch or a cut trial: every transition clean
            rows += [{"where": label, "skip": False, **s} for s in scores]
        elif "(skip" in label:
            at = min(truth[0][1])
            got = [s for s in scores if s["k"] == at]
            rows.append({"where": label, "skip": True, "k": at, **(got[0] if got else {})})
    return rows


def score_lines(cmd: str, rows: list[dict], seconds: float) -> list[str]:
    """scores.md: the clean maxima, the skips found and missed, and the low-change group."""

    def top(rs: list[dict], key: str = "score") -> str:
        r = max(rs, key=lambda r: r[key], default=None)
        return "–" if r is None else f"{r[key]:.2f} ({r['where']}, transition {r['k']})"

    shots = [r for r in rows if not r["skip"] and " shot " in r["where"]]
    clean = [r for r in rows if not r["skip"] and " shot " not in r["where"]]
    skips = [r for r in rows if r["skip"]]
    tested = [r for r in skips if "score" in r]
    low = [r for r in clean + shots if SKIP_MIN_DIFF < r["change"] <= 1.0]
    low_skips = [r for r in tested if r["change"] <= 1.0]
    return [
        "# The skip test's scores (benchmarks/defects.py --scores)",
        "",
        f"`{cmd}`  ({seconds:.0f} s)",
        "",
        f"Clean transitions scored: {len(shots)} in the sample clips' whole shots, {len(clean)} in the trials' "
        "clean stretches and cut trials (shorter context at a trial's ends or beside a joined cut).",
        "",
        "| | highest score (where) | SKIP_SCORE |",
        "| --- | --- | --- |",
        f"| whole shots | {top(shots)} | {SKIP_SCORE} |",
        f"| trials' clean transitions | {top(clean)} | {SKIP_SCORE} |",
        f"| the earlier score (no spread), whole shots | {top(shots, 'old')} | {OLD_SKIP_SCORE} |",
        f"| the earlier score (no spread), trials' clean | {top(clean, 'old')} | {OLD_SKIP_SCORE} |",
        "",
        f"The earlier score times the residual's spread, highest clean: {top(clean + shots, 'old_x_spread')}; "
        f"over SKIP_SPREAD ({SKIP_SPREAD}) it is at most {max(r['old_x_spread'] for r in clean + shots) / SKIP_SPREAD:.2f}. "
        f"Highest spread of a whole shot's transition: {top(shots, 'spread')}.",
        "",
        f"Injected skips: {len(skips)}, testable (the test scores their transition) {len(tested)}; over SKIP_SCORE "
        f"{sum(r['score'] > SKIP_SCORE for r in tested)}, over the earlier score's {OLD_SKIP_SCORE} "
        f"{sum(r['old'] > OLD_SKIP_SCORE for r in tested)}.",
        "",
        f"Low change ({SKIP_MIN_DIFF} < change <= 1.0, 0-255): clean transitions {len(low)}, highest "
        f"{top(low)}; skips {len(low_skips)}: "
        + (", ".join(f"{r['score']:.2f} ({r['where']})" for r in low_skips) or "none"),
        "",
        "Skips under SKIP_SCORE (missed) and not scored:",
        "",
        *[
            f"- {r['where']}: "
            + (
                f"score {r['score']:.2f}, change {r['change']:.2f}, spread {r['spread']:.2f}"
                if "score" in r
                else "not scored"
            )
            for r in skips
            if "score" not in r or r["score"] <= SKIP_SCORE
        ],
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4, help="trials per clip and kind (default 4)")
    ap.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds run from this one (default 0; the thresholds were set over seeds 0-59, so 60 on is held out)",
    )
    ap.add_argument("--length", type=int, default=36, help="frames per trial (default 36)")
    ap.add_argument("--out", default="benchmarks/results/defects")
    ap.add_argument("--detect-only", action="store_true", help="detection figures only, no repair run")
    ap.add_argument("--scores", action="store_true", help="the skip test's scores (scores.md), nothing else")
    ap.add_argument(
        "--method", default="dis", help="the repair's interpolator (default dis; auto: the product's)"
    )
    ap.add_argument(
        "--kinds",
        default=",".join(INJECT),
        help="kinds injected, comma-separated (default all; the same trials as a full run, the clean and cut "
        "negatives always run)",
    )
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not kinds or set(kinds) - set(INJECT):
        ap.error(f"--kinds: choose from {', '.join(INJECT)}")
    cmd = command_line("defects.py", argv)
    names = list(SHOTS)
    clips = {n: load(n) for n in names}
    t0 = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    if args.scores:
        rows = score_rows(clips, names, seeds, args.length)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "scores.json").write_text(rows_json(rows))
        (out / "scores.md").write_text("\n".join(score_lines(cmd, rows, time.perf_counter() - t0)) + "\n")
        return 0
    trial = detect_trial if args.detect_only else functools.partial(run_trial, method=args.method)
    with tempfile.TemporaryDirectory(prefix="vidiff-defects-") as tmp:
        rows = [trial(Path(tmp), *t) for t in trials(clips, names, seeds, args.length, kinds)]
    summary = summarize(rows)
    lines = markdown(cmd, rows, summary, time.perf_counter() - t0)
    if args.detect_only:  # no repair: its columns and lines say nothing
        lines[3:3] = ["", "Detection only (`--detect-only`): no repair ran; the repair columns are empty."]
    write_report(args.out, cmd, rows, lines)
    (Path(args.out) / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
