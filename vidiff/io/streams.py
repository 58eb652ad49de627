"""What a clip holds besides its pictures and sound, carried into an output on the clip's timeline.

`Extras.read(source)` takes, once, a source's subtitle streams, its container tags (title, comment...; not
those its muxer wrote of its own), its streams' language and title tags, and its chapters.
`fit(fmt)` keeps the subtitle streams an output container can hold (a trial header in memory), converts
the text ones it cannot hold as they are into its text codec (`vidiff.io.subtitle_text`: SubRip or ASS
into .mp4's mov_text, mov_text into .mkv's ASS), and says in one note line which it converts and in one
which it leaves out (pictures: DVD, PGS) and which container would keep them. `VideoWriter(extras=...)` then puts
them in the output (`ExtrasMuxer`): the tags and chapters in its header, the subtitle packets copied as
they are (no re-encode), interleaved with the frames as those are written, each at its source time on
the output's timeline (`speed` < 1: slow motion, times stretched by 1 / speed).

The output's frames are encoded once, at the join of its segments (`vidiff.io.segments`), which is where
these go in: a parallel or resumed run's output is the same bytes as an uninterrupted one's.
"""

from __future__ import annotations

import dataclasses
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av

from vidiff.io.cover import Cover, CoverMuxer, holds_cover, read_cover
from vidiff.io.probe import VideoFile, nominal_rate, open_container, stream_start, video_stream
from vidiff.io.subtitle_bitmap import stretch_spu
from vidiff.io.subtitle_text import SubtitleConverter, text_codec
from vidiff.io.timecode import find_timecode, retime, shown_timecode, timecode_start

# container tags that describe the writing, not the clip (the muxer's name and version, MP4 brands, a
# length): a muxer writes its own, so they are not carried over (compared without case: .mkv tags are
# upper case)
OWN_TAGS = frozenset({"encoder", "major_brand", "minor_version", "compatible_brands", "duration"})
# the stream tags carried over (an .mp4 reads a track's title back as "name")
STREAM_TAGS = ("language", "title")
# the containers a note suggests for subtitles the output's cannot hold, in this order: (format, name)
SUGGEST = (("matroska", ".mkv"), ("mp4", ".mp4"), ("mov", ".mov"), ("webm", ".webm"))
_NAMES = dict(SUGGEST)


@dataclass(frozen=True)
class Extras:
    """A source's subtitle streams (by index), tags and chapters, and how its times map onto the output's:
    output seconds from the video's first frame = (source seconds - `start`) / `speed`."""

    path: str
    subtitles: tuple[int, ...]
    tags: dict[str, str] = field(default_factory=dict)
    video_tags: dict[str, str] = field(default_factory=dict)
    audio_tags: tuple[dict[str, str], ...] = ()  # the source's audio streams', in order
    chapters: tuple[dict[str, Any], ...] = ()  # as PyAV reads them: id, start, end, time_base, metadata
    start: Fraction = Fraction(0)  # the source video's first time (seconds)
    speed: Fraction = Fraction(1)
    fmt: str | None = None  # the output format `fit` kept the subtitles for
    converted: dict[int, str] = field(default_factory=dict)  # subtitle stream -> the text codec it becomes
    timecode: str | None = None  # the source's start timecode, at `timecode_fps` (`vidiff.io.timecode`)
    timecode_fps: Fraction | None = None
    cover: Cover | None = None  # the source's attached picture (`vidiff.io.cover`)

    @classmethod
    def read(cls, source: str | os.PathLike[str] | VideoFile, speed: Fraction | float = 1) -> Extras:
        """What `source` (a path, or a `VideoFile`: one more pass over it) holds besides its video and
        audio, for an output at `speed` (1: the same timeline)."""
        path = source.path if isinstance(source, VideoFile) else os.fspath(source)
        with source.reading() if isinstance(source, VideoFile) else open_container(path) as c:
            vs = video_stream(c)
            # the first frame a decoder shows: a recording cut inside a GOP starts at its first keyframe
            start = stream_start(path, vs) if vs is not None else Fraction(0)
            return cls(
                path,
                tuple(s.index for s in c.streams.subtitles if s.codec_context is not None),
                {k: v for k, v in c.metadata.items() if k.lower() not in OWN_TAGS | {"timecode"}},
                stream_tags(vs) if vs is not None else {},
                tuple(stream_tags(a) for a in c.streams.audio),
                tuple(c.chapters()),
                start,
                Fraction(speed),
                timecode=shown_timecode(  # of the first frame shown (a GOP cut's: later than the file's)
                    find_timecode([vs.metadata, *(d.metadata for d in c.streams.data), c.metadata]),
                    nominal_rate(vs),
                    start - timecode_start(c),
                )
                if vs is not None
                else None,
                timecode_fps=nominal_rate(vs) if vs is not None else None,
                cover=read_cover(c),  # (last: it reads packets)
            )

    def fit(self, fmt: str) -> Extras:
        """These extras with only the subtitle streams a `fmt` container holds, as they are or converted
        into its text codec (`vidiff.io.subtitle_text`); those converted, and those left out, are said in
        one note line each. Fitted once: the same format again is a no-op (a writer given fitted extras)."""
        if self.fmt == fmt:
            return self
        if not self.subtitles:
            return dataclasses.replace(self, fmt=fmt)
        with open_container(self.path) as c:  # (its streams are read while it is open)
            copied = {i for i in self.subtitles if holds(fmt, c.streams[i])}
            converted = {
                i: codec
                for i in self.subtitles
                if i not in copied and (codec := text_codec(fmt, c.streams[i])) is not None
            }
            if converted:
                _note_converted(self.path, fmt, [c.streams[i] for i in converted], converted)
            left = [c.streams[i] for i in self.subtitles if i not in copied and i not in converted]
            if left:
                _note_left_out(self.path, fmt, left)
        kept = tuple(i for i in self.subtitles if i in copied or i in converted)
        return dataclasses.replace(self, subtitles=kept, fmt=fmt, converted=converted)

    def attach(self, out: av.container.OutputContainer, video: av.stream.Stream, at: Fraction) -> ExtrasMuxer:
        """Put these into `out` before its header is written: tags, chapters, subtitle streams (`fit` for
        `out`'s format first). `video` is the output's video stream, whose first frame is at `at` seconds."""
        return ExtrasMuxer(self, out, video, at)

    def to_output(self, t: Fraction, at: Fraction) -> Fraction:
        """The output time (seconds) of source time `t`, the output's video starting at `at`."""
        return (t - self.start) / self.speed + at


