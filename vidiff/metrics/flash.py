"""A damaged region in a flash: a frame whose level is off its neighbours' and back (a flicker, a flash)
and that also holds a region neither neighbour explains (a grey or noisy block of a damaged decode).

The corrupt test (`defects.DefectFinder.corrupt_blocks`) compares a frame's detail and texture with its
neighbours'; a brightness gain scales both over the whole picture and clips its highlights, so a frame at
twice the brightness was named corrupt, and flashes were left out of the test: a flash with a damaged
patch was named flicker only. Here the flash frame's thumbnail is first brought to its neighbours' levels
(`matched`: each channel's quartiles), its texture taken over its own gain (`gain_free_change`: the median
ratio to the neighbours', a patch under half the frame leaves it), and blocks the flash clipped more than
its neighbours are (`clipped_share`) left out: what remains is damage. Set on the battery's contents
(tests/defect_battery.py: carphone, bikes, slow_pan, bigbuckbunny, static_noise, dark_noisy) at frame
10, by a script not kept: the flash alone (+30 and -40 levels; x0.5, x1.5 and x2 brightness) scores at
most 4.6 (static_noise at x2) with these measures, the flash with a grey patch of a ninth of the frame
5.4-16.8 (named from 6.0: bigbuckbunny at x2 is missed; carphone at -40 scores 1.3, dark_noisy's flat
dark picture 0), with a patch of noise 16-45. FLASH_CORRUPT_SCORE sits between (the flash alone keeps
a margin of 1.3x; a damaged patch in a flash is rare). `tests/test_defect_battery.py` checks three
contents both ways. A flat fill's inside (`metrics.fill`: no texture where both neighbours have some, not
clipped) names a flash frame corrupt under that bar too, as no gain makes one: the grey patch in
bigbuckbunny at x2 and in carphone at -40 is named (none of the six contents' flashes alone above has a
filled block). dark_noisy's patch is not: its neighbours' texture there is 0.7-1.2, under `FILL_AROUND`.
"""

from __future__ import annotations

import numpy as np

FLASH_CORRUPT_SCORE = 6.0  # the corrupt score a flash frame's block needs (twice `CORRUPT_SCORE`)
CLIP_LOW, CLIP_HIGH = 5.0, 250.0  # a thumbnail pixel with a channel at or beyond these is clipped
CLIPPED_MORE = 0.2  # a block with this much more of its pixels clipped than either neighbour's: left out


def matched(thumb: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """`thumb` (float RGB) with each channel's median and interquartile range made `ref`'s."""
    out = np.empty_like(thumb)
    for ch in range(thumb.shape[-1]):
        q = np.percentile(thumb[..., ch], (25, 50, 75))
        r = np.percentile(ref[..., ch], (25, 50, 75))
        out[..., ch] = (thumb[..., ch] - q[1]) * ((r[2] - r[0]) / max(q[2] - q[0], 1e-3)) + r[1]
    return np.clip(out, 0.0, 255.0)


def clipped_share(thumb: np.ndarray, grid: int) -> np.ndarray:
    """(grid, grid) share of each block's pixels with a channel clipped (at or beyond CLIP_LOW/CLIP_HIGH)."""
    m = ((thumb.max(axis=-1) >= CLIP_HIGH) | (thumb.min(axis=-1) <= CLIP_LOW)).astype(np.float32)
    h, w = m.shape
    return m.reshape(grid, h // grid, grid, w // grid).mean(axis=(1, 3))


def gain_free_change(before: np.ndarray, mine: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The corrupt test's texture change of a frame (`mine`, per block) against its neighbours', its own
    gain (the median ratio of its texture to theirs) taken out first."""
    gain = float(np.median(mine / np.maximum((before + after) / 2, 1e-3)))
    b = mine / max(gain, 1e-3)
    return np.maximum(b / (np.maximum(before, after) + 2.0), np.minimum(before, after) / (b + 2.0))
