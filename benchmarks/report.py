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


def write_report(
    out: str | Path, cmd: str, rows: list[dict[str, Any]], lines: list[str], **summary: Any
) -> None:
    """results.json ({"command", **summary, "rows"}) and results.md (`lines`) in `out`, and the markdown
    printed."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    body = {"command": cmd, **summary, "rows": rows}
    (out_dir / "results.json").write_text(json.dumps(body, indent=1) + "\n")
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
