"""Segments in parallel: the worker count, the process pool (the embedded default) and the driver loop.

A pool is anything with `submit(fn, *args) -> concurrent.futures.Future`, `drain()` (frames the workers
made since the last call, for the one progress bar), `restart()` (after a worker died) and `close()`:
`LocalPool` (a `ProcessPoolExecutor`) here, `vidiff.runner.ray_pool.RayPool` for a Ray cluster. The
driver (`run_jobs`) submits each job as the planning pass yields it, so the workers start while the
parent is still planning, and collects them; a job whose segments are all finished is not sent.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from vidiff.errors import ConfigError, OutputError
from vidiff.io.segments import SEGMENT_FRAMES
from vidiff.runner.costs import MEMORY_SHARE, available_mb
from vidiff.runner.jobs import ClipSpec, SegmentJob, cpu_count, run_job
from vidiff.validate import check_ascii_number

MIN_PARALLEL_FRAMES = 2 * SEGMENT_FRAMES  # a clip with fewer output frames runs in one process
MAX_SEGMENTS_PER_JOB = 8  # longer jobs seek less; shorter ones spread better over the workers
JOBS_PER_WORKER = 4
MAX_WORKERS = 1024  # more processes than any machine's cores is a typo, not a wish
RESTARTS = 3  # a pool whose worker died is restarted this often before the run gives up


class WorkerError(OutputError):
    """A worker process died more often than a restart covers; the finished segments are kept."""

    exit_code = 1


AUTO = "auto"  # every core, no more than the available memory holds: the command line's default


def parse_workers(value: object) -> int | str | None:
    """`--workers N`, `workers=`, a recipe's `run.workers`: a whole number, 1 or more, or "auto" (every
    core that the available memory can feed); None: the default (one process from the Python API, "auto"
    from the command line, `cli_workers`); checked before any work."""
    if value is None or value == AUTO:
        return value
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"workers {value!r}: must be a whole number, 1 or more")
    if isinstance(value, str):
        check_ascii_number(value, "workers")  # '1_0', '١٠': the one number rule
    try:
        n = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ConfigError(f"workers {value!r}: must be a whole number, 1 or more") from None
    if not 1 <= n <= MAX_WORKERS:
        raise ConfigError(f"workers {value!r}: must be a whole number from 1 to {MAX_WORKERS}")
    return n


def cli_workers(value: object) -> int | str:
    """The command line's `--workers`: as `parse_workers`, "auto" (every core the memory can feed) by
    default."""
    return parse_workers(value) or AUTO


def workers_for(
    workers: int | str | None,
    expected_frames: int,
    segment_frames: int = SEGMENT_FRAMES,
    per_worker_mb: float | None = None,
) -> int:
    """Processes for a clip of about `expected_frames` output frames: `workers`; "auto": the cores, and no
    more than the available memory holds at `per_worker_mb` each; 1 for a clip of under two segments of
    `segment_frames`, never more than its jobs. None (the Python API's default) is one process: worker
    processes are spawned, and a spawned process re-imports the caller's main module, which a plain script
    without an `if __name__ == "__main__":` guard, or a program piped to `python -`, cannot survive; the
    command line asks for "auto" (`cli_workers`)."""
    if workers == AUTO:
        n = cpu_count()
        if per_worker_mb:
            n = min(n, memory_workers(per_worker_mb) or n)
    else:
        n = 1 if workers is None else int(workers)
    if expected_frames < 2 * segment_frames:
        return 1
    segments = -(-expected_frames // segment_frames)
    return max(1, min(n, -(-segments // segments_per_job(segments, n))))


def memory_workers(per_worker_mb: float) -> int | None:
    """Workers of `per_worker_mb` each that fit in `MEMORY_SHARE` of the available memory (at least 1);
    None when the available memory cannot be read."""
    free = available_mb()
    return None if free is None else max(1, int(free * MEMORY_SHARE // per_worker_mb))


def workers_line(n: int, per_worker_mb: float | None, method: str) -> str:
    """The one line that says how many workers a run uses and why."""
    cores = cpu_count()
    free = available_mb()
    why = f"{cores} core{'s' * (cores != 1)}"
    if per_worker_mb and free is not None:
        why += f", {free / 1024:.1f} GB free, about {per_worker_mb / 1024:.1f} GB a worker for {method}"
    return f"workers: {n} ({why}; --workers N to choose)"


def segments_per_job(segments: int, workers: int) -> int:
    """Segments per job: about `JOBS_PER_WORKER` jobs a worker, at most `MAX_SEGMENTS_PER_JOB`."""
    return max(1, min(MAX_SEGMENTS_PER_JOB, -(-segments // (JOBS_PER_WORKER * workers))))


_PROGRESS: Any = None  # a pool worker's progress queue (set by `_init_worker`)


def worker_progress() -> Any:
    """The progress queue of this worker process, or None outside a pool."""
    return _PROGRESS


def quiet_bars() -> None:
    """In a worker: tqdm's bars (off there) take a thread lock, not the multiprocessing one tqdm makes
    by default, whose semaphores the resource tracker would report as leaked when the pool ends."""
    import threading

    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


def _init_worker(progress: Any, parent: int | None = None) -> None:
    """In each pool process: die with the parent, report progress, leave Ctrl-C to the parent."""
    global _PROGRESS
    _PROGRESS = progress
    quiet_bars()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        die_with_parent(parent)


def die_with_parent(parent: int, poll_s: float = 0.5) -> None:
    """End this process when process `parent` ends, even by kill -9 (it cannot clean up after us).

    A parent that died before this call (while this worker was still starting: importing, unpickling)
    is caught by the parent-pid check, a later death by a daemon thread polling the parent pid (within
    `poll_s`). Without these a worker orphaned mid-start-up waited on its job queue forever. Linux's
    PR_SET_PDEATHSIG is not used: it fires when the parent *thread* that started the worker ends, and a
    batch submits its clips from threads, so a live pool lost a worker that held its job queue's lock
    and the batch hung (tests/test_worker_parent_thread.py)."""
    if os.getppid() != parent:  # the parent is gone already: we were re-parented
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="vidiff-parent-watch", daemon=True).start()


class LocalPool:
    """`workers` processes on this machine."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._ctx = mp.get_context("spawn")  # a clean interpreter, a child of this process (it dies with it)
        self._start()

    def _start(self) -> None:
        self._queue = self._ctx.Queue()
        self._ex = ProcessPoolExecutor(
            self.workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(self._queue, os.getpid()),
        )

    def submit(self, fn: Any, *args: Any) -> Future:
        """The executor's submit; a worker that dies while the executor spawns another (submit starts
        processes) leaves its pipes closed mid-spawn, an OSError or ValueError instead of the executor's
        BrokenProcessPool: the same lost pool, so it is reported as one (the caller restarts the pool)."""
        try:
            return self._ex.submit(fn, *args)
        except (OSError, ValueError) as e:
            raise BrokenProcessPool(f"a worker died while the pool started another: {e}") from e

    def drain(self) -> int:
        n = 0
        while True:
            try:
                n += self._queue.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return n

    def restart(self) -> None:
        self.close(kill=True)
        self._start()

    def close(self, kill: bool = False) -> None:
        """Shut the pool down; `kill` stops running jobs now (an error or Ctrl-C in the parent)."""
        if kill:  # ProcessPoolExecutor cannot cancel a running call: end its processes
            procs = getattr(self._ex, "_processes", None) or {}
            for p in list(procs.values()):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    p.kill()
        self._ex.shutdown(wait=True, cancel_futures=True)
        self._queue.close()
        self._queue.join_thread()
        # drop both now (the executor keeps the queue in its initargs): its semaphores are released
        # here, not reported as leaked by the resource tracker at exit
        self._ex = self._queue = None  # type: ignore[assignment]

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(kill=exc_type is not None)


_MAIN_HINT = (
    " (called from a script: worker processes re-import it, so put the call under "
    '`if __name__ == "__main__":` or pass workers=1)'
)


def _main_is_script() -> bool:
    """The program is a script or stdin (which a spawned worker re-runs), not `python -m` or the CLI."""
    main = sys.modules.get("__main__")
    return getattr(getattr(main, "__spec__", None), "name", None) is None and hasattr(main, "__file__")


def run_jobs(pool: Any, jobs: Iterable[SegmentJob], clip: ClipSpec, bar: Any) -> int:
    """Run every job of a clip on `pool` (each submitted as the planning pass yields it), updating `bar`;
    a pool whose worker died is restarted and its unfinished jobs sent again (their finished segments
    are kept); returns how often. The first job that fails stops the run with its error."""
    pending: dict[Future, SegmentJob] = {}
    seg = clip.parts.seg_n
    restarts = 0

    def update() -> None:
        bar.update(pool.drain())

    def collect(done: Iterable[Future]) -> None:
        nonlocal restarts
        lost = []
        for f in done:
            job = pending.pop(f)
            try:
                f.result()
            except BrokenProcessPool:
                lost.append(job)
        if lost:
            lost += list(pending.values())
            pending.clear()
            restarts += 1
            if restarts > RESTARTS:
                raise WorkerError(
                    f"{clip.input}: worker processes died {restarts} times; rerun the same command to resume"
                    + _MAIN_HINT * _main_is_script()
                )
            pool.restart()
            for job in lost:
                pending[pool.submit(run_job, job, clip)] = job

    def submit(job: SegmentJob) -> None:
        try:
            pending[pool.submit(run_job, job, clip)] = job
        except BrokenProcessPool as e:  # a worker died before this job went in: restart, as for a lost job
            lost: Future = Future()
            lost.set_exception(e)
            pending[lost] = job
            collect([lost])

    finished = clip.parts.done()
    for job in jobs:
        segs = range(job.lo // seg, -(-job.hi // seg))
        if all(k in finished for k in segs):
            continue  # made by an earlier run (the bar counted it already)
        while len(pending) >= 2 * pool.workers:  # a bounded queue: the parent's memory stays flat
            done, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
            update()
            collect(done)
        submit(job)
        update()
        collect([f for f in pending if f.done()])
    while pending:
        done, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
        update()
        collect(done)
    update()
    return restarts