def stream_tags(s: av.stream.Stream) -> dict[str, str]:
    """The tags of a stream that are carried over (`STREAM_TAGS`)."""
    tags = {k.lower(): v for k, v in s.metadata.items()}
    if "title" not in tags and "name" in tags:
        tags["title"] = tags["name"]
    return {k: tags[k] for k in STREAM_TAGS if tags.get(k)}


def codec_name(s: av.stream.Stream) -> str:
    """A subtitle stream's codec as FFmpeg names the format (subrip, ass, mov_text), not its decoder."""
    codec = s.codec_context.codec
    return getattr(codec, "canonical_name", None) or codec.name


def holds(fmt: str, s: av.stream.Stream) -> bool:
    """True if a `fmt` container takes a copy of subtitle stream `s` (a trial header, in memory)."""
    try:
        with av.open(io.BytesIO(), "w", format=fmt) as trial:
            trial.add_stream_from_template(s)
            trial.start_encoding()
    except (ValueError, av.error.FFmpegError):
        return False
    return True


def _note_converted(path: str, fmt: str, streams: list[av.stream.Stream], into: dict[int, str]) -> None:
    what = ", ".join(f"#{s.index} ({codec_name(s)} -> {into[s.index]})" for s in streams)
    plural = "s" if len(streams) > 1 else ""
    print(
        f"note: {path}: subtitle stream{plural} {what} converted: a {_NAMES.get(fmt, fmt)} file cannot hold "
        f"{'them' if len(streams) > 1 else 'it'} as {'they are' if len(streams) > 1 else 'it is'} "
        "(the text is kept; styling its codec cannot say is not)",
        file=sys.stderr,
        flush=True,
    )


def _note_left_out(path: str, fmt: str, left: list[av.stream.Stream]) -> None:
    what = ", ".join(f"#{s.index} ({codec_name(s)})" for s in left)
    others = [name for f, name in SUGGEST if f != fmt and all(holds(f, s) for s in left)]
    keep = (
        f"{others[0]} keeps {'them' if len(left) > 1 else 'it'}"
        if others
        else "no output container keeps them"
    )
    plural = "s" if len(left) > 1 else ""
    print(
        f"note: {path}: subtitle stream{plural} {what} cannot go into a {_NAMES.get(fmt, fmt)} file; "
        f"left out ({keep})",
        file=sys.stderr,
        flush=True,
    )


