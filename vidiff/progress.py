"""Progress display for long work: frames done, frames per second, ETA (tqdm on stderr)."""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int | None, desc: str, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr counting frames; disabled (silent) for --quiet or when not wanted."""
    return tqdm(
        total=total,
        desc=desc,
        unit="frame",
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )
