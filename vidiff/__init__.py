"""vidiff: frame-rate upscaling, infilling and temporal-consistency metrics for real video clips.

The public Python API is re-exported here; see README.md. Names load on first use (PEP 562), so
`import vidiff` (and every `vidiff.x` submodule, which imports this package first) costs neither PyAV,
OpenCV nor torch until a name that needs them is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__version__ = "0.1.0"

# public name -> the module that defines it
_NAMES = {
    "ConfigError": "vidiff.errors",
    "InputError": "vidiff.errors",
    "OutputError": "vidiff.errors",
    "UnsupportedError": "vidiff.errors",
    "VidiffError": "vidiff.errors",
    "Interpolator": "vidiff.flow",
    "get_interpolator": "vidiff.flow",
    "interpolator_names": "vidiff.flow",
    "register_interpolator": "vidiff.flow",
    "VideoFile": "vidiff.io.probe",
    "ImageSequence": "vidiff.io.sequence",
    "VideoInfo": "vidiff.io.probe",
    "probe": "vidiff.io.probe",
    "Frame": "vidiff.io.reader",
    "VideoReader": "vidiff.io.reader",
    "read_frames": "vidiff.io.reader",
    "sample_clip": "vidiff.io.samples",
    "VideoWriter": "vidiff.io.writer",
    "UpscaleOptions": "vidiff.runner.options",
    "upscale_file": "vidiff.runner.upscale",
}

__all__ = sorted(_NAMES)


def lazy_names(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A PEP 562 module `__getattr__` for `package` that imports each of `names` (name -> defining module)
    on first use and keeps it in the package's namespace."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value = getattr(importlib.import_module(names[name]), name)
        return value

    return __getattr__


__getattr__ = lazy_names(__name__, _NAMES)
