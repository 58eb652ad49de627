"""The web app's Repair tab: `infill_file` with `auto` finds frozen, black and corrupt frames and rebuilds
them; the replaced frames are listed with thumbnails."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from vidiff.errors import VidiffError
from vidiff.ui.core import App, CancelPoint, Job, drive, error_line, pad_note, with_warning
from vidiff.ui.rate import chosen, method_choice
from vidiff.ui.widgets import clip_input, on_cancel, run_cancel, thumbs


def repair_tab(app: App) -> None:
    """The tab's controls, and Run / Cancel wired to them."""
    with gr.Row():
        with gr.Column():
            re_in, re_sample = clip_input("Clip to repair (upload)", "re-input")
            re_quality, re_method = method_choice("re", "Method for rebuilt frames")
            re_run, re_cancel, re_status = run_cancel("re", "Find and rebuild bad frames")
        with gr.Column():
            re_out = gr.File(label="Repaired clip (download)", interactive=False, elem_id="re-output")
            re_thumbs = thumbs("Frames replaced (rebuilt)", "re-thumbs")
    re_run.click(_run_repair(app), [re_in, re_sample, re_quality, re_method], [re_status, re_out, re_thumbs])
    on_cancel(app, "repair", re_cancel, re_status)


def _run_repair(app: App) -> Any:
    """The Run button's handler: `infill_file(auto=True)` on a job, its interpolator a cancel point."""

    def run_repair(
        upload: Any,
        sample: str,
        quality: str,
        method: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        try:
            src = app.resolve_input(upload, sample)
            from vidiff.quality import checked_method

            choice = checked_method(**chosen(quality, method))  # a tier and a method: one line, no work
            from vidiff.io.probe import probe

            info = probe(src)  # a bad input is one line before any job; its size for the pad note
        except VidiffError as e:
            yield (error_line(e), None, None)
            return
        folder = app.new_folder("repair")
        out = folder / f"{Path(src).stem}_repaired.mp4"

        def work(job: Job) -> tuple:
            return _repair(src, out, choice, job)

        result = yield from drive(app, request, "repair", folder, work, progress, (None, None))
        if result is None:
            return
        r, pics = result
        msg = (
            f"Replaced {len(r['replaced'])} frame(s): "
            + ", ".join(f"{x['frame']} ({x['why']})" for x in r["replaced"])
            if r["replaced"]
            else "No frame replaced (none found)."
        )
        yield (with_warning(msg, src, pad_note(info, out)), str(out), pics)

    return run_repair


def _repair(src: str, out: Path, method: tuple[str, dict[str, Any]], job: Job) -> tuple:
    """The job: the repaired clip (`method`: a name and its options), and a thumbnail of each of the
    first 20 frames it rebuilt."""
    from vidiff.flow import get_interpolator
    from vidiff.runner.infill import infill_file
    from vidiff.ui.media import frame_at, thumbnail

    job.stage = "finding bad frames and rebuilding them"
    interp = CancelPoint(get_interpolator(method[0], **method[1]), job)
    r = infill_file(src, out, auto=True, method=interp, progress=False, on_scan=interp.check)
    pics = []
    for x in r["replaced"][:20]:
        img = frame_at(out, x["time_s"])
        if img is not None:
            pics.append((thumbnail(img, 120), f"frame {x['frame']} at {x['time_s']:.2f} s ({x['why']})"))
    return r, pics
