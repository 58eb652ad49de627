"""Where vidiff's model weights are: a trained run's model folder, or a shipped model by name. Torch-free,
so a method's `weights` can be checked before any work (`vidiff bench`'s `diffusion@DIR`)."""

from __future__ import annotations

import os
from pathlib import Path

from vidiff.errors import InputError
from vidiff.validate import check_path

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"  # the shipped models, one folder each


def resolve_model_path(path: str | os.PathLike[str]) -> Path:
    """A model folder, or the name of a shipped one under vidiff/weights/; a clear error if missing."""
    p = Path(check_path(path, "model"))
    if not (p / "vidiff.json").exists() and not p.is_absolute() and (WEIGHTS_DIR / str(path)).exists():
        p = WEIGHTS_DIR / str(path)
    if not (p / "vidiff.json").exists():
        shipped = (
            sorted(d.name for d in WEIGHTS_DIR.iterdir() if (d / "vidiff.json").exists())
            if WEIGHTS_DIR.exists()
            else []
        )
        hint = f"shipped models: {', '.join(shipped)}" if shipped else "no shipped weights are installed"
        raise InputError(
            f"model weights not found at {str(path)!r} ({hint}); train some with `vidiff train configs/train/default.yaml`"
        )
    return p
