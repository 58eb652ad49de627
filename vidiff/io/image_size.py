"""`declared_size`: an image's width and height from its header, read before it is decoded, so a small file
that declares a huge picture (a PNG 'decompression bomb': 400 KB that decode to gigabytes) is refused
without the memory its decode would take."""

from __future__ import annotations

import os


def declared_size(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(width, height) an image file's header declares; None where Pillow cannot read the header (the
    decoder then decides). A size past Pillow's own bomb limit is returned as such, not raised."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except Image.DecompressionBombError:
        Image.MAX_IMAGE_PIXELS, limit = None, Image.MAX_IMAGE_PIXELS
        try:
            with Image.open(path) as im:
                return im.size
        finally:
            Image.MAX_IMAGE_PIXELS = limit
    except Exception:  # not an image Pillow reads: left to the decoder
        return None
