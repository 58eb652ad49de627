"""Fades: the picture's level ramping steadily down or up over several frames (a fade to or from black, a
dip through black, an exposure change), told apart from flicker (a level off and back within a frame or
two) and from black frames dropped into footage (a blank run between frames at full level).

A transition's level step is the median, over the blocks and channels, of the smooth residual of a frame
against its motion-compensated neighbour (`defects.Residual.level`): motion is taken out, so a pan into a
bright area does not step. Over every transition of the sample clips' shots (bikes, carphone,
bigbuckbunny) the step is at most 1.05 (0-255) and no ramp is found; carphone faded to black over 8, 15
and 30 frames steps a median 11.0, 5.8 and 2.9 a frame and each is named one fade on its frames
(`python benchmarks/fade_steps.py`, benchmarks/results/fade_steps). A fade over 60 frames (2 s at 30 fps)
steps a median 1.5: not named (nor is anything else in it). A ramp
is a run of transitions stepping the same way by `FADE_STEP` / 2 or more, `FADE_STEPS` of them by
`FADE_STEP` or more; ramps joined by blank frames (or touching) are one fade. A fade is content, as a cut is: reported as an event,
never repaired.
"""

from __future__ import annotations

from collections.abc import Sequence

FADE_STEP = 2.0  # a ramp's least level step each transition (0-255): 1.9x the sample clips' largest, 1.05
FADE_STEPS = 3  # ... over at least this many transitions in a row (a flicker steps once or twice each way)


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


def find_fades(
    steps: Sequence[float], blank: Sequence[bool], means: Sequence[float] | None = None
) -> list[tuple[list[int], str]]:
    """Each fade's frames and what it is: 'fade to black', 'fade from black', 'dip to black' (to it and
    back), the same with white where the blank frames are bright (`means`, 0-255), or 'fade' (a ramp
    alone: a fade or an exposure change). The frames are those off the level of the pictured frames
    around: a ramp over transitions s..e changes frames s..e and the blank ones it goes to, or, coming
    from blank frames, those and frames s-1..e-1 (frame e is at the level it reaches)."""
    n = len(blank)
    spans: list[list[int]] = []  # [first frame, last frame]
    for s, e, _ in level_ramps(steps):
        a, b = s, e
        if not (blank[e] or e + 1 < n and blank[e + 1]) and blank[s - 1]:
            a, b = s - 1, e - 1  # from blank: frame e is pictured
        while b + 1 < n and blank[b + 1]:
            b += 1  # the blank it goes to
        while a - 1 >= 0 and blank[a - 1]:
            a -= 1  # the blank it comes from
        if spans and a <= spans[-1][1] + 1:
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
