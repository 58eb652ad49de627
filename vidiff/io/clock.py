"""A clip's first frame on a player's clock. A player counts from the file's start, the earliest of its
streams (mpv and VLC show that as 0:00; `ffmpeg -ss` counts from it too), not from the first frame: in a
recording cut inside a group of pictures, or an .mov whose sound starts before the picture, the audio
comes first and the first frame is shown some time in. vidiff's reports (`vidiff metrics`, `infill`'s
list of repairs) give times on that clock, as the files it writes keep the picture's delay after the
sound (`vidiff.io.writer`, the same rule: audio streams only, a negative start being codec priming).
A clip whose video starts first, or has no audio, is on the same clock as before: its first frame at 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction


def first_frame_at(video_start: float, audio_starts: Iterable[float]) -> float:
    """Seconds from the file's start (its earliest stream) to the first frame shown, given where the video
    and the audio streams start (seconds, the container's stamps); 0 where the video starts first."""
    earliest = min([video_start, *(max(0.0, a) for a in audio_starts)])
    return round(max(0.0, video_start - earliest), 6)


def clock_shift(first_at: float) -> Fraction:
    """`first_at` (a `VideoInfo`'s, to the microsecond) as an exact Fraction, to add to frame times."""
    return Fraction(round(first_at * 1_000_000), 1_000_000)
