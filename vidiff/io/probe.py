"""`probe()`: what a video file holds, read with PyAV by demuxing (no full decode); `VideoFile`: an input
opened once, its `info` and every later pass over it (frames, audio) from the same open container."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import av
from av.stream import Disposition

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, InputError
from vidiff.io.aspect import sar_text, stream_sar
from vidiff.io.clock import first_frame_at
from vidiff.io.deinterlace import as_read, deinterlace_mode, deinterlace_scope, field_order, resolve
from vidiff.io.file_key import file_key
from vidiff.io.notes import input_notes, is_transparent, say_notes
from vidiff.io.orient import frame_orientation
from vidiff.io.stamps import Timeline, grid_rate, in_order, pulldown_rate
from vidiff.io.stamps import on_grid as on_grid  # re-exported: where it was
from vidiff.io.tail import clip_rate, held_end
from vidiff.validate import check_flag, check_path

MAX_SIDE = 8192  # larger frames are refused: a plan for them would not fit a sane memory budget
MIN_FRAMES = 2  # a damaged file with fewer decodable frames than this is refused
NO_TIMESTAMPS = 0x80  # AVFMT_NOTIMESTAMPS: a raw elementary stream (.h264, .m4v), opened again for a pass

# The damaged-input policy: decode everything that decodes, warn once, go on; refuse when strict.
_STRICT: ContextVar[bool] = ContextVar("vidiff_strict_input", default=False)
_WARNED: dict[str, str] = {}  # path -> the damage warning it got (printed once per process)
_SHOWN: dict[
    tuple[str, int, int] | None, Fraction
] = {}  # a file cut inside a GOP -> its first shown frame (s)


def strict_input() -> bool:
    """True when damaged input must be refused instead of used (`--strict`, or `VIDIFF_STRICT=1`)."""
    return _STRICT.get() or os.environ.get("VIDIFF_STRICT", "") not in ("", "0")


@contextlib.contextmanager
def input_policy(strict: bool) -> Iterator[None]:
    """Within this block, damaged input is refused (`strict`) or used with one warning line."""
    token = _STRICT.set(strict)
    try:
        yield
    finally:
        _STRICT.reset(token)


def strict_scope(strict: object, what: str = "strict") -> contextlib.AbstractContextManager[None]:
    """`input_policy` for an API call's `strict` argument (checked: a bool): True refuses damaged input
    within the call, as `--strict` does; False keeps the caller's policy (`--strict`, `VIDIFF_STRICT`)."""
    return input_policy(check_flag(strict, what) or strict_input())


def warn_damage(path: str, message: str) -> None:
    """Print `warning: PATH: MESSAGE` on stderr, once per file and process (kept for `damage_warning`)."""
    key = os.path.abspath(path)
    seen = key in _WARNED or key in os.environ.get("VIDIFF_DAMAGE_WARNED", "").split(os.pathsep)
    _WARNED.setdefault(key, message)
    if not seen:
        print(f"warning: {path}: {message}", file=sys.stderr, flush=True)


def damage_warning(path: str | os.PathLike[str]) -> str | None:
    """The damage warning this process gave for `path` (`warning: PATH: MESSAGE`), or None: for a caller
    whose user does not see stderr (the web app shows it beside its result)."""
    message = _WARNED.get(os.path.abspath(os.fspath(path)))
    return None if message is None else f"warning: {os.fspath(path)}: {message}"


