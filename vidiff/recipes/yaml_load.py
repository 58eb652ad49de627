"""The YAML reader of recipes and `stage.key=value` overrides: PyYAML's safe loader, except that
- a plain scalar with Python's digit separators ('1_000', YAML 1.1 only) stays text, so vidiff's one number
  rule (`validate.check_ascii_number`) refuses it instead of YAML reading it as 1000;
- a plain scalar written as Python writes numbers ('1e3', '-1e5', 'inf', 'nan', '1e400'; YAML 1.1 wants
  '1.0e+3' and '.inf') is a number, so the option's own check says why (a range) instead of 'wrong type';
  a whole one (1e3) is an int, taken wherever 1000 is."""

from __future__ import annotations

import re
from typing import Any

import yaml

_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_STR_TAG, _PYTHON_NUMBER_TAG = "tag:yaml.org,2002:str", "tag:vidiff:python-number"
# what Python's float() reads, written in ASCII without '_' (and no bare '.' or 'e5')
_PYTHON_FLOAT = re.compile(r"[-+]?((\d+\.?\d*|\.\d+)(e[-+]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


def separated_number(value: str, tag: str) -> bool:
    """Whether a plain scalar that YAML 1.1 resolved to `tag` is a number written with Python's '_' digit
    separators (YAML reads '1_000' as 1000; no other vidiff door does)."""
    return tag in _NUMBER_TAGS and "_" in value


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader whose implicit ints and floats never contain '_' (those plain scalars are strings), and
    whose plain scalars that Python's float() reads are floats."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        tag = super().resolve(kind, value, implicit)
        if kind is not yaml.ScalarNode or not implicit[0]:
            return tag
        if separated_number(value, tag):
            return _STR_TAG
        if tag == _STR_TAG and value.isascii() and _PYTHON_FLOAT.fullmatch(value):
            return _PYTHON_NUMBER_TAG
        return tag


def _python_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float | int:
    value = float(node.value)
    return int(value) if value.is_integer() else value  # 1e3 is 1000 (an int key takes it); inf stays


RecipeLoader.add_constructor(_PYTHON_NUMBER_TAG, _python_number)


def load_yaml(text: str) -> Any:
    """`text` read as YAML by `RecipeLoader` (raises yaml.YAMLError like yaml.safe_load)."""
    return yaml.load(text, Loader=RecipeLoader)  # noqa: S506 - a SafeLoader subclass
