"""`vidiff` command line: one module per subcommand, each with `register(subparsers)`.

Expected failures (`VidiffError`) print one line on stderr and exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from vidiff.errors import VidiffError
from vidiff.validate import check_ascii_number

# each module defines register(subparsers) which adds a parser with set_defaults(func=run), run(args) -> int
COMMANDS = (
    "upscale",
    "probe",
    "samples",
    "generate",
    "metrics",
    "bench",
    "demo",
    "train",
    "model_info",
    "run",
    "infill",
    "fetch",
    "ui",
)


# what argparse reads as a negative number (an option's value), not an option: its own rule takes '-5' and
# '-.5' only, so '-1e5', '-inf' or '-nan' after `--guidance` was "expected one argument" (or, with a '-i'
# option, read as '-i nf'); widened to what Python's float() reads, so the option's own check says why
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


MAX_WORD = 100  # an error line's longest word (a value or a path): longer ones are cut to this
_LONG_WORD = re.compile(rf"\S{{{MAX_WORD + 1},}}")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2 (argparse's own convention)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        # no prefix matching: `--audio X` must not be read as `--audio-codec X` (an option of another meaning)
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # every `type=int` / `type=float` option reads ASCII digits only (`validate.check_ascii_number`)
        self.register("type", int, _ascii_int)
        self.register("type", float, _ascii_float)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def _parse_optional(self, arg_string: str) -> object:
        # a negative number is a value before any option-prefix matching ('-inf' is not '-i nf'); vidiff
        # has no option that looks like a number, so one never means an option
        if _NEGATIVE_NUMBER.match(arg_string) and not self._has_negative_number_optionals:
            return None
        return super()._parse_optional(arg_string)

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse quotes a refused value whole: a 5000-digit --crf was a 5000-character line
        message = _LONG_WORD.sub(lambda m: m[0][: MAX_WORD - 3] + "...", message)
        self.exit(2, f"vidiff: error: {message} (see '{self.prog} --help')\n")


def _ascii(convert: type) -> object:
    def read(text: str) -> object:
        try:
            check_ascii_number(text, "number")
        except VidiffError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return convert(text)

    read.__name__ = convert.__name__  # argparse's "invalid int value" line names the type
    return read


_ascii_int, _ascii_float = _ascii(int), _ascii(float)

STRICT_HELP = (
    "refuse a damaged input (cut short, undecodable frames) instead of using the frames that decode "
    "with one warning line"
)


def add_strict_option(p: argparse.ArgumentParser) -> None:
    """`--strict`: the damaged-input policy's refusal switch, shared by every command that decodes."""
    p.add_argument("--strict", action="store_true", help=STRICT_HELP)


def add_input_fps_option(p: argparse.ArgumentParser, lead: str = "") -> None:
    """`--input-fps`: the frame rate of an image-sequence input (`vidiff.io.sequence`), for every command
    that reads a clip; `lead` goes before the help text."""
    from vidiff.io.sequence import INPUT_FPS_HELP

    p.add_argument("--input-fps", default=None, metavar="FPS", help=lead + INPUT_FPS_HELP)


def add_deinterlace_option(p: argparse.ArgumentParser, lead: str = "") -> None:
    """`--deinterlace MODE`: how an interlaced clip is read (`vidiff.io.deinterlace`), for every command
    that reads a clip; unset, the default (auto)."""
    from vidiff.io.deinterlace import DEINTERLACE_HELP, MODES

    p.add_argument("--deinterlace", default=None, choices=MODES, help=lead + DEINTERLACE_HELP)


def add_start_number_option(p: argparse.ArgumentParser, lead: str = "") -> None:
    """`--start-number N`: the first file number of an image-frames output (`vidiff.io.sequence_out`)."""
    from vidiff.io.sequence_out import START_NUMBER_HELP

    p.add_argument("--start-number", type=int, default=None, metavar="N", help=lead + START_NUMBER_HELP)


def add_report_options(p: argparse.ArgumentParser, report: str = "the report") -> None:
    """`--json` (print `report` as JSON on stdout) and `-q/--quiet` (no progress bars), for scripts."""
    p.add_argument("--json", action="store_true", help=f"print {report} as JSON on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """The full `vidiff` parser with every subcommand registered."""
    p = _Parser(
        prog="vidiff",
        description="Raise the frame rate of real video clips, fill in missing frames, and measure "
        "temporal consistency.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff upscale in.mp4 -o out.mp4 --factor 2\n  vidiff upscale in.mp4 -o out.mp4 --fps 60\n"
        "  vidiff upscale frames/ -o out.mp4 --fps 60 --input-fps 24   # a folder of images in, a video out\n"
        "  vidiff upscale in.mp4 -o out_frames/ --factor 2             # PNG frames out\n"
        "  vidiff probe in.mp4 --json\n\nRun 'vidiff COMMAND --help' for the options of a command.",
    )
    from vidiff import __version__

    p.add_argument("--version", action="version", version=f"vidiff {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"vidiff.cli.{name}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `vidiff` console script."""
    try:
        parser = build_parser()
    except KeyboardInterrupt:  # Ctrl-C while the subcommands load
        print("vidiff: interrupted", file=sys.stderr)
        return 130
    args, extra = parser.parse_known_args(argv)
    # key=value overrides may come after options (vidiff run fps_x2 -i a.mp4 -o b.mp4 encode.crf=20)
    if extra:
        if hasattr(args, "overrides") and all("=" in x and not x.startswith("-") for x in extra):
            args.overrides = list(args.overrides or []) + extra
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from vidiff.io.deinterlace import deinterlace_scope
    from vidiff.io.probe import input_policy

    try:
        with (
            input_policy(bool(getattr(args, "strict", False))),
            deinterlace_scope(getattr(args, "deinterlace", None)),
        ):
            return int(args.func(args) or 0)
    except VidiffError as e:
        print(f"vidiff: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        from vidiff.progress import close_bars

        close_bars()  # before the line: an open bar would redraw itself after it
        print("vidiff: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "vidiff: error: out of memory; try a lower resolution, a shorter clip or a lighter --method (dis)",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
