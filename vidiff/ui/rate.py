"""The web app's Frame rate tab: `upscale_file` on an upload or a sample, Before / After players and a
side-by-side frame at any time."""

import math
import numbers
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from vidiff.errors import VidiffError
from vidiff.flow import AUTO, method_line
from vidiff.quality import TIERS, quality_line
from vidiff.ui.core import App, Cancelled, Job, drive, error_line, pad_note, with_warning
from vidiff.ui.widgets import clip_input, on_cancel, optional_number_field, run_cancel, typed_number

# one line each, from the one table of measured figures (`vidiff.flow.METHOD_FACTS`), in the menu's order
METHOD_HINTS = {
    m: f"{m}: {method_line(m)}." for m in (AUTO, "dis", "diffusion", "fuse", "rife", "blend", "dup")
}
# the quality tiers' lines, from the same table through `vidiff.quality` (auto: the Method menu decides)
QUALITY_HINTS = {q: f"quality {q}: {quality_line(q)}." for q in TIERS}
MODES = ("x2", "x4", "target fps", "slow motion x4")
CODECS = ("h264", "h265", "vp9", "av1")
GIF = "gif"  # the Codec menu's last entry: an animated GIF (vidiff.io.gif_out: no crf, 50 fps at most)


def _crf_ranges() -> dict[str, tuple[int, int]]:
    """Each codec's crf range (`CRF_RANGE`, the one `EncodeOptions` checks, as for --crf)."""
    from vidiff.io.encode import CODECS as ENCODERS
    from vidiff.io.encode import CRF_RANGE

    return {c: CRF_RANGE[ENCODERS[c]] for c in CODECS}


def _crf_label() -> str:
    """The crf field's label: each codec's range (checked with the run's options, one line) and the
    default an empty field runs (`EncodeOptions`', as --crf's)."""
    from vidiff.io.encode import EncodeOptions

    ranges = ", ".join(f"{c} {a}-{b}" for c, (a, b) in _crf_ranges().items())
    return f"Quality (crf: lower is better; {ranges}; empty: {EncodeOptions.crf})"


def rate_options(mode: str, target_fps: str | float | None) -> dict[str, Any]:
    """`upscale_file` keyword arguments for a mode of the Frame rate tab; `target_fps`: the text typed in
    its one-line field, read as --fps is (60, 59.94, 30000/1001), or a number (a crafted request)."""
    from vidiff.errors import ConfigError

    if mode == "x2":
        return {"factor": 2}
    if mode == "x4":
        return {"factor": 4}
    if mode == "target fps":
        fps = target_fps.strip() if isinstance(target_fps, str) else target_fps
        if fps == "" or isinstance(fps, bool) or not isinstance(fps, (str, numbers.Real)):
            raise ConfigError("target fps: give a rate above 0, e.g. 60")
        # as --fps is written: 12,5, 0, -5, NaN or inf get the command line's line (`parse_fps`, one place)
        return {"fps": fps if isinstance(fps, str) else str(fps).removesuffix(".0")}
    if mode == "slow motion x4":
        return {"factor": 4, "speed": 0.25, "audio_mode": "drop"}
    raise ConfigError(f"mode {mode!r}: use one of {', '.join(MODES)}")


def method_choice(prefix: str, method_label: str = "Method") -> tuple[Any, Any]:
    """The Quality and Method menus (ids `<prefix>-quality`, `<prefix>-method`), kept from contradicting
    each other: a tier picked sets Method to auto, a method picked sets Quality to auto."""
    quality = gr.Dropdown(list(QUALITY_HINTS), value=AUTO, label="Quality", elem_id=f"{prefix}-quality")
    method = gr.Dropdown(list(METHOD_HINTS), value=AUTO, label=method_label, elem_id=f"{prefix}-method")
    quality.input(_other_to_auto, quality, method)  # `input`: the user's pick, not these updates
    method.input(_other_to_auto, method, quality)
    return quality, method


def _other_to_auto(picked: str) -> Any:
    """The other menu's update: auto when `picked` is not auto, else left as it is."""
    return gr.update(value=AUTO) if picked != AUTO else gr.update()


def choice_hint(quality: str, method: str) -> str:
    """The line under the menus: the tier's where one is picked, else the method's."""
    return QUALITY_HINTS.get(quality, "") if quality != AUTO else METHOD_HINTS.get(method, "")


def chosen(quality: str, method: str) -> dict[str, Any]:
    """`upscale_file`/`infill_file` keywords for the menus: the method, and the tier unless it is auto
    (Quality auto is the Method menu's choice; with both set the API refuses it in one line)."""
    return {"method": method, "quality": None if quality == AUTO else quality}


def _report_md(r: dict[str, Any]) -> str:
    from fractions import Fraction

    cuts = ", ".join(f"{c:.2f} s" for c in r["scene_cuts_s"]) or "none"
    return (
        "| run report | |\n| --- | --- |\n"
        f"| frames | {r['src_frames']} → {r['out_frames']} |\n"
        f"| fps | {float(Fraction(r['src_fps'])):.3f} → {float(Fraction(r['out_fps'])):.3f} |\n"
        f"| method | {r['method']}{f' (quality {q})' if (q := r.get('quality')) else ''} |\n"
        f"| scene cuts | {cuts} |\n"
        f"| duplicates collapsed | {r['duplicates_collapsed']} |\n"
        f"| time | {r['seconds']:.2f} s ({r['s_per_frame']:.3f} s/frame) |\n"
    )


