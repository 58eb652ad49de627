"""What a file's facts found once a process are kept by: its path, size and modification time.

A file's scans (`vidiff.io.field_scan`, the film's phase, its last frames: `vidiff.io.access_tail`,
`vidiff.io.cut_tail`) are kept under `file_key`, so a file rewritten in place is scanned again.
"""

from __future__ import annotations

import os


def file_key(path: str | os.PathLike[str]) -> tuple[str, int, int] | None:
    """(absolute path, size, mtime in ns) of `path`; None where it cannot be stat'ed (not a file)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return os.path.abspath(os.fspath(path)), st.st_size, st.st_mtime_ns