@dataclass
class AudioInfo:
    """One audio stream of a container."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass
class SubtitleInfo:
    """One subtitle stream of a container (kept in an output whose container holds its codec)."""

    index: int
    codec: str
    language: str | None


@dataclass
class ChapterInfo:
    """One chapter: its start and end (seconds) and title."""

    start: float
    end: float
    title: str | None


@dataclass
class VideoInfo:
    """What `probe()` found in a file; `fps` is an exact fraction, times are in seconds."""

    path: str
    container: str
    codec: str
    width: int
    height: int
    fps: Fraction
    is_vfr: bool
    n_frames: int
    duration: float
    start_time: float
    rotation: int
    pix_fmt: str
    bit_depth: int
    color: dict[str, Any] = field(default_factory=dict)
    audio: list[AudioInfo] = field(default_factory=list)
    header_frames: int | None = None  # the frame count the header states, if it states one
    header_duration: float | None = None  # the duration the container header states (seconds)
    damage: str | None = None  # why the file looks cut short or broken (None: it looks whole)
    repeated: int = 0  # frames stamped with an earlier frame's time: left out (not in n_frames)
    subtitles: list[SubtitleInfo] = field(default_factory=list)
    chapters: list[ChapterInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what vidiff cannot keep of it (`vidiff.io.notes`)
    end: Fraction | None = None  # where a held last frame ends (s from the first frame; `vidiff.io.tail`)
    flip: bool = False  # mirrored left-right after its rotation (the display matrix; `vidiff.io.orient`)
    sar: Fraction | None = None  # non-square pixels' aspect (`vidiff.io.aspect`); None: square
    interlaced: str | None = None  # its first frame is flagged interlaced: field order tff, bff or auto
    deinterlace: str = "off"  # how it is read: off, frame or field (`vidiff.io.deinterlace`)
    soft_pulldown: bool = False  # timed by soft 2:3 pulldown, read on the film's even grid (`io.stamps`)
    first_at: float = 0.0  # the first frame's time on a player's clock: after the audio's start (`io.clock`)

    def expected_frames(self) -> int:
        """How many frames the file should hold: the larger of the header's count and the packets (with no
        count in the header, the header's duration when the packets fall short of it: the container's
        duration spans every stream, so audio that outlasts the video is not missing frames)."""
        n = max(self.n_frames, (self.header_frames or 0) - self.repeated)
        if self.header_duration and not self.header_frames and self.damage:
            n = max(n, int(round(self.header_duration * float(self.fps))))
        return n

    def require_frames(self, at_least: int, doing: str) -> None:
        """One InputError where the clip has fewer than `at_least` frames for `doing` (e.g. "measuring")."""
        if self.n_frames < at_least:
            has = f"{self.n_frames} frame" + ("" if self.n_frames == 1 else "s")
            raise InputError(f"{self.path}: has only {has}; {doing} needs at least {at_least}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (fps as a "num/den" string and a float)."""
        d = asdict(self)
        d["fps"] = f"{self.fps.numerator}/{self.fps.denominator}"
        d["fps_float"] = float(self.fps)
        d["end"] = None if self.end is None else float(self.end)
        d["sar"] = sar_text(self.sar)
        return d


def nominal_rate(vs: av.video.stream.VideoStream) -> Fraction | None:
    """The frame rate a video stream states (average, else guessed, else base), or None."""
    rate = vs.average_rate or vs.guessed_rate or vs.base_rate
    return Fraction(rate).limit_denominator(1001 * 1000) if rate and rate > 0 else None


