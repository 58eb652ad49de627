"""No option is taken by a prefix of its name: `vidiff upscale --audio X` was read as `--audio-codec X`
(argparse's abbreviations), an option of another meaning."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from conftest import write_clip

from vidiff.cli import build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_no_subcommand_takes_an_abbreviated_option():
    parser = build_parser()
    subs = _subparsers(parser)
    assert not parser.allow_abbrev
    checked = 0
    for name, sub in subs.items():
        assert not sub.allow_abbrev, name
        for action in sub._actions:  # nothing required, so only the abbreviation is judged
            action.required = False
        for group in sub._mutually_exclusive_groups:
            group.required = False
        options = {s for a in sub._actions for s in a.option_strings}
        for option in sorted(o for o in options if o.startswith("--") and len(o) > 4):
            short = option[:-1]
            if short in options:
                continue
            _, extra = parser.parse_known_args([name, short])
            assert short in extra, (name, short)
            checked += 1
    assert checked > 50  # every subcommand's long options, not a few


def test_an_abbreviated_option_is_one_line(capsys, tmp_path):
    clip = write_clip(tmp_path / "in.mp4", [np.zeros((16, 16, 3), np.uint8)] * 3)
    out = tmp_path / "o.mp4"
    with pytest.raises(SystemExit) as e:
        main(["upscale", str(clip), "-o", str(out), "--factor", "2", "--audio", "copy"])
    err = capsys.readouterr().err.splitlines()
    assert e.value.code == 2 and err == [
        "vidiff: error: unrecognized arguments: --audio copy (see 'vidiff --help')"
    ]
    assert not out.exists()
