"""Pieces every tab of the web app is built from: the clip input (upload or bundled sample), a row of
thumbnails, the Run / Cancel buttons with their status line, and Cancel wired to the tab's job."""

from typing import Any

import gradio as gr

from vidiff.errors import ConfigError
from vidiff.io.video_ext import VIDEO_EXT
from vidiff.ui.core import NO_SAMPLE, SAMPLES, App, session

THUMB_COLUMNS = 5
# Gradio's gallery makes as many columns as it has pictures: one thumbnail would fill the width
CSS = f"#me-thumbs .grid-container, #re-thumbs .grid-container {{ --grid-cols: {THUMB_COLUMNS} !important; }}"


# what a clip upload may be: a video/* file, and what Gradio (by Python's mimetypes, which vary with the
# machine) refused as "Invalid file type" though vidiff reads it: animated images, an MPEG-TS recording
# (text/x-typescript), a camera's .mts/.mxf/.3gp, a raw stream, a Y4M (`vidiff.io.video_ext`)
CLIP_TYPES = ["video", *VIDEO_EXT, ".webp", ".avif", ".apng"]


def clip_input(label: str, elem_id: str, file_types: list[str] | None = None) -> tuple[Any, Any]:
    """A tab's input: an upload, or one of the bundled sample clips (used when nothing is uploaded)."""
    upload = gr.File(label=label, file_types=file_types or CLIP_TYPES, elem_id=elem_id)
    sample = gr.Dropdown(
        [NO_SAMPLE, *SAMPLES], value=NO_SAMPLE, label="Or a bundled sample clip", elem_id=f"{elem_id}-sample"
    )
    return upload, sample


def thumbs(label: str, elem_id: str) -> Any:
    """A row of small pictures with captions (CSS keeps them THUMB_COLUMNS to a row)."""
    return gr.Gallery(
        label=label, columns=THUMB_COLUMNS, height=190, object_fit="contain", allow_preview=False,
        elem_id=elem_id,
    )  # fmt: skip


def run_cancel(prefix: str, run_label: str) -> tuple[Any, Any, Any]:
    """A tab's Run and Cancel buttons and its status line (ids `<prefix>-run`, `-cancel`, `-status`)."""
    with gr.Row():
        run = gr.Button(run_label, variant="primary", elem_id=f"{prefix}-run")
        cancel = gr.Button("Cancel", elem_id=f"{prefix}-cancel")
    status = gr.Markdown("", elem_id=f"{prefix}-status")
    return run, cancel, status


def on_cancel(app: App, tab: str, button: Any, status: Any) -> None:
    """Cancel asks the tab's running job to stop; the job removes its folder and reports it."""

    def cancel(request: gr.Request) -> str:
        return "Cancelling…" if app.cancel((session(request), tab)) else "Nothing is running."

    button.click(cancel, None, status)


def optional_number_field(label: str, elem_id: str, value: str = "") -> Any:
    """A number the user may leave empty (the model's own): a one-line text field. Gradio's number field
    has no empty state: its page shows and sends 0 for None, which steps, frames and an extension refuse
    and guidance takes as "no guidance"; and the browser drops a comma typed in it (2,5 sent as 25).
    `typed_number` reads it: a comma is its one line."""
    return gr.Textbox(value, label=label, placeholder="empty", max_lines=1, elem_id=elem_id)


def typed_number(value: Any, name: str) -> Any:
    """An optional number field's value: None when empty, the number typed (25 and 25.0 as the int 25,
    as the CLI reads them), one `ConfigError` line for text that is no number. Anything but text (a crafted
    call, a test's number) as it came, for `make_clip` to check."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"{name} {text!r:.60}: must be a number") from None
    return whole(number)


def whole(value: Any) -> Any:
    """25.0 -> 25 (a number field's value); anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