def open_container(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open `path` for reading, turning every failure into one clear `InputError`."""
    path = check_path(path, "input")
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not a video file")
    if not os.path.isfile(path):
        raise InputError(f"{path}: not a regular file (a device, pipe or socket); give a video file")
    if os.path.getsize(path) == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")
    try:
        return av.open(path, mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        size = _declared_size(path)
        if size and max(size) > MAX_SIDE:
            raise InputError(
                f"{path}: frame size {size[0]}x{size[1]} is over the {MAX_SIDE}-pixel limit per side"
            ) from None
        raise InputError(f"{path}: not a readable video file, or truncated ({_reason(e)})") from None


def _declared_size(path: str) -> tuple[int, int] | None:
    """The frame size a raw-video header states (YUV4MPEG2), for a file FFmpeg refused to open."""
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError:
        return None
    if not head.startswith(b"YUV4MPEG2 "):
        return None
    tokens = head.split(b"\n", 1)[0].split()[1:]
    dims = {t[:1]: t[1:] for t in tokens if t[:1] in (b"W", b"H")}
    try:
        return int(dims[b"W"]), int(dims[b"H"])
    except (KeyError, ValueError):
        return None


def _reason(e: BaseException) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.split(":")[-1].strip() or type(e).__name__


# the brands of a HEIF/AVIF image sequence (an animated AVIF, a HEIF burst): FFmpeg shows its still
# primary image as a first, one-frame video stream, then the animation's track
SEQUENCE_BRANDS = frozenset({"avis", "msf1", "hevc", "hevs"})


def video_stream(c: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    """The clip's video stream: the first that is not an attached picture (cover art, which an .mp4,
    .mkv or .mp3 holds as a one-frame video stream, sometimes before the video) nor an animated AVIF's
    still image (`is_still_item`: the first stream, so an animated AVIF was "1 frame"), or None."""
    return next((s for s in c.streams.video if not _not_the_clip(c, s)), None)


def is_still_item(c: av.container.InputContainer, s: av.stream.Stream) -> bool:
    """True for the still primary image of a HEIF/AVIF image sequence (one untimed frame, beside the
    animation's track)."""
    brand = str(c.metadata.get("major_brand", "")).strip().lower()
    return (
        brand in SEQUENCE_BRANDS
        and (s.frames or 0) <= 1
        and not s.duration
        and any(o is not s and (o.frames or 0) > 1 for o in c.streams.video)
    )


def _not_the_clip(c: av.container.InputContainer, s: av.stream.Stream) -> bool:
    """Cover art or a still image beside the clip: never taken for it, nor noted as left out."""
    return bool(s.disposition & Disposition.attached_pic) or is_still_item(c, s)


def _bit_depth(pix_fmt: str) -> int:
    """Bits per sample of a pixel format (by FFmpeg's description of it: p010le, gray10le and rgb48le
    were 8 by their names); 8 for a name FFmpeg does not know."""
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, TypeError):
        return 8


@checked_call
def probe(
    path: str | os.PathLike[str], input_fps: Fraction | float | None = None, deinterlace: str | None = None
) -> VideoInfo:
    """Describe the video stream of `path` (`video_stream`): size, exact fps, VFR, frame count, rotation, audio.

    Frame count and VFR come from the packet timestamps (demux only, fast; the first frame is decoded for
    its rotation and colour tags). Raises `InputError` for anything that is not a usable video: no video
    stream, zero frames, a size over `MAX_SIDE`. To read the file too, open it once as a `VideoFile`.
    An image sequence (a folder, or a pattern such as frames/%05d.png: `vidiff.io.sequence`) is described
    from its images' headers, at `input_fps`. An interlaced clip is described as read (`deinterlace`:
    `vidiff.io.deinterlace`; None: the caller's mode, auto): a 50i clip deinterlaced a frame per field
    is 50 fps.
    """
    from vidiff.io.sequence import open_input

    with deinterlace_scope(deinterlace), open_input(path, input_fps) as f:
        return f.info


