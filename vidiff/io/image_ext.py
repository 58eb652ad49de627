"""The image files vidiff reads as frames or stills, by extension: one list for every door.

An image sequence's frames (`vidiff.io.sequence`), a still for `generate --image` (`vidiff.generate.clip`),
a recipe's input and the web app's upload filter all take these. Kept in a module of its own that imports
nothing, so the CLI's `--help` and `vidiff.generate.clip` read it without loading PyAV or NumPy.
"""

from __future__ import annotations

# lower case, with the dot; a tuple, so `name.lower().endswith(IMAGE_EXT)` works as `suffix in IMAGE_EXT`
IMAGE_EXT: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
