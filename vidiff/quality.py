"""Quality tiers (`--quality fast|balanced|max|auto`): one name for a method and its options.

Every door (upscale, infill, recipes, bench, the Python API, the web app) resolves a tier through this
one table (`TIERS`, `apply_quality`), so a tier means the same everywhere. A low layer: it names methods
(`vidiff.flow`), it does not build them. Each tier's help line takes its figures from
`vidiff.flow.METHOD_FACTS` (under `FACTS_KEY`), and says only what the tier is where none are measured.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from vidiff.errors import ConfigError
from vidiff.flow import AUTO, check_method_options, facts_text


class Tier(NamedTuple):
    """A tier: the method it runs, the options it sets on that method, and what it is, in a few words."""

    method: str
    options: dict[str, Any]
    what: str


# in the order `--quality`'s help and the web app's menu list them
TIERS: dict[str, Tier] = {
    "fast": Tier("dis", {}, "DIS optical flow both ways (method dis), the fastest that follows motion"),
    "balanced": Tier("diffusion", {}, "vidiff's model (method diffusion), one pass over each window"),
    "max": Tier(
        "diffusion",
        {"ensemble": 2},
        "vidiff's model over each window and over the window played backwards, averaged "
        "(method diffusion, ensemble=2): two passes of the model",
    ),
    AUTO: Tier(AUTO, {}, "balanced where RIFE's weights are fetched (`vidiff fetch rife`), else fast"),
}
# the METHOD_FACTS key whose figures a tier's line shows (none for auto: it is one of the others)
FACTS_KEY = {"fast": "dis", "balanced": "diffusion", "max": "max"}


def quality_line(name: str) -> str:
    """What tier `name` is and, where measured (METHOD_FACTS), its figures, in one line."""
    figures = facts_text(FACTS_KEY[name]) if name in FACTS_KEY else ""
    return TIERS[name].what + (f"; {figures}" if figures else "")


def quality_help() -> str:
    """Every tier with its line, for a `--quality` help text."""
    return "; ".join(f"{name}: {quality_line(name)}" for name in TIERS)


def check_quality(quality: object) -> str:
    """`quality` if it names a tier, else one `ConfigError` line naming the tiers."""
    if not isinstance(quality, str) or quality not in TIERS:
        raise ConfigError(f"unknown quality {quality!r:.60}; choose one of: {', '.join(TIERS)}")
    return quality


def apply_quality(
    quality: str | None, method: Any = AUTO, method_options: dict[str, Any] | None = None
) -> tuple[Any, dict[str, Any] | None]:
    """(method, method options) that `quality` stands for, the given options over the tier's (--steps,
    --seed, --device, --engine combine with a tier); quality None: `method` and `method_options` as given.

    A tier with an explicit method other than `auto`, or with an option the tier sets to another value,
    is one `ConfigError` line: the two would say different things."""
    if quality is None:
        return method, method_options
    tier = TIERS[check_quality(quality)]
    if not (isinstance(method, str) and method == AUTO):  # an Interpolator too (any object: no `!=`)
        shown = method if isinstance(method, str) else getattr(method, "name", type(method).__name__)
        raise ConfigError(
            f"give method or quality, not both (method {shown!r:.60}, quality {quality!r}); "
            f"quality {quality} runs {tier.method}"
        )
    given = dict(method_options or {})
    for key, value in tier.options.items():
        if key in given and given[key] != value:
            raise ConfigError(
                f"quality {quality!r} sets {key}={value!r}, not {given[key]!r}; for another {key}, give "
                f"method {tier.method} with its options instead"
            )
    return tier.method, {**tier.options, **given}


def checked_method(
    quality: str | None, method: str, method_options: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """`apply_quality`, then its options checked against the method it names (`check_method_options`:
    an option the method does not take, a device torch cannot use), each refusal one `ConfigError` line
    that names the tier where one was given."""
    name, options = apply_quality(quality, method, method_options)
    options = dict(options or {})
    try:
        check_method_options(name, options)
    except ConfigError as e:
        if quality is None:
            raise
        raise ConfigError(f"quality {quality!r} ({name}): {e}") from None
    return name, options
