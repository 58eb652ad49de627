"""`checked_call`: a public function's arguments bound to its signature first, so an unknown keyword, a
missing argument or one positional too many is one `ConfigError` sentence naming what the call takes,
never Python's `TypeError` (the API's rule: a `VidiffError` for every bad call, before any work); a whole
number too long to print (Python refuses `str()` of an int of over 4300 digits, so every error line that
quoted one was a `ValueError` instead) is refused here too, for every argument at once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

from vidiff.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

MAX_BITS = 13_000  # about 3900 decimal digits: printable under Python's 4300-digit limit for int -> str


def _too_long(value: object, depth: int = 0) -> bool:
    """`value` is, or holds (in a list, tuple, set or dict, two levels down), a whole number or Fraction
    whose terms are over `MAX_BITS` long (NumPy's integers are 64 bits at most: never)."""
    if isinstance(value, int):
        return value.bit_length() > MAX_BITS
    if isinstance(value, Fraction):
        return max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_BITS
    if depth < 2 and isinstance(value, (list, tuple, set, frozenset)):
        return any(_too_long(v, depth + 1) for v in value)
    if depth < 2 and isinstance(value, dict):
        return any(_too_long(k, depth + 1) or _too_long(v, depth + 1) for k, v in value.items())
    return False


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
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise ConfigError(f"{name}: {e}; it takes {', '.join(takes) or 'no arguments'}") from None
        given = dict(bound.arguments)
        for p in sig.parameters.values():  # **options: each by its own name
            if p.kind is p.VAR_KEYWORD:
                given.update(given.pop(p.name, {}))
        for arg, value in given.items():
            if _too_long(value):
                raise ConfigError(
                    f"{name}: {arg} holds a number of over {MAX_BITS * 3 // 10} digits; no option takes one"
                )
        return fn(*args, **kwargs)

    return call  # type: ignore[return-value]