def rate_tab(app: App) -> None:
    """The tab's controls, and Run / Cancel / the compare slider wired to them."""
    from vidiff.ui.media import frame_at, side_by_side

    c = _rate_layout()
    for menu in (c.quality, c.method):
        menu.change(choice_hint, [c.quality, c.method], c.hint)
    c.run.click(
        _run_rate(app),
        [c.input, c.sample, c.mode, c.fps, c.quality, c.method, c.codec, c.crf],
        [c.status, c.out, c.report, c.before, c.after, c.paths, c.t],
    )
    on_cancel(app, "rate", c.cancel, c.status)

    def compare_at(paths: Any, t: float) -> Any:
        if not paths:
            return None
        try:
            return side_by_side(frame_at(paths[0], t), frame_at(paths[1], t))
        except Exception:  # a preview only: never a traceback in the page
            return None

    # `input`: the user's every move, by mouse, arrow keys or a typed time (`release` fired for the mouse
    # only: the picture stayed at the old time as the keyboard moved the slider); the last one counts
    c.t.input(compare_at, [c.paths, c.t], c.pair, trigger_mode="always_last")
    c.paths.change(compare_at, [c.paths, c.t], c.pair)


def _rate_layout() -> SimpleNamespace:
    """The tab's components (element ids `fr-*`), by name."""
    from vidiff.io.encode import EncodeOptions

    c = SimpleNamespace()
    with gr.Row():
        with gr.Column():
            c.input, c.sample = clip_input("Input clip (upload)", "fr-input")
            c.mode = gr.Radio(list(MODES), value="x2", label="Frame rate", elem_id="fr-mode")
            # a one-line text field, as --fps: Gradio's number field took 30000/1001 as 300001001, and the
            # browser dropped a typed comma (12,5 ran at 125 fps)
            c.fps = gr.Textbox(
                "60", label="Target fps (for 'target fps': 60, 59.94 or 30000/1001)", max_lines=1,
                elem_id="fr-fps",
            )  # fmt: skip
            c.quality, c.method = method_choice("fr")
            c.hint = gr.Markdown(METHOD_HINTS[AUTO], elem_id="fr-hint")
            with gr.Row():
                c.codec = gr.Dropdown(
                    [*CODECS, GIF], value="h264", label="Codec (gif: an animated GIF, 50 fps at most)"
                )
                # a one-line text field, read as --crf: a slider's number box dropped a typed comma (2,5
                # ran as 25) and an emptied box ran its minimum, 0 (lossless)
                c.crf = optional_number_field(_crf_label(), "fr-crf", str(EncodeOptions.crf))
            c.run, c.cancel, c.status = run_cancel("fr", "Run")
        with gr.Column():
            c.out = gr.File(label="Output (download)", elem_id="fr-output", interactive=False)
            c.report = gr.Markdown("", elem_id="fr-report")
    with gr.Row():
        c.before = gr.Video(label="Before", interactive=False, elem_id="fr-before")
        c.after = gr.Video(label="After", interactive=False, elem_id="fr-after")
    c.t = gr.Slider(0, 10, value=0, step=0.01, label="Compare at time (s): before | after")
    c.pair = gr.Image(label="Before | after at the same time", interactive=False, elem_id="fr-pair")
    c.paths = gr.State(None)
    return c


def _run_rate(app: App) -> Any:
    """The Run button's handler: checks, then `upscale_file` on a job with a cancel point per frame."""

    def run_rate(
        upload: Any,
        sample: str,
        mode: str,
        fps: str | float,
        quality: str,
        method: str,
        codec: str,
        crf: str | float | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's idiom)
    ) -> Iterator[tuple]:
        failed = (None, "", None, None, None, gr.update())
        try:
            src = app.resolve_input(upload, sample)
            from vidiff.runner.options import UpscaleOptions
            from vidiff.validate import check_int

            # as --crf: 2,5 or 17.5 refused in one line; empty: the default (not sent)
            crf = typed_number(crf, "crf")
            crf = {} if crf is None else {"crf": check_int(crf, "crf")}
            opts = {**rate_options(mode, fps), **chosen(quality, method)}
            # a GIF takes no codec or crf (they are refused for one): the menu's choice is the format
            encode = {} if codec == GIF else {"codec": codec, **crf}
            # every option (a tier with a method, the codec, its crf range): one line, before any work
            UpscaleOptions.from_kwargs(**encode, **opts)
            from vidiff.io.probe import probe
            from vidiff.timeline import output_rate

            info = probe(src)
            out_fps = output_rate(info.fps, opts.get("factor"), opts.get("fps"))
            total = max(1, math.ceil(info.duration * out_fps))
        except VidiffError as e:
            yield (error_line(e), *failed)
            return
        folder = app.new_folder("rate")
        ext = {"vp9": "webm", GIF: "gif"}.get(codec, "mp4")
        out = folder / f"{Path(src).stem}_{mode.replace(' ', '_')}.{ext}"

        def work(job: Job) -> tuple[dict[str, Any], str]:
            from vidiff import upscale_file
            from vidiff.ui.media import preview

            job.total = total

            def tick(image: Any) -> Any:  # called once per output frame: progress and cancel point
                if job.cancel.is_set():
                    raise Cancelled()
                job.done += 1
                return image

            tick.key = "identity"  # type: ignore[attr-defined]  # same resume key as no transform
            r = upscale_file(src, out, progress=False, transform=tick, **encode, **opts)
            job.stage = "making a preview the browser can play"
            return r, preview(src, folder)  # the input as it is if the browser plays it (mkv, MPEG-4: not)

        result = yield from drive(app, request, "rate", folder, work, progress, failed)
        if result is None:
            return
        r, before = result
        yield (
            with_warning(
                f"Done: {r['out_frames']} frames written.",
                src,
                None if codec == GIF else pad_note(info, out, codec),
            ),
            str(out),
            _report_md(r),
            before,
            str(out) if codec == "h264" else None,
            (src, str(out)),
            gr.update(maximum=round(info.duration, 2), value=0),
        )

    return run_rate
