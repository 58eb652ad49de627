"""DVD subtitles (dvd_subtitle, VobSub) re-timed for slow motion: the display times inside each packet.

A copied subtitle packet is moved onto the output's timeline by its pts and duration (`vidiff.io.streams`).
PGS (Blu-ray) subtitles end with a packet of their own, so their times stretch with it; a DVD subtitle
unit (SPU) says in its control sequences when to show and when to clear its picture, in ticks of 1024/90000
s after its pts, and decoders and players take those: a cue slowed 2x still disappeared after its
original length. `stretch_spu` scales those dates by 1 / speed. A packet that is not one whole SPU (a
fragment of an MPEG-PS stream) is left as it is.
"""

from __future__ import annotations

from fractions import Fraction

MAX_DATE = 0xFFFF  # a control sequence's date is 16 bits


def stretch_spu(data: bytes, speed: Fraction) -> bytes:
    """A DVD subtitle unit `data` with its control sequences' dates divided by `speed` (capped at
    `MAX_DATE`); `data` unchanged when it is not one well-formed SPU."""
    n = len(data)
    if n < 8 or int.from_bytes(data[0:2], "big") != n:
        return data
    out = bytearray(data)
    off, seen = int.from_bytes(data[2:4], "big"), set()
    while 4 <= off <= n - 4 and off not in seen:
        seen.add(off)
        date = int.from_bytes(data[off : off + 2], "big")
        out[off : off + 2] = min(MAX_DATE, round(date / speed)).to_bytes(2, "big")
        nxt = int.from_bytes(data[off + 2 : off + 4], "big")
        if nxt == off:  # the last sequence points at itself
            return bytes(out)
        off = nxt
    return data  # a chain that leaves the unit or loops: not an SPU to touch
