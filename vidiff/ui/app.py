"""The `vidiff ui` web app: Gradio tabs that call vidiff's Python API (never the CLI in a subprocess).

Tabs: Frame rate (`upscale_file`), Social clip (`vidiff.generate.make_clip`), Metrics (`analyze_clip`),
Repair (`infill_file` with `auto`), Compare (the bench protocol, `vidiff.metrics.bench.run_method`). Each
job runs on a thread (`App.run_job`) with a progress and cancel point per frame; a cancelled or failed job's
folder is removed. Every upload and output lives in one temporary folder, removed when the app stops.
Expected failures (`VidiffError`) are shown as the CLI's one `vidiff: error:` line in the page, never as a
traceback.
"""

import atexit
import contextlib
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from vidiff.errors import VidiffError

SAMPLES = ("bikes", "carphone_pristine", "bigbuckbunny")
NO_SAMPLE = "(none: use the upload)"

# one line each, from the README's benchmark tables (bikes 640x272 x2 on a 2-core CPU)
METHOD_HINTS = {
    "auto": "auto: vidiff's model when RIFE's weights are fetched (`vidiff fetch rife`), else dis.",
    "dis": "dis: optical flow both ways, the fastest (0.03 s/frame at 640x272); 32.1 dB on bikes x2.",
    "diffusion": "diffusion: vidiff's learned fusion, the best quality (+0.24 dB over the best peer), ~3x RIFE's time.",
    "fuse": "fuse: fixed mean of DIS and RIFE, about RIFE's time; needs `vidiff fetch rife`.",
    "rife": "rife: RIFE v4, +1.5 dB over dis on bikes x2 at 7-39x its time; needs `vidiff fetch rife`.",
    "blend": "blend: cross-fade, instant, ghosts on motion (28.6 dB on bikes x2).",
    "dup": "dup: repeats frames, instant, judders (25.2 dB on bikes x2).",
}
MODES = ("x2", "x4", "target fps", "slow motion x4")
CODECS = ("h264", "h265", "vp9", "av1")
THUMB_COLUMNS = 5
# Gradio's gallery makes as many columns as it has pictures: one thumbnail would fill the width
CSS = f"#me-thumbs .grid-container, #re-thumbs .grid-container {{ --grid-cols: {THUMB_COLUMNS} !important; }}"


class Cancelled(Exception):
    """Raised inside a run when the user pressed Cancel."""


@dataclass
class Job:
    """One running job: its folder (removed on cancel or failure) and its progress."""

    folder: Path
    total: int = 0
    done: int = 0
    stage: str = "starting"
    cancel: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


def error_line(e: BaseException) -> str:
    """The one line the CLI prints for `e` (a `VidiffError`), or a one-line note for anything else."""
    if isinstance(e, VidiffError):
        return f"vidiff: error: {e}"
    return (
        f"vidiff: error: unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip()
    )


