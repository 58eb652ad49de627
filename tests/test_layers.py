"""The layers: no lower layer imports a higher one (read from the source, so lazy imports count too).

io, timeline, flow, quality, scenes, windows, progress, codecs, models, metrics → generate, diffusion → runner → cli.
A name registry (`vidiff.flow`'s "module:factory" strings) is not an import and is not counted.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "vidiff"
LOWER = ("io", "timeline", "flow", "quality", "scenes", "windows", "progress", "codecs", "models", "metrics")
HIGHER = ("runner", "cli", "generate", "diffusion")
RULES = [pytest.param(layer, HIGHER, id=layer) for layer in LOWER] + [
    pytest.param("runner", ("cli",), id="runner")
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, text: str | None = None) -> list[tuple[str, int]]:
    """(imported vidiff module, line) for every import statement of a source file, at any depth."""
    mod = module_name(path)
    package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    text = path.read_text(encoding="utf-8") if text is None else text
    out = []
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            # `from vidiff import cli` and `from .. import cli` import the module vidiff.cli
            names = [f"{name}.{a.name}" for a in node.names] if name == "vidiff" else [name]
        else:
            continue
        out += [(n, node.lineno) for n in names if n == "vidiff" or n.startswith("vidiff.")]
    return out


def layer_of(module: str) -> str:
    """vidiff.io.writer -> io, vidiff.flow -> flow."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def sources(layer: str) -> list[Path]:
    return sorted((PKG / layer).rglob("*.py")) if (PKG / layer).is_dir() else [PKG / f"{layer}.py"]


def test_every_layer_named_exists():
    for layer in {*LOWER, *HIGHER}:
        assert sources(layer) and all(p.exists() for p in sources(layer)), layer


def test_the_walker_sees_lazy_relative_and_package_imports():
    src = "import os\ndef f():\n    from vidiff.cli import generate\nfrom ..cli import upscale\nfrom .. import runner\n"
    found = imports(PKG / "io" / "x.py", src)
    assert sorted(found) == [("vidiff.cli", 3), ("vidiff.cli", 4), ("vidiff.runner", 5)]
    assert {layer_of(m) for m, _ in found} == {"cli", "runner"}


@pytest.mark.parametrize("layer, forbidden", RULES)
def test_no_lower_layer_imports_a_higher_one(layer, forbidden):
    back = [
        f"{p.relative_to(PKG.parent)}:{line} imports {m}"
        for p in sources(layer)
        for m, line in imports(p)
        if layer_of(m) in forbidden
    ]
    assert not back, "\n".join(back)


def test_the_readme_module_map_is_the_tree_in_import_order():
    """README's module map names every module and package of vidiff/ once, and each imports only the rows
    above it (a lazy import counts)."""
    readme = (PKG.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Module map", 1)[1].split("\n## ", 1)[0]
    rows = [r.rstrip("/").removesuffix(".py") for r in re.findall(r"^\| `([^`]+)` \|", section, re.M)]
    tree = {p.stem for p in PKG.glob("*.py")} | {
        p.name for p in PKG.iterdir() if p.is_dir() and p.name[0] not in "_."
    }
    assert sorted(rows) == sorted(tree - {"__init__"}), "README module map != vidiff/"
    row = {name: i for i, name in enumerate(rows)}
    up = [
        f"{p.relative_to(PKG.parent)}:{line} imports {m} (a lower row of the map)"
        for p in sorted(PKG.rglob("*.py"))
        if layer_of(module_name(p)) in row
        for m, line in imports(p)
        if row.get(layer_of(m), -1) > row[layer_of(module_name(p))]
    ]
    assert not up, "\n".join(up)
