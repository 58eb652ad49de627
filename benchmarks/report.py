"""What every benchmark script writes: its own command line, results.json and results.md (BENCHMARK.md).

Imported by the scripts beside it (`python benchmarks/X.py` puts this folder on sys.path).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any


def command_line(script: str, argv: list[str] | None) -> str:
    """`python benchmarks/SCRIPT ARGS` as the results files quote it (argv None: this process's)."""
    return f"python benchmarks/{script} {shlex.join(argv if argv is not None else sys.argv[1:])}".strip()


def rows_json(body: dict[str, Any] | list[Any]) -> str:
    """`body` as JSON with each row (an item of a list, or of its "rows") compact on a line of its own:
    diffs stay a line a row, and the file a third of indented JSON's size (the GPU check carries the
    whole tree, 64 MiB a call). Strict JSON: a NaN or infinite value is a ValueError here, not the
    `NaN`/`Infinity` that other readers (jq, browsers) refuse."""

    def items(rows: list[Any]) -> str:
        return "[\n" + ",\n".join(json.dumps(r, separators=(",", ":"), allow_nan=False) for r in rows) + "\n]"

    if isinstance(body, list):
        return items(body) + "\n"
    head = [f"{json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in body.items() if k != "rows"]
    if "rows" in body:
        head.append(f'"rows": {items(body["rows"])}')
    return "{\n" + ",\n".join(head) + "\n}\n"


def write_report(
    out: str | Path, cmd: str, rows: list[dict[str, Any]], lines: list[str], **summary: Any
) -> None:
    """results.json ({"command", **summary, "rows"}) and results.md (`lines`) in `out`, and the markdown
    printed."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(rows_json({"command": cmd, **summary, "rows": rows}))
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