class VideoFile:
    """An input video opened once: `info` (what `probe` reports: the clip as read, deinterlaced where it is
    `vidiff.io.deinterlace`; `stored`: as the file holds it), and the open container for every later
    pass over the file (`rewind`): the frames (`VideoReader(file)`), the audio copy
    (`VideoWriter/ResumableWriter(audio_from=file)`; a join and a slowed audio track, `AudioTrack.from_file`,
    open their own: a pass's seek to 0 drops the packets stamped before 0).

    torchcodec's shape (one object owns the file and its metadata, and is passed along instead of the
    path), so a run opens its input once, not once per stage. One pass at a time: a second one while a
    reader is still iterating is an error. Use as a context manager, or `close()`.
    """

    @checked_call
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_path(path, "input")
        self._c = open_container(self.path)
        self._busy = self._closed = False
        try:
            if (vs := video_stream(self._c)) is not None:
                vs.thread_type = "AUTO"  # before its decoder opens
            # as stored (the reader times its frames by it), and as read: deinterlaced (`--deinterlace`)
            self.stored = _describe(self._c, self.path)
            how = resolve(deinterlace_mode(), self.stored.interlaced is not None, self.path)
            self.info = as_read(self.stored, how)
            say_notes(self.path, self.info.notes)
        except BaseException:
            self._c.close()
            raise

    def rewind(self) -> av.container.InputContainer:
        """The open container, at the start of the file, for one more pass over it."""
        if self._closed:
            raise ConfigError(f"{self.path}: this VideoFile is closed; open the file again for another pass")
        if self._busy:
            raise ConfigError(f"{self.path}: a pass over the file is still under way; one pass at a time")
        # a raw stream is opened again: its seek to 0 goes by its parser's stamps, and an .m4v with
        # B-frames landed on its first P-frame (3 frames lost, a damage warning for a whole file)
        raw = bool(int(self._c.format.flags) & NO_TIMESTAMPS)
        try:
            if not raw:
                self._c.seek(0)
        except av.error.FFmpegError:  # a file that cannot seek: open it again
            raw = True
        if raw:
            self._c.close()
            self._c = open_container(self.path)
            video_stream(self._c).thread_type = "AUTO"
        return self._c

    def start_pass(self) -> av.container.InputContainer:
        """`rewind`, and hold the file for this pass until `end_pass`."""
        c = self.rewind()
        self._busy = True
        return c

    def end_pass(self) -> None:
        self._busy = False

    @contextlib.contextmanager
    def reading(self) -> Iterator[av.container.InputContainer]:
        """One pass over the file, from its start, for the length of the block."""
        c = self.start_pass()
        try:
            yield c
        finally:
            self.end_pass()

    def close(self) -> None:
        self._closed = True
        self._c.close()

    def __enter__(self) -> VideoFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def animated_webp(path: str) -> bool:
    """True for an animated WebP file: RIFF/WEBP with a VP8X header whose animation flag is set."""
    try:
        with open(path, "rb") as f:
            head = f.read(21)
    except OSError:
        return False
    return len(head) == 21 and head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and bool(head[20] & 0x02)


