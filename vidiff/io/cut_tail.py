"""Whether a file's last coded frame is cut short, where its decoder does not say so.

A recording stopped mid-write (a camera's battery, a killed capture, a download cut) ends inside its last
frame's packet. The H.264, MPEG-2, MPEG-4 and H.263 decoders conceal the missing part and flag the frame
corrupt (`vidiff.io.reader` leaves it out with the one damage line); others decode it without a word:

- HEVC in a raw stream (.hevc, .h265) and raw Motion JPEG (.mjpeg): the stream states no frame sizes,
  and the decoder reads past the cut as if the data went on (zeros). A whole frame's picture does not
  depend on bytes after its end (its entropy coder stops where its data does; a JPEG ends at its EOI
  marker); a cut one's does. `cut_position` decodes the last group of pictures twice, as it is and with
  bytes appended to its last packet: the frame that changes is the cut one (HEVC's B-frames show it
  before frames decoded ahead of it, so it need not be the last shown).
- A container that states each frame's size (IVF, MP4 or MOV with its index first) hands the cut frame's
  packet over short, flagged corrupt (`Packet.is_corrupt`); VP9 in IVF or MP4 decoded it
  as if whole. Without B-frames (`has_b_frames`), that packet's frame is the last shown.
"""

from __future__ import annotations

import zlib
from typing import Any

import av
import numpy as np

from vidiff.io.file_key import file_key
from vidiff.io.probe import open_container, video_stream
from vidiff.io.stamps import REORDER

RAW_CHECKED = frozenset({"hevc", "mjpeg"})  # raw streams whose decoder conceals a cut frame without a flag
DEPTH = REORDER + 1  # frames the reader holds back until the file ends: a cut one is among them
_FOUND: dict[tuple[str, int, int], int | None] = {}  # (file, size, mtime) -> its `cut_position`
_PAD = b"\x55" * 64  # appended to a last packet: no start code, no JPEG marker or fill byte (0xff)


def cut_frame(tail: list[Any], path: str, container: str, short: bool, reorders: int) -> int | None:
    """Which of a clip's last frames (`tail`: the reader's, in the order shown, each `image` the decoded
    `av.VideoFrame`) its cut last packet decoded to: its place in `tail`; -1 where the last packet came
    `short` but a codec that `reorders` frames (B-frames: up to that many shown after the last decoded)
    does not say which it is (the damage is said, nothing left out); None where nothing is cut. The one
    frame the decoder concealed among the last `reorders` + 1 is the cut one (the last packet's: a raw
    .m2v's or an MPEG-TS recording's B-frame, shown before the last frame, was used without a word)."""
    if not tail:
        return None
    if tail[-1].image.is_corrupt:  # the decoder concealed it (H.264, MPEG-2, MPEG-4, H.263)
        return len(tail) - 1
    hidden = [i for i in range(max(0, len(tail) - reorders - 1), len(tail)) if tail[i].image.is_corrupt]
    if len(hidden) == 1:
        return hidden[0]
    if container in RAW_CHECKED:
        k = found_position(path)
        if k is not None and k < len(tail):
            return len(tail) - 1 - k
    if short:
        return -1 if reorders else len(tail) - 1
    return None


def found_position(path: str) -> int | None:
    """`cut_position`, once per file and process (each pass over a file reads its tail: the planning
    pass, the writing pass, a worker's)."""
    key = file_key(path)
    if key is None:
        return None
    if key not in _FOUND:
        _FOUND[key] = cut_position(path)
    return _FOUND[key]


def cut_position(path: str) -> int | None:
    """For a raw stream (`RAW_CHECKED`): where the frame its last packet decodes to is shown, counted from
    the end (0: the last frame), when that packet is cut short; None when it is whole or was not checked
    (a packet that does not decode is another damage, found by the reader)."""
    try:
        with open_container(path) as c:
            vs = video_stream(c)
            if vs is None or c.format.name.split(",")[0] not in RAW_CHECKED:
                return None
            name = vs.codec_context.name
            first: bytes | None = None  # the first packet: a raw HEVC stream's parameter sets
            gop: list[bytes] = []  # the packets from the last keyframe on
            for pkt in c.demux(vs):
                if not pkt.size:
                    continue
                data = bytes(pkt)
                if first is None:
                    first = data
                if pkt.is_keyframe:
                    gop = []
                gop.append(data)
        if not gop or first is None:
            return None
        packets = gop if gop[0] is first else [first, *gop]
        whole, padded = _crcs(name, packets, b""), _crcs(name, packets, _PAD)
    except (av.error.FFmpegError, ValueError, OSError):
        return None
    if len(whole) != len(padded):
        return None
    changed = [j for j, (a, b) in enumerate(zip(whole, padded, strict=True)) if a != b]
    return len(whole) - 1 - changed[0] if len(changed) == 1 else None


def _crcs(codec: str, packets: list[bytes], pad: bytes) -> list[int]:
    """CRC-32 of each frame `packets` decode to (in the order shown), the last packet with `pad` after it."""
    cc = av.CodecContext.create(codec, "r")
    out: list[int] = []
    for i, data in enumerate(packets):
        pkt = av.Packet(data + pad if i == len(packets) - 1 else data)
        out += [_crc(f) for f in cc.decode(pkt)]
    out += [_crc(f) for f in cc.decode(None)]
    return out


def _crc(frame: av.VideoFrame) -> int:
    """CRC-32 of a frame's samples (each row's, not the padding after it, which no decoder writes)."""
    size = 2 if max(c.bits for c in frame.format.components) > 8 else 1
    crc = 0
    for plane in frame.planes:
        rows = np.frombuffer(plane, np.uint8)[: plane.line_size * plane.height].reshape(plane.height, -1)
        crc = zlib.crc32(np.ascontiguousarray(rows[:, : plane.width * size]).data, crc)
    return crc
