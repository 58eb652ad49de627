#!/usr/bin/env python
"""Where the default method's time goes at 1280x720 on the CPU: timers per stage and cProfile of one window of
2 pairs of bigbuckbunny (usage: python benchmarks/profile_default.py)."""

import cProfile
import pstats
import time

from vidiff.diffusion.interpolator import DiffusionInterpolator
from vidiff.diffusion.prior import window_prior
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip

fr = read_frames(sample_clip("bigbuckbunny"), max_frames=3)
it = DiffusionInterpolator(engine="torch")
it.interpolate_window(fr, [0, 1, 2], [0.5, 1.5])  # warm-up
st = it.model.stack()
t0 = time.perf_counter()
f = st.dis.flows(fr[0], fr[1])
t1 = time.perf_counter()
r = st.rife.interpolate(fr[0], fr[1], [0.5])
t2 = time.perf_counter()
window_prior([fr[0], fr[1], None], [0, 1, 0.5], [True, True, False], st)
t3 = time.perf_counter()
pr = cProfile.Profile()
pr.enable()
t4 = time.perf_counter()
it.interpolate_window(fr, [0, 1, 2], [0.5, 1.5])
t5 = time.perf_counter()
pr.disable()
print(
    f"per made frame: whole {(t5 - t4) / 2:.3f} s; DIS flows (pair) {t1 - t0:.3f}; RIFE frame {t2 - t1:.3f}; whole prior stack {t3 - t2:.3f}; rest (U-Net, codec, transfers) {(t5 - t4) / 2 - (t3 - t2):.3f}"
)
pstats.Stats(pr).sort_stats("tottime").print_stats(12)
