"""A scope that ignores warnings while some library work runs (a model's load), safe when scopes overlap
on threads (the web app's requests). `warnings.catch_warnings` saves and restores the process's whole
filter list, so two overlapping scopes (A in, B in, A out, B out) left every warning ignored for good;
here the first scope in saves the filters and the last one out restores them."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

_LOCK = threading.Lock()
_OPEN: list = []  # [the filters before the first scope, then one marker per open scope]


@contextlib.contextmanager
def no_warnings() -> Iterator[None]:
    """Every warning ignored while any scope is open (process-wide, as warnings are); restored after
    the last."""
    with _LOCK:
        if not _OPEN:
            _OPEN.append(warnings.filters[:])
            warnings.simplefilter("ignore")
        _OPEN.append(None)
    try:
        yield
    finally:
        with _LOCK:
            _OPEN.pop()
            if len(_OPEN) == 1:
                warnings.filters[:] = _OPEN.pop()
                getattr(warnings, "_filters_mutated", lambda: None)()  # the filter cache, as catch_warnings