class App:
    """State shared by the tabs: the work folder and the running jobs, keyed by (session, tab)."""

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[tuple[str, str], Job] = {}
        self.lock = threading.Lock()

    def new_folder(self, kind: str) -> Path:
        """A fresh folder for one job's outputs inside the work folder."""
        d = self.workdir / f"{kind}-{uuid.uuid4().hex[:8]}"
        d.mkdir()
        return d

    def resolve_input(self, upload: Any, sample: str | None) -> str:
        """The input clip: the uploaded file, else the bundled sample chosen; a `VidiffError` if neither."""
        from vidiff.errors import InputError

        if upload:
            return upload if isinstance(upload, str) else getattr(upload, "name", str(upload))
        if sample and sample != NO_SAMPLE:
            from vidiff.io.samples import sample_clip

            src = sample_clip(sample)
            dst = self.workdir / "samples" / src.name
            if not dst.exists():  # served from the work folder, which the page may read
                dst.parent.mkdir(exist_ok=True)
                shutil.copyfile(src, dst)
            return str(dst)
        raise InputError("no input: upload a clip or pick a bundled sample")

    def run_job(
        self,
        key: tuple[str, str],
        folder: Path,
        work: Callable[[Job], Any],
    ) -> Iterator[Job]:
        """Run `work(job)` on a thread, yielding the job about 4 times a second until it ends.

        A cancelled or failed job's folder is removed, so nothing is left behind.
        """
        job = Job(folder)
        with self.lock:
            old = self.jobs.get(key)
            if old is not None:
                old.cancel.set()
            self.jobs[key] = job

        def target() -> None:
            try:
                job.result = work(job)
            except BaseException as e:  # reported in the page; Cancelled included
                job.error = e
                shutil.rmtree(folder, ignore_errors=True)
                if not isinstance(e, (VidiffError, Cancelled)):
                    traceback.print_exc(file=sys.stderr)

        th = threading.Thread(target=target, daemon=True)
        th.start()
        try:
            while th.is_alive():
                th.join(0.25)
                yield job
        finally:
            if th.is_alive():  # the page went away or the event was cancelled: stop the work too
                job.cancel.set()
                th.join()
            with self.lock:
                if self.jobs.get(key) is job:
                    del self.jobs[key]
        yield job

    def cancel(self, key: tuple[str, str]) -> bool:
        """Ask the job running under `key` to stop; True if there was one."""
        with self.lock:
            job = self.jobs.get(key)
        if job is None:
            return False
        job.cancel.set()
        return True


def _session(request: Any) -> str:
    return getattr(request, "session_hash", None) or "default"


def drive(
    app: App,
    request: Any,
    tab: str,
    folder: Path,
    work: Callable[[Job], Any],
    progress: Any,
    failed: tuple,
    unit: str = "frames",
) -> Iterator[tuple]:
    """`app.run_job` for a tab's event handler (`result = yield from drive(...)`): while the job runs it
    feeds the progress bar and yields (status line, the other outputs unchanged); it returns the job's
    result, or yields (the cancelled / error line, *failed) and returns None."""
    keep = (gr.update(),) * len(failed)
    progress(0, desc="starting")
    job = None
    for job in app.run_job((_session(request), tab), folder, work):
        if job.result is None and job.error is None:
            if job.total:
                progress((min(job.done, job.total), job.total), desc=unit, unit=unit)
                yield (f"Running: {job.done} / {job.total} {unit}… (Cancel stops it)", *keep)
            else:
                yield (f"Running: {job.stage}… (Cancel stops it)", *keep)
    if isinstance(job.error, Cancelled):
        yield ("Cancelled; nothing was kept.", *failed)
    elif job.error is not None:
        yield (error_line(job.error), *failed)
    return job.result if job.error is None else None


class CancelPoint:
    """An interpolator that counts its frames into a job and stops it (`Cancelled`) when asked: for the
    library calls that take an interpolator but have no per-frame callback (`infill_file`)."""

    def __init__(self, interp: Any, job: Job) -> None:
        self._interp, self._job = interp, job
        if callable(getattr(interp, "interpolate_window", None)):  # only then is it a window method
            self.interpolate_window = self._window

    def __getattr__(self, name: str) -> Any:
        return getattr(self._interp, name)

    def _tick(self, n: int) -> None:
        if self._job.cancel.is_set():
            raise Cancelled()
        self._job.done += n

    def interpolate(self, a: Any, b: Any, ts: Any) -> list:
        self._tick(0)
        out = self._interp.interpolate(a, b, ts)
        self._tick(len(out))
        return out

    def _window(self, frames: Any, times: Any, targets: Any) -> list:
        self._tick(0)
        out = self._interp.interpolate_window(frames, times, targets)
        self._tick(len(out))
        return out


