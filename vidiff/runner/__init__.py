"""The pipeline runner: decode -> dedupe -> scene cuts -> timeline plan -> interpolate -> encode."""

from vidiff.runner.upscale import upscale_file

__all__ = ["upscale_file"]