class ExtrasMuxer:
    """Copies a source's subtitle packets into an output as its frames advance (`mux_until`, `finish`),
    after putting its tags, chapters and subtitle streams in the output's header."""

    def __init__(
        self, extras: Extras, out: av.container.OutputContainer, video: av.stream.Stream, at: Fraction
    ) -> None:
        extras = extras.fit(out.format.name)
        self.extras, self.at = extras, at
        out.metadata.update(extras.tags)
        video.metadata.update(extras.video_tags)
        if tc := retime(extras.timecode, extras.timecode_fps, video.codec_context.framerate):
            video.metadata["timecode"] = tc  # a tmcd track in .mov and .mp4
        for o, tags in zip(out.streams.audio, extras.audio_tags, strict=False):
            o.metadata.update(tags)  # the copied (or slowed) audio streams, in the source's order
        out.set_chapters([c for ch in extras.chapters if (c := self._chapter(ch)) is not None])
        cover, fmt = extras.cover, out.format.name
        self._cover = CoverMuxer(cover, extras.path, out) if cover and holds_cover(fmt) else None
        self._in: av.container.InputContainer | None = None
        self._map: dict[int, av.stream.Stream] = {}
        self._convert: dict[int, SubtitleConverter] = {}  # source stream -> its re-encoder
        self._last: dict[int, int] = {}  # output stream index -> last pts muxed
        self.dropped = 0  # packets whose times went back (the muxer would refuse them)
        self._pending: av.Packet | None = None
        self._packets: Iterator[av.Packet] = iter(())
        if extras.subtitles:
            self._in = open_container(extras.path)
            for i in extras.subtitles:
                s = self._in.streams[i]
                if i in extras.converted:
                    self._convert[i] = SubtitleConverter(s, out, extras.converted[i])
                    o = self._convert[i].stream
                else:
                    o = out.add_stream_from_template(s)
                o.metadata.update(stream_tags(s))
                o.disposition = s.disposition  # default, forced, hearing impaired...
                self._map[i] = o
            self._packets = self._in.demux(*[self._in.streams[i] for i in self._map])

    def _chapter(self, ch: dict[str, Any]) -> dict[str, Any] | None:
        """A source chapter moved onto the output's timeline (None if it ends before the output starts)."""
        tb = ch["time_base"]
        start, end = (self._to_output(ch[k] * tb) for k in ("start", "end"))
        if end <= 0:
            return None
        return {**ch, "start": max(0, round(start / tb)), "end": round(end / tb)}

    def _to_output(self, t: Fraction) -> Fraction:
        return self.extras.to_output(t, self.at)

    def mux_until(self, out: av.container.OutputContainer, t: float | Fraction) -> None:
        """Mux the subtitle packets that start up to `t` seconds after the output video's first frame."""
        while self._in is not None:
            pkt = self._pending or self._next()
            self._pending = None
            if pkt is None:
                self.close()
                return
            if self._to_output(pkt.pts * pkt.time_base) - self.at > t:
                self._pending = pkt
                return
            self._mux_one(out, pkt)

    def _next(self) -> av.Packet | None:
        """The next subtitle packet with a time and a text (None at the end, or where the source's
        demuxer gives up: the subtitles are extras, never a reason to fail the output)."""
        try:
            for pkt in self._packets:
                if pkt.pts is not None and pkt.size and not _empty(pkt):
                    return pkt
        except av.error.FFmpegError:
            pass
        return None

    def _mux_one(self, out: av.container.OutputContainer, pkt: av.Packet) -> None:
        o, tb = self._map[pkt.stream.index], pkt.time_base
        pts = round(self._to_output(pkt.pts * tb) / tb)
        duration = round((pkt.duration or 0) / self.extras.speed)
        if pts < 0:  # shown before the output starts: what is left of it
            pts, duration = 0, duration + pts
            if duration <= 0:
                return
        if pts < self._last.get(o.index, 0):
            self.dropped += 1
            return
        self._last[o.index] = pts
        conv = self._convert.get(pkt.stream.index)
        if conv is not None:  # decoded and encoded in the output's text codec
            for p in conv.packets(pkt, pts * tb, duration * tb):
                try:
                    out.mux(p)
                except av.error.FFmpegError:  # a cue the muxer will not take: extras never fail the output
                    self.dropped += 1
            return
        if self.extras.speed != 1 and codec_name(pkt.stream) == "dvd_subtitle":  # its own display times
            pkt = _with_data(pkt, stretch_spu(bytes(pkt), self.extras.speed))
        pkt.pts = pkt.dts = pts
        pkt.duration = duration
        pkt.stream = o
        out.mux(pkt)

    def finish(self, out: av.container.OutputContainer) -> None:
        """Mux the rest (subtitles past the last frame too, as the audio's are kept) and close the source;
        packets left out for going back in time are said in one warning line."""
        self.mux_until(out, float("inf"))
        if self._cover is not None:
            self._cover.finish(out)
        if self.dropped:
            print(
                f"warning: {self.extras.path}: {self.dropped} subtitle packets go back in time or are refused by the muxer; left out",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """Release the source (idempotent)."""
        if self._in is not None:
            self._in.close()
            self._in = None


def _with_data(pkt: av.Packet, data: bytes) -> av.Packet:
    """`pkt` with its payload replaced by `data` (its time base kept; the caller sets the rest)."""
    if data == bytes(pkt):
        return pkt
    new = av.Packet(data)
    new.time_base, new.is_keyframe = pkt.time_base, pkt.is_keyframe
    return new


def _empty(pkt: av.Packet) -> bool:
    """A mov_text sample with no text: the gap an .mp4 muxer writes between subtitles (and writes again)."""
    return pkt.stream.codec_context.name == "mov_text" and bytes(pkt)[:2] == b"\0\0"