def rate_options(mode: str, target_fps: float | None) -> dict[str, Any]:
    """`upscale_file` keyword arguments for a mode of the Frame rate tab."""
    from vidiff.errors import ConfigError

    if mode == "x2":
        return {"factor": 2}
    if mode == "x4":
        return {"factor": 4}
    if mode == "target fps":
        if target_fps is None or not target_fps > 0:
            raise ConfigError("target fps: give a rate above 0, e.g. 60")
        return {"fps": str(target_fps).removesuffix(".0")}
    if mode == "slow motion x4":
        return {"factor": 4, "speed": 0.25, "audio_mode": "drop"}
    raise ConfigError(f"mode {mode!r}: use one of {', '.join(MODES)}")


def _report_md(r: dict[str, Any]) -> str:
    from fractions import Fraction

    cuts = ", ".join(f"{c:.2f} s" for c in r["scene_cuts_s"]) or "none"
    return (
        "| run report | |\n| --- | --- |\n"
        f"| frames | {r['src_frames']} → {r['out_frames']} |\n"
        f"| fps | {float(Fraction(r['src_fps'])):.3f} → {float(Fraction(r['out_fps'])):.3f} |\n"
        f"| method | {r['method']} |\n"
        f"| scene cuts | {cuts} |\n"
        f"| duplicates collapsed | {r['duplicates_collapsed']} |\n"
        f"| time | {r['seconds']:.2f} s ({r['s_per_frame']:.3f} s/frame) |\n"
    )


def _clip_input(label: str, elem_id: str, file_types: list[str] | None = None) -> tuple[Any, Any]:
    """A tab's input: an upload, or one of the bundled sample clips (used when nothing is uploaded)."""
    upload = gr.File(label=label, file_types=file_types or ["video"], elem_id=elem_id)
    sample = gr.Dropdown(
        [NO_SAMPLE, *SAMPLES], value=NO_SAMPLE, label="Or a bundled sample clip", elem_id=f"{elem_id}-sample"
    )
    return upload, sample


def _thumbs(label: str, elem_id: str) -> Any:
    """A row of small pictures with captions (CSS keeps them THUMB_COLUMNS to a row)."""
    return gr.Gallery(
        label=label, columns=THUMB_COLUMNS, height=190, object_fit="contain", allow_preview=False,
        elem_id=elem_id,
    )  # fmt: skip


def _run_cancel(prefix: str, run_label: str) -> tuple[Any, Any, Any]:
    """A tab's Run and Cancel buttons and its status line (ids `<prefix>-run`, `-cancel`, `-status`)."""
    with gr.Row():
        run = gr.Button(run_label, variant="primary", elem_id=f"{prefix}-run")
        cancel = gr.Button("Cancel", elem_id=f"{prefix}-cancel")
    status = gr.Markdown("", elem_id=f"{prefix}-status")
    return run, cancel, status


def _on_cancel(app: App, tab: str, button: Any, status: Any) -> None:
    """Cancel asks the tab's running job to stop; the job removes its folder and reports it."""

    def cancel(request: gr.Request) -> str:
        return "Cancelling…" if app.cancel((_session(request), tab)) else "Nothing is running."

    button.click(cancel, None, status)


