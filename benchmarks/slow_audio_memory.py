#!/usr/bin/env python
"""Memory of the slow-motion audio track: made whole in memory (`AudioTrack.from_file(tempo=...)`) or
streamed as the output is written (`vidiff.io.slow_audio.SlowedAudio`), on one input.

Writes a stereo 48 kHz AAC file of noise (--seconds, default 120) into a temporary folder, then, in a
fresh process for each way, makes the track slowed by --tempo (default 0.25) and prints the samples made
and how much the process's peak resident memory grew (ru_maxrss).

Usage: .venv/bin/python benchmarks/slow_audio_memory.py [--seconds 120] [--tempo 0.25]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import av
import numpy as np

CHILD = """
import resource, sys, time
from vidiff.io.audio import AudioTrack
from vidiff.io.slow_audio import SlowedAudio
way, path, tempo = sys.argv[1], sys.argv[2], float(sys.argv[3])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if way == "streamed":
    n = sum(x.shape[1] for x in SlowedAudio(path, tempo).chunks())
else:
    n = AudioTrack.from_file(path, fade_in=0, fade_out=0, tempo=tempo).samples.shape[1]
grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(f"{way:8s} {n} samples, peak RSS grew {grew:.0f} MiB, {time.perf_counter() - t:.1f} s")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--tempo", type=float, default=0.25)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "noise.m4a")
        rng = np.random.default_rng(0)
        with av.open(path, "w") as c:
            a = c.add_stream("aac", rate=48000)
            a.layout = "stereo"
            for k in range(0, 48000 * args.seconds, 1024):
                x = (0.1 * rng.standard_normal((2, 1024))).astype(np.float32)
                f = av.AudioFrame.from_ndarray(x, format="fltp", layout="stereo")
                f.sample_rate, f.pts = 48000, k
                c.mux(a.encode(f))
            c.mux(a.encode(None))
        print(f"{args.seconds} s of stereo 48 kHz AAC, tempo {args.tempo}")
        for way in ("whole", "streamed"):
            subprocess.run([sys.executable, "-c", CHILD, way, path, str(args.tempo)], check=True)


if __name__ == "__main__":
    main()
