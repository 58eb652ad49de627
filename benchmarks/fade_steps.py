"""Where the fade test's threshold comes from (vidiff.metrics.fades, FADE_STEP): the level step of every
transition of the sample clips' shots, none of them a fade, against the steps of made fades.

    python benchmarks/fade_steps.py [--out benchmarks/results/fade_steps]

A transition's level step is `DefectFinder.glevel` (the median smooth residual after motion
compensation, 0-255). Per clip: the largest |step| over its transitions (cuts left out), the largest
|median step over a second| (what a slow ramp needs SLOW_STEP of) and how many ramps `level_ramps` and
`slow_ramps` find (what `find_fades` names). Then carphone's first 100 frames faded to black linearly over
8, 15, 30, 60 and 90 frames at its 29.97 fps: the smallest and median |step| inside each fade.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from report import command_line, write_report

from vidiff.io.reader import VideoReader
from vidiff.io.samples import sample_clip
from vidiff.metrics.defects import DefectFinder
from vidiff.metrics.fades import FADE_STEP, SLOW_STEP, level_ramps, second_medians, slow_ramps

CLIPS = ("bikes", "carphone_pristine", "bigbuckbunny")


def steps_of(frames, fps: float) -> tuple[list[float], set[int], list[str]]:
    """Level steps, cut frames and every event named but duplicates (kind and frames)."""
    finder = DefectFinder(fps)
    for f in frames:
        finder.push(f)
    found = finder.defects()
    cuts = {d.frames[0] for d in found if d.kind == "cut"}
    named = [f"{d.kind} {d.frames[0]}-{d.frames[-1]}" for d in found if d.kind != "duplicate"]
    return finder.glevel, cuts, named


KEYS = (
    "transitions",
    "cuts",
    "max_step",
    "p99_step",
    "slow_med",
    "ramps",
    "min_step",
    "median_step",
    "named",
)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/fade_steps")
    args = ap.parse_args(argv)
    rows, t0 = [], time.time()
    for name in CLIPS:
        reader = VideoReader(sample_clip(name))
        steps, cuts, named = steps_of((f.image for f in reader), float(reader.info.fps))
        inside = [abs(s) for k, s in enumerate(steps) if k > 0 and k not in cuts]
        kept = [0.0 if k in cuts else s for k, s in enumerate(steps)]
        w = int(round(float(reader.info.fps)))
        meds = np.abs(second_medians(kept, w))
        ramps = level_ramps(kept) + slow_ramps(kept, w)
        rows.append(
            {"clip": name, "transitions": len(inside), "cuts": len(cuts), "max_step": round(max(inside), 3),
             "p99_step": round(float(np.percentile(inside, 99)), 3), "slow_med": round(float(meds.max()), 3),
             "ramps": len(ramps),
             "named": ", ".join(n for n in named if not n.startswith("cut")) or "none"}
        )  # fmt: skip
    base = [f.image for f in VideoReader(sample_clip("carphone_pristine"))][:100]
    for length in (
        8,
        15,
        30,
        60,
        90,
    ):  # frames 0-4 at full level, then the fade over frames 5..4+length, black
        gains = [min(1.0, max(0.0, 1 - (i - 4) / length)) for i in range(len(base))]
        faded = [
            np.clip(f.astype(np.float32) * g, 0, 255).round().astype(np.uint8)
            for f, g in zip(base, gains, strict=True)
        ]
        steps, _, named = steps_of(faded, 30000 / 1001)
        inner = [abs(steps[k]) for k in range(5, 5 + length)]
        rows.append(
            {"clip": f"carphone fade to black over {length} frames (frames 5-{4 + length})",
             "min_step": round(min(inner), 3), "median_step": round(float(np.median(inner)), 3),
             "named": ", ".join(named) or "none"}
        )  # fmt: skip
    cmd = command_line("fade_steps.py", argv)
    lines = [
        f"# Level steps (fade test, FADE_STEP = {FADE_STEP}, SLOW_STEP = {SLOW_STEP})", "", f"    {cmd}", "",
        f"{time.time() - t0:.0f} s. Steps in 0-255 (`DefectFinder.glevel`); ramps: what `level_ramps` "
        "and `slow_ramps` (slow med: the largest |median step over a second|) find in the clip's own transitions (cuts' set to 0); named: every event `DefectFinder` names, cuts and "
        "duplicates aside for the clips.", "",
        "| clip | transitions | cuts | max abs step | p99 | slow med | ramps | fade: min step | fade: median step "
        "| named |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['clip']} | " + " | ".join(str(r.get(k, "")) for k in KEYS) + " |")
    write_report(args.out, cmd, rows, lines)


if __name__ == "__main__":
    main()