def _rate_tab(app: App) -> None:
    from vidiff.ui.media import frame_at, side_by_side

    with gr.Row():
        with gr.Column():
            fr_in, fr_sample = _clip_input("Input clip (upload)", "fr-input")
            fr_mode = gr.Radio(list(MODES), value="x2", label="Frame rate", elem_id="fr-mode")
            fr_fps = gr.Number(value=60, label="Target fps (for 'target fps')")
            fr_method = gr.Dropdown(list(METHOD_HINTS), value="auto", label="Method", elem_id="fr-method")
            fr_hint = gr.Markdown(METHOD_HINTS["auto"], elem_id="fr-hint")
            with gr.Row():
                fr_codec = gr.Dropdown(list(CODECS), value="h264", label="Codec")
                fr_crf = gr.Slider(0, 51, value=18, step=1, label="Quality (crf: lower is better)")
            fr_run, fr_cancel, fr_status = _run_cancel("fr", "Run")
        with gr.Column():
            fr_out = gr.File(label="Output (download)", elem_id="fr-output", interactive=False)
            fr_report = gr.Markdown("", elem_id="fr-report")
    with gr.Row():
        fr_before = gr.Video(label="Before", interactive=False, elem_id="fr-before")
        fr_after = gr.Video(label="After", interactive=False, elem_id="fr-after")
    fr_t = gr.Slider(0, 10, value=0, step=0.01, label="Compare at time (s): before | after")
    fr_pair = gr.Image(label="Before | after at the same time", interactive=False, elem_id="fr-pair")
    fr_paths = gr.State(None)

    fr_method.change(lambda m: METHOD_HINTS.get(m, ""), fr_method, fr_hint)

    def run_rate(
        upload: Any,
        sample: str,
        mode: str,
        fps: float,
        method: str,
        codec: str,
        crf: float,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's idiom)
    ) -> Iterator[tuple]:
        failed = (None, "", None, None, None, gr.update())
        try:
            src = app.resolve_input(upload, sample)
            opts = rate_options(mode, fps)
            from vidiff.io.probe import probe
            from vidiff.timeline import output_rate

            info = probe(src)
            out_fps = output_rate(info.fps, opts.get("factor"), opts.get("fps"))
            total = max(1, math.ceil(info.duration * out_fps))
        except VidiffError as e:
            yield (error_line(e), *failed)
            return
        folder = app.new_folder("rate")
        out = folder / f"{Path(src).stem}_{mode.replace(' ', '_')}.{'webm' if codec == 'vp9' else 'mp4'}"

        def work(job: Job) -> dict[str, Any]:
            from vidiff import upscale_file

            job.total = total

            def tick(image: Any) -> Any:  # called once per output frame: progress and cancel point
                if job.cancel.is_set():
                    raise Cancelled()
                job.done += 1
                return image

            tick.key = "identity"  # type: ignore[attr-defined]  # same resume key as no transform
            return upscale_file(
                src, out, method=method, codec=codec, crf=int(crf), progress=False, transform=tick, **opts
            )

        result = yield from drive(app, request, "rate", folder, work, progress, failed)
        if result is None:
            return
        r = result
        yield (
            f"Done: {r['out_frames']} frames written.",
            str(out),
            _report_md(r),
            src,
            str(out) if codec == "h264" else None,
            (src, str(out)),
            gr.update(maximum=round(info.duration, 2), value=0),
        )

    fr_run.click(
        run_rate,
        [fr_in, fr_sample, fr_mode, fr_fps, fr_method, fr_codec, fr_crf],
        [fr_status, fr_out, fr_report, fr_before, fr_after, fr_paths, fr_t],
    )
    _on_cancel(app, "rate", fr_cancel, fr_status)

    def compare_at(paths: Any, t: float) -> Any:
        if not paths:
            return None
        try:
            return side_by_side(frame_at(paths[0], t), frame_at(paths[1], t))
        except Exception:  # a preview only: never a traceback in the page
            return None

    fr_t.release(compare_at, [fr_paths, fr_t], fr_pair)
    fr_paths.change(compare_at, [fr_paths, fr_t], fr_pair)


# the preview video jumps to the time Python put in the hidden number (Gradio has no seek API)
SEEK_JS = """(t) => {
  const v = document.querySelector('#me-video video');
  if (v && t !== null && t >= 0) { v.pause(); v.currentTime = t; }
  return t;
}"""


