"""Step caching for a video diffusion model's transformer (`--cache`): skip transformer work on sampler
steps whose output barely changes.

`first-block[:THRESHOLD]` is diffusers' First Block Cache (`diffusers.hooks.first_block_cache`, from
ParaAttention's, after TeaCache: Liu et al. 2024, arXiv:2411.19108): each pass runs the first transformer
block, and when its residual changed by less than THRESHOLD (relative mean absolute change) since the last
full pass, the other blocks are skipped and their last residual reused. It is what ComfyUI users reach for
as TeaCache / First Block Cache. Whether a model takes it is read from diffusers' own registries before the
weights load: its transformer class takes caches (`CacheMixin`), diffusers knows its blocks
(`TransformerBlockRegistry`), and its pipelines name each transformer pass (`cache_context`). The cache is
put on the transformer(s) for one run only and taken off after it (a kept pipeline carries none into the
next run: `vidiff.generate.loaded`), and its state is reset before each window. This module imports
nothing heavy at load time (the CLI reads its constants for `--help`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from vidiff.errors import ConfigError, UnsupportedError

CACHES = ("first-block",)
DEFAULT_THRESHOLD = 0.05  # diffusers' FirstBlockCacheConfig default
MAX_THRESHOLD = 1.0  # a relative change: at 1 nearly every pass after the first is skipped
DENOISERS = ("transformer", "transformer_2")  # the parts a cache goes on (Wan 2.2 A14B: both)


@dataclass(frozen=True)
class CacheSpec:
    """A parsed `--cache`: its method and threshold."""

    method: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.method}:{self.threshold:g}"


def parse_cache(value: object) -> CacheSpec | None:
    """'first-block' or 'first-block:0.1' -> CacheSpec (None: no cache); one ConfigError line otherwise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"cache {value!r}: write it as METHOD[:THRESHOLD], e.g. first-block:0.05")
    method, _, given = value.strip().partition(":")
    if method not in CACHES:
        raise ConfigError(
            f"unknown cache {method!r}; choose one of: {', '.join(CACHES)} (METHOD[:THRESHOLD])"
        )
    if not given:
        return CacheSpec(method, DEFAULT_THRESHOLD)
    from vidiff.validate import check_ascii_number

    check_ascii_number(given, "cache threshold")
    try:
        threshold = float(given)
    except ValueError:
        raise ConfigError(f"cache {value!r}: the threshold must be a number, e.g. {method}:0.05") from None
    if not (math.isfinite(threshold) and 0 < threshold <= MAX_THRESHOLD):
        raise ConfigError(
            f"cache {value!r}: the threshold must be above 0 and at most {MAX_THRESHOLD:g} (a relative change)"
        )
    return CacheSpec(method, threshold)


def check_cache_support(kind: str, transformer_class: str | None, pipelines: tuple[str, ...]) -> None:
    """A one-line UnsupportedError, before the weights load, unless diffusers' First Block Cache works for
    `transformer_class` (from model_index.json) called by each of `pipelines` (the run's classes)."""
    import inspect

    import diffusers
    from diffusers.hooks._helpers import TransformerBlockRegistry
    from diffusers.models.cache_utils import CacheMixin

    cls = getattr(diffusers, transformer_class or "", None)
    if cls is None or not (isinstance(cls, type) and issubclass(cls, CacheMixin)):
        raise UnsupportedError(
            f"cache: the {kind}'s denoiser ({transformer_class or 'none named'}) takes no step cache in "
            "diffusers; leave cache out"
        )
    TransformerBlockRegistry._register()  # diffusers fills it on first use
    if not any(c.__module__ == cls.__module__ for c in TransformerBlockRegistry._registry):
        raise UnsupportedError(
            f"cache: diffusers' first-block cache does not know the {transformer_class}'s blocks; leave cache out"
        )
    for name in pipelines:
        if "cache_context" not in inspect.getsource(getattr(diffusers, name).__call__):
            raise UnsupportedError(
                f"cache: diffusers' {name} does not name its transformer passes (cache_context), which the "
                "cache needs; leave cache out"
            )


class CacheCount:
    """Transformer passes counted while a cache is on: all of them, and those whose later blocks ran
    (a forward pre-hook on the last block's first layer, which a skipped pass never calls)."""

    def __init__(self) -> None:
        self.passes = 0
        self.computed = 0
        self.handles: list[Any] = []

    def facts(self, spec: CacheSpec) -> dict[str, Any]:
        """The report's `cache` entry."""
        skipped = self.passes - self.computed
        return {"method": spec.method, "threshold": spec.threshold, "passes": self.passes, "skipped": skipped}


def _denoisers(pipe: Any) -> list[Any]:
    return [m for m in (getattr(pipe, n, None) for n in DENOISERS) if m is not None]


def apply_cache(pipe: Any, spec: CacheSpec | None) -> CacheCount | None:
    """The cache of `spec` on each of the pipeline's transformers (None: none, and any left taken off)."""
    remove_cache(pipe)
    if spec is None:
        return None
    from diffusers.hooks import FirstBlockCacheConfig

    count = CacheCount()
    for t in _denoisers(pipe):
        try:
            t.enable_cache(FirstBlockCacheConfig(threshold=spec.threshold))
        except ValueError as e:  # a block diffusers does not know (checked before loading: not expected)
            remove_cache(pipe)
            raise UnsupportedError(f"cache: {e}") from None
        tail = _tail_block(t)
        count.handles += [
            t.register_forward_pre_hook(lambda *_: setattr(count, "passes", count.passes + 1)),
            next(tail.children(), tail).register_forward_pre_hook(
                lambda *_: setattr(count, "computed", count.computed + 1)
            ),
        ]
    pipe._vidiff_cache = count
    return count


def _tail_block(t: Any) -> Any:
    """The transformer's last block as First Block Cache orders them (its block lists, in order)."""
    import torch
    from diffusers.hooks._common import _ALL_TRANSFORMER_BLOCK_IDENTIFIERS

    lists = [m for n, m in t.named_children() if n in _ALL_TRANSFORMER_BLOCK_IDENTIFIERS]
    return [m for m in lists if isinstance(m, torch.nn.ModuleList)][-1][-1]


def reset_cache(pipe: Any) -> None:
    """A fresh cache state on each transformer (before each window: a window cancelled mid-way leaves
    its state, which diffusers resets only at the end of a call)."""
    for t in _denoisers(pipe):
        if getattr(t, "is_cache_enabled", False):
            t._reset_stateful_cache()


def remove_cache(pipe: Any) -> None:
    """Every cache and counting hook off the pipeline's transformers (as loaded)."""
    count = getattr(pipe, "_vidiff_cache", None)
    for h in count.handles if count is not None else ():
        h.remove()
    pipe._vidiff_cache = None
    for t in _denoisers(pipe):
        if getattr(t, "is_cache_enabled", False):
            t.disable_cache()
