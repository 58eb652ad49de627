"""The web app's Compare tab: the bench protocol (held-out frames) on one clip for several methods, as a
table and a PSNR plot (`vidiff.metrics.bench.run_method`, as `vidiff bench`)."""

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from vidiff.errors import VidiffError
from vidiff.flow import AUTO
from vidiff.quality import TIERS
from vidiff.ui.core import App, Cancelled, Job, drive, error_line, with_warning
from vidiff.ui.widgets import clip_input, on_cancel, optional_number_field, run_cancel, typed_number

COMPARE_HEADERS = ["method", "PSNR (dB)", "SSIM", "flicker ratio", "tdiff err", "s/frame", "× DIS time",
                   "frames scored", "status"]  # fmt: skip


# the quality tiers offered beside the methods (auto is one of them, or the method auto: not offered)
COMPARE_TIERS = tuple(q for q in TIERS if q != AUTO)


def compare_methods(
    src: str,
    step: Any,
    methods: list[str],
    max_frames: int,
    on_frame: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """The bench protocol (held-out frames) on the first `max_frames` frames of one clip for each method
    (or quality tier: fast, balanced, max, a row named by the tier, as `vidiff bench --quality`), in this
    process (`vidiff.metrics.bench.run_method`); a method that cannot run here (no weights) is
    'skipped' with its reason, as in `vidiff bench`. `on_frame(n)` counts the rebuilt frames."""
    from vidiff.errors import ConfigError, InputError
    from vidiff.io.probe import probe
    from vidiff.metrics.bench import resolve_methods, resolve_qualities, run_method, speed_ratios
    from vidiff.metrics.protocol import factor_label, targets

    tiers = [m for m in methods or [] if m in COMPARE_TIERS]
    plain = [m for m in methods or [] if m not in tiers]
    names = (resolve_methods(plain) if plain or not tiers else []) + resolve_qualities(tiers or None)
    if len(names) < 2:
        raise ConfigError("Compare needs two or more methods")
    n = min(probe(src).n_frames, max_frames)
    n_targets = len(targets(n, step))
    if n_targets == 0:
        raise InputError(f"{src}: {n} frames are too few for factor {factor_label(step)}")
    done = [0]

    def count(k: int) -> None:
        done[0] += k
        if on_frame is not None:
            on_frame(k)

    records = []
    for j, m in enumerate(names, 1):
        records.append(run_method(src, step, m, max_frames=n, on_frame=count))
        if done[0] < j * n_targets:  # a skipped method: its share of the progress
            count(j * n_targets - done[0])
    if not any(r["status"] == "ok" for r in records):
        raise InputError(f"nothing could be scored (first: {records[0]['reason']})")
    return speed_ratios(records)


def compare_tab(app: App) -> None:
    """The tab's controls, and Compare / Cancel wired to them."""
    c = _compare_layout()
    c.run.click(
        _run_compare(app), [c.input, c.sample, c.methods, c.factor, c.max], [c.status, c.table, c.plot]
    )
    on_cancel(app, "compare", c.cancel, c.status)


def _compare_layout() -> SimpleNamespace:
    """The tab's components (element ids `co-*`), by name."""
    from vidiff.flow import interpolator_names
    from vidiff.metrics.bench import EXTERNAL_METHODS

    choices = [(m, m) for m in (*interpolator_names(), *EXTERNAL_METHODS) if m != AUTO]
    choices += [(f"quality {q}", q) for q in COMPARE_TIERS]  # a tier: a row of its own (vidiff.quality)
    c = SimpleNamespace()
    with gr.Row():
        with gr.Column():
            c.input, c.sample = clip_input("Clip to compare methods on (upload)", "co-input")
        with gr.Column():
            c.methods = gr.CheckboxGroup(
                choices,
                value=["dup", "blend", "dis"],
                label="Methods and quality tiers (two or more)",
                info="rife, fuse, diffusion, quality balanced and max need RIFE's weights (vidiff fetch rife) "
                "and take longer",
                elem_id="co-methods",
            )
            c.factor = gr.Radio(
                ["2", "4", "5/2"],
                value="2",
                label="Factor: keep every k-th frame, rebuild the others and score them",
            )
            # as `vidiff bench --max-frames`: a slider's number box dropped a typed comma (2,5 ran as 25)
            c.max = optional_number_field(
                "Frames of the clip to use from its start (2 or more; empty: the whole clip)", "co-max", "60"
            )
            c.run, c.cancel, c.status = run_cancel("co", "Compare")
    c.table = gr.Dataframe(
        headers=COMPARE_HEADERS,
        label="Held-out frames (the bench protocol): mean over the rebuilt frames",
        interactive=False,
        elem_id="co-table",
    )
    c.plot = gr.Image(label="PSNR by method", interactive=False, elem_id="co-plot", height=380)
    return c


def _run_compare(app: App) -> Any:
    """The Compare button's handler: checks, then `compare_methods` on a job, then the table and plot."""

    def run_compare(
        upload: Any,
        sample: str,
        methods: list[str],
        factor: str,
        max_frames: str | float | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        from vidiff.errors import ConfigError
        from vidiff.metrics.protocol import parse_factor, targets

        try:
            src = app.resolve_input(upload, sample)
            step = parse_factor(factor)
            if not isinstance(methods or [], list) or not all(isinstance(m, str) for m in methods or []):
                raise ConfigError(f"methods {methods!r:.60}: pick two or more from the list")  # crafted
            if len(methods or []) < 2:
                raise ConfigError("Compare needs two or more methods")
            for m in methods:  # bench's diffusion@DIR loads DIR: a shared app only from its launch folders
                app.exposure.check_weights(m.partition("@")[2] or None)
            from vidiff.io.probe import probe
            from vidiff.metrics.bench import check_max_frames

            limit = check_max_frames(
                typed_number(max_frames, "max_frames")
            )  # as `vidiff bench --max-frames`: NaN, 2.5 or 1 refused
            n = probe(src).n_frames if limit is None else min(probe(src).n_frames, limit)
        except VidiffError as e:
            yield (error_line(e), None, None)
            return
        folder = app.new_folder("compare")

        def work(job: Job) -> list[dict[str, Any]]:
            from vidiff.metrics.report import plot_psnr_by_method

            job.total = len(targets(n, step)) * len(methods)

            def on_frame(k: int) -> None:
                if job.cancel.is_set():
                    raise Cancelled()
                job.done += k

            records = compare_methods(src, step, methods, n, on_frame)
            plot_psnr_by_method(records, folder / "compare.png")
            return records

        result = yield from drive(
            app, request, "compare", folder, work, progress, (None, None), "frames rebuilt"
        )
        if result is None:
            return
        best = max((r for r in result if r["status"] == "ok"), key=lambda r: r["psnr"])
        line = (
            f"Done: {len(result)} methods on {n} frames of {Path(src).name} at x{factor}; "
            f"best PSNR: {best['method']} ({best['psnr']:.2f} dB)."
        )
        yield (with_warning(line, src), _rows(result), str(folder / "compare.png"))

    return run_compare


def _rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    """The table's rows (COMPARE_HEADERS), a missing number shown as a dash."""

    def fmt(x: Any, d: int) -> Any:
        return "–" if x is None else round(float(x), d)

    return [
        [
            r["method"], fmt(r["psnr"], 2), fmt(r["ssim"], 4), fmt(r["flicker_ratio"], 3),
            fmt(r["tdiff_err"], 2), fmt(r["s_per_frame"], 5), fmt(r["speed_ratio_vs_dis"], 2),
            r["n_frames"] or 0, r["status"] if r["status"] == "ok" else f"{r['status']}: {r['reason']}",
        ]
        for r in records
    ]  # fmt: skip
