#!/usr/bin/env python
"""A cue tried for the skip test (issue 30): where along the motion does the frame beside a gap sit?

Frames missing between k-1 and k put frame k-1 at t = 1/(m+2) of the way from k-2 to k, not half way
(and frame k at (m+1)/(m+2) from k-1 to k+1). For each transition this interpolates frame k-1 between its
neighbours (DIS, the `dis` method) at t = 0.15 .. 0.85 and takes the t of least error, and the same for
frame k; the cue is sqrt(A x B), A and B each the error at t = 0.5 over the least error, when the two
least-error t lie on the gap's sides (1 otherwise). Printed for every clean transition of the clip's shot
(SHOTS in defects.py), for the injected skips of the benchmark's seeds 0-9 on that clip, and, for the
clean transitions, times the shipped skip score (read from results/defects_scores/scores.json).

Usage (from the repository root): python benchmarks/skip_tstar.py [carphone_pristine]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from defects import SHOTS, load, trials

from vidiff.flow import DISFlow

TS = (0.15, 0.2, 0.25, 0.33, 0.4, 0.5, 0.6, 0.67, 0.75, 0.8, 0.85)
HALF = TS.index(0.5)
SCORES = Path(__file__).resolve().parent / "results/defects_scores/scores.json"


def errors(dis: DISFlow, a: np.ndarray, mid: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean |interpolated - mid| at each t of TS."""
    made = dis.interpolate_with_flows(a, b, list(TS), *dis.flows(a, b))
    return np.array([np.abs(m.astype(np.float32) - mid.astype(np.float32)).mean() for m in made])


def cue(dis: DISFlow, fr: list[np.ndarray], k: int) -> float:
    """The cue of transition k (frame k-1 to frame k)."""
    ea, eb = errors(dis, fr[k - 2], fr[k - 1], fr[k]), errors(dis, fr[k - 1], fr[k], fr[k + 1])
    if not (TS[int(ea.argmin())] < 0.5 < TS[int(eb.argmin())]):
        return 1.0
    return float(np.sqrt(ea[HALF] / max(ea.min(), 1e-3) * eb[HALF] / max(eb.min(), 1e-3)))


def main() -> int:
    name = sys.argv[1] if len(sys.argv) > 1 else "carphone_pristine"
    dis = DISFlow()
    clips = {n: load(n) for n in SHOTS}
    score = {
        (r["where"], r["k"]): r["score"]
        for r in json.loads(SCORES.read_text())
        if not r["skip"] and "score" in r
    }
    clean = []
    for a, b in SHOTS[name]:
        seg = clips[name][a:b]
        for k in range(2, len(seg) - 1):
            c = cue(dis, seg, k)
            s = score.get((f"{name} shot {a}-{b}", k))
            clean.append((c, c * s if s is not None else None, f"shot {a}-{b} transition {k}"))
    top = max(clean)
    print(f"{name}: {len(clean)} clean transitions; highest cue {top[0]:.2f} ({top[2]})")
    prod = max((x for x in clean if x[1] is not None), key=lambda x: x[1])
    print(f"highest cue x skip score of a clean transition: {prod[1]:.2f} ({prod[2]}, cue {prod[0]:.2f})")
    for bad, _, truth, label in trials(clips, list(SHOTS), range(10), 36, ["jump"]):
        if "(skip" in label and name in label:
            print(f"{label}: cue {cue(dis, bad, min(truth[0][1])):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
