"""A clip's display rotation (a phone's display matrix) applied to its pixels, where a stage needs frames
the way a player shows them.

A phone films portrait as landscape frames (1920x1080) with a display rotation of 90 or 270 degrees in
the stream's side data; players turn the frames on the way to the screen. vidiff keeps the frames as
stored and writes the rotation into the output (lossless, and the same frames are interpolated), except
where a stage changes the picture's shape: a reframe to 9:16 or 1:1, a crop, a generated clip. Such a
stage must see the frames upright and the output is then written upright with no rotation; given the
stored frames, a phone's portrait clip was cropped sideways (the landscape 9:16 middle of a turned
picture) and a 9:16 output of it was shown on its side, 1920 wide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

IDENTITY_KEY = "identity"  # a transform keyed so hands frames back as they are (a progress hook)


def quarter_turns(rotation: int | float) -> int:
    """Counter-clockwise quarter turns (0-3) of a display rotation in degrees (as `VideoInfo.rotation`:
    counter-clockwise, what ffmpeg's display matrix says; -90 is 270)."""
    return round(rotation / 90) % 4


def upright(image: np.ndarray, rotation: int | float) -> np.ndarray:
    """`image` (H, W, ...) as a player shows it: turned by its stream's display `rotation` (degrees
    counter-clockwise); the frame itself (not a copy) when there is nothing to turn."""
    turns = quarter_turns(rotation)
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image


def upright_size(width: int, height: int, rotation: int | float) -> tuple[int, int]:
    """The (width, height) a player shows a `width` x `height` frame at, with its display `rotation`."""
    return (height, width) if quarter_turns(rotation) % 2 else (width, height)


class Upright:
    """A frame transform that gets frames upright: `then(upright(image, rotation))`. Picklable where
    `then` is, so worker processes apply it too; `key` (a run's resume key) names both."""

    def __init__(self, rotation: int, then: Callable[[np.ndarray], np.ndarray]) -> None:
        self.rotation, self.then = int(rotation), then

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.then(upright(image, self.rotation))

    @property
    def key(self) -> dict[str, Any]:
        return {"upright": quarter_turns(self.rotation) * 90, "then": getattr(self.then, "key", True)}


def upright_first(
    transform: Callable[[np.ndarray], np.ndarray] | None, rotation: int
) -> Callable[[np.ndarray], np.ndarray] | None:
    """`transform` made to get its frames upright (`Upright`) when the source has a display `rotation`:
    what it crops or reframes is the picture the viewer sees. None, an identity (`key` "identity") and a
    source with no rotation keep theirs: the stored frames go through, the rotation is written."""
    if (
        transform is None
        or not quarter_turns(rotation)
        or isinstance(transform, Upright)
        or getattr(transform, "key", None) == IDENTITY_KEY
    ):
        return transform
    return Upright(rotation, transform)


def written_rotation(rotation: int, transform: Callable[[np.ndarray], np.ndarray] | None) -> int:
    """The display rotation an output is tagged with: none where `transform` turned the frames upright
    (`upright_first`), else the source's."""
    return 0 if isinstance(transform, Upright) else rotation
