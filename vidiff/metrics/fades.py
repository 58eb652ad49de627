"""Fades: the picture's level ramping steadily down or up over several frames (a fade to or from black, a
dip through black, an exposure change), told apart from flicker (a level off and back within a frame or
two) and from black frames dropped into footage (a blank run between frames at full level).

A transition's level step is the median, over the blocks and channels, of the smooth residual of a frame
against its motion-compensated neighbour (`defects.Residual.level`): motion is taken out, so a pan into a
bright area does not step. Over every transition of the sample clips' shots (bikes, carphone,
bigbuckbunny) the step is at most 1.05 (0-255) and no ramp is found; carphone faded to black over 8, 15
and 30 frames steps a median 11.0, 5.8 and 2.9 a frame and each is named one fade on its frames
(`python benchmarks/fade_steps.py`, benchmarks/results/fade_steps). A ramp is a run of transitions stepping
the same way by `FADE_STEP` / 2 or more, `FADE_STEPS` of them by `FADE_STEP` or more.

A slower fade (2 s and over at 30 fps: carphone over 60 frames steps a median 1.5, over 90 frames 0.98)
steps less than that each frame, as much as a clip's own noise does at times; what sets it apart is that
it keeps stepping one way. A slow ramp: a run of at least half a second where the median step over the
second centred on each transition (`slow_ramps`) is `SLOW_STEP` or more one way. Over the sample clips'
transitions that median is at most 0.27 (carphone's last frames, where the second is cut short), a run
of half a second over SLOW_STEP none; carphone faded over 90 frames steps a median 0.97 (the benchmark's
last row) and is one fade on its frames; at 0.4 of its brightness (mean 38) it is named from its 10th
frame on (the steps before are under SLOW_STEP). A linear fade of a clip of mean level m steps about m /
its length, so one up to about m / SLOW_STEP frames long is named (an estimate, not measured). Ramps joined by blank frames (or touching) are one
fade. A fade is content, as a cut is: reported as an event, never repaired.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FADE_STEP = 2.0  # a ramp's least level step each transition (0-255): 1.9x the sample clips' largest, 1.05
FADE_STEPS = 3  # ... over at least this many transitions in a row (a flicker steps once or twice each way)
SLOW_STEP = 0.3  # a slow ramp: the median step over a second, at least (sample clips: at most 0.27)


def level_ramps(steps: Sequence[float]) -> list[tuple[int, int, int]]:
    """(first transition, last transition, sign) of each ramp: a run of transitions stepping the same way by
    FADE_STEP / 2 or more, FADE_STEPS of them by FADE_STEP or more (a fade's weaker steps, near black or
    where the picture is dark, stay in it rather than cutting it in pieces); `steps[k]` is transition
    k-1 -> k (steps[0] unused)."""
    out, k = [], 1
    while k < len(steps):
        sign = 1 if steps[k] >= FADE_STEP / 2 else -1 if steps[k] <= -FADE_STEP / 2 else 0
        e = k
        while sign and e + 1 < len(steps) and steps[e + 1] * sign >= FADE_STEP / 2:
            e += 1
        if sign and sum(steps[j] * sign >= FADE_STEP for j in range(k, e + 1)) >= FADE_STEPS:
            out.append((k, e, sign))
        k = e + 1
    return out


def second_medians(steps: Sequence[float], window: int) -> np.ndarray:
    """Each transition's median step over the `window` transitions centred on it, narrower near the ends
    (as many each side: a ramp not yet begun is not seen) down to 3 each side, 0 nearer (a median of a
    few steps is noise); steps[0] is no transition."""
    x = np.asarray(steps, np.float64)
    n, half = len(x), window // 2
    hs = [min(half, k - 1, n - 1 - k) for k in range(n)]
    return np.array([np.median(x[k - h : k + h + 1]) if h >= min(half, 3) else 0.0 for k, h in enumerate(hs)])


def slow_ramps(steps: Sequence[float], window: int) -> list[tuple[int, int, int]]:
    """(first transition, last transition, sign) of each slow ramp: a run of at least window / 2
    transitions whose median step over the `window` transitions centred on each (one second) is SLOW_STEP
    or more one way; one step alone (a cut, a flash) does not move a median."""
    if window < 2 or len(steps) <= window:
        return []
    med, half = second_medians(steps, window), window // 2
    out = []
    for sign in (1, -1):
        flags = list(med * sign >= SLOW_STEP)
        k = 1
        while k < len(flags):
            if not flags[k]:
                k += 1
                continue
            e = k
            while e + 1 < len(flags) and flags[e + 1]:
                e += 1
            if e - k + 1 >= max(FADE_STEPS, half):
                out.append((k, e, sign))
            k = e + 1
    return sorted(out)


def find_fades(
    steps: Sequence[float],
    blank: Sequence[bool],
    means: Sequence[float] | None = None,
    window: int = 0,
) -> list[tuple[list[int], str]]:
    """Each fade's frames and what it is: 'fade to black', 'fade from black', 'dip to black' (to it and
    back), the same with white where the blank frames are bright (`means`, 0-255), or 'fade' (a ramp
    alone: a fade or an exposure change). The frames are those off the level of the pictured frames
    around: a ramp over transitions s..e changes frames s..e and the blank ones it goes to, or, coming
    from blank frames, those and frames s-1..e-1 (frame e is at the level it reaches). `window`: a second's
    transitions, for `slow_ramps` (0: none looked for)."""
    n = len(blank)
    spans: list[list[int]] = []  # [first frame, last frame]
    for s, e, _ in sorted(level_ramps(steps) + slow_ramps(steps, window)):
        a, b = s, e
        if not (blank[e] or e + 1 < n and blank[e + 1]) and blank[s - 1]:
            a, b = s - 1, e - 1  # from blank: frame e is pictured
        while b + 1 < n and blank[b + 1]:
            b += 1  # the blank it goes to
        while a - 1 >= 0 and blank[a - 1]:
            a -= 1  # the blank it comes from
        if spans and a <= spans[-1][1] + 1:  # touching or overlapping (a slow ramp around a steep one)
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    out = []
    for a, b in spans:
        flat = [k for k in range(a, b + 1) if blank[k]]
        if not flat:
            out.append((list(range(a, b + 1)), "fade"))
            continue
        colour = "white" if means is not None and means[flat[0]] > 128 else "black"
        inside = flat[0] > a and flat[-1] < b  # pictured frames on both sides: to it and back
        what = "dip to" if inside else "fade to" if flat[0] > a else "fade from"
        out.append((list(range(a, b + 1)), f"{what} {colour}"))
    return out
