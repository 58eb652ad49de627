"""Random access's last frames as the reader gives them: a frame cut short left out, with its one line.

`vidiff.io.reader` holds back a clip's last frames until the file ends, leaves out the one its cut last
packet decoded to (`vidiff.io.cut_tail`: concealed, or a B-frame's shown before the last; or a Matroska
block the demuxer dropped, `vidiff.io.ebml_tail`) and says so in ONE warning line. Training's
`open_frames` (`vidiff.io.random_access`) indexes packets without decoding: it served that concealed
frame, and a cut .mkv's frames without a word. `check_tail` decodes the last few frames once, at open,
and applies the reader's rule and line (refused under `--strict`); the decord engine gives way to
PyAV for such a file (it served the concealed frame too).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import numpy as np

from vidiff.io.cut_tail import DEPTH, cut_frame
from vidiff.io.ebml_tail import block_cut
from vidiff.io.file_key import file_key
from vidiff.io.probe import probe, strict_input

# (file, size, mtime) -> `_judged`: each file's last frames decoded once a process (training reopens)
_FOUND: dict[tuple[str, int, int], tuple[int | None, bool] | None] = {}


def check_tail(r: Any, short: tuple[bool, int, int] | None) -> int | None:
    """For a `SeekReader` `r` (its index built; `short`: its last packet's (read short, position,
    size)): the frame the reader leaves out (its index), or None; says the reader's damage line where
    the file ends inside its last frame."""
    n = len(r)
    first = max(0, n - DEPTH)
    key = file_key(r.path)
    if key is None or key not in _FOUND:
        found = _judged(r, short, first)
        if key is None:
            return _said(r, found, first)
        _FOUND[key] = found
    return _said(r, _FOUND[key], first)


def known(path: str) -> dict[str, Any]:
    """What this process judged of `path`'s last frames ({"tail": `_judged`}; {} where not judged): for a
    process that opens it again (a training data worker), which `remember`s it instead of decoding them."""
    key = file_key(path)
    return {"tail": _FOUND[key]} if key in _FOUND else {}


def remember(path: str, what: dict[str, Any]) -> None:
    """Take `what` (another process's `known`) as this process's judgement of `path`'s last frames."""
    key = file_key(path)
    if key is not None and "tail" in what:
        _FOUND.setdefault(key, what["tail"])


def _judged(r: Any, short: tuple[bool, int, int] | None, first: int) -> tuple[int | None, bool] | None:
    """The reader's rule on `r`'s last frames (from `first`): None where nothing is cut, else (the cut
    one's place among them, or None where not known; whether a Matroska block was dropped)."""
    from vidiff.io.random_access import FrameLost  # (random access calls this module)

    try:
        tail = [SimpleNamespace(image=r.decoded(i)) for i in range(first, len(r))]
    except FrameLost:
        return None  # (said when asked for)
    container = r._c.format.name.split(",")[0]
    reorders = int(r._vs.codec_context.has_b_frames or 0)
    cut = cut_frame(tail, r.path, container, bool(short and short[0]), reorders)
    block = cut is None and short is not None and block_cut(r.path, container, short[1], short[2])
    if cut is None and not block:
        return None
    return (cut, block)


def _said(r: Any, found: tuple[int | None, bool] | None, first: int) -> int | None:
    """The frame left out of `r` by `found` (`_judged`), the reader's line said (refused: `--strict`)."""
    if found is None:
        return None
    cut, block = found
    n = len(r)
    r.tail_cut = True
    known = cut is not None and cut >= 0  # (else: damage said, nothing left out, as the reader does)
    at = first + cut if known else n - 1
    _warn(r.path, n - known, r.seconds(), at, block)
    return at if known else None


def _warn(path: str, kept: int, seconds: Any, at: int, block: bool) -> None:
    """The reader's line (`VideoReader._check`) for a last frame cut short, the frame at `at`."""
    from vidiff.io.reader import LAST_CUT, VideoReader  # (when asked: no import cycle)

    info = probe(path, deinterlace="off")
    if block:  # (the demuxer dropped the block's frame: the file held one more)
        info = dataclasses.replace(info, n_frames=info.n_frames + 1)
    err_at = Fraction(float(seconds[at])).limit_denominator(1_000_000)
    stopped = Fraction(float(seconds[-1])).limit_denominator(1_000_000) + 1 / Fraction(info.fps)
    line = VideoReader.__new__(VideoReader)  # (its policy and wording, for a file not read through it)
    line.path = path
    line._check(info, kept, stopped, [LAST_CUT], err_at, strict_input())


def check_counted(path: str, frames: Any) -> bool:
    """The reader's line for a raw stream counted from the start (`vidiff.io.counted`: `frames`, a
    `CountedFrames`) whose cut last packet's frame it leaves out (`skip`, raw HEVC or Motion JPEG);
    whether it was said."""
    if frames.skip is None or len(frames) < 2:
        return False
    s = frames.seconds
    step = float(s[1] - s[0])  # (no stamps: one step apart, the cut frame's time among them)
    _warn(path, len(frames), np.insert(s, frames.skip, frames.skip * step), frames.skip, False)
    return True
