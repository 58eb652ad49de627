"""Cadences: repeats that come at a regular rhythm because the frame rate was converted by showing frames
again (24 fps at 30: one repeat every 5 frames; at 60: two and three showings in turn, 2:3; 15 fps at 30:
every frame twice; 24 at 25: one repeat every 25). They are how such a clip is made, not a freeze or a
stutter: reported once, as a cadence, and never repaired. A run of repeats off the rhythm (a freeze in such
a clip) is still a defect.

A run of repeats is in a cadence where a run of the same length starts exactly `p` frames before or after
it, and so on, `CADENCE_RUNS` runs in all at that spacing (`p` up to `MAX_PERIOD`; from `LOOSE_PERIOD` on,
a frame either way: 23.976 fps at 25 repeats every 24 or 25 frames), up to `MAX_GAP` beats in a row missed
(a freeze over the rhythm's repeats, a held shot). A run of another length, or off the beat, is no part.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

CADENCE_RUNS = 3  # runs of the same length at one spacing, at least
MAX_PERIOD = 30  # the longest spacing looked for (frames): 24 -> 25 fps is 25
LOOSE_PERIOD = 10  # from this spacing on, a frame either way
MAX_GAP = 2  # beats in a row a cadence may miss (a defect over its repeats, a cut or a held shot between)


def cadence_runs(runs: Sequence[tuple[int, int]]) -> list[tuple[list[tuple[int, int]], int]]:
    """The cadences among `runs` ([a, b) frame ranges of repeats, in order): each a list of its runs and its
    period in frames; a run is in one cadence at most."""
    starts = {a: b - a for a, b in runs}
    taken: set[int] = set()
    out = []
    for p in range(2, MAX_PERIOD + 1):
        slack = 1 if p >= LOOSE_PERIOD else 0
        for a, b in runs:
            if a in taken:
                continue
            chain = [(a, b)]
            while True:
                last = chain[-1][0]
                nxt = [
                    s
                    for m in range(1, MAX_GAP + 2)  # the next beat, or one after up to MAX_GAP missed
                    for s in range(last + m * p - slack, last + m * p + slack + 1)
                    if starts.get(s) == b - a and s not in taken
                ]
                if not nxt:
                    break
                chain.append((nxt[0], nxt[0] + b - a))
            if len(chain) >= CADENCE_RUNS:
                out.append((chain, p))
                taken.update(s for s, _ in chain)
    # a 2:3 cadence is two chains (the single and the double showings) at one period: kept apart, each named
    return sorted(out, key=lambda c: c[0][0][0])


def beat_frames(chain: Sequence[tuple[int, int]], period: int) -> set[int]:
    """The frames on a cadence's beats, those it missed between its runs included (each as long as its
    runs). A quiet stretch of telecine (a head held still) combs too little to be seen, yet its fields are
    still of two moments. Past its ends nothing is added: a frame there may be what broke the rhythm."""
    size = chain[0][1] - chain[0][0]
    starts = [a for a, _ in chain]
    for prev, nxt in itertools.pairwise(starts[:]):
        beats = max(1, round((nxt - prev) / period))
        starts += [prev + round(j * (nxt - prev) / beats) for j in range(1, beats)]
    return {f for a in starts for f in range(a, a + size)}
