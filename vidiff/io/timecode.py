"""A source's start timecode (a camera's or an editor's, HH:MM:SS:FF) carried to the output.

A .mov from a camera or an editor holds a timecode track (tmcd) naming its first frame, which an edit
suite lines the clip up by; FFmpeg shows it as the `timecode` tag of the video (and of the tmcd stream;
an MXF has it in the file's tags). vidiff wrote no timecode, so an upscaled clip lost its place. It is
now given to the output's video stream, where FFmpeg's .mov and .mp4 muxers write it as a tmcd track
(a Matroska or WebM output holds none: FFmpeg's muxer writes no timecode there).

The frames field counts frames at the clip's rate, so at another output rate it is counted at that one:
01:00:00:12 at 24 fps is 01:00:00:24 at 48 fps (half a second either way; rounded to the nearest frame
where the rates do not divide). A drop-frame timecode (`;`, 29.97 and 59.94 fps) stays drop-frame only
at a rate that has it. A timecode that does not parse is left out rather than risk the output's header.

The timecode names the frame at the timecode track's start (a .mov's tmcd track; else the file's start),
and the output's first frame is the source's first frame a decoder shows: a recording cut inside a GOP
starts at its first keyframe, later than that. Its timecode is moved on by the frames between
(`shown_timecode`); it named the undecodable frames' time, so the output was stamped that much early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{1,3})$")


def find_timecode(tag_sets: Iterable[Mapping[str, str]]) -> str | None:
    """The first `timecode` tag among `tag_sets` (the video stream's, the data streams', the file's)."""
    for tags in tag_sets:
        for k, v in tags.items():
            if k.lower() == "timecode" and v:
                return str(v).strip()
    return None


def base(rate: Fraction) -> int:
    """The whole frame count a second of timecode has at `rate` (30 for 29.97, as FFmpeg rounds it)."""
    return max(1, round(rate))


def retime(tc: str | None, src: Fraction | None, out: Fraction | None) -> str | None:
    """Timecode `tc` of a clip at rate `src` as it reads at rate `out`, or None (none given, a rate
    unknown, or a timecode that does not parse: HH:MM:SS:FF, ';' for drop-frame)."""
    m = _TC.match(tc or "")
    if m is None or not src or not out or src <= 0 or out <= 0:
        return None
    hh, mm, ss, sep, ff = m.groups()
    b_src, b_out = base(src), base(out)
    if int(mm) > 59 or int(ss) > 59 or int(ff) >= b_src:
        return None
    carry, frames = divmod(
        int(Fraction(int(ff) * b_out, b_src) + Fraction(1, 2)), b_out
    )  # nearest frame; a whole second carries
    total = (int(hh) * 60 + int(mm)) * 60 + int(ss) + carry
    h, rest = divmod(total, 3600)
    drop = sep in ";," and b_out % 30 == 0 and out.denominator == 1001
    return f"{h % 24:02d}:{rest // 60:02d}:{rest % 60:02d}{';' if drop else ':'}{frames:02d}"


def _frame_number(hh: int, mm: int, ss: int, ff: int, b: int, drop: int) -> int:
    """The frame count of a timecode at `b` frames a second, `drop` frame numbers left out each minute
    but every tenth (drop-frame: 2 at 29.97, 4 at 59.94; 0: none)."""
    minutes = 60 * hh + mm
    return (3600 * hh + 60 * mm + ss) * b + ff - drop * (minutes - minutes // 10)


def _timecode(n: int, b: int, drop: int, sep: str) -> str:
    """The timecode of frame count `n` (`_frame_number`'s inverse), wrapping at 24 hours."""
    if drop:
        per_ten, per_minute = b * 600 - 9 * drop, b * 60 - drop
        tens, rest = divmod(n, per_ten)
        n += 9 * drop * tens + (drop * ((rest - drop) // per_minute) if rest > drop else 0)
    secs, ff = divmod(n, b)
    return f"{secs // 3600 % 24:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{sep}{ff:02d}"


def timecode_start(c: Any) -> Fraction:
    """Where a container's timecode counts from (seconds): its tmcd track's start, else the file's."""
    for d in c.streams.data:
        if any(k.lower() == "timecode" for k in d.metadata) and d.start_time is not None:
            return Fraction(d.start_time) * d.time_base
    return Fraction(c.start_time, 1_000_000) if c.start_time else Fraction(0)


def shown_timecode(tc: str | None, rate: Fraction | None, shift: Fraction) -> str | None:
    """Timecode `tc` (at `rate`) moved on by `shift` seconds, to the nearest frame: the timecode of the
    first frame shown where it lies `shift` after the timecode's start (module docstring); `tc` as it is
    where it does not parse, the rate is unknown or there is no shift."""
    m = _TC.match(tc or "")
    if m is None or not rate or rate <= 0 or shift <= 0:
        return tc
    hh, mm, ss, sep, ff = (int(g) if g.isdigit() else g for g in m.groups())
    b = base(rate)
    drop = b // 15 if sep in ";," and b % 30 == 0 else 0
    if mm > 59 or ss > 59 or ff >= b:
        return tc
    n = _frame_number(hh, mm, ss, ff, b, drop) + int(shift * rate + Fraction(1, 2))
    return _timecode(n, b, drop, sep)
