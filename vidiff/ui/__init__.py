"""`vidiff ui`: a local web app (Gradio) over vidiff's Python API; see `vidiff.ui.app`."""

from __future__ import annotations

from vidiff.ui.app import build_app, serve

__all__ = ["build_app", "serve"]
