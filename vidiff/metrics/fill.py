"""A flat fill: blocks of a frame with no texture at all where both neighbours have some (a grey or green
block of a damaged decode, concealment by one colour).

The corrupt test (`defects.DefectFinder._corrupt`) needs its region over `CORRUPT_MIN_AREA` of the frame,
counted as the blocks scoring half its bar: a flat patch lowers the detail residual only at its hard edges,
so inside it blocks score little, and on a small frame the edges are a block or two. A grey patch of a
ninth of carphone (176x144, frame 10 of tests/defect_battery.py) scored 5.4 at one block, its region 1.4%
of the frame: under the minimum, and the skip test named the frame's two transitions jumps. Its inside
blocks have no texture at all (`fine_texture` 0.0, the neighbours 3.8-7.9 there), which footage does not
do from one frame to the next unless clipped (a blown highlight, left out as in `metrics.flash`). Such
blocks count towards the region's area; the frame must still clear the corrupt score elsewhere.
"""

from __future__ import annotations

import numpy as np

FILL_TEXTURE = 0.1  # a filled block: `fine_texture` (0-255) under this, one value throughout
FILL_AROUND = 2.0  # ... where both neighbours' texture is at least this (footage, not a flat wall)


def filled_blocks(before: np.ndarray, mine: np.ndarray, after: np.ndarray, clipped: np.ndarray) -> np.ndarray:
    """(FINE_GRID, FINE_GRID) bool: blocks of `mine` (fine textures) with no texture where `before` and
    `after` have some, leaving out blocks the frame clipped more than its neighbours (`clipped`, bool, the
    same shape)."""
    return (mine < FILL_TEXTURE) & (np.minimum(before, after) >= FILL_AROUND) & ~clipped
