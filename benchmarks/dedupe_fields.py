"""The dedupe's repeat measure with one field (every 4th row from row 0) and with both (`field_diff`) on
bigbuckbunny's first frames: its pulldown duplicates and its slowest real motion, against the 0.2
threshold of `vidiff.timeline.frames_differ` (calibrated with one field; checked again with both).

    python benchmarks/dedupe_fields.py --frames 130 > benchmarks/results/dedupe_fields/results.md
"""

from __future__ import annotations

import argparse

import numpy as np

from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.timeline import field_diff, frames_differ


def one_field(a: np.ndarray, b: np.ndarray) -> float:
    """The measure before field_diff: every 4th pixel of rows 0, 4, 8, ... only."""
    return float(np.mean(np.abs(a[::4, ::4].astype(np.int16) - b[::4, ::4])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=130)
    n = ap.parse_args().frames
    frames = read_frames(sample_clip("bigbuckbunny"), n)
    pairs = list(zip(frames, frames[1:], strict=False))
    one = [one_field(a, b) for a, b in pairs]
    both = [field_diff(a, b) for a, b in pairs]
    dups = [i + 1 for i, (a, b) in enumerate(pairs) if not frames_differ(a, b)]
    real = [i for i in range(len(pairs)) if i + 1 not in dups]
    print(f"# Dedupe repeat measure, one field vs both (bigbuckbunny, first {len(frames)} frames)\n")
    print("| | one field | both fields |\n| --- | --- | --- |")
    print(f"| duplicates (both fields under 0.2) | {dups} | |")
    for i in dups:
        print(f"| frame {i} vs {i - 1} | {one[i - 1]:.3f} | {both[i - 1]:.3f} |")
    print(f"| slowest real motion | {min(one[i] for i in real):.3f} | {min(both[i] for i in real):.3f} |")


if __name__ == "__main__":
    main()