def _describe(c: av.container.InputContainer, path: str) -> VideoInfo:
    """`probe`'s facts, in one demux pass over the open container (decoding video until a frame comes)."""
    vs = video_stream(c)
    if vs is None:
        cover = " (only an attached picture: cover art)" if c.streams.video else ""
        raise InputError(f"{path}: has no video stream{cover}")
    cc = vs.codec_context
    if cc is None:
        raise InputError(f"{path}: the video stream's codec is unknown or unsupported (corrupt header?)")
    width, height = int(cc.width or 0), int(cc.height or 0)
    if width <= 0 or height <= 0:
        if animated_webp(path):  # FFmpeg's WebP decoder reads still images only: not a damaged file
            raise InputError(
                f"{path}: an animated WebP, which this FFmpeg cannot decode (it reads still WebP images "
                "only); save it as a GIF or a video first (e.g. with Pillow or an image editor)"
            )
        raise InputError(f"{path}: video stream has no frame size (corrupt or truncated file)")
    if max(width, height) > MAX_SIDE:
        raise InputError(f"{path}: frame size {width}x{height} is over the {MAX_SIDE}-pixel limit per side")
    tb = vs.time_base
    pts: list[int] = []
    end = 0.0  # latest end time (seconds) of any packet of any stream
    damage = None
    first = _FirstFrame()
    untimed = 0  # video packets without a pts (a raw .h264/.hevc stream; dts only in an .avi)
    cut = 0  # video packets an edit list leaves out (a clip trimmed on a phone: its frames stay in the file)
    last: tuple[int, int] | None = None  # (pts, duration) of the latest-shown video packet
    try:
        for pkt in c.demux():
            if not pkt.size:
                continue
            if pkt.stream.index == vs.index:
                if first.facts is None:  # (a cut frame too: the kept ones after it may refer to it)
                    first.decode(pkt)
                if pkt.is_discard:
                    cut += 1
                    continue
                untimed += pkt.pts is None
                pts.append(_stamp(pkt, pts, vs))
                if pkt.pts is not None and (last is None or pkt.pts >= last[0]):
                    last = int(pkt.pts), int(pkt.duration or 0)
            if pkt.pts is not None and pkt.time_base:
                end = max(end, float((pkt.pts + (pkt.duration or 0)) * pkt.time_base))
    except av.error.FFmpegError as e:
        damage = f"demuxing stopped ({_reason(e)})"
    if not pts:
        raise InputError(f"{path}: video stream has zero frames")
    if first.facts is None:
        first.flush(vs)
    if first.pts is not None and not untimed and (lead := sum(s < first.pts for s in pts)):
        # a stream cut inside a group of pictures (a TS recording, a copy cut off a keyframe): its first
        # frames refer to frames before the cut, so no decoder shows them. Counted, they were "lost" (a
        # damage warning) and timed the clip from the first of them: its audio a GOP late.
        pts = [s for s in pts if s >= first.pts]
        cut += lead
        _SHOWN[file_key(path)] = (
            first.pts * tb
        )  # where its audio and subtitles are kept against (`shown_start`)
    # the header counts every frame stored, the edit list's cut ones too
    header_frames = int(vs.frames) - cut if vs.frames and vs.frames > cut else None
    header_duration = float(c.duration) / 1e6 if c.duration and c.duration > 0 else None
    packets = len(pts)
    ordered = [s for _, s in in_order(pts, lambda s: s)]  # the frames' stamps, as the reader pairs them
    # with no timestamps at all, the rate is the packets' durations (a raw stream's timing info), not the
    # raw demuxer's stated 25 fps
    rate = nominal_rate(vs) if untimed < packets else None
    line, steps = _timeline(ordered, tb, rate or Fraction(25))
    if rate is None or rate <= 0:
        span = (max(pts) - min(pts)) * tb
        rate = Fraction(line.n - 1) / span if span > 0 else Fraction(25)
    fps = Fraction(rate).limit_denominator(1001 * 1000)  # the same as nominal_rate's when the stream has one
    if fps != line.fps:  # timed again at the stream's own rate
        line, steps = _timeline(ordered, tb, fps)
    stated = _stated_end(last, vs, min(pts))
    if (own := clip_rate(fps, line.n, line.last, stated)) != fps:  # a rate that counted a held last frame
        fps = own
        line, steps = _timeline(ordered, tb, fps)
    pulled = (film := pulldown_rate(ordered, tb, codec_rate(vs))) is not None
    if film is not None:  # soft pulldown (a DVD's film): its frames on the film's even grid, not VFR
        fps = film
        line, steps = _timeline(ordered, tb, fps, pulled)
    repeated = line.repeated  # frames the reader leaves out (as ffmpeg does): not in n_frames
    if repeated and strict_input():
        raise InputError(
            f"{path}: damaged: {repeats_note(repeated)} (refused: strict input, --strict or strict=True)"
        )
    # VFR: the steps between the frames' times differ by more than a container's rounding (1 ms)
    dmin, dmax = steps
    is_vfr = line.n >= 3 and Fraction(dmax - dmin, line.unit) > Fraction(1, 1000) and dmax > dmin * 1.05
    if is_vfr and (grid := grid_rate(ordered, tb)) is not None and grid > fps * Fraction(101, 100):
        fps = grid  # frames on a grid, some left out: the grid's rate, not the average (`grid_rate`)
        line, steps = _timeline(ordered, tb, fps)
    elif not is_vfr and (grid := grid_rate(ordered, tb)) is not None and fps >= grid * Fraction(3, 2):
        # a stated rate that every step of evenly timed frames skips frames of is no frame rate: a raw DV
        # file's demuxer states its 1/60000 time base as 60000 fps (29.97 fps frames; x2 was refused)
        fps = grid
        line, steps = _timeline(ordered, tb, fps)
    start = float(min(pts) * tb)
    held_to = held_end(line.last, None if stated is None else on_grid(stated, fps, tb), fps)
    duration = float(held_to or line.last + 1 / fps)
    c_start = float(c.start_time) / 1e6 if c.start_time is not None else start
    if header_duration and c_start > 0 and c.format.name.startswith("matroska"):
        # Matroska's header states its last time, not a span: a clip cut from a stream (stamps from
        # 3600 s) was "3600.50 s" long, and its 0.5 s of frames a damaged file
        header_duration = round(max(header_duration - c_start, 0.0), 6) or None
    held = max(end, float(max(pts) * tb) + 1 / float(fps)) - min(c_start, start)
    shown_span = float(vs.duration * tb) if vs.duration and vs.duration > 0 else None
    edited = c.format.name.startswith("mov")  # .mov/.mp4: an edit list may show part of what is stored
    if edited and header_frames and shown_span and header_frames > shown_span * float(fps) + 1.5:
        # a phone's trim shows part of the frames stored, and the demuxer hands out only those it needs
        # (of a trimmed HEVC clip: 54 of its 60, 4 of them cut): the header's count is of the frames
        # stored, not those shown (the track's duration is the edit list's)
        header_frames = None
    if header_frames and header_frames > packets:
        damage = f"header lists {header_frames} frames, {packets} in the file"
    elif header_duration and header_duration - held > 1.5 / float(fps) + 0.02:
        damage = f"header lists {header_duration:.2f} s, {held:.2f} s in the file"
    if damage and strict_input():
        raise InputError(f"{path}: damaged: {damage} (refused: strict input, --strict or strict=True)")
    if first.facts is None:
        why = f" ({first.error})" if first.error else ""
        raise InputError(f"{path}: video stream has zero decodable frames{why}")
    rotation, color = first.facts
    audio = [
        AudioInfo(
            index=a.index,
            codec=a.codec_context.name,
            sample_rate=int(a.codec_context.sample_rate or 0),
            channels=int(a.codec_context.channels or 0),
            duration=float(a.duration * a.time_base) if a.duration else None,
        )
        for a in c.streams.audio
    ]
    return VideoInfo(
        path=path,
        container=c.format.name.split(",")[0],
        codec=cc.codec.canonical_name,  # the format (av1), not the decoder (libdav1d)
        width=width,
        height=height,
        fps=fps,
        is_vfr=bool(is_vfr),
        n_frames=line.n,
        duration=duration,
        start_time=start,
        first_at=first_frame_at(
            start, [float(a.start_time * a.time_base) for a in c.streams.audio if a.start_time is not None]
        ),
        rotation=rotation,
        flip=first.flip,
        pix_fmt=cc.pix_fmt or "unknown",
        bit_depth=_bit_depth(cc.pix_fmt or ""),
        color=color,
        audio=audio,
        header_frames=header_frames,
        header_duration=header_duration,
        damage=damage,
        repeated=repeated,
        end=held_to,
        sar=stream_sar(vs),
        interlaced=field_order(vs) if first.interlaced else None,
        soft_pulldown=pulled,
        notes=input_notes(
            cc.pix_fmt or "", vs.metadata, color, first.interlaced, _other_videos(c, vs), first.transparent
        ),
        subtitles=[
            SubtitleInfo(s.index, s.codec_context.codec.canonical_name, s.metadata.get("language"))
            for s in c.streams.subtitles
            if s.codec_context is not None
        ],
        chapters=[
            ChapterInfo(
                float(ch["start"] * ch["time_base"]),
                float(ch["end"] * ch["time_base"]),
                ch["metadata"].get("title"),
            )
            for ch in c.chapters()
        ],
    )


