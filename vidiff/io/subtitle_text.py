"""Text subtitles converted into the text codec an output container holds, where a copy cannot go.

An .mp4 or .mov holds only mov_text, a .webm only WebVTT, and Matroska no mov_text: SubRip or ASS into an
.mp4, mov_text into an .mkv, were left out. Every text codec FFmpeg decodes gives its cues as ASS events
(the dialogue text with its style name), and every text encoder takes them back, so such a stream is
decoded cue by cue and encoded as the container's own (`text_codec`: `TEXT_CODECS`, else the muxer's
default), each cue at its time. What the target codec cannot say is lost on the way (ASS positioning and
effects into mov_text or WebVTT: the text and basic styling stay). Bitmap subtitles (DVD, PGS, DVB) are
pictures; with no text to carry they stay left out.
"""

from __future__ import annotations

import io
from fractions import Fraction

import av
from av.subtitles.subtitle import SubtitleSet

# output format -> the text subtitle codec it holds (Matroska: its muxer's default, ASS)
TEXT_CODECS = {"mp4": "mov_text", "mov": "mov_text", "ipod": "mov_text", "webm": "webvtt", "matroska": "ass"}
MS = Fraction(1, 1000)  # the converted cues' time base


def is_text(s: av.stream.Stream) -> bool:
    """True for a subtitle stream of text (SubRip, ASS, mov_text, WebVTT...), not pictures."""
    try:
        return bool(av.codec.Codec(s.codec_context.name, "r").text_sub)
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False


def text_codec(fmt: str, s: av.stream.Stream) -> str | None:
    """The text codec a `fmt` container takes that text subtitle stream `s` can be converted into (a
    trial header, in memory), or None (pictures, or no text codec there)."""
    codec = TEXT_CODECS.get(fmt)
    if codec is None or not is_text(s):
        return None
    try:
        with av.open(io.BytesIO(), "w", format=fmt) as trial:
            o = trial.add_stream(codec)
            o.codec_context.time_base = MS
            o.codec_context.subtitle_header = DEFAULT_HEADER
            trial.start_encoding()
    except (ValueError, av.error.FFmpegError):
        return None
    return codec


class SubtitleConverter:
    """Re-encodes one source text subtitle stream's cues as `codec` in an output stream it adds to `out`."""

    def __init__(self, src: av.stream.Stream, out: av.container.OutputContainer, codec: str) -> None:
        self.src = src.codec_context
        if not self.src.is_open:
            self.src.open()  # its ASS header (styles), which the encoder takes too
        self.stream = out.add_stream(codec)
        self.stream.codec_context.time_base = MS
        self.stream.codec_context.subtitle_header = self.src.subtitle_header or DEFAULT_HEADER

    def packets(self, pkt: av.Packet, start: Fraction, duration: Fraction) -> list[av.Packet]:
        """The output packets of source packet `pkt`: each cue it decodes to, shown from `start` for
        `duration` (seconds on the output's timeline); none for a packet with no text (a gap)."""
        try:
            cues = pkt.decode()
        except av.error.FFmpegError:
            return []
        pts, length = round(start / MS), max(0, round(duration / MS))
        events = [bytes(t) for cue in cues if (t := getattr(cue, "ass", None))]
        if not events:
            return []
        # one cue a packet (a muxer takes no two at one time): the others' lines under the first's
        fields = events[0].split(b",", 8)
        if len(events) > 1 and len(fields) == 9:
            lines = [fields[8]] + [e.split(b",", 8)[-1] for e in events[1:]]
            events[0] = b",".join(fields[:8] + [b"\\N".join(lines)])
        try:
            p = self.stream.codec_context.encode_subtitle(SubtitleSet.create(events[0], 0, length))
        except (ValueError, av.error.FFmpegError):
            return []
        p.stream, p.time_base = self.stream, MS
        p.pts = p.dts = pts
        p.duration = length
        return [p]


# an ASS header for a stream whose decoder gives none (the encoders need one to open): one default style
DEFAULT_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\nFormat: Name, "
    b"Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    b"Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
    b"MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,"
    b"100,0,0,1,1,0,2,10,10,10,0\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
    b"MarginV, Effect, Text\n"
)
