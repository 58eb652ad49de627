"""A clip's display rotation (a phone's display matrix) applied to its pixels, where a stage needs frames
the way a player shows them.

A phone films portrait as landscape frames (1920x1080) with a display rotation of 90 or 270 degrees in
the stream's side data; players turn the frames on the way to the screen. vidiff keeps the frames as
stored and writes the rotation into the output (lossless, and the same frames are interpolated), except
where a stage changes the picture's shape: a reframe to 9:16 or 1:1, a crop, a generated clip. Such a
stage must see the frames upright and the output is then written upright with no rotation; given the
stored frames, a phone's portrait clip was cropped sideways (the landscape 9:16 middle of a turned
picture) and a 9:16 output of it was shown on its side, 1920 wide.

A display matrix may mirror the picture too (a front camera's or an editor's flip): `flip` is a left-right
mirror after the rotation, so a vertical flip is a 180 degree turn and a mirror. Such a clip was read as
turned 180 degrees (FFmpeg's rotation of a mirror matrix), so its output was shown upside down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from vidiff.io.aspect import sar_text, shown_size, square_pixels

IDENTITY_KEY = "identity"  # a transform keyed so hands frames back as they are (a progress hook)


def quarter_turns(rotation: int | float) -> int:
    """Counter-clockwise quarter turns (0-3) of a display rotation in degrees (as `VideoInfo.rotation`:
    counter-clockwise, what ffmpeg's display matrix says; -90 is 270)."""
    return round(rotation / 90) % 4


def upright(image: np.ndarray, rotation: int | float, flip: bool = False, sar: Any = None) -> np.ndarray:
    """`image` (H, W, ...) as a player shows it: resampled to square pixels where its pixel aspect `sar` is
    not 1 (`vidiff.io.aspect`), turned by its stream's display `rotation` (degrees counter-clockwise), then
    mirrored left-right where `flip`; the frame itself (not a copy) when there is nothing to do."""
    image = square_pixels(image, sar)
    turns = quarter_turns(rotation)
    if not turns and not flip:
        return image
    turned = np.rot90(image, turns) if turns else image
    return np.ascontiguousarray(turned[:, ::-1] if flip else turned)


_ONE = 1 << 16  # a display matrix's 16.16 fixed-point 1


def display_orientation(matrix: Any) -> tuple[int, bool]:
    """(rotation in degrees counter-clockwise, 0-359; mirrored) of a display matrix (FFmpeg's 9 int32s, or
    their 36 bytes, as a frame's side data holds them; None: upright). A mirror matrix has its first
    column negated (`av_display_matrix_flip`); FFmpeg's own rotation of one is 180 off for a mirror."""
    if matrix is None:
        return 0, False
    m = [int(v) for v in (np.frombuffer(bytes(matrix), "<i4") if not isinstance(matrix, list) else matrix)]
    if len(m) != 9:
        return 0, False
    flip = m[0] * m[4] - m[1] * m[3] < 0
    a, c = (-m[0], -m[3]) if flip else (m[0], m[3])
    if a == 0 and c == 0:
        return 0, False
    return round(math.degrees(math.atan2(c, a)) / 90) * 90 % 360, flip


def display_matrix(rotation: int, flip: bool = False) -> list[int]:
    """The display matrix (9 int32s) of a `rotation` (degrees counter-clockwise) and a `flip` after it."""
    turns = quarter_turns(rotation)
    cos, sin = ((1, 0), (0, 1), (-1, 0), (0, -1))[turns]
    m = [cos * _ONE, -sin * _ONE, 0, sin * _ONE, cos * _ONE, 0, 0, 0, 1 << 30]
    if flip:
        m[0], m[3] = -m[0], -m[3]
    return m


def frame_orientation(frame: Any) -> tuple[int, bool]:
    """(rotation, mirrored) of a decoded PyAV frame (its display matrix side data). A frame with side data
    PyAV cannot name (a TIFF-in-MOV frame's: `ValueError` on any access) gives FFmpeg's rotation, unmirrored."""
    try:
        for data in getattr(frame, "side_data", None) or ():
            if "DISPLAYMATRIX" in str(getattr(data, "type", "")):
                return display_orientation(bytes(data))
    except ValueError:
        pass
    return int(round(getattr(frame, "rotation", 0) or 0)) % 360, False


def upright_size(width: int, height: int, rotation: int | float, sar: Any = None) -> tuple[int, int]:
    """The (width, height) a player shows a `width` x `height` frame at, with its display `rotation` (and
    pixel aspect `sar`)."""
    width, height = shown_size(width, height, sar)
    return (height, width) if quarter_turns(rotation) % 2 else (width, height)


class Upright:
    """A frame transform that gets frames upright: `then(upright(image, rotation, flip))`. Picklable where
    `then` is, so worker processes apply it too; `key` (a run's resume key) names both."""

    def __init__(
        self, rotation: int, then: Callable[[np.ndarray], np.ndarray], flip: bool = False, sar: Any = None
    ) -> None:
        self.rotation, self.then, self.flip, self.sar = int(rotation), then, bool(flip), sar

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.then(upright(image, self.rotation, self.flip, self.sar))

    @property
    def key(self) -> dict[str, Any]:
        key = {"upright": quarter_turns(self.rotation) * 90, "then": getattr(self.then, "key", True)}
        key.update({"flip": True} if self.flip else {})
        return {**key, "sar": sar_text(self.sar)} if self.sar else key


def upright_first(
    transform: Callable[[np.ndarray], np.ndarray] | None, rotation: int, flip: bool = False, sar: Any = None
) -> Callable[[np.ndarray], np.ndarray] | None:
    """`transform` made to get its frames upright (`Upright`) when the source has a display `rotation`:
    what it crops or reframes is the picture the viewer sees. None, an identity (`key` "identity") and a
    source with no rotation keep theirs: the stored frames go through, the rotation is written."""
    if (
        transform is None
        or (not quarter_turns(rotation) and not flip and not sar)
        or isinstance(transform, Upright)
        or getattr(transform, "key", None) == IDENTITY_KEY
    ):
        return transform
    return Upright(rotation, transform, flip, sar)


def written_rotation(rotation: int, transform: Callable[[np.ndarray], np.ndarray] | None) -> int:
    """The display rotation an output is tagged with: none where `transform` turned the frames upright
    (`upright_first`), else the source's."""
    return 0 if isinstance(transform, Upright) else rotation


def written_flip(flip: bool, transform: Callable[[np.ndarray], np.ndarray] | None) -> bool:
    """Whether an output is tagged mirrored: the source's mirror, unless `transform` applied it."""
    return False if isinstance(transform, Upright) else bool(flip)
