"""The last video diffusion pipeline loaded, kept for the next run in the same process.

Loading a real model's weights takes from seconds to minutes (a 14B transformer, a T5-XXL text encoder),
and the web app, or a script calling `make_clip` in a loop over prompts or seeds, loaded them again for
every clip. One pipeline is kept: the next run with the same weights, device, dtype, offload level, fp8
weight storage, single-file transformers or VAE and LoRAs takes it as it is (a step cache is put on for
one run and taken off after it: `vidiff.generate.step_cache`). A run that needs another one frees the kept one first, so two
models are never held for the cache's sake. A kept pipeline is used by one run at a time (a diffusers
pipeline is not safe to call from two threads): a run while it is in use loads its own, not kept, as
every run did before (no run ever waits on another). A local folder's files are
part of the key (size and time of change), so weights changed on disk are loaded again.
`free_models()` gives the kept pipeline's memory back.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_LOCK = threading.RLock()  # a finaliser run by gc may release a hold on this thread
_SLOT: dict[str, Any] = {}  # "key", "pipe" (None while it builds), "busy"


def files_key(*paths: str | os.PathLike[str] | None) -> tuple:
    """(path, size, time of change) of every file under each local path (a folder or a file): what
    tells a pipeline built from them from one built from the same paths changed since."""
    out = []
    for p in paths:
        if p is None or not Path(p).exists():
            out.append((str(p),))
            continue
        root = Path(p)
        for f in sorted([root] if root.is_file() else root.rglob("*")):
            if f.is_file():
                st = f.stat()
                out.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(out)


@contextlib.contextmanager
def loaded(key: tuple, build: Callable[[], Any]) -> Iterator[Any]:
    """The pipeline for `key`: the kept one, else `build()` (kept when the slot is free); held by this
    run until the block ends. A build that fails keeps nothing."""
    dropped = False
    with _LOCK:
        keep = not _SLOT.get("busy")  # in use by another run: this one loads its own, not kept
        pipe = _SLOT["pipe"] if keep and _SLOT.get("key") == key else None
        if keep:
            if pipe is None:
                dropped = _drop()  # another model's memory back before this one loads
                _SLOT.update(key=key, pipe=None)
            _SLOT["busy"] = True
    if dropped:
        _collect()
    if pipe is None:
        try:
            pipe = build()
        except BaseException:
            if keep:
                with _LOCK:
                    _drop()
            raise
        if keep:
            with _LOCK:
                _SLOT["pipe"] = pipe
    try:
        yield pipe
    finally:
        if keep:
            with _LOCK:
                if _SLOT.get("pipe") is pipe:  # still the kept one (not forgotten since)
                    _SLOT["busy"] = False


def free_models() -> bool:
    """Give back the kept pipeline's memory (CPU and GPU); False when a run is using it (it stays)."""
    with _LOCK:
        if _SLOT.get("busy"):
            return False
        dropped = _drop()
    if dropped:
        _collect()
    return True


def _drop() -> bool:
    """Forget the kept pipeline (the caller holds `_LOCK`); whether there was one to collect."""
    had = _SLOT.get("pipe") is not None
    _SLOT.clear()
    return had


def _collect() -> None:
    """Return a forgotten pipeline's memory (outside `_LOCK`: a finaliser gc runs may take it)."""
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # no torch: nothing was loaded
        pass