def shown_start(path: str | os.PathLike[str], vs: av.video.stream.VideoStream) -> float:
    """Seconds of the first frame of `path`'s video stream `vs` that a decoder shows: the stream's start
    time, or, for a stream cut inside a group of pictures (a TS recording, a copy cut off a keyframe),
    its first frame that decodes as this process's probe found it (the stream's start is its first
    packet, a frame no decoder shows: the audio was kept against it, a GOP late)."""
    shown = _SHOWN.get(file_key(path))
    return (
        float(shown) if shown is not None else float(vs.start_time * vs.time_base) if vs.start_time else 0.0
    )


def stream_start(path: str | os.PathLike[str], vs: av.video.stream.VideoStream) -> Fraction:
    """`shown_start`, exact: where a source's other streams (subtitles, chapters) are timed from."""
    shown = _SHOWN.get(file_key(path))
    if shown is not None:
        return Fraction(shown)
    return Fraction(vs.start_time) * vs.time_base if vs.start_time else Fraction(0)


def _other_videos(c: av.container.InputContainer, vs: av.video.stream.VideoStream) -> tuple[str, ...]:
    """The video streams other than `vs` and cover art, described ("#2 (h264 640x360)")."""
    return tuple(
        f"#{s.index} ({s.codec_context.name} {s.codec_context.width}x{s.codec_context.height})"
        if s.codec_context is not None
        else f"#{s.index}"
        for s in c.streams.video
        if s is not vs and not _not_the_clip(c, s)
    )


