"""The YAML reader of recipes and `stage.key=value` overrides: PyYAML's safe loader, except that a plain
scalar with Python's digit separators ('1_000', YAML 1.1 only) stays text, so vidiff's one number rule
(`validate.check_ascii_number`) refuses it instead of YAML reading it as 1000."""

from __future__ import annotations

from typing import Any

import yaml

_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader whose implicit ints and floats never contain '_' (those plain scalars are strings)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        tag = super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode and tag in _NUMBER_TAGS and implicit[0] and "_" in value:
            return "tag:yaml.org,2002:str"
        return tag


def load_yaml(text: str) -> Any:
    """`text` read as YAML by `RecipeLoader` (raises yaml.YAMLError like yaml.safe_load)."""
    return yaml.load(text, Loader=RecipeLoader)  # noqa: S506 - a SafeLoader subclass
