"""`check_text_file`: a small text file the user names (a recipe, a training config, prompts) is a regular
file of at most `MAX_TEXT_FILE` bytes before it is read, so /dev/zero or a named pipe is one `ConfigError`
line, not a read that fills the memory or waits forever for a writer."""

from __future__ import annotations

import os
import stat

from vidiff.errors import ConfigError

MAX_TEXT_FILE = 1_000_000  # bytes: a recipe or a config is a few hundred; a bigger file is not one


def check_text_file(path: str | os.PathLike[str], what: str) -> None:
    """A `ConfigError` unless `path` is a regular file of at most MAX_TEXT_FILE bytes (`what`: 'recipe'...).
    Missing files and folders are left to the caller's own message."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return
    if stat.S_ISDIR(st.st_mode):
        return
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path}: not a regular file (a device, pipe or socket); give a {what} file")
    if st.st_size > MAX_TEXT_FILE:
        raise ConfigError(f"{path}: {st.st_size} bytes is too big for a {what} (at most {MAX_TEXT_FILE})")
