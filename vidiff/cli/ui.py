"""`vidiff ui`: the local web app (Gradio; `pip install -e ".[ui]"`)."""

from __future__ import annotations

import argparse
import signal

from vidiff.errors import ConfigError, VidiffError


class MissingExtraError(VidiffError):
    """The `ui` extra (Gradio) is not installed."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ui",
        help="local web app: frame rate, metrics, repair",
        description="Open vidiff as a local web page (Gradio): raise the frame rate of a clip, measure "
        "its temporal consistency, repair bad frames. Binds 127.0.0.1 only unless --host says otherwise; "
        "uploads and outputs live in a temporary folder removed on exit.",
        epilog="example:\n  vidiff ui --port 7860     # then open http://127.0.0.1:7860",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument(
        "--port", type=int, default=None, help="port (default: Gradio's, 7860 or the next free one)"
    )
    p.add_argument(
        "--share", action="store_true", help="also make a public gradio.live link (off by default)"
    )
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError as e:
        raise MissingExtraError(
            'vidiff ui needs Gradio, which is not installed: pip install -e ".[ui]" (or pip install gradio)'
        ) from e
    if args.port is not None and not 1 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: use 1 to 65535")

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)  # `kill` cleans up like Ctrl-C: the temporary folder goes
    from vidiff.ui.app import serve

    serve(args.host, args.port, args.share, args.open)
    return 0
