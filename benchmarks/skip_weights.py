#!/usr/bin/env python
"""Could the skip test weigh its three ratios better? A grid over the exponents of its score.

`vidiff.metrics.defects.skip_score` is residual x sqrt(change x midpoint error), exponents (0.5, 1, 0.5)
on the first three terms `DefectFinder.skip_ratios` gives (the fourth, the residual's spread, only raises
it and is left out here). This reads every scored transition of
`benchmarks/defects.py --scores` (clean ones and injected skips, with their ratios) and, for each
exponent pair (change, midpoint error) on a 0..2 grid with the residual's kept at 1, sets the threshold
as SKIP_SCORE is set (the highest clean score times SKIP_SCORE's margin over it, 2.9 / 2.72) and counts
the skips over it. Prints the shipped weighting and the best five.

Usage: python benchmarks/skip_weights.py [--scores benchmarks/results/defects_scores/scores.json]
(skip_weights.txt read the 60-seed file of commit 62e6d32; the file there now holds seeds 10-59)
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

MARGIN = math.log(2.9 / 2.72)  # SKIP_SCORE over the highest clean score of the trials (defects.py)
SHIPPED = (0.5, 1.0, 0.5)


def caught(x: np.ndarray, skip: np.ndarray, w: tuple[float, float, float]) -> tuple[int, float]:
    """(skips over the threshold, the threshold as a score) for exponents `w` on log ratios `x`."""
    score = x @ np.array(w)
    thr = score[~skip].max() + MARGIN
    return int((score[skip] > thr).sum()), math.exp(thr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scores", default="benchmarks/results/defects_scores/scores.json")
    args = ap.parse_args(argv)
    rows = [r for r in json.loads(Path(args.scores).read_text()) if "ratios" in r]
    x = np.log(np.array([r["ratios"][:3] for r in rows]))  # the three ratios (a later score adds a fourth)
    skip = np.array([r["skip"] for r in rows])
    print(f"{(~skip).sum()} clean transitions, {skip.sum()} skips scored")
    n, thr = caught(x, skip, SHIPPED)
    print(f"shipped exponents {SHIPPED}: {n} skips over the threshold {thr:.2f}")
    grid = np.arange(0.0, 2.01, 0.25)
    tries = sorted(
        ((caught(x, skip, (a, 1.0, c)), (a, 1.0, c)) for a in grid for c in grid), key=lambda t: -t[0][0]
    )
    for (n, thr), w in tries[:5]:
        print(
            f"exponents (change, residual, midpoint) {tuple(float(v) for v in w)}: {n} skips, threshold {thr:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