def _timeline(
    ordered: list[int], tb: Fraction, fps: Fraction, pulled: bool = False
) -> tuple[Timeline, tuple[int, int]]:
    """The reader's timeline of a stream's stamps in order (`vidiff.io.stamps`; `pulled`: soft pulldown's),
    and the shortest and longest steps between its frames' times (ticks of the timeline)."""
    line = Timeline(tb, fps, pulled)
    lo = hi = None
    for s in ordered:
        before = line.last_ticks
        if line.add_ticks(s) is not None and line.n > 1:
            d = line.last_ticks - before
            lo, hi = (d, d) if lo is None else (min(lo, d), max(hi, d))
    return line, (lo or 0, hi or 0)


def codec_rate(vs: av.video.stream.VideoStream) -> Fraction | None:
    """The frame rate a stream's codec states (an MPEG-2 sequence header's 29.97 for soft pulldown, where
    the average rate is the film's or a guess from the first frames), else its nominal rate."""
    rate = vs.guessed_rate
    return Fraction(rate) if rate and rate > 0 else nominal_rate(vs)


def repeats_note(n: int) -> str:
    """The damage note for `n` frames that repeat an earlier frame's timestamp."""
    return f"{n} frame{'s' if n != 1 else ''} repeat{'' if n != 1 else 's'} an earlier frame's timestamp"


def _stated_end(last: tuple[int, int] | None, vs: av.video.stream.VideoStream, first: int) -> Fraction | None:
    """Where the video's last frame stops being shown as its file states it (seconds from the stamp
    `first`): its packet's duration (`last`: its pts and duration), else the stream's; None: not stated."""
    if last is None:
        return None
    stop = last[0] + last[1] if last[1] > 0 else None
    if stop is None and vs.duration and vs.start_time is not None:
        stop = int(vs.start_time + vs.duration)
    return None if stop is None or stop <= last[0] else Fraction(stop - first) * vs.time_base


def _stamp(pkt: av.Packet, stamps: list[int], vs: av.video.stream.VideoStream) -> int:
    """A video packet's pts; without one, its dts, else one packet duration (or nominal frame) after
    the previous stamp."""
    if pkt.pts is not None:
        return int(pkt.pts)
    if pkt.dts is not None:
        return int(pkt.dts)
    if not stamps:
        return 0
    rate = nominal_rate(vs) or Fraction(25)
    return stamps[-1] + (pkt.duration or max(1, round(1 / (rate * vs.time_base))))


class _FirstFrame:
    """Rotation (degrees, display matrix) and colour tags of the first frame that decodes."""

    def __init__(self) -> None:
        self.facts: tuple[int, dict[str, Any]] | None = None
        self.flip = False  # the display matrix mirrors the picture (`vidiff.io.orient`)
        self.error: str | None = None  # why the first failed packet failed
        self.interlaced = False
        self.transparent: bool | None = None  # (None: no alpha plane)
        self.pts: int | None = None  # its stamp

    def decode(self, pkt: av.Packet) -> None:
        try:
            self._take(pkt.decode())
        except av.error.FFmpegError as e:
            self.error = self.error or _reason(e)

    def flush(self, vs: av.video.stream.VideoStream) -> None:
        """Frames the decoder still holds at the end of the packets (a short clip, threaded decoding)."""
        try:
            self._take(vs.decode(None))
        except av.error.FFmpegError as e:
            self.error = self.error or _reason(e)

    def _take(self, frames: list[av.VideoFrame]) -> None:
        for frame in frames[:1]:
            color = {
                "color_range": int(frame.color_range),
                "colorspace": int(frame.colorspace),
                "color_primaries": int(frame.color_primaries),
                "color_trc": int(frame.color_trc),
            }
            rotation, self.flip = frame_orientation(frame)
            self.facts = rotation, color
            self.interlaced = bool(frame.interlaced_frame)
            self.transparent = is_transparent(frame)
            self.pts = frame.pts
