"""A still for `generate` (`image`: the clip's first frame or the picture camera motion moves over;
`last_image`: the frame the clip ends on), read as 8-bit RGB before any model loads.

Each way a file cannot be a still is one line: a folder, a missing file, a device or pipe, a file no image
decoder reads (a video, a text file), a picture over 16384 pixels a side (checked in its header, before
the decode: a small PNG can declare gigabytes), and an animated image (a GIF, an animated WebP or PNG:
which of its frames is the still is not for vidiff to guess; one frame of it is, and the animation
itself is a `clip`). A TIFF's first page and an MPO JPEG's first picture (phones) are the still. A 16-bit image is rounded to 8 bits as every input is; a transparent
one loses its alpha with the note every input gets (`vidiff.io.notes`): the model sees the colour stored
under the transparent areas.
"""

from __future__ import annotations

import os
from typing import Any

from vidiff.errors import InputError

MAX_STILL_SIDE = 16384  # as video frames' (`vidiff.io.probe.MAX_SIDE`)
# the formats whose frames are an animation; a TIFF's pages (a thumbnail) or a phone's MPO JPEG (a depth
# map, a preview) hold the picture first: their first image is the still
ANIMATED_FORMATS = ("GIF", "WEBP", "PNG")


def check_still_path(path: str) -> None:
    """A one-line InputError unless `path` is a regular file (a folder is not a still: `make_clip` asks
    this first, before the output's checks name the folder as the input's)."""
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not an image file")
    if not os.path.isfile(path):
        what_is = "not a regular file (a device, pipe or socket); give an image file"
        raise InputError(f"{path}: {what_is if os.path.exists(path) else 'no such file'}")


def check_not_still(info: Any, path: str) -> None:
    """One line where a `clip` (`info`: its probe) is one picture in an image format: it is a still, so it
    goes in as `image` (else the line said it had too few frames, and not what to do)."""
    from pathlib import Path

    from vidiff.io.image_ext import IMAGE_EXT

    if info.n_frames == 1 and Path(path).suffix.lower() in IMAGE_EXT:
        raise InputError(f"{path}: a still: give it as --image")


def load_still(path: str, what: str = "image") -> Any:
    """The still at `path` as an RGB uint8 array (`what`: the option it came from, for the animated
    image's line); a one-line InputError for anything that is not one still."""
    import cv2

    check_still_path(path)
    from vidiff.io.image_size import declared_size

    size = declared_size(path)  # before the decode: a 400 KB PNG can declare 30000x30000 (2.7 GB decoded)
    if size is not None and max(size) > MAX_STILL_SIDE:
        raise InputError(
            f"{path}: image {size[0]}x{size[1]} is over the {MAX_STILL_SIDE}-pixel limit per side"
        )
    frames, transparent = _frames_and_alpha(path)
    if frames > 1:
        raise InputError(
            f"{path}: an animated image ({frames} frames), not a still: give {what} one frame as a PNG or "
            "JPEG" + (" (or the animation as clip)" if what == "image" else "")
        )
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"{path}: not a readable image")
    if max(img.shape[:2]) > MAX_STILL_SIDE:
        raise InputError(
            f"{path}: image {img.shape[1]}x{img.shape[0]} is over the {MAX_STILL_SIDE}-pixel limit per side"
        )
    if transparent:
        from vidiff.io.notes import input_notes, say_notes

        say_notes(path, input_notes("rgba", {}, {}, False))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _frames_and_alpha(path: str) -> tuple[int, bool]:
    """(frames, shows through anywhere) as Pillow reads the file; (1, False) where it cannot (the
    decoder then decides). An alpha plane opaque throughout loses nothing: not transparent."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            frames = int(getattr(im, "n_frames", 1)) if im.format in ANIMATED_FORMATS else 1
            if frames > 1 or not (im.mode in ("RGBA", "LA", "PA", "La") or "transparency" in im.info):
                return frames, False
            alpha = im.convert("RGBA").getchannel("A")
            return 1, alpha.getextrema()[0] < 255
    except Exception:  # noqa: BLE001 - not an image Pillow reads (or a damaged one): cv2 decides
        return 1, False
