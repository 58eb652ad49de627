#!/usr/bin/env python
"""sha256 of the frames `diffusion` and `fuse` make on carphone's first 30 frames (29 pairs, t = 0.25, 0.5,
0.75): run at two commits, equal digests mean the CPU path's frames did not change by a byte.

Usage: python benchmarks/frame_hashes.py [STACK]   (STACK: auto, the default, or cpu / gpu)
"""

import hashlib
import sys

from vidiff.flow import get_interpolator
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip

fr = read_frames(sample_clip("carphone_pristine"), max_frames=30)
for name in ("diffusion", "fuse"):
    it = get_interpolator(name, **(dict(stack=sys.argv[1]) if len(sys.argv) > 1 else {}))
    h = hashlib.sha256()
    for a, b in zip(fr[:-1], fr[1:], strict=True):
        for o in it.interpolate(a, b, [0.25, 0.5, 0.75]):
            h.update(o.tobytes())
    print(name, h.hexdigest())
