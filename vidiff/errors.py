"""The `VidiffError` family: expected failures that the CLI reports as one line, exit code 2."""

from __future__ import annotations


class VidiffError(Exception):
    """Base of every error vidiff reports to a user as one clear line (no traceback)."""

    exit_code = 2

    def __str__(self) -> str:
        # one line, whatever a message quotes (the repr of an array spans several)
        return " ".join(super().__str__().split()) if "\n" in super().__str__() else super().__str__()


class InputError(VidiffError):
    """The input file is missing, not a video, truncated, empty or otherwise unusable."""


class OutputError(VidiffError):
    """The output path cannot be written (unwritable folder, same as the input, bad extension)."""


class ConfigError(VidiffError):
    """A config, recipe or option is invalid (unknown key, bad value)."""


class UnsupportedError(VidiffError):
    """The input is a valid video that vidiff cannot process with the asked options."""
