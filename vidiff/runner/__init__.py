"""The pipeline runner: decode -> dedupe -> scene cuts -> timeline plan -> interpolate -> encode."""

from vidiff.runner.upscale import keyframes, upscale_file

__all__ = ["keyframes", "upscale_file"]