def _metrics_tab(app: App) -> None:
    from vidiff.ui.media import frame_at, thumbnail

    with gr.Row():
        with gr.Column():
            me_in, me_sample = _clip_input("Clip to measure (upload)", "me-input")
            me_top = gr.Slider(1, 10, value=5, step=1, label="Worst segments to list")
            me_run, me_cancel, me_status = _run_cancel("me", "Measure")
            me_video = gr.Video(label="Preview", interactive=False, elem_id="me-video")
        with gr.Column():
            me_plot = gr.Image(label="Per-frame curves", interactive=False, elem_id="me-plot")
            me_table = gr.Dataframe(
                headers=["#", "start", "end", "frames", "peak warping error", "peak at (s)"],
                label="Worst segments (select a row: the preview jumps to its peak)",
                interactive=False,
                elem_id="me-table",
            )
            me_thumbs = _thumbs(
                "Worst segments at their peaks (select one: the preview jumps there)", "me-thumbs"
            )
            me_frame = gr.Image(
                label="Frame at the selected segment's peak", interactive=False, elem_id="me-frame"
            )
    me_src = gr.State(None)
    me_times = gr.State([])  # the worst segments' peak times, in the table's order
    me_seek = gr.Number(None, label="Preview time (s)", visible=False, elem_id="me-seek")

    def run_metrics(
        upload: Any,
        sample: str,
        top: float,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        failed = (None, None, None, None, None, [])
        try:
            src = app.resolve_input(upload, sample)
            from vidiff.io.probe import probe

            n = probe(src).n_frames
        except VidiffError as e:
            yield (error_line(e), *failed)
            return
        folder = app.new_folder("metrics")

        def work(job: Job) -> tuple:
            from vidiff.metrics.clip import analyze_clip
            from vidiff.metrics.report import clip_text, plot_clip

            job.total = n

            def on_frame(k: int = 1) -> None:
                if job.cancel.is_set():
                    raise Cancelled()
                job.done += k

            report = analyze_clip(src, None, None, int(top), on_frame)
            png = folder / "metrics.png"
            plot_clip(report, png)
            segs = report["summary"]["worst_segments"]
            thumbs = []
            for k, s in enumerate(segs, 1):
                if job.cancel.is_set():
                    raise Cancelled()
                img = frame_at(src, s["peak_time"])
                if img is not None:
                    thumbs.append((thumbnail(img, 120), f"#{k} at {s['peak_time']:.2f} s"))
            return report, png, segs, thumbs, clip_text(report)

        result = yield from drive(app, request, "metrics", folder, work, progress, failed)
        if result is None:
            return
        report, png, segs, thumbs, text = result
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
        yield (status, str(png), rows, thumbs, src, src, [s["peak_time"] for s in segs])

    me_run.click(
        run_metrics,
        [me_in, me_sample, me_top],
        [me_status, me_plot, me_table, me_thumbs, me_video, me_src, me_times],
    )
    _on_cancel(app, "metrics", me_cancel, me_status)

    def pick(src: Any, times: list[float], evt: gr.SelectData) -> tuple:
        """A worst segment picked (table row or thumbnail): its peak frame, and the preview's new time."""
        try:
            k = evt.index[0] if isinstance(evt.index, (list, tuple)) else int(evt.index)
            t = float(times[k])
            return frame_at(src, t), t
        except Exception:  # a preview only: never a traceback in the page
            return None, None

    for picker in (me_table, me_thumbs):
        picker.select(pick, [me_src, me_times], [me_frame, me_seek]).then(None, me_seek, None, js=SEEK_JS)


def _repair_tab(app: App) -> None:
    from vidiff.ui.media import frame_at, thumbnail

    with gr.Row():
        with gr.Column():
            re_in, re_sample = _clip_input("Clip to repair (upload)", "re-input")
            re_method = gr.Dropdown(
                list(METHOD_HINTS), value="auto", label="Method for rebuilt frames", elem_id="re-method"
            )
            re_run, re_cancel, re_status = _run_cancel("re", "Find and rebuild bad frames")
        with gr.Column():
            re_out = gr.File(label="Repaired clip (download)", interactive=False, elem_id="re-output")
            re_thumbs = _thumbs("Frames replaced (rebuilt)", "re-thumbs")

    def run_repair(
        upload: Any,
        sample: str,
        method: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        try:
            src = app.resolve_input(upload, sample)
        except VidiffError as e:
            yield (error_line(e), None, None)
            return
        folder = app.new_folder("repair")
        out = folder / f"{Path(src).stem}_repaired.mp4"

        def work(job: Job) -> tuple:
            from vidiff.flow import get_interpolator
            from vidiff.runner.infill import infill_file

            job.stage = "finding bad frames and rebuilding them"
            interp = CancelPoint(get_interpolator(method), job)
            r = infill_file(src, out, auto=True, method=interp, progress=False)
            thumbs = []
            for x in r["replaced"][:20]:
                img = frame_at(out, x["time_s"])
                if img is not None:
                    thumbs.append(
                        (thumbnail(img, 120), f"frame {x['frame']} at {x['time_s']:.2f} s ({x['why']})")
                    )
            return r, thumbs

        result = yield from drive(app, request, "repair", folder, work, progress, (None, None))
        if result is None:
            return
        r, thumbs = result
        msg = (
            f"Replaced {len(r['replaced'])} frame(s): "
            + ", ".join(f"{x['frame']} ({x['why']})" for x in r["replaced"])
            if r["replaced"]
            else "No frame replaced (none found)."
        )
        yield (msg, str(out), thumbs)

    re_run.click(run_repair, [re_in, re_sample, re_method], [re_status, re_out, re_thumbs])
    _on_cancel(app, "repair", re_cancel, re_status)


def _social_tab(app: App) -> None:
    from vidiff.generate.clip import FPS_CHOICES, IMAGE_EXT
    from vidiff.generate.motion import MOTIONS
    from vidiff.generate.social import PRESETS

    with gr.Row():
        with gr.Column():
            so_in, so_sample = _clip_input(
                "Still image or clip (upload)", "so-input", ["image", "video", *sorted(IMAGE_EXT)]
            )
            so_aspect = gr.Radio(
                list(PRESETS), value="9:16", label="Preset (aspect ratio)", elem_id="so-aspect"
            )
            with gr.Row():
                so_motion = gr.Dropdown(list(MOTIONS), value="auto", label="Camera motion (a still)")
                so_strength = gr.Slider(0, 1, value=0.25, step=0.05, label="Motion strength")
            with gr.Row():
                so_seconds = gr.Number(4, label="Length in seconds (a still)", elem_id="so-seconds")
                so_extend = gr.Number(
                    None,
                    label="Extension past the end in seconds (a clip; empty: as far as its motion carries, at most 1 s)",
                )
            with gr.Row():
                so_fps = gr.Dropdown(list(FPS_CHOICES), value=30, label="Frame rate (fps)")
                so_loop = gr.Checkbox(False, label="Seamless loop (the end leads back into the start)")
            so_music = gr.File(
                label="Music (optional; trimmed and faded)", file_types=["audio"], elem_id="so-music"
            )
            so_run, so_cancel, so_status = _run_cancel("so", "Make clip")
        with gr.Column():
            so_video = gr.Video(label="Preview", interactive=False, elem_id="so-preview")
            so_out = gr.File(label="Social clip (download)", interactive=False, elem_id="so-output")
            so_report = gr.Markdown("", elem_id="so-report")

    def run_social(
        upload: Any,
        sample: str,
        aspect: str,
        motion: str,
        strength: float,
        seconds: float | None,
        extend: float | None,
        fps: Any,
        loop: bool,
        music: Any,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        failed = (None, None, "")
        try:
            src = app.resolve_input(upload, sample)
        except VidiffError as e:
            yield (error_line(e), *failed)
            return
        still = Path(src).suffix.lower() in IMAGE_EXT
        folder = app.new_folder("social")
        out = folder / f"{Path(src).stem}_{aspect.replace(':', 'x')}.mp4"
        audio = None if not music else music if isinstance(music, str) else getattr(music, "name", None)

        def work(job: Job) -> dict[str, Any]:
            from vidiff.generate import make_clip

            job.stage = "animating the still" if still else "extending the clip"

            def on_frame(done: int, total: int) -> None:  # after each frame written
                if job.cancel.is_set():
                    raise Cancelled()
                job.total, job.done = total, done

            return make_clip(
                out,
                image=src if still else None,
                clip=None if still else src,
                seconds=4.0 if seconds is None else float(seconds),
                extend=None if extend is None else float(extend),
                fps=int(fps),
                aspect=aspect,
                motion=motion,
                strength=float(strength),
                loop=bool(loop),
                audio=audio,
                progress=False,
                on_frame=on_frame,
            )

        result = yield from drive(app, request, "social", folder, work, progress, failed)
        if result is None:
            return
        r = result
        w, h = r["size"]
        rows = [("size", f"{w}x{h}"), ("fps", r["fps"]), ("frames", r["frames"]), ("seconds", r["seconds"])]
        if r["source"] == "image":
            rows.append(("motion", r["motion"]))
        else:
            rows += [("frames observed", r["frames_observed"]), ("frames extended", r["frames_extended"])]
            rows.append(("loop frames", r["frames_loop"]))
        if "loop_jump" in r:
            rows.append(("loop seam (mean change)", f"{r['loop_jump']:.2f}"))
        md = "| social clip | |\n| --- | --- |\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)
        yield (f"Done: {r['frames']} frames, {r['seconds']} s at {w}x{h}.", str(out), str(out), md)

    so_run.click(
        run_social,
        [
            so_in,
            so_sample,
            so_aspect,
            so_motion,
            so_strength,
            so_seconds,
            so_extend,
            so_fps,
            so_loop,
            so_music,
        ],
        [so_status, so_video, so_out, so_report],
    )
    _on_cancel(app, "social", so_cancel, so_status)


COMPARE_HEADERS = ["method", "PSNR (dB)", "SSIM", "flicker ratio", "tdiff err", "s/frame", "× DIS time",
                   "frames scored", "status"]  # fmt: skip


def compare_methods(
    src: str,
    step: Any,
    methods: list[str],
    max_frames: int,
    on_frame: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """The bench protocol (held-out frames) on the first `max_frames` frames of one clip for each method,
    in this process (`vidiff.metrics.bench.run_method`); a method that cannot run here (no weights) is
    'skipped' with its reason, as in `vidiff bench`. `on_frame(n)` counts the rebuilt frames."""
    from vidiff.errors import ConfigError, InputError
    from vidiff.io.probe import probe
    from vidiff.metrics.bench import resolve_methods, run_method, speed_ratios
    from vidiff.metrics.protocol import factor_label, targets

    names = resolve_methods(list(methods or []) or "")
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


def _compare_tab(app: App) -> None:
    from vidiff.flow import AUTO, interpolator_names

    choices = [m for m in interpolator_names() if m != AUTO]
    with gr.Row():
        with gr.Column():
            co_in, co_sample = _clip_input("Clip to compare methods on (upload)", "co-input")
        with gr.Column():
            co_methods = gr.CheckboxGroup(
                choices,
                value=[m for m in ("dup", "blend", "dis") if m in choices],
                label="Methods (two or more)",
                info="rife, fuse and diffusion need RIFE's weights (vidiff fetch rife) and take longer",
                elem_id="co-methods",
            )
            co_factor = gr.Radio(
                ["2", "4", "5/2"],
                value="2",
                label="Factor: keep every k-th frame, rebuild the others and score them",
            )
            co_max = gr.Slider(
                3, 300, value=60, step=1, label="Frames of the clip to use (from its start)", elem_id="co-max"
            )
            co_run, co_cancel, co_status = _run_cancel("co", "Compare")
    co_table = gr.Dataframe(
        headers=COMPARE_HEADERS,
        label="Held-out frames (the bench protocol): mean over the rebuilt frames",
        interactive=False,
        elem_id="co-table",
    )
    co_plot = gr.Image(label="PSNR by method", interactive=False, elem_id="co-plot", height=380)

    def run_compare(
        upload: Any,
        sample: str,
        methods: list[str],
        factor: str,
        max_frames: float,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        from vidiff.errors import ConfigError
        from vidiff.metrics.protocol import parse_factor, targets

        try:
            src = app.resolve_input(upload, sample)
            step = parse_factor(factor)
            if len(methods or []) < 2:
                raise ConfigError("Compare needs two or more methods")
            from vidiff.io.probe import probe

            n = min(probe(src).n_frames, int(max_frames))
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

        def fmt(x: Any, d: int) -> Any:
            return "–" if x is None else round(float(x), d)

        rows = [
            [
                r["method"], fmt(r["psnr"], 2), fmt(r["ssim"], 4), fmt(r["flicker_ratio"], 3),
                fmt(r["tdiff_err"], 2), fmt(r["s_per_frame"], 5), fmt(r["speed_ratio_vs_dis"], 2),
                r["n_frames"] or 0, r["status"] if r["status"] == "ok" else f"{r['status']}: {r['reason']}",
            ]
            for r in result
        ]  # fmt: skip
        best = max((r for r in result if r["status"] == "ok"), key=lambda r: r["psnr"])
        line = (
            f"Done: {len(result)} methods on {n} frames of {Path(src).name} at x{factor}; "
            f"best PSNR: {best['method']} ({best['psnr']:.2f} dB)."
        )
        yield (line, rows, str(folder / "compare.png"))

    co_run.click(
        run_compare, [co_in, co_sample, co_methods, co_factor, co_max], [co_status, co_table, co_plot]
    )
    _on_cancel(app, "compare", co_cancel, co_status)


def _css(where: str) -> dict[str, str]:
    """`css=CSS` for where this Gradio takes it: `launch` in Gradio 6, `Blocks` before."""
    import inspect

    takes = "css" in inspect.signature(gr.Blocks.launch).parameters
    return {"css": CSS} if takes == (where == "launch") else {}


def build_app(workdir: str | os.PathLike[str]) -> Any:
    """The Gradio Blocks of the app; uploads and outputs go under `workdir`."""
    app = App(workdir)
    with gr.Blocks(title="vidiff", **_css("Blocks")) as demo:
        gr.Markdown(
            "# vidiff\nRaise the frame rate of a clip, make a social clip, measure temporal consistency, "
            "repair frozen/black frames, compare methods. Everything runs on this machine; files stay in a "
            "temporary folder removed on exit."
        )
        with gr.Tab("Frame rate", id="tab-rate"):
            _rate_tab(app)
        with gr.Tab("Social clip", id="tab-social"):
            _social_tab(app)
        with gr.Tab("Metrics", id="tab-metrics"):
            _metrics_tab(app)
        with gr.Tab("Repair", id="tab-repair"):
            _repair_tab(app)
        with gr.Tab("Compare", id="tab-compare"):
            _compare_tab(app)
    demo.vidiff_app = app  # type: ignore[attr-defined]
    return demo


def serve(
    host: str = "127.0.0.1",
    port: int | None = None,
    share: bool = False,
    open_browser: bool = False,
    workdir: str | os.PathLike[str] | None = None,
) -> None:
    """Start the app and block until Ctrl-C; the temporary folder (`workdir`, made if None) is removed on
    exit. `vidiff ui` makes it before Gradio is imported, so Gradio's own temporary files go in it too."""
    from vidiff.errors import ConfigError

    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="vidiff-ui-"))
    os.environ.setdefault("GRADIO_TEMP_DIR", str(workdir / "uploads"))  # Gradio's upload cache, inside ours

    def cleanup() -> None:
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(cleanup)
    demo = None
    try:
        demo = build_app(workdir)
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
                **_css("launch"),
            )
        except OSError as e:  # the port is taken, the address is not this machine's
            raise ConfigError(f"cannot serve on {host}:{port or 'a free port from 7860'}: {e}") from None
        print(f"vidiff ui: {demo.local_url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if demo is not None:
            with contextlib.suppress(Exception):
                demo.close()
        cleanup()
