"""The web app's shared core: the work folder (uploads, samples, each job's folder), jobs on a thread with
progress and Cancel, and failures shown as the CLI's one `vidiff: error:` line, never a traceback.

Every tab (`vidiff.ui.rate`, `social`, `metrics`, `repair`, `compare`) runs its work through `drive`.
"""

import os
import shutil
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from vidiff.errors import VidiffError
from vidiff.ui.exposure import Exposure

SAMPLES = ("bikes", "carphone_pristine", "bigbuckbunny")
NO_SAMPLE = "(none: use the upload)"


class Cancelled(Exception):
    """Raised inside a run when the user pressed Cancel."""


@dataclass
class Job:
    """One running job: its folder (removed on cancel or failure) and its progress."""

    folder: Path
    total: int = 0
    done: int = 0
    stage: str = "starting"
    # what the work is in that cannot be interrupted (a model loading), said while a cancel waits for it
    busy: str = ""
    steps: tuple[int, int] | None = None  # (done, total) of a model's sampler steps, before any frame
    cancel: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    thread: threading.Thread | None = None  # the thread running the work (`App.run_job`)


def error_line(e: BaseException) -> str:
    """The one line the CLI prints for `e` (a `VidiffError`), or a one-line note for anything else."""
    if isinstance(e, VidiffError):
        return f"vidiff: error: {e}"
    return (
        f"vidiff: error: unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip()
    )


def with_warning(line: str, src: str | None, *notes: str | None) -> str:
    """`line`, then the damage warning the input got if any (what decoded was used, as the CLI warns on
    stderr, which the page's user does not see), naming the file by its name, then each of `notes` given
    (the CLI's `note:` lines about the output, e.g. `pad_note`), after those about the input (alpha
    dropped, HDR, interlaced: `vidiff.io.notes`)."""
    from vidiff.io.notes import said_notes
    from vidiff.io.probe import damage_warning

    warning = damage_warning(src) if src else None
    if warning is not None:
        warning = warning.replace(src, Path(src).name, 1)  # type: ignore[arg-type]
    return "\n\n".join(x for x in (line, warning, *(said_notes(src) if src else ()), *notes) if x)


def pad_note(
    info: Any, out: str | os.PathLike[str], codec: str = "h264", pix_fmt: str = "yuv420p"
) -> str | None:
    """The CLI's note when the output of a clip (`info`: its probe, taken before the run; probing the
    upload again after it was a traceback in the page where the temporary upload was gone by then) is
    padded to even, as `pix_fmt`'s chroma needs (`EncodeOptions.coded_size`: the last column or row
    repeated), naming the output by its name; None when the size is kept. The page has no pixel-format
    choice, so it offers none."""
    from vidiff.io.encode import EncodeOptions

    return EncodeOptions(codec, 18, None, pix_fmt).size_note(
        Path(out).name, info.width, info.height, hint=False
    )


class App:
    """State shared by the tabs: the work folder and the running jobs, keyed by (session, tab)."""

    def __init__(self, workdir: str | os.PathLike[str], exposure: Exposure | None = None) -> None:
        self.workdir = Path(workdir)
        self.exposure = exposure or Exposure()  # what visitors may do (`vidiff.ui.exposure`)
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
            path = upload if isinstance(upload, str) else getattr(upload, "name", str(upload))
            self.exposure.check_upload(path, self.workdir)  # a shared app reads only what was uploaded
            return path
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

        A cancelled or failed job's folder is removed, so nothing is left behind; a job cancelled after its
        work's last cancel point (Repair's search for bad frames, a preview being made) counts as cancelled.
        A job under `key` still running is cancelled, and this one waits for it to end: one run per tab at
        a time (a cancelled model load runs on until it ends; a second beside it would double the memory).
        """
        job = Job(folder)
        with self.lock:
            old = self.jobs.get(key)
            if old is not None:
                old.cancel.set()
            self.jobs[key] = job

        def target() -> None:
            try:
                if old is not None and old.thread is not None and old.thread.is_alive():
                    job.stage = "waiting for the previous run (cancelled) to stop"
                    while old.thread.is_alive() and not job.cancel.is_set():
                        old.thread.join(0.25)
                    job.stage = "starting"
                if job.cancel.is_set():
                    raise Cancelled()
                result = work(job)
                if job.cancel.is_set():  # pressed after the work's last cancel point: still nothing kept
                    raise Cancelled()
                job.result = result
            except BaseException as e:  # reported in the page; Cancelled included
                job.error = e
                shutil.rmtree(folder, ignore_errors=True)
                if not isinstance(e, (VidiffError, Cancelled)):
                    traceback.print_exc(file=sys.stderr)
            finally:
                with self.lock:  # the tab is free when the work has ended, not when the page left
                    if self.jobs.get(key) is job:
                        del self.jobs[key]

        th = job.thread = threading.Thread(target=target, daemon=True)
        th.start()
        try:
            while th.is_alive():
                th.join(0.25)
                yield job
        finally:
            # the page went away or the event was cancelled: the work is told to stop and not waited for
            # here (Gradio closes this generator on its event loop: a model's load, minutes without a
            # cancel point, froze the whole app for every user); its thread removes the folder as it stops
            if th.is_alive():
                job.cancel.set()
        yield job

    def cancel(self, key: tuple[str, str]) -> bool:
        """Ask the job running under `key` to stop; True if there was one."""
        with self.lock:
            job = self.jobs.get(key)
        if job is None:
            return False
        job.cancel.set()
        return True


def session(request: Any) -> str:
    """The browser session a request comes from (its jobs are its own)."""
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
    for job in app.run_job((session(request), tab), folder, work):
        if job.result is None and job.error is None:
            if job.cancel.is_set():  # said at once, not 'Running' until the work reaches a cancel point
                wait = f"{job.busy}, which cannot be interrupted: it stops when that ends" if job.busy else ""
                yield (
                    f"Cancelling… {wait or 'it stops after the current step'}; nothing will be kept.",
                    *keep,
                )
            elif job.total:
                progress((min(job.done, job.total), job.total), desc=unit, unit=unit)
                yield (f"Running: {job.done} / {job.total} {unit}… (Cancel stops it)", *keep)
            else:
                if job.steps is not None:  # a model's sampler steps: the bar moves before any frame
                    progress(job.steps, desc="model steps", unit="steps")
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

    def check(self, _index: int = 0) -> None:
        """A cancel point for work between frames that makes none (the repair's defect scan)."""
        self._tick(0)

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
