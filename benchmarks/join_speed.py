#!/usr/bin/env python
"""Milliseconds per frame of the join alone (decode the lossless segments, encode the output): 120 frames of
bigbuckbunny at 1280x720 (its first 60, then backwards) in segments of 24, three runs, wall time and CPU time
over wall time (how many cores it kept busy). Compare commits by running it on each.

Usage: python benchmarks/join_speed.py [PRESET]   (default medium; the output's x264 preset)
"""

import shutil
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_check import load_frames  # noqa: E402

from vidiff.io.samples import sample_clip  # noqa: E402
from vidiff.io.segments import ResumableWriter  # noqa: E402

preset = sys.argv[1] if len(sys.argv) > 1 else "medium"
frames = load_frames(str(sample_clip("bigbuckbunny")), 60, (1280, 720))
frames += frames[::-1]
runs = []
for r in range(3):
    out = Path(f"/tmp/vidiff_join_speed_{r}.mp4")
    wr = ResumableWriter(out, 1280, 720, Fraction(25), key={"r": r}, segment_frames=24, preset=preset)
    for f in frames:
        wr.write(f)
    wr._settle()
    wr._sink.finish()
    counts = [wr.done[k] for k in range(len(wr.done))]
    t, c = time.perf_counter(), time.process_time()
    wr._join(counts)
    runs.append((time.perf_counter() - t, time.process_time() - c))
    wr._lock.release()
    shutil.rmtree(wr.work)
    out.unlink()
print(f"{preset}: join ms/frame {[round(w / len(frames) * 1000, 1) for w, _ in runs]}, "
      f"cpu/wall {[round(c / w, 2) for w, c in runs]}")  # fmt: skip
