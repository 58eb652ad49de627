"""`checked_call`: a public function's arguments bound to its signature first, so an unknown keyword, a
missing argument or one positional too many is one `ConfigError` sentence naming what the call takes,
never Python's `TypeError` (the API's rule: a `VidiffError` for every bad call, before any work)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from vidiff.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def checked_call(fn: F) -> F:
    """`fn` (a function, or a class's `__init__`), its arguments checked against its signature on each
    call: a call that does not fit raises `ConfigError` naming the parameters it takes."""
    sig = inspect.signature(fn)
    name = fn.__qualname__.removesuffix(".__init__")
    takes = [
        p.name
        for p in sig.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            sig.bind(*args, **kwargs)
        except TypeError as e:
            raise ConfigError(f"{name}: {e}; it takes {', '.join(takes) or 'no arguments'}") from None
        return fn(*args, **kwargs)

    return call  # type: ignore[return-value]
