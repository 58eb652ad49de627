"""The protocol every writer of an output that appears only complete follows (`VideoWriter`,
`FrameWriter`, `GifWriter`): `close()` finishes it (the file or folder renamed into place), `_abort()`
removes what was written and releases the lock; `with` closes on success and aborts on an error, and a
writer dropped unclosed aborts. One mixin, so the three writers cannot drift apart on it; `RgbOutput`
adds the two image writers' `write` and `write_frame`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TypeVar

_W = TypeVar("_W", bound="AtomicOutput")


class AtomicOutput:
    """`with` and drop handling over a writer's `write`, `close` and `_abort` (and its `_closed` flag)."""

    _closed: bool
    write: Any
    close: Any
    _abort: Any

    def write_all(self, images: Iterable[Any]) -> None:
        """Write every frame of an iterable."""
        for im in images:
            self.write(im)

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()

    def __del__(self) -> None:
        """Dropped unclosed (no `with`, an error between writes): the partial output and the lock go with
        it, as an error inside `with` does (at interpreter exit what it needs may be gone: never raises)."""
        with contextlib.suppress(Exception):
            if not self._closed:
                self._abort()


class RgbOutput(AtomicOutput):
    """An output written from RGB uint8 frames of the writer's `width` x `height` (`FrameWriter`,
    `GifWriter`): `write` checks an image, `write_frame` takes a decoded segment's frame (a lossless
    one: its RGB comes back exactly); both hand the RGB to the writer's `_append`."""

    width: int
    height: int
    _append: Any

    def write(self, image: Any) -> None:
        """Append one RGB uint8 frame of the writer's size."""
        from vidiff.validate import check_image

        check_image(image, "frame", (self.height, self.width, 3))
        self._append(image)

    def write_frame(self, frame: Any) -> None:
        """Append one decoded frame (a lossless segment's, `PARTS_ENCODE`)."""
        from vidiff.io.color import frame_to_rgb

        self._append(frame_to_rgb(frame))
