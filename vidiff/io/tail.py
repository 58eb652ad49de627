"""How long a clip's last frame is shown, and so where the clip ends: one rule for the probe (a clip's
duration and rate), the animated-WebP reader, and the runs (where an upscale or infill output ends).

A frame is shown until the next one comes; the last one until the time its file states: a GIF's or an
animated WebP's frame delay, the last video packet's duration (an .mp4 sample's, a Matroska block's),
else the video stream's duration. A held last frame (a meme's final second, a screen recording that
stops on a still) lasts that long. Taken as one frame at the clip's rate, it was cut: the output was
shorter than the input and the audio ran past the picture; and an .mp4's or a GIF's stated rate (frames
over duration) counted the hold, so a 10 fps GIF holding its last frame 1 s was called 3.1 fps. A stated
span of up to a frame and a quarter is one frame (a muxer's rounding); where none is stated, one frame.

In an animation (GIF, animated WebP or PNG) a frame's delay is authored: a long one is a still, as a run
of repeated frames is (`hold_step`); in a video a gap between stamps may be frames lost, and is
interpolated across.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidiff.io.probe import VideoInfo

ANIMATIONS = ("gif", "webp", "apng")  # containers whose frame delays are authored (`hold_step`)
ONE_FRAME = Fraction(5, 4)  # a last frame stated to last up to this many frames lasts one (rounding)


def held_end(last: Fraction, stated: Fraction | None, fps: Fraction) -> Fraction | None:
    """Where a clip ends (seconds from its first frame) whose last frame, at `last`, is stated to be shown
    until `stated`, where that is longer than one frame at `fps`; else None (one frame after it)."""
    if stated is None or stated - last <= ONE_FRAME / fps:
        return None
    return stated


def clip_rate(rate: Fraction, n: int, last: Fraction, stated: Fraction | None) -> Fraction:
    """The rate of a clip of `n` frames, its last at `last` (seconds from the first) and stated to be
    shown until `stated`: `rate` (the file's), or the frames' own average rate ((n - 1) / last) where the
    file's is lower and the last frame is held (the file's is then frames over a duration that counts
    the hold: not the rate the frames come at)."""
    if n < 2 or last <= 0:
        return rate
    own = Fraction(n - 1) / last
    if held_end(last, stated, own) is None or rate >= own * Fraction(99, 100):
        return rate
    return own.limit_denominator(1001 * 1000)


def clip_end(info: VideoInfo, last_time: Fraction) -> Fraction:
    """Where a run's output over `info`'s clip ends, its last decoded frame at `last_time` (seconds from
    the first): one frame at the clip's rate after it, or where the file states its last frame ends
    (`VideoInfo.end`), whichever is later. A held last frame is repeated up to there, and where a file's
    last frames do not decode, its last decoded frame stands in for them: the output lasts as long as
    the input."""
    return max(last_time + 1 / info.fps, info.end or Fraction(0))


def hold_step(info: VideoInfo) -> Fraction | None:
    """For `vidiff.timeline.keyframes`: an animation's frame duration (a frame shown longer than a few of
    them is held still, as the same frame repeated would be), else None (a video's gap: interpolated)."""
    return 1 / info.fps if info.container in ANIMATIONS else None
