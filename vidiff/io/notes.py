"""What vidiff cannot keep of an input, said once: an alpha channel, HDR precision, interlacing, the
other video streams of a file that holds several.

vidiff works on 8-bit RGB frames, progressive, without transparency (`vidiff.io.color`). An input beyond
that was used without a word: a transparent overlay (ProRes 4444, QuickTime Animation, PNG-in-MOV, VP9
with alpha in WebM) lost its transparency, a phone's HDR clip (HLG or PQ, 10-bit BT.2020) was rounded to
8 bits, a camcorder's interlaced clip was interpolated field pair by field pair (now deinterlaced:
`vidiff.io.deinterlace`, the note says how), and a file's second video stream (another angle, a depth
map) was left out unsaid. Each is now one `note:` line on stderr, once per input and process
(`VideoFile` says them; `probe --json` lists them; the web app shows them: `said_notes`). An alpha
plane opaque throughout (every GIF decodes with one) loses nothing: no note.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import av

# AVColorTransferCharacteristic of the HDR transfers (SMPTE ST 2084 "PQ", ARIB STD-B67 "HLG")
HDR_TRANSFERS = {16: "PQ", 18: "HLG"}
_PRIMARIES = {1: "BT.709", 9: "BT.2020", 11: "DCI-P3", 12: "Display P3"}
# pixel formats with an alpha plane: yuva420p, yuva444p12le, gbrap10le, rgba, bgra, argb, abgr, ya8, ...
_ALPHA = re.compile(r"(yuva|gbrap|ya\d|rgba|bgra|argb|abgr|rgb32|bgr32)")
INTERLACED = "interlaced"  # how the interlacing note starts (`vidiff.io.deinterlace` words it when it acts)
_ENV = "VIDIFF_NOTED"  # inputs already noted (inherited by spawned worker processes)
_NOTED: dict[str, list[str]] = {}  # input -> the notes said of it in this process


def input_notes(
    pix_fmt: str,
    metadata: Mapping[str, str],
    color: Mapping[str, Any],
    interlaced: bool,
    other_videos: tuple[str, ...] = (),
    transparent: bool | None = None,
) -> list[str]:
    """The notes an input earns, from its stream's pixel format and `metadata` (WebM's `alpha_mode`), its
    first frame's colour tags, interlaced flag and alpha (`transparent`: False for an opaque one, as a GIF
    decodes to, None where not looked at), and the other video streams it holds (described)."""
    notes = []
    if other_videos:
        notes.append(
            f"holds {1 + len(other_videos)} video streams: the first is used, {', '.join(other_videos)} left out"
        )
    alpha = _ALPHA.match(pix_fmt or "") and transparent is not False
    if alpha or str(metadata.get("alpha_mode", "0")) == "1":
        notes.append(
            "its alpha channel (transparency) is dropped: frames are RGB, transparent areas show the "
            "colour stored under them"
        )
    transfer = HDR_TRANSFERS.get(int(color.get("color_trc", 2)))
    if transfer:
        primaries = _PRIMARIES.get(int(color.get("color_primaries", 2)))
        what = f"{transfer}, {primaries}" if primaries else transfer
        notes.append(
            f"HDR ({what}): read in 8 bits per channel (smooth gradients may band); the output keeps its "
            "colour tags, so players show it as HDR (image frames keep none)"
        )
    if interlaced:
        notes.append(
            f"{INTERLACED}: each frame's two fields are interpolated as one picture (combing on motion "
            "stays: --deinterlace off); --deinterlace field or frame makes clean frames, film undoes 2:3 pulldown"
        )
    return notes


def is_transparent(frame: av.VideoFrame) -> bool | None:
    """Whether a decoded frame shows through anywhere (its alpha below opaque); None for a pixel format
    without alpha. A GIF, ProRes 4444 or PNG-in-MOV clip decodes with an alpha plane that is often
    opaque throughout: nothing is dropped there, so nothing is said."""
    if not _ALPHA.match(frame.format.name):
        return None
    try:
        return bool(frame.reformat(format="rgba").to_ndarray()[..., 3].min() < 255)
    except (av.error.FFmpegError, ValueError):  # not looked at: the note is said
        return True


def say_notes(path: str, notes: list[str]) -> None:
    """Print `note: PATH: NOTE` for each of `notes` on stderr, once per input in this process and the
    workers it starts."""
    key = os.path.abspath(path)
    if not notes or key in _NOTED or key in os.environ.get(_ENV, "").split(os.pathsep):
        return
    _NOTED[key] = list(notes)
    os.environ[_ENV] = os.pathsep.join(filter(None, [os.environ.get(_ENV, ""), key]))
    for note in notes:
        print(f"note: {path}: {note}", file=sys.stderr, flush=True)


def said_notes(path: str | os.PathLike[str]) -> list[str]:
    """The notes this process said of `path` (`note: NAME: NOTE`, the file by its name): for a caller whose
    user does not see stderr (the web app shows them beside its result)."""
    name = os.path.basename(os.fspath(path))
    return [f"note: {name}: {note}" for note in _NOTED.get(os.path.abspath(os.fspath(path)), [])]
