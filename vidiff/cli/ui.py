"""`vidiff ui`: the local web app (Gradio; `pip install -e ".[ui]"`)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import tempfile

from vidiff.errors import ConfigError, VidiffError


class MissingExtraError(VidiffError):
    """The `ui` extra (Gradio) is not installed."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ui",
        help="local web app: frame rate, social clip, metrics, repair, compare",
        description="Open vidiff as a local web page (Gradio): raise the frame rate of a clip, make a "
        "social clip from a still or a clip, measure temporal consistency, repair bad frames, compare "
        "methods on held-out frames. Binds 127.0.0.1 only unless --host says otherwise; "
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
    from vidiff.ui.exposure import SHARED_MAX_UPLOAD

    p.add_argument(
        "--max-upload",
        default=None,
        metavar="SIZE",
        help=f"largest upload, e.g. 500MB, 2GB or none (default: {SHARED_MAX_UPLOAD} with --share or a "
        "--host others can reach, else none)",
    )
    p.add_argument(
        "--weights-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder the Social clip tab may load video diffusion weights from (repeatable); with --share "
        "or a --host others can reach, no other folder is loaded (default: none)",
    )
    p.add_argument(
        "--allow-hub",
        action="store_true",
        help="with --share or a --host others can reach: let visitors load a hub id (downloads to this "
        "machine; off by default)",
    )
    p.set_defaults(func=run)


def check_host(host: str) -> None:
    """`--host`: an address of this machine that a server can bind (checked by binding a free port on it),
    else one `ConfigError` line before the server starts (uvicorn would log the failure on several)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as e:
        raise ConfigError(f"--host {host!r}: not an address or a known host name ({e})") from None
    family, _, _, _, addr = infos[0]
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((addr[0], 0))
    except OSError as e:
        raise ConfigError(
            f"--host {host!r}: cannot serve on it ({e.strerror or e}); use 127.0.0.1 or 0.0.0.0"
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.port is not None and not 1 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: use 1 to 65535")
    check_host(args.host)  # both before the extra is looked for: a typo is told first
    from vidiff.ui.exposure import Exposure

    exposure = Exposure.from_options(args.host, args.share, args.max_upload, args.weights_dir, args.allow_hub)
    try:
        found = importlib.util.find_spec("gradio") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingExtraError(
            'vidiff ui needs Gradio, which is not installed: pip install -e ".[ui]" (or pip install gradio)'
        )

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)  # `kill` cleans up like Ctrl-C: the temporary folder goes
    # Gradio reads its temporary folder when it is imported: point it into ours first
    workdir = tempfile.mkdtemp(prefix="vidiff-ui-")
    os.environ["GRADIO_TEMP_DIR"] = os.path.join(workdir, "uploads")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        from vidiff.ui.app import serve
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    serve(args.host, args.port, args.share, args.open, workdir, exposure)
    return 0
