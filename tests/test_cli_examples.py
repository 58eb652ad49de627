"""Every example in a subcommand's `--help` is a command its parser takes: a line ending in a shell
continuation joins the next (generate's multi-line examples printed as one line with the `\\` eaten)."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from vidiff.cli import build_parser


def _examples() -> list[tuple[str, str]]:
    """(subcommand, example command) for every `vidiff ...` line of every subcommand's epilog."""
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = []
    for name, sub in subs.choices.items():
        lines = (sub.epilog or "").splitlines()
        k = 0
        while k < len(lines):
            line = lines[k].strip()
            while line.endswith("\\") and k + 1 < len(lines):
                k += 1
                line = line[:-1] + " " + lines[k].strip()
            if line.startswith("vidiff "):
                out.append((name, line))
            k += 1
    return out


EXAMPLES = _examples()


def test_the_help_has_examples_to_check():
    assert {"upscale", "generate", "metrics", "bench"} <= {name for name, _ in EXAMPLES}
    # a `\` ending a line of a plain string joins the next line to it: a run of spaces mid-command
    assert not [line for _, line in EXAMPLES if re.search(r"\S {4,}--", line.split("#")[0])]


@pytest.mark.parametrize(("sub", "line"), EXAMPLES, ids=[f"{s}-{i}" for i, (s, _) in enumerate(EXAMPLES)])
def test_a_help_example_parses(sub: str, line: str):
    argv = shlex.split(line, comments=True)[1:]
    assert "\\" not in argv, line  # a continuation left in the command
    _, extra = build_parser().parse_known_args(argv)  # an unknown option or a missing one: SystemExit
    assert not [x for x in extra if x.startswith("-")], (line, extra)
