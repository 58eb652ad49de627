"""Whether a Matroska or WebM file ends inside a block of its video track (a recording or download cut
short in its last frame).

FFmpeg's Matroska demuxer drops a block that the file ends inside without a word: the cut frame was
lost and the reader said nothing, where a cut .mp4, .h264 or .hevc gives the one damage line. After the
last video packet demuxed, `block_cut` walks the EBML elements to the end of the file: a SimpleBlock or
Block of the video track whose stated size runs past the end is a frame cut short. A file cut inside the
index (Cues) or tags after its last frame, or inside another track's block, has lost no video frame.
"""

from __future__ import annotations

import os

CLUSTER, BLOCK_GROUP = 0x1F43B675, 0xA0  # masters whose children are read (blocks are inside them)
BLOCKS = {0xA3, 0xA1}  # SimpleBlock, Block: a frame of a track
CONTAINERS = ("matroska", "webm")  # libavformat's names (of "matroska,webm")
_TAIL = 1 << 20  # bytes read after the last packet at most (a whole file's index may follow)


def block_cut(path: str, container: str, pos: int, size: int) -> bool:
    """True where `path` (a `container` of `CONTAINERS`) ends inside a block of the track of its last
    video packet (`pos`: where its block's fields start, the track number first; `size`: its frame's
    bytes)."""
    if container.split(",")[0] not in CONTAINERS or pos < 0 or size <= 0:
        return False
    try:
        with open(path, "rb") as f:
            f.seek(pos)
            track = _vint(f.read(8), 0, marker=False)
            if track is None:
                return False
            after = pos + track[1] + 3 + size  # (the block: track, 16-bit time, flags, then the frame)
            end = os.fstat(f.fileno()).st_size
            f.seek(after)
            rest = f.read(_TAIL)
    except OSError:
        return False
    if len(rest) < end - after:  # (more follows than is read: not near the end)
        return False
    return _cut_in(rest, track[0])


def _cut_in(data: bytes, track: int) -> bool:
    """Whether the elements of `data` (up to the end of the file) end inside a block of `track`."""
    at = 0
    while at < len(data):
        eid = _vint(data, at, marker=True)
        if eid is None:
            return False  # (cut inside an element's header: which track it was cannot be told)
        length = _vint(data, eid[1], marker=False)
        if length is None:
            return False
        start, n = length[1], length[0]
        if eid[0] in (CLUSTER, BLOCK_GROUP):
            at = start  # (its children are read in turn; an unknown size too)
            continue
        if start + n <= len(data):
            at = start + n
            continue
        if eid[0] in BLOCKS:
            own = _vint(data, start, marker=False)
            return own is not None and own[0] == track
        return False
    return False


def _vint(data: bytes, at: int, marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `at`: (value, where the next field starts), an element ID with
    its length marker kept (`marker`); None where `data` ends inside it or it is invalid."""
    if at >= len(data) or data[at] == 0:
        return None
    width = 8 - data[at].bit_length() + 1
    if at + width > len(data):
        return None
    value = int.from_bytes(data[at : at + width], "big")
    if not marker:
        value &= (1 << (7 * width)) - 1
    return value, at + width
