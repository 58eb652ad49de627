"""Frame numbers in image-sequence file names: where a number is missing, and how a number is written.

A pattern's numbers (`frame_%04d.png`) are frame numbers, as a renderer or ffmpeg's image2 writer gives
them: a number with no file between two that have one is a missing frame (a dropped or failed render),
kept as a slot the damaged-input policy covers (one warning line, refused with `--strict`; `upscale` fills
it: `--factor 1` rebuilds only the missing frames). A run of more than `MAX_GAP` missing numbers is no
dropped frame but two shots in one folder, and is refused. A folder's images are taken one after another
(a photo time-lapse with shots deleted is no damaged clip); where their names are one numbered series
with gaps, one note line says so and names the pattern that would keep them.
"""

from __future__ import annotations

import os
import re
import sys

from vidiff.errors import InputError

MAX_GAP = 240  # missing numbers in a row: 10 s at 24 fps
_SERIES = re.compile(r"(.*?)([0-9]+)([^0-9]*)")  # a name's last run of digits, and the text around it


def numbered(head: str, width: int, tail: str, number: int) -> str:
    """The file name of `number` in a pattern split as `head`, zero-padded `width` (0: none), `tail`
    (frame_, 4, .png, 7: frame_0007.png)."""
    return f"{head}{number:0{width}d}{tail}"


def pattern_slots(path: str, found: dict[int, str]) -> range:
    """The frame numbers of a pattern `path` whose files are `found` (number -> name, in order): every
    number from the first file's to the last's; one `InputError` for a run of more than `MAX_GAP`
    missing numbers."""
    numbers = list(found)
    for a, b in zip(numbers, numbers[1:], strict=False):
        if b - a - 1 > MAX_GAP:
            raise InputError(
                f"{path}: no file numbered {a + 1}-{b - 1} ({b - a - 1} frames, between {found[a]} and "
                f"{found[b]}): over {MAX_GAP} missing in a row is no dropped frame; give each shot a "
                "pattern or a folder of its own"
            )
    return range(numbers[0], numbers[-1] + 1)


def folder_gaps(names: list[str]) -> tuple[int, str] | None:
    """(how many numbers are missing, a pattern that keeps them as missing frames) where the image
    names of a folder (in order) are one series (the same text around one number) whose numbers skip
    some, none by more than `MAX_GAP`; else None."""
    parts = [_SERIES.fullmatch(n) for n in names]
    if len(names) < 2 or not all(parts):
        return None
    heads = {(m.group(1), m.group(3)) for m in parts}  # type: ignore[union-attr]
    if len(heads) != 1:
        return None
    numbers = sorted(int(m.group(2)) for m in parts)  # type: ignore[union-attr]
    if len(set(numbers)) != len(numbers):
        return None
    missing = numbers[-1] - numbers[0] + 1 - len(numbers)
    if missing <= 0 or any(b - a - 1 > MAX_GAP for a, b in zip(numbers, numbers[1:], strict=False)):
        return None  # (a run over MAX_GAP: two shots, whose pattern is refused; no advice to give one)
    # zero-padded to the narrowest width (a pattern's %04d takes 0007 and 12345, not 007)
    width = min(len(m.group(2)) for m in parts)  # type: ignore[union-attr]
    digits = [m.group(2) for m in parts]  # type: ignore[union-attr]
    padded = any(d.startswith("0") and len(d) > 1 for d in digits) or (
        width > 1 and len(set(map(len, digits))) == 1
    )
    head, tail = (t.replace("%", "%%") for t in heads.pop())
    return missing, f"{head}%0{width}d{tail}" if padded else f"{head}%d{tail}"


def note_folder_gaps(folder: str, names: list[str]) -> None:
    """One note line when a folder's images are a numbered series with gaps (`folder_gaps`)."""
    gaps = folder_gaps(names)
    if gaps is None:
        return
    missing, pattern = gaps
    print(
        f"note: {folder}: the images' numbers skip {missing} (a folder's images are taken one after "
        f"another); to keep a missing number as a missing frame, give the pattern "
        f"{os.path.join(folder, pattern)}",
        file=sys.stderr,
        flush=True,
    )
