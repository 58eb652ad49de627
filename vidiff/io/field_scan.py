"""Whether a clip flagged interlaced shows two moments in each frame, or one (progressive segmented).

Film and progressive video are often carried in an interlaced stream and flagged so (25PsF/29.97PsF in a
576i/1080i broadcast, a DVD's film): each frame's two fields are of one moment. Deinterlaced a frame per
field, each moment came twice (bwdif's two reconstructions of one picture, too far apart to be taken
for repeats): a 50 fps clip that moves every other frame, and `--fps 60` made its motion uneven. Read
as stored, it is a clean 25 fps clip.

`fields_apart` asks libavfilter's idet, which tells frames whose fields are of two moments (tff, bff)
from frames whose fields are of one (progressive), over the first `SCAN` frames; only frames that move
count (a still title or black at the start says nothing about its fields). Too few moving frames: the
flag is trusted.

`telecined` asks idet's repeated-field judgement too: film hard-telecined to 29.97i (2:3 pulldown woven
into the fields, a DVD's or a broadcast's) repeats a field in two of every five frames, where video shot
a field at a time repeats none (`FILM_REPEATS` of the moving frames: read as the film it is).
"""

from __future__ import annotations

import os
from collections import Counter, deque

import av
import numpy as np

SCAN = 250  # frames looked at, at most (10 s at 25 fps)
MOVING = 12  # moving frames idet must have judged before its judgement is taken over the flag
ENOUGH = 48  # moving frames judged after which the scan stops
FILM_REPEATS = 0.25  # share of the moving frames judged with a repeated field from which a clip is film
STILL = 1.0  # mean |difference| (0-255) of a frame's luma from the previous frame's under which it is still

_FOUND: dict[tuple[str, int, int], str] = {}  # (file, size, mtime) -> `fields_of`


def fields_of(path: str) -> str:
    """What idet finds in the fields of the moving frames among the first `SCAN` of `path`: "film"
    (2:3 pulldown: a field repeated in two frames of five), "one" (mostly progressive: one moment in
    both fields) or "apart" (fields shot apart, or too few moving frames to tell); once per file and
    process."""
    try:
        st = os.stat(path)
    except OSError:
        return "apart"
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _FOUND:
        votes = _votes(path)
        apart, one = votes["tff"] + votes["bff"], votes["progressive"]
        judged = apart + one
        if judged >= MOVING and votes["repeated"] >= FILM_REPEATS * (judged + votes["undetermined"]):
            _FOUND[key] = "film"
        else:
            _FOUND[key] = "apart" if judged < MOVING or apart >= one else "one"
    return _FOUND[key]


def fields_apart(path: str) -> bool:
    """True unless idet finds the moving frames among the first `SCAN` of `path` mostly progressive
    (one moment in both fields: `fields_of`)."""
    return fields_of(path) != "one"


def telecined(path: str) -> bool:
    """Whether `path` is film hard-telecined (2:3 pulldown in its fields: `fields_of`)."""
    return fields_of(path) == "film"


def _votes(path: str) -> Counter[str]:
    """idet's judgement (tff, bff, progressive, undetermined) of each moving frame scanned, and how many
    of them repeat a field of the frame before (repeated)."""
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
            moving: deque[bool] = deque()  # of the frames pushed, not yet out of idet
            prev: np.ndarray | None = None
            for n, frame in enumerate(c.decode(vs)):
                if n >= SCAN or votes.total() - votes["repeated"] >= ENOUGH:
                    break
                if src is None:
                    src = graph.add_buffer(
                        width=frame.width,
                        height=frame.height,
                        format=frame.format.name,
                        time_base=vs.time_base,
                    )
                    idet, sink = graph.add("idet"), graph.add("buffersink")
                    src.link_to(idet)
                    idet.link_to(sink)
                    graph.configure()
                luma = np.frombuffer(frame.planes[0], np.uint8)
                moving.append(prev is not None and prev.shape == luma.shape and _moves(prev, luma))
                prev = luma.copy()
                src.push(frame)
                while True:
                    try:
                        out = sink.pull()
                    except (av.error.BlockingIOError, av.error.EOFError):
                        break
                    if moving.popleft():
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
