"""The `vidiff ui` web app: Gradio tabs that call vidiff's Python API (never the CLI in a subprocess).

One module per tab: Frame rate (`vidiff.ui.rate`: `upscale_file`), Social clip (`social`: `make_clip`),
Metrics (`metrics`: `analyze_clip`), Repair (`repair`: `infill_file` with `auto`), Compare (`compare`: the
bench protocol), over a shared core (`vidiff.ui.core`: the work folder, jobs on a thread with a progress
and cancel point per frame, a cancelled or failed job's folder removed, a `VidiffError` shown as the CLI's
one `vidiff: error:` line; `vidiff.ui.widgets`: the controls every tab uses). Every upload and output
lives in one temporary folder, removed when the app stops.
"""

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from vidiff.ui.compare import compare_tab
from vidiff.ui.core import App
from vidiff.ui.exposure import Exposure
from vidiff.ui.metrics import metrics_tab
from vidiff.ui.rate import rate_tab
from vidiff.ui.repair import repair_tab
from vidiff.ui.social import social_tab
from vidiff.ui.widgets import CSS


def _css(where: str) -> dict[str, str]:
    """`css=CSS` for where this Gradio takes it: `launch` in Gradio 6, `Blocks` before."""
    import inspect

    takes = "css" in inspect.signature(gr.Blocks.launch).parameters
    return {"css": CSS} if takes == (where == "launch") else {}


def build_app(workdir: str | os.PathLike[str], exposure: Exposure | None = None) -> Any:
    """The Gradio Blocks of the app; uploads and outputs go under `workdir`; `exposure`: what its visitors
    may do (`vidiff.ui.exposure`; None: an app on this machine only)."""
    app = App(workdir, exposure)
    with gr.Blocks(title="vidiff", **_css("Blocks")) as demo:
        gr.Markdown(
            "# vidiff\nRaise the frame rate of a clip, make a social clip, measure temporal consistency, "
            "repair frozen/black frames, compare methods. Everything runs on this machine; files stay in a "
            "temporary folder removed on exit."
        )
        with gr.Tab("Frame rate", id="tab-rate"):
            rate_tab(app)
        with gr.Tab("Social clip", id="tab-social"):
            social_tab(app)
        with gr.Tab("Metrics", id="tab-metrics"):
            metrics_tab(app)
        with gr.Tab("Repair", id="tab-repair"):
            repair_tab(app)
        with gr.Tab("Compare", id="tab-compare"):
            compare_tab(app)
    demo.vidiff_app = app  # type: ignore[attr-defined]
    return demo


def serve(
    host: str = "127.0.0.1",
    port: int | None = None,
    share: bool = False,
    open_browser: bool = False,
    workdir: str | os.PathLike[str] | None = None,
    exposure: Exposure | None = None,
) -> None:
    """Start the app and block until Ctrl-C; the temporary folder (`workdir`, made if None) is removed on
    exit. `vidiff ui` makes it before Gradio is imported, so Gradio's own temporary files go in it too.
    `exposure` (None: worked out from `host` and `share`, its defaults) caps uploads and limits weights."""
    from vidiff.errors import ConfigError

    exposure = exposure or Exposure.from_options(host, share)

    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="vidiff-ui-"))
    os.environ.setdefault("GRADIO_TEMP_DIR", str(workdir / "uploads"))  # Gradio's upload cache, inside ours

    def cleanup() -> None:
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(cleanup)
    demo = None
    try:
        demo = build_app(workdir, exposure)
        demo.queue(default_concurrency_limit=2)
        try:
            demo.launch(
                server_name=host,
                server_port=port,
                share=share,
                inbrowser=open_browser,
                allowed_paths=[str(workdir)],
                prevent_thread_lock=True,
                quiet=True,
                show_error=False,
                **exposure.launch_kwargs(),
                **_css("launch"),
            )
        except OSError as e:  # the port is taken, the address is not this machine's
            raise ConfigError(f"cannot serve on {host}:{port or 'a free port from 7860'}: {e}") from None
        print(f"vidiff ui: {demo.local_url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        if line := exposure.line():
            print(line, file=sys.stderr, flush=True)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if demo is not None:
            with contextlib.suppress(Exception):
                demo.close()
        cleanup()
