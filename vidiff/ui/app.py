"""The `vidiff ui` web app: Gradio tabs that call vidiff's Python API (never the CLI in a subprocess).

Every upload and output lives in one temporary folder, removed when the app stops. Expected failures
(`VidiffError`) are shown as the CLI's one `vidiff: error:` line in the page, never as a traceback.
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


class Cancelled(Exception):
    """Raised inside a run when the user pressed Cancel."""


@dataclass
class Job:
    """One running job: its folder (removed on cancel or failure) and its progress."""

    folder: Path
    total: int = 0
    done: int = 0
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


def _clip_input(label: str, elem_id: str) -> tuple[Any, Any]:
    """A tab's input: an upload, or one of the bundled sample clips (used when nothing is uploaded)."""
    upload = gr.File(label=label, file_types=["video"], elem_id=elem_id)
    sample = gr.Dropdown([NO_SAMPLE, *SAMPLES], value=NO_SAMPLE, label="Or a bundled sample clip")
    return upload, sample


def build_app(workdir: str | os.PathLike[str]) -> Any:
    """The Gradio Blocks of the app; uploads and outputs go under `workdir`."""
    from vidiff.ui.media import frame_at, side_by_side, thumbnail

    app = App(workdir)

    with gr.Blocks(title="vidiff") as demo:
        gr.Markdown(
            "# vidiff\nRaise the frame rate of a clip, repair frozen/black frames, measure temporal "
            "consistency. Everything runs on this machine; files stay in a temporary folder removed on exit."
        )
        # ---------------------------------------------------------------- Frame rate
        with gr.Tab("Frame rate", id="tab-rate"):
            with gr.Row():
                with gr.Column():
                    fr_in, fr_sample = _clip_input("Input clip (upload)", "fr-input")
                    fr_mode = gr.Radio(list(MODES), value="x2", label="Frame rate")
                    fr_fps = gr.Number(value=60, label="Target fps (for 'target fps')", minimum=1)
                    fr_method = gr.Dropdown(list(METHOD_HINTS), value="auto", label="Method")
                    fr_hint = gr.Markdown(METHOD_HINTS["auto"], elem_id="fr-hint")
                    with gr.Row():
                        fr_codec = gr.Dropdown(list(CODECS), value="h264", label="Codec")
                        fr_crf = gr.Slider(0, 51, value=18, step=1, label="Quality (crf: lower is better)")
                    with gr.Row():
                        fr_run = gr.Button("Run", variant="primary", elem_id="fr-run")
                        fr_cancel = gr.Button("Cancel", elem_id="fr-cancel")
                    fr_status = gr.Markdown("", elem_id="fr-status")
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
                keep = (gr.update(),) * 7
                try:
                    src = app.resolve_input(upload, sample)
                    opts = rate_options(mode, fps)
                    from vidiff.io.probe import probe
                    from vidiff.timeline import output_rate

                    info = probe(src)
                    out_fps = output_rate(info.fps, opts.get("factor"), opts.get("fps"))
                    total = max(1, math.ceil(info.duration * out_fps))
                except VidiffError as e:
                    yield (error_line(e), None, "", None, None, None, gr.update())
                    return
                folder = app.new_folder("rate")
                out = (
                    folder
                    / f"{Path(src).stem}_{mode.replace(' ', '_')}.{'webm' if codec == 'vp9' else 'mp4'}"
                )

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
                        src,
                        out,
                        method=method,
                        codec=codec,
                        crf=int(crf),
                        progress=False,
                        transform=tick,
                        **opts,
                    )

                progress(0, desc="starting")
                for job in app.run_job((_session(request), "rate"), folder, work):
                    if job.result is None and job.error is None:
                        progress((job.done, job.total), desc="frames", unit="frames")
                        yield (f"Running: {job.done} / {job.total} frames", *keep[1:])
                if isinstance(job.error, Cancelled):
                    yield ("Cancelled; nothing was kept.", None, "", None, None, None, gr.update())
                elif job.error is not None:
                    yield (error_line(job.error), None, "", None, None, None, gr.update())
                else:
                    r = job.result
                    yield (
                        f"Done: {r['out_frames']} frames written.",
                        str(out),
                        _report_md(r),
                        src,
                        str(out) if codec == "h264" else None,
                        (src, str(out)),
                        gr.update(maximum=round(info.duration, 2), value=0),
                    )

            fr_evt = fr_run.click(
                run_rate,
                [fr_in, fr_sample, fr_mode, fr_fps, fr_method, fr_codec, fr_crf],
                [fr_status, fr_out, fr_report, fr_before, fr_after, fr_paths, fr_t],
            )

            def cancel_rate(request: gr.Request) -> str:
                return "Cancelling…" if app.cancel((_session(request), "rate")) else "Nothing is running."

            fr_cancel.click(cancel_rate, None, fr_status, cancels=[fr_evt])

            def compare_at(paths: Any, t: float) -> Any:
                if not paths:
                    return None
                try:
                    return side_by_side(frame_at(paths[0], t), frame_at(paths[1], t))
                except Exception:  # a preview only: never a traceback in the page
                    return None

            fr_t.release(compare_at, [fr_paths, fr_t], fr_pair)
            fr_paths.change(compare_at, [fr_paths, fr_t], fr_pair)

        # ---------------------------------------------------------------- Metrics
        with gr.Tab("Metrics", id="tab-metrics"):
            with gr.Row():
                with gr.Column():
                    me_in, me_sample = _clip_input("Clip to measure (upload)", "me-input")
                    me_top = gr.Slider(1, 10, value=5, step=1, label="Worst segments to list")
                    me_run = gr.Button("Measure", variant="primary", elem_id="me-run")
                    me_status = gr.Markdown("", elem_id="me-status")
                    me_video = gr.Video(label="Preview", interactive=False, elem_id="me-video")
                with gr.Column():
                    me_plot = gr.Image(label="Per-frame curves", interactive=False, elem_id="me-plot")
                    me_table = gr.Dataframe(
                        headers=["#", "start", "end", "frames", "peak warping error", "peak at (s)"],
                        label="Worst segments (select a row: the frame at its peak)",
                        interactive=False,
                        elem_id="me-table",
                    )
                    me_thumbs = gr.Gallery(
                        label="Worst segments at their peaks",
                        columns=5,
                        height=200,
                        object_fit="contain",
                        preview=False,
                        elem_id="me-thumbs",
                    )
                    me_frame = gr.Image(label="Frame at the selected segment's peak", interactive=False)
            me_src = gr.State(None)

            def run_metrics(
                upload: Any,
                sample: str,
                top: float,
                progress: gr.Progress = gr.Progress(),  # noqa: B008
            ) -> tuple:
                from vidiff.metrics.clip import analyze_clip
                from vidiff.metrics.report import clip_text, plot_clip

                try:
                    src = app.resolve_input(upload, sample)
                    from vidiff.io.probe import probe

                    n = probe(src).n_frames
                    done = [0]

                    def on_frame(k: int = 1) -> None:
                        done[0] += k
                        progress((min(done[0], n), n), desc="frames", unit="frames")

                    report = analyze_clip(src, None, None, int(top), on_frame)
                    folder = app.new_folder("metrics")
                    png = folder / "metrics.png"
                    plot_clip(report, png)
                except VidiffError as e:
                    return (error_line(e), None, None, None, None, None)
                segs = report["summary"]["worst_segments"]
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
                thumbs = []
                for k, s in enumerate(segs, 1):
                    img = frame_at(src, s["peak_time"])
                    if img is not None:
                        thumbs.append((thumbnail(img, 120), f"#{k} at {s['peak_time']:.2f} s"))
                status = "```\n" + clip_text(report).replace(src, Path(src).name) + "\n```"
                return (status, str(png), rows, thumbs, src, src)

            me_run.click(
                run_metrics,
                [me_in, me_sample, me_top],
                [me_status, me_plot, me_table, me_thumbs, me_video, me_src],
            )

            def pick_segment(src: Any, table: Any, evt: gr.SelectData) -> Any:
                try:
                    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
                    t = float(table.iloc[row, 5]) if hasattr(table, "iloc") else float(table[row][5])
                    return frame_at(src, t)
                except Exception:
                    return None

            me_table.select(pick_segment, [me_src, me_table], me_frame)

        # ---------------------------------------------------------------- Repair
        with gr.Tab("Repair", id="tab-repair"):
            with gr.Row():
                with gr.Column():
                    re_in, re_sample = _clip_input("Clip to repair (upload)", "re-input")
                    re_method = gr.Dropdown(
                        list(METHOD_HINTS), value="auto", label="Method for rebuilt frames"
                    )
                    re_run = gr.Button("Find and rebuild bad frames", variant="primary", elem_id="re-run")
                    re_status = gr.Markdown("", elem_id="re-status")
                with gr.Column():
                    re_out = gr.File(label="Repaired clip (download)", interactive=False, elem_id="re-output")
                    re_thumbs = gr.Gallery(
                        label="Frames replaced (rebuilt)",
                        columns=5,
                        height=200,
                        object_fit="contain",
                        preview=False,
                    )

            def run_repair(
                upload: Any,
                sample: str,
                method: str,
                progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
            ) -> tuple:
                from vidiff.runner.infill import infill_file

                folder = None
                try:
                    src = app.resolve_input(upload, sample)
                    folder = app.new_folder("repair")
                    out = folder / f"{Path(src).stem}_repaired.mp4"
                    r = infill_file(src, out, auto=True, method=method, progress=True)
                except VidiffError as e:
                    if folder is not None:
                        shutil.rmtree(folder, ignore_errors=True)
                    return (error_line(e), None, None)
                thumbs = []
                for x in r["replaced"][:20]:
                    img = frame_at(out, x["time_s"])
                    if img is not None:
                        thumbs.append(
                            (thumbnail(img, 120), f"frame {x['frame']} at {x['time_s']:.2f} s ({x['why']})")
                        )
                msg = (
                    f"Replaced {len(r['replaced'])} frame(s): "
                    + ", ".join(f"{x['frame']} ({x['why']})" for x in r["replaced"])
                    if r["replaced"]
                    else "No frame replaced (none found)."
                )
                return (msg, str(out), thumbs)

            re_run.click(run_repair, [re_in, re_sample, re_method], [re_status, re_out, re_thumbs])
    demo.vidiff_app = app  # type: ignore[attr-defined]
    return demo


def serve(
    host: str = "127.0.0.1", port: int | None = None, share: bool = False, open_browser: bool = False
) -> None:
    """Start the app and block until Ctrl-C; the temporary folder is removed on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="vidiff-ui-"))
    os.environ["GRADIO_TEMP_DIR"] = str(workdir / "uploads")  # Gradio's upload cache, inside ours
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    def cleanup() -> None:
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(cleanup)
    demo = None
    try:
        demo = build_app(workdir)
        demo.queue(default_concurrency_limit=2)
        demo.launch(
            server_name=host,
            server_port=port,
            share=share,
            inbrowser=open_browser,
            allowed_paths=[str(workdir)],
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,
        )
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
