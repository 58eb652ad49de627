"""Image sequences, second part: one list of image extensions, gaps in a pattern's numbering, sequences
numbered from another start (in and out), deep (16-bit) images. Every sequence is written by the test."""

from __future__ import annotations

import subprocess
import sys

from vidiff.io import image_ext, sequence


def test_one_list_of_image_extensions() -> None:
    """The sequence reader, the still of `generate --image`, the recipe and the web app read one list, from
    a module light enough for `--help` (it imports neither PyAV nor NumPy)."""
    assert sequence.IMAGE_EXT is image_ext.IMAGE_EXT
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"} == set(image_ext.IMAGE_EXT)
    code = "import sys, vidiff.io.image_ext, vidiff.generate.clip; print('av' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    import vidiff.generate.clip as clip

    assert not hasattr(clip, "IMAGE_EXT")  # no second list
