"""vidiff: frame-rate upscaling, infilling and temporal-consistency metrics for real video clips.

The public Python API is re-exported here; see README.md.
"""

from vidiff.errors import ConfigError, InputError, OutputError, UnsupportedError, VidiffError
from vidiff.flow import Interpolator, get_interpolator, interpolator_names, register_interpolator
from vidiff.io.probe import VideoInfo, probe
from vidiff.io.reader import Frame, VideoReader, read_frames
from vidiff.io.samples import sample_clip
from vidiff.io.writer import VideoWriter
from vidiff.runner import upscale_file

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Frame",
    "InputError",
    "Interpolator",
    "OutputError",
    "UnsupportedError",
    "VidiffError",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "get_interpolator",
    "interpolator_names",
    "probe",
    "read_frames",
    "register_interpolator",
    "sample_clip",
    "upscale_file",
]
