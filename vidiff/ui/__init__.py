"""`vidiff ui`: a local web app (Gradio) over vidiff's Python API; see `vidiff.ui.app`.

`build_app` and `serve` load on first use, so `vidiff.ui.media` (no Gradio) imports without Gradio."""

from __future__ import annotations

from vidiff import lazy_names

__all__ = ["build_app", "serve"]
__getattr__ = lazy_names(__name__, {"build_app": "vidiff.ui.app", "serve": "vidiff.ui.app"})
