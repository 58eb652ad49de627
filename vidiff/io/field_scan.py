"""What a clip's fields hold, whatever its flags say: libavfilter's idet over its first moving frames.

Film and progressive video are often carried in an interlaced stream and flagged so (25PsF/29.97PsF in a
576i/1080i broadcast, a DVD's film): each frame's two fields are of one moment. Deinterlaced a frame per
field, each moment came twice (bwdif's two reconstructions of one picture, too far apart to be taken
for repeats): a 50 fps clip that moves every other frame, and `--fps 60` made its motion uneven. Read
as stored, it is a clean 25 fps clip (`Fields.found`: "one").

The other way round, an interlaced capture or a hard-telecined DVD rip re-encoded by a tool that drops
the flags (x264 without --tff) is flagged progressive, combed on every moving frame: read as stored, each
interpolated frame blended its combing. `Fields.combed` finds it where idet judges nearly every moving
frame's fields of two moments, or finds 2:3 pulldown's combed and repeated fields; a progressive clip,
however detailed, gives idet's "progressive" (the sample clips: none judged otherwise). `Fields.order`
gives its field order, which its flags do not.

`scan` asks idet, which tells frames whose fields are of two moments (tff, bff) from frames whose fields
are of one (progressive), over the first `SCAN` frames; only frames unlike both their neighbours count (a
still title or black at the start says nothing about its fields, and a frame held twice, 15 fps uploaded
at 30 or animation on twos, made idet take a progressive clip's fields for two moments: a frame against
an unlike one before and a like one after). Too few moving frames: the flag is trusted. It counts
the frames flagged interlaced among those scanned too: a clip whose first frames (a title card) are
flagged progressive and the rest interlaced is read as interlaced (`flagged`); one interlaced only after
the scan's frames is not. Film hard-telecined to 29.97i (2:3 pulldown woven into the fields) repeats a
field in two of every five frames, where video shot a field at a time repeats none (`FILM_REPEATS` of
the moving frames: read as the film it is).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

import av
import numpy as np

from vidiff.io.file_key import file_key

SCAN = 250  # frames looked at, at most (10 s at 25 fps)
MOVING = 12  # moving frames idet must have judged before its judgement is taken over the flag
ENOUGH = 48  # moving frames judged after which the scan stops
FILM_REPEATS = 0.25  # share of the moving frames judged with a repeated field from which a clip is film
STILL = 1.0  # mean |difference| (0-255) of a frame's luma from the previous frame's under which it is still
# a clip flagged progressive is read deinterlaced only where idet finds, of its moving frames judged,
COMBED = 0.75  # this share or more with fields of two moments (interlaced video coded progressive), or
FILM_COMBED = 0.2  # this share or more (two of five: 0.4) and `FILM_REPEATS` repeated (hard-telecined film)
JUDGED = ("tff", "bff", "progressive", "undetermined")  # idet's judgements of a frame
ORDER = 2  # times more frames of one field order than of the other, for idet's order to be taken

_FOUND: dict[tuple[str, int, int], Fields] = {}  # (file, size, mtime) -> `scan`


@dataclass(frozen=True)
class Fields:
    """What the scan of a clip's first frames found: idet's judgement of its moving frames (`tff`, `bff`:
    fields of two moments, top or bottom first; `progressive`: of one; `undetermined`), how many of them
    repeat a field of the frame before (`repeated`), and how many of all scanned are flagged interlaced
    (`flagged`: a clip whose first frames, a title, are progressive and the rest interlaced)."""

    tff: int = 0
    bff: int = 0
    progressive: int = 0
    undetermined: int = 0
    repeated: int = 0
    flagged: int = 0

    def judged(self) -> int:
        return self.tff + self.bff + self.progressive

    def found(self) -> str:
        """For a clip flagged interlaced: "film" (2:3 pulldown: a field repeated in two frames of five),
        "one" (mostly progressive: one moment in both fields) or "apart" (fields shot apart, or too few
        moving frames to tell: the flag is trusted)."""
        apart, judged = self.tff + self.bff, self.judged()
        if judged >= MOVING and self.repeated >= FILM_REPEATS * (judged + self.undetermined):
            return "film"
        return "apart" if judged < MOVING or apart >= self.progressive else "one"

    def combed(self) -> str:
        """For a clip flagged progressive throughout: "apart" where idet finds nearly every moving frame's
        fields of two moments (interlaced video coded progressive: a capture or a DVD rip re-encoded
        without its flags), "film" where it finds 2:3 pulldown's combed and repeated fields (hard-telecined
        film coded progressive), else "none" (too few moving frames to tell: the flag is trusted)."""
        apart, judged = self.tff + self.bff, self.judged()
        if judged < MOVING:
            return "none"
        if self.repeated >= FILM_REPEATS * (judged + self.undetermined) and apart >= FILM_COMBED * judged:
            return "film"
        return "apart" if apart >= COMBED * judged else "none"

    def order(self) -> str:
        """The field order idet finds (bwdif's parity: "tff", "bff"), "auto" where it finds neither
        clearly more often."""
        if self.tff + self.bff and self.tff >= ORDER * self.bff:
            return "tff"
        return "bff" if self.tff + self.bff and self.bff >= ORDER * self.tff else "auto"


def scan(path: str) -> Fields:
    """`Fields` of the first `SCAN` frames of `path` (its moving ones, for idet); once per file and
    process (`remember`: a worker told what its parent found); nothing found where it is not a file."""
    key = file_key(path)
    if key is None:
        return Fields()
    if key not in _FOUND:
        _FOUND[key] = _scanned(path)
    return _FOUND[key]


def known(path: str) -> Fields | None:
    """What this process's scan of `path` found, if it scanned it (to pass to a worker)."""
    key = file_key(path)
    return _FOUND.get(key) if key is not None else None


def remember(path: str, found: Fields | None) -> None:
    """Take `found` (a parent's `known`) as `path`'s scan: a worker does not scan it again."""
    key = file_key(path)
    if key is not None and found is not None:
        _FOUND.setdefault(key, found)


def _scanned(path: str) -> Fields:
    votes = _votes(path)
    return Fields(**{f.name: votes[f.name] for f in dataclasses.fields(Fields)})


def _votes(path: str) -> Counter[str]:
    """idet's judgement (`JUDGED`) of each moving frame scanned, how many of them repeat a field of the
    frame before (repeated), and how many frames scanned are flagged interlaced (flagged)."""
    from vidiff.io.probe import video_stream  # (the probe reads through this module)

    votes: Counter[str] = Counter()
    try:
        with av.open(path) as c:
            vs = video_stream(c)
            if vs is None:
                return votes
            vs.thread_type = "AUTO"
            graph = av.filter.Graph()
            src, sink = None, None
            moves: list[bool] = []  # each frame pushed: whether it differs from the one before
            prev: np.ndarray | None = None
            pulled = 0  # frames idet has given
            for n, frame in enumerate(c.decode(vs)):
                if n >= SCAN or sum(votes[k] for k in JUDGED) >= ENOUGH:
                    break
                votes["flagged"] += bool(frame.interlaced_frame)
                if src is None:
                    src = graph.add_buffer(
                        width=frame.width,
                        height=frame.height,
                        format=frame.format.name,
                        time_base=vs.time_base,
                    )
                    # luma alone: 4:2:0 chroma stored at full size (4:4:4, RGB: a lossless ffv1 or PNG
                    # copy of a phone clip) holds rows in pairs, which idet took for fields apart
                    luma_only = graph.add("format", "pix_fmts=gray")
                    idet, sink = graph.add("idet"), graph.add("buffersink")
                    src.link_to(luma_only)
                    luma_only.link_to(idet)
                    idet.link_to(sink)
                    graph.configure()
                luma = np.frombuffer(frame.planes[0], np.uint8)
                moves.append(prev is not None and prev.shape == luma.shape and _moves(prev, luma))
                prev = luma.copy()
                src.push(frame)
                while True:
                    try:
                        out = sink.pull()
                    except (av.error.BlockingIOError, av.error.EOFError):
                        break
                    j, pulled = pulled, pulled + 1  # (idet gives frame j once frame j + 1 is in)
                    if moves[j] and j + 1 < len(moves) and moves[j + 1]:  # (unlike both neighbours)
                        votes[str(out.metadata.get("lavfi.idet.multiple.current_frame", "undetermined"))] += 1
                        votes["repeated"] += out.metadata.get("lavfi.idet.repeated.current_frame") in (
                            "top",
                            "bottom",
                        )
    except (av.error.FFmpegError, ValueError, OSError):
        return Counter()
    return votes


def _moves(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.abs(a[::7].astype(np.int16) - b[::7]).mean()) > STILL
