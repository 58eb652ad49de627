"""Field-aware frame comparison: an interlaced frame is two fields (its even rows and its odd rows), and
3:2 telecine (24p content at 29.97i) mixes fields of two source frames in one frame. A repeat test that
samples rows of one parity only sees one field: a frame whose even rows repeat its neighbour's while its
odd rows move on was taken for a repeat. `vidiff.timeline.field_diff` (the runner's dedupe measure too)
measures each field apart and keeps the larger; this module finds the combed frames.
"""

from __future__ import annotations

import numpy as np

# A combed frame (fields of two moments): its rows alternate, so each row is far from the mean of the rows
# either side (the other field) and near the mean of the rows two away (its own field). `comb_score` is the
# first over the second; it depends on the content (noise gives about 1, smooth pictures less), so a frame
# is combed where its score is over COMB_OVER times the median of its neighbours' (COMB_SPAN each side).
# bikes' telecined frames (battery content "telecine") score 0.9-1.7 against 0.37-0.41 around them; in
# carphone's (a head that barely moves) the combed frames are 1.05-1.81x their neighbours', the clean ones
# 0.95-1.01x. Progressive content: the battery's contents (tests/defect_battery.py) at most 1.23x (the cut)
# but for the slow fade's near-black frames (2.1x: blank, left out), the sample clips' every frame at most
# 1.12x (bikes). Frames over it are named only at a regular rhythm (`metrics.cadence`: 3 runs or more of
# one length at one spacing, up to 2 beats missed: a quiet combed pair under it)
COMB_OVER = 1.1
COMB_SPAN = 5


def comb_score(image: np.ndarray) -> float:
    """Combing of an RGB frame: mean |row - mean of the rows either side| over mean |row - mean of the rows
    two away| (every 2nd column, gray); about 0.4-0.5 for progressive pictures, over 0.9 for fields of two
    moments in motion."""
    g = image[:, ::2].astype(np.float32).mean(axis=2) if image.ndim == 3 else image[:, ::2].astype(np.float32)
    if g.shape[0] < 5:
        return 0.0
    near = float(np.abs(g[1:-1] - (g[:-2] + g[2:]) / 2).mean())
    far = float(np.abs(g[2:-2] - (g[:-4] + g[4:]) / 2).mean())
    return near / far if far > 0.05 else 0.0


def comb_ratios(scores: list[float]) -> list[float]:
    """Each frame's score over the median of up to COMB_SPAN frames each side (itself left out: telecine
    combs 2 frames of 5, so the median is a clean frame's); a frame is combed over COMB_OVER."""
    out = []
    for i, s in enumerate(scores):
        near = scores[max(0, i - COMB_SPAN) : i] + scores[i + 1 : i + 1 + COMB_SPAN]
        med = float(np.median(near)) if near else 0.0
        out.append(s / med if med > 0 else 0.0)
    return out
