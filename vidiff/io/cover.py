"""A source's cover art (an attached picture: a downloaded episode's or a music video's thumbnail) carried
to the output.

An .mp4 or .mov holds its cover as a one-picture video stream marked as an attached picture, a .mkv as
an image attachment (FFmpeg shows both as such a stream). vidiff never takes it for the clip
(`vidiff.io.probe.video_stream`), but wrote none either, so a file manager or a player showed the
output with no thumbnail. It is now copied as it is (no re-encode): into an .mp4 as an attached picture,
into a .mkv as an image attachment. A .mov (FFmpeg's muxer writes no cover there), a WebM, a GIF and
image frames hold none.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import av
from av.stream import Disposition

from vidiff.io.probe import open_container

MIME = {"mjpeg": "image/jpeg", "png": "image/png"}  # the picture codecs a .mkv attachment takes
_SCAN = 64  # packets read to find the picture: FFmpeg hands attached pictures out first


@dataclass(frozen=True)
class Cover:
    """A source's attached picture: its bytes and codec, and the stream it is in (for a copy's template)."""

    data: bytes
    codec: str
    index: int


def read_cover(c: av.container.InputContainer) -> Cover | None:
    """The first attached picture of an open source (at its start), or None."""
    pics = {
        s.index: s for s in c.streams.video if s.disposition & Disposition.attached_pic and s.codec_context
    }
    if not pics:
        return None
    try:
        for n, pkt in enumerate(c.demux(*pics.values())):
            if pkt.size and pkt.stream.index in pics:
                return Cover(bytes(pkt), pkt.stream.codec_context.name, pkt.stream.index)
            if n >= _SCAN:
                break
    except av.error.FFmpegError:
        pass
    return None


def holds_cover(fmt: str) -> bool:
    """True for an output format vidiff writes a cover into (.mp4, .m4v, .mkv; FFmpeg's .mov muxer
    writes none)."""
    return fmt in ("mp4", "matroska")


class CoverMuxer:
    """Puts a `Cover` into an output: an attachment before its header (.mkv), or a stream whose one
    packet is muxed at `finish` (.mp4: its muxer writes it at the end)."""

    def __init__(self, cover: Cover, source: str, out: av.container.OutputContainer) -> None:
        self.cover = cover
        self._stream: av.stream.Stream | None = None
        if out.format.name == "matroska":
            if cover.codec in MIME:
                ext = "jpg" if cover.codec == "mjpeg" else cover.codec
                out.add_attachment(f"cover.{ext}", MIME[cover.codec], cover.data)
            return
        with open_container(source) as src:
            self._stream = out.add_stream_from_template(src.streams[cover.index])
        self._stream.disposition = Disposition.attached_pic

    def finish(self, out: av.container.OutputContainer) -> None:
        if self._stream is None:
            return
        pkt = av.Packet(self.cover.data)
        pkt.stream, pkt.pts, pkt.dts = self._stream, 0, 0
        pkt.is_keyframe = True
        with contextlib.suppress(av.error.FFmpegError):  # one the muxer will not take: extras never fail
            out.mux(pkt)
        self._stream = None
