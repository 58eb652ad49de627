"""The web app's Metrics tab: `analyze_clip` on a clip (per-frame curves, the worst segments as rows and
thumbnails); picking one moves the preview to its peak."""

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from vidiff.errors import VidiffError
from vidiff.ui.core import App, Cancelled, Job, drive, error_line, with_warning
from vidiff.ui.widgets import clip_input, on_cancel, optional_number_field, run_cancel, thumbs, typed_number

# the preview video jumps to the time Python put in the hidden number (Gradio has no seek API)
SEEK_JS = """(t) => {
  const v = document.querySelector('#me-video video');
  if (v && t !== null && t >= 0) { v.pause(); v.currentTime = t; }
  return t;
}"""


def metrics_tab(app: App) -> None:
    """The tab's controls, and Measure / Cancel / a picked segment wired to them."""
    from vidiff.ui.media import frame_at

    c = _metrics_layout()
    c.run.click(
        _run_metrics(app),
        [c.input, c.sample, c.top],
        [c.status, c.plot, c.table, c.thumbs, c.video, c.src, c.times],
    )
    on_cancel(app, "metrics", c.cancel, c.status)

    def pick(src: Any, times: list[float], evt: gr.SelectData) -> tuple:
        """A worst segment picked (table row or thumbnail): its peak frame, and the preview's new time."""
        try:
            k = evt.index[0] if isinstance(evt.index, (list, tuple)) else int(evt.index)
            t = float(times[k])
            return frame_at(src, t), t
        except Exception:  # a preview only: never a traceback in the page
            return None, None

    for picker in (c.table, c.thumbs):
        picker.select(pick, [c.src, c.times], [c.frame, c.seek]).then(None, c.seek, None, js=SEEK_JS)


def _metrics_layout() -> SimpleNamespace:
    """The tab's components (element ids `me-*`), by name."""
    from vidiff.metrics.clip import DEFAULT_TOP

    c = SimpleNamespace()
    with gr.Row():
        with gr.Column():
            c.input, c.sample = clip_input("Clip to measure (upload)", "me-input")
            # as --top (0: none, the curves alone): a slider stopped at 1 and its number box dropped a comma
            c.top = optional_number_field(
                f"Worst segments to list (0: none; empty: {DEFAULT_TOP})", "me-top", str(DEFAULT_TOP)
            )
            c.run, c.cancel, c.status = run_cancel("me", "Measure")
            c.video = gr.Video(label="Preview", interactive=False, elem_id="me-video")
        with gr.Column():
            c.plot = gr.Image(label="Per-frame curves", interactive=False, elem_id="me-plot")
            c.table = gr.Dataframe(
                headers=["#", "start", "end", "frames", "peak warping error", "peak at (s)"],
                label="Worst segments (select a row: the preview jumps to its peak)",
                interactive=False,
                elem_id="me-table",
            )
            c.thumbs = thumbs(
                "Worst segments at their peaks (select one: the preview jumps there)", "me-thumbs"
            )
            c.frame = gr.Image(
                label="Frame at the selected segment's peak", interactive=False, elem_id="me-frame"
            )
    c.src = gr.State(None)
    c.times = gr.State([])  # the worst segments' peak times, in the table's order
    c.seek = gr.Number(None, label="Preview time (s)", visible=False, elem_id="me-seek")
    return c


def _run_metrics(app: App) -> Any:
    """The Measure button's handler: `analyze_clip` on a job, then the plot, rows and thumbnails."""

    def run_metrics(
        upload: Any,
        sample: str,
        top: str | float | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        failed = (None, None, None, None, None, [])
        try:
            src = app.resolve_input(upload, sample)
            from vidiff.io.probe import probe
            from vidiff.metrics.clip import DEFAULT_TOP, check_measure_limits
            from vidiff.validate import check_int

            # the check `vidiff metrics --top` makes: 2,5, 2.5 or NaN refused, one line; empty: the default
            top = typed_number(top, "top")
            top = DEFAULT_TOP if top is None else top
            check_measure_limits(None, top)
            top = check_int(top, "top", 0)

            n = probe(src).n_frames
        except VidiffError as e:
            yield (error_line(e), *failed)
            return
        folder = app.new_folder("metrics")

        def work(job: Job) -> tuple:
            return _measure(src, folder, job, n, top)

        result = yield from drive(app, request, "metrics", folder, work, progress, failed)
        if result is None:
            return
        report, png, segs, pics, text, video = result
        rows = [
            [
                k,
                f"{s['start']:.3f}",
                f"{s['end']:.3f}",
                f"{s['frames'][0]}-{s['frames'][1]}",
                round(s["warp_err"], 2),
                f"{s['peak_time']:.3f}",
            ]
            for k, s in enumerate(segs, 1)
        ]
        status = "```\n" + text.replace(src, Path(src).name) + "\n```"
        yield (with_warning(status, src), str(png), rows, pics, video, src, [s["peak_time"] for s in segs])

    return run_metrics


def _measure(src: str, folder: Path, job: Job, n: int, top: int) -> tuple:
    """The job: the clip's report, its plot, its `top` worst segments and a thumbnail at each peak."""
    from vidiff.metrics.clip import analyze_clip
    from vidiff.metrics.report import clip_text, plot_clip
    from vidiff.ui.media import frame_at, preview, thumbnail

    job.total = n

    def on_frame(k: int = 1) -> None:
        if job.cancel.is_set():
            raise Cancelled()
        job.done += k

    report = analyze_clip(src, None, None, top, on_frame)
    png = folder / "metrics.png"
    plot_clip(report, png)
    segs = report["summary"]["worst_segments"]
    pics = []
    for k, s in enumerate(segs, 1):
        if job.cancel.is_set():
            raise Cancelled()
        img = frame_at(src, s["peak_time"])
        if img is not None:
            pics.append((thumbnail(img, 120), f"#{k} at {s['peak_time']:.2f} s"))
    return report, png, segs, pics, clip_text(report), preview(src, folder)  # what the browser can play
