"""The one number rule at the training config's doors: OmegaConf (YAML 1.1) reads '1_000' as 1000, which no
other vidiff door takes (`validate.check_ascii_number`), so `train.steps=1_000` and `steps: 1_000` in a
config file are refused in the rule's words instead of being read as another number."""

from __future__ import annotations

import yaml

from vidiff.recipes.yaml_load import separated_number
from vidiff.validate import check_ascii_number


def check_override(override: str) -> None:
    """Refuse `key=value` whose value YAML would read as a number written with '_' separators."""
    key, _, raw = override.partition("=")
    _check_scalar(raw.strip(), f"override {override!r}: {key.strip()}")


def check_text(text: str, where: str) -> None:
    """Refuse a plain scalar of a config file's `text` that YAML would read as a number with '_'."""
    try:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return  # the reader's own line
    for e in events:
        if isinstance(e, yaml.ScalarEvent) and e.implicit[0] and e.style is None:
            _check_scalar(e.value, f"{where} line {e.start_mark.line + 1}")


def _check_scalar(value: str, what: str) -> None:
    if separated_number(
        value, yaml.SafeLoader.resolve(yaml.SafeLoader, yaml.ScalarNode, value, (True, False))
    ):
        check_ascii_number(value, what)
