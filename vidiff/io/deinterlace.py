"""Interlaced input made progressive before anything else sees it: libavfilter's bwdif through PyAV.

A camcorder's (DV, HDV, AVCHD), a broadcast's (1080i) or a DVD's interlaced clip stores two fields in each
frame, its even and its odd rows, shot a field interval apart. Interpolated as one picture, each frame's
combing on motion stayed in every output frame. `--deinterlace` (`MODES`) says how such a clip is read:

- `auto` (the default): deinterlaced where its frames are flagged interlaced (its first, or any of the
  first frames `vidiff.io.field_scan` looks at: a progressive title, then interlaced), one frame per
  field, as `field`, unless its fields show one moment (film or 25PsF flagged interlaced); a clip flagged
  progressive whose moving frames idet finds combed (an interlaced capture or DVD rip re-encoded without
  its flags) is deinterlaced too, in the field order idet finds, or read as film where idet finds 2:3
  pulldown; a progressive clip is read as it is, byte for byte;
- `field`: one frame per field (bwdif `send_field`, what ffmpeg's `-vf bwdif` gives): a 50i clip (25
  frames a second) is read as 50 fps, every field a real moment, so `--fps 50` needs no made frame and
  `--fps 60` interpolates between real 50 fps frames;
- `frame`: one frame per frame (bwdif `send_frame`): the clip keeps its frame rate, half its moments lost;
- `film`: film hard-telecined to 29.97i (2:3 pulldown woven into the fields, a DVD's): its fields matched
  back into the film's frames (libavfilter fieldmatch, bwdif for a frame left combed) and the repeated
  one of each five dropped in the cadence's phase (`vidiff.io.pulldown`; film cut mid-cadence too), read
  at 4/5 of the rate (23.976 fps), each film frame once;
  auto does so where `vidiff.io.field_scan` finds the pulldown's repeated fields (a frame per field
  gave each film frame two or three times: the judder stayed through any `--fps`);
- `off`: frames as stored (the fields interpolated as one picture; a note says so).

`field` is the default for an interlaced clip because its fields are moments of their own: a frame per
frame throws away half of the motion that the interpolation then has to guess. A clip flagged progressive
whose combing idet does not find clearly (too few moving frames, a few combed among progressive ones) is
read as stored: deinterlaced only when asked (`frame`, `field`).
The reader (`vidiff.io.reader`) times a field's frame half a source frame after its frame's; the file's
damage policy, held last frames and VFR timing are the source's, unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from contextvars import ContextVar
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import av

from vidiff.errors import ConfigError, InputError
from vidiff.io import field_scan
from vidiff.io.field_scan import Fields, scan
from vidiff.io.file_key import file_key
from vidiff.io.notes import INTERLACED
from vidiff.io.pulldown import Decimator, kept, phase_from

if TYPE_CHECKING:
    from vidiff.io.probe import VideoInfo

MODES = ("auto", "off", "frame", "field", "film")
DEFAULT_DEINTERLACE = "auto"
FILM = (4, 5)  # 2:3 pulldown: four film frames in five video frames
FILTER = "bwdif"  # Bob Weaver: yadif's successor in FFmpeg (w3fdif's and yadif's ideas together)
# AVFieldOrder of the decoder's stream -> bwdif's parity. bwdif's own "auto" reads each frame's flag, which
# x264's top-field-first frames lack here: taken for bottom first, their fields came out in the wrong order
# (the picture jumping back and forth). Where the stream states none (raw DV), the frames' flags are right.
PARITY = {2: "tff", 3: "bff", 4: "tff", 5: "bff"}
_WORDS = {
    "tff": "top field first",
    "bff": "bottom field first",
    "auto": "each frame's field order",
}

_F = TypeVar("_F", bound=Any)  # a reader's frame: a dataclass with index, time and image
_PHASE: dict[tuple[str, int, int, str], int | None] = {}  # (file, size, mtime, parity) -> `film_phase`
_MODE: ContextVar[str] = ContextVar("vidiff_deinterlace", default=DEFAULT_DEINTERLACE)


def check_deinterlace(value: object, what: str = "deinterlace") -> str:
    """`value` as one of `MODES` (a ConfigError naming them otherwise)."""
    if not isinstance(value, str) or value not in MODES:
        raise ConfigError(f"{what} {value!r}: must be one of {', '.join(MODES)}")
    return value


def deinterlace_mode() -> str:
    """The mode inputs opened now are read with (`deinterlace_scope`; `DEFAULT_DEINTERLACE` outside one)."""
    return _MODE.get()


DEINTERLACE_HELP = (
    "how an interlaced clip (camcorder, broadcast, DVD) is read: auto (default: deinterlaced with bwdif "
    "where flagged interlaced or idet finds it combed, one frame per field: 50i is read as 50 fps), field "
    "(one frame per field), frame (one per frame, the rate kept), film (2:3 pulldown undone: 29.97i telecined film read as its "
    "23.976 fps frames, each once; auto does so where it finds the pulldown), off (as stored: combing stays)"
)


@contextlib.contextmanager
def deinterlace_scope(mode: object) -> Iterator[None]:
    """Within this block, video inputs opened are read in `mode` (checked); None keeps the caller's (an
    API call's default: under the command line's `--deinterlace`, its value holds)."""
    if mode is None:
        yield
        return
    token = _MODE.set(check_deinterlace(mode))
    try:
        yield
    finally:
        _MODE.reset(token)


def resolve(mode: str, interlaced: bool, path: str | None = None) -> str:
    """What `mode` does to a clip whose first frame is (`interlaced`) or is not flagged interlaced:
    "off", "frame", "field" or "film". auto (`vidiff.io.field_scan`, over `path`'s first frames) reads
    a clip flagged interlaced (its first frame, or any scanned) a frame per field, as stored where its
    fields show one moment (progressive segmented), as film where they show 2:3 pulldown; a clip flagged
    progressive as stored, unless idet finds it combed (a frame per field) or telecined (film)."""
    if mode != "auto":
        return mode
    if path is None:
        return "field" if interlaced else "off"
    found = scan(path)
    if interlaced or found.flagged:
        return {"apart": "field", "one": "off", "film": "film"}[found.found()]
    return {"apart": "field", "film": "film", "none": "off"}[found.combed()]


def field_parity(flagged: str | None, path: str) -> str:
    """bwdif's (and fieldmatch's) parity for `path`: the stream's field order where its first frame is
    flagged interlaced (`flagged`: `field_order`'s), else the one idet finds (`Fields.order`: a clip
    flagged progressive states none, and bwdif read its frames as bottom first)."""
    return flagged if flagged is not None else scan(path).order()


def found(path: str) -> tuple[Fields | None, dict[str, int | None]]:
    """What this process found of `path`'s fields (`field_scan.scan`) and of its film's phase per parity
    (`film_phase`): passed to a worker with its job (`remember`), which then does not scan it again."""
    key = file_key(path)
    phases = {k[3]: v for k, v in _PHASE.items() if k[:3] == key}
    return field_scan.known(path), phases


def remember(path: str, what: tuple[Fields | None, dict[str, int | None]] | None) -> None:
    """Take `what` (a parent's `found`) as this process's scans of `path`."""
    key = file_key(path)
    if what is None or key is None:
        return
    field_scan.remember(path, what[0])
    for parity, phase in what[1].items():
        _PHASE.setdefault((*key, parity), phase)


def field_order(stream: av.video.stream.VideoStream) -> str:
    """The stream's field order as bwdif's parity ("tff", "bff"; "auto": unknown), as its container or
    decoder states it."""
    cc = stream.codec_context
    return PARITY.get(int(getattr(cc, "field_order", 0) or 0), "auto") if cc is not None else "auto"


def as_read(info: VideoInfo, how: str) -> VideoInfo:
    """`info` of the clip as the reader gives it when deinterlaced `how` ("field": twice the frames, at
    twice the rate, over the same time), with its note saying so."""
    others = [n for n in info.notes if not n.startswith(INTERLACED)]
    if how == "off":
        if not info.interlaced or deinterlace_mode() != "auto":
            return info
        note = (  # flagged interlaced, left as stored by auto (`resolve`): progressive segmented
            f"{INTERLACED}: flagged so, but its fields show one moment (progressive segmented, film): read "
            "as stored; --deinterlace field deinterlaces it all the same"
        )
        return dataclasses.replace(info, notes=[*others, note])
    parity = field_parity(info.interlaced, info.path)
    order = _WORDS[parity] + (" by idet" if info.interlaced is None and parity != "auto" else "")
    flagged = any(n.startswith(INTERLACED) for n in info.notes)
    if how == "film":
        rate = info.fps * Fraction(*FILM)
        phase = film_phase(info.path, parity) or 0
        did = (
            f"fields matched back into its frames and the repeats dropped (fieldmatch, one repeat in five): "
            f"read at {float(rate):.3f} fps, each film frame once"
        )
        note = f"{INTERLACED}: telecined film (2:3 pulldown, {order}): {did}"
        if not flagged:
            asked = f"pulldown undone as asked, though flagged progressive: read at {float(rate):.3f} fps"
            note = _unflagged(
                info.path, "2:3 pulldown in its fields", f"telecined film ({order}): {did}", asked
            )
        return dataclasses.replace(
            info,
            fps=rate,
            n_frames=kept(info.n_frames, phase),
            header_frames=kept(info.header_frames, phase) if info.header_frames else info.header_frames,
            notes=[*others, note],
            deinterlace=how,
        )
    k = 2 if how == "field" else 1
    rate = info.fps * k
    each = "one frame per field" if how == "field" else "one frame per frame"
    did = f"deinterlaced with {FILTER} ({order}), {each}: read at {float(rate):g} fps"
    note = f"{INTERLACED}: {did}"
    if not flagged:  # flagged progressive (its first frame): asked for, or found by auto
        asked = f"deinterlaced as asked, though flagged progressive: {FILTER}, {each}: read at {float(rate):g} fps"
        note = _unflagged(info.path, "its fields shot apart (combing on motion)", did, asked)
    return dataclasses.replace(
        info,
        fps=rate,
        n_frames=info.n_frames * k,
        header_frames=info.header_frames * k if info.header_frames else info.header_frames,
        notes=[*others, note],
        deinterlace=how,
    )


def _unflagged(path: str, what: str, did: str, asked: str) -> str:
    """The note on a clip whose first frame is flagged progressive, read as `did` says: `asked` (a mode
    other than auto), or why auto read it so (`resolve`: later frames flagged interlaced, or idet finds
    `what`)."""
    if deinterlace_mode() != "auto":
        return asked
    if scan(path).flagged:
        return f"{INTERLACED}: its first frame flagged progressive, later ones interlaced: {did}"
    return (
        f"{INTERLACED}: flagged progressive, but idet finds {what} (an interlaced or telecined source "
        f"re-encoded without its flags): {did}; --deinterlace off reads it as stored"
    )


def film_phase(path: str, parity: str = "auto") -> int | None:
    """Where the repeats of `path`'s 2:3 pulldown fall among its first moving frames
    (`vidiff.io.pulldown.phase_from`), as one pass from the start finds them; once per file and
    process; None where `path` is not a file."""
    file = file_key(path)
    if file is None:
        return None
    key = (*file, parity)
    if key not in _PHASE:
        _PHASE[key] = phase_from(_matched(path, parity))
    return _PHASE[key]


def _matched(path: str, parity: str) -> Iterator[av.VideoFrame]:
    """`path`'s frames after fieldmatch (and bwdif), as the reader's pass makes them (`parity`: the
    probe's field order); fewer where it does not decode to the end."""
    from vidiff.io.probe import video_stream  # (the probe reads through this module)

    d = Deinterlacer("film", path, parity)
    try:
        with av.open(path) as c:
            vs = video_stream(c)
            for frame in c.decode(vs) if vs is not None else ():
                for _, _, image in d.push(frame):
                    yield image
        for _, _, image in d.flush():
            yield image
    except (av.error.FFmpegError, InputError, OSError):
        return


class Deinterlacer:
    """A bwdif filter graph for one pass over a clip: each frame `push`ed gives the frames made so far
    (bwdif waits for the next frame: the first push gives none, `flush` the last frame's), each with
    the number of the pushed frame it comes from and its field (0, or 1: the second field's)."""

    def __init__(self, how: str, path: str, parity: str = "auto") -> None:
        self.k = 2 if how == "field" else 1
        self.film = how == "film"
        self.parity = parity
        self.mode = "send_field" if how == "field" else "send_frame"
        self.path = path
        self.graph: av.filter.Graph | None = None
        self.pushed = self.made = 0

    def _build(self, frame: av.VideoFrame) -> None:
        g = av.filter.Graph()
        if self.film:  # (fieldmatch needs a frame rate: any constant one, the frames' own times are kept)
            size, fmt = f"{frame.width}x{frame.height}", frame.format.name
            src = g.add(
                "buffer",
                f"video_size={size}:pix_fmt={fmt}:time_base=1/1000:frame_rate=1/1:pixel_aspect=1/1",
            )
            chain = [
                g.add("fieldmatch", f"order={self.parity}:combmatch=full"),
                g.add(FILTER, f"mode=send_frame:parity={self.parity}:deint=interlaced"),
            ]
        else:
            src = g.add_buffer(
                width=frame.width, height=frame.height, format=frame.format.name, time_base=Fraction(1, 1000)
            )
            chain = [g.add(FILTER, f"mode={self.mode}:parity={self.parity}:deint=all")]
        sink = g.add("buffersink")
        for a, b in zip([src, *chain], [*chain, sink], strict=True):
            a.link_to(b)
        try:
            g.configure()
        except (av.error.FFmpegError, ValueError) as e:  # (no plane under 4 pixels a side: 4:2:0 under 8)
            raise InputError(self._refused(e, frame)) from None
        self.graph, self._src, self._sink = g, src, sink

    def push(self, frame: av.VideoFrame) -> list[tuple[int, int, av.VideoFrame]]:
        """The frames made once `frame` is in."""
        if self.graph is None:
            self._build(frame)
        frame.pts, frame.time_base = self.pushed * 1000, Fraction(1, 1000)
        self.pushed += 1
        return self._run(frame)

    def flush(self) -> list[tuple[int, int, av.VideoFrame]]:
        """The frames still held, at the end of the clip."""
        return [] if self.graph is None else self._run(None)

    def _refused(self, e: BaseException, frame: av.VideoFrame | None) -> str:
        size = f" {frame.width}x{frame.height}" if frame is not None else ""
        why = getattr(e, "strerror", None) or str(e)
        return f"{self.path}: cannot deinterlace its{size} frames ({why}); read them as stored: --deinterlace off"

    def _run(self, frame: av.VideoFrame | None) -> list[tuple[int, int, av.VideoFrame]]:
        out = []
        try:
            self._src.push(frame)
            while True:
                try:
                    made = self._sink.pull()
                except (av.error.BlockingIOError, av.error.EOFError):
                    break
                out.append((self.made // self.k, self.made % self.k, made))
                self.made += 1
        except (av.error.FFmpegError, ValueError) as e:
            raise InputError(self._refused(e, frame)) from None
        return out


def deinterlaced(
    frames: Iterator[_F], how: str, fps: Fraction, path: str, parity: str = "auto"
) -> Iterator[_F]:
    """`frames` (decoded and timed dataclasses, as the reader's: `index`, `time`, `image` an
    `av.VideoFrame`) made progressive `how` ("frame", "field") and numbered again; a second field's frame
    is timed half a frame (at the clip's stored rate `fps`) after its frame's; `parity`: `field_order`'s.
    Memory: a few frames."""
    if how == "film":
        yield from _film(frames, fps, path, parity)
        return
    d = Deinterlacer(how, path, parity)
    times: dict[int, Fraction] = {}  # the pushed frames' times, until their fields are made
    n = 0
    last = None
    for f in frames:
        times[d.pushed], last = f.time, f
        for made in d.push(f.image):
            yield _made(f, n, times, made, d.k, fps)
            n += 1
    for made in d.flush():
        yield _made(last, n, times, made, d.k, fps)
        n += 1


def _film(frames: Iterator[_F], fps: Fraction, path: str, parity: str) -> Iterator[_F]:
    """`frames` (telecined at `fps`) as the film's frames, each once: frame `n` timed `n` film frames
    (at 4/5 of `fps`) after the first stored frame."""
    d, dec = Deinterlacer("film", path, parity), Decimator(film_phase(path, parity))
    step = 1 / (fps * Fraction(*FILM))
    first = last = None
    n = 0
    for f in frames:
        first, last = first or f, f
        for _, _, image in d.push(f.image):
            for kept_image in dec.push(image):
                yield dataclasses.replace(f, index=n, time=first.time + n * step, image=kept_image)
                n += 1
    for _, _, image in d.flush():
        for kept_image in dec.push(image):
            yield dataclasses.replace(last, index=n, time=first.time + n * step, image=kept_image)
            n += 1
    for kept_image in dec.flush():
        yield dataclasses.replace(last, index=n, time=first.time + n * step, image=kept_image)
        n += 1


def _made(
    f: _F, n: int, times: dict[int, Fraction], made: tuple[int, int, av.VideoFrame], k: int, fps: Fraction
) -> _F:
    """Frame `n` of the clip as read: bwdif's `made` (from pushed frame, field, image), timed."""
    src, field, image = made
    t = times[src] + Fraction(field, 2) / fps
    if field == k - 1:
        del times[src]
    return dataclasses.replace(f, index=n, time=t, image=image)


@dataclasses.dataclass
class _Timed:
    index: int
    time: Fraction
    image: av.VideoFrame


def deinterlaced_pairs(
    pairs: Iterator[tuple[Fraction, av.VideoFrame]], how: str, fps: Fraction, path: str, parity: str = "auto"
) -> Iterator[tuple[Fraction, av.VideoFrame]]:
    """`deinterlaced` for (time, frame) pairs: a worker's frames decoded after a seek
    (`vidiff.runner.seek`). Each frame after the first is made as the whole clip's pass makes it (bwdif
    looks one frame back and one ahead), so a seek lands a frame early."""
    frames = (_Timed(i, t, f) for i, (t, f) in enumerate(pairs))
    for f in deinterlaced(frames, how, fps, path, parity):
        yield f.time, f.image
