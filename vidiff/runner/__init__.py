"""The pipeline runner: decode -> dedupe -> scene cuts -> timeline plan -> interpolate -> encode."""

from vidiff.runner.options import UpscaleOptions
from vidiff.runner.upscale import upscale_file

__all__ = ["UpscaleOptions", "upscale_file"]
