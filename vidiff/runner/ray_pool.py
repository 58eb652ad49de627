"""Ray as the pool of segment jobs: the same jobs as the local process pool, on a Ray cluster.

`RayPool` joins the cluster at an address (or starts a local Ray instance) and runs each job as a Ray
task (one CPU; one GPU too when the recipe interpolates on CUDA). A task whose worker dies is run again
by Ray (`max_retries`); its segments finished before are kept (the manifest), and a rerun of the whole
command resumes from it. The parent plans the clips and joins the segments, so the output folder must
be one that every node sees (a shared file system) — as it is on a single machine.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from vidiff.errors import ConfigError
from vidiff.runner.jobs import run_job

RETRIES = 3  # Ray runs a task again this often when its worker process dies
INSTALL = "pip install 'vidiff[ray]'"


def check_ray() -> None:
    """One error line, before any work, when Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ConfigError(f"ray: Ray is not installed; install it with: {INSTALL}") from None


class RayPool:
    """Segment jobs as Ray tasks: `submit`, `drain`, `restart`, `close` as `vidiff.runner.parallel.LocalPool`."""

    def __init__(self, address: str | None = None, gpu: bool = False) -> None:
        check_ray()
        import ray
        from ray.util.queue import Queue

        self._own = not ray.is_initialized()
        if self._own:
            try:
                ray.init(address=address, include_dashboard=False, logging_level="error")
            except (ConnectionError, ValueError, RuntimeError) as e:
                where = f"at {address}" if address else "on this machine"
                raise ConfigError(f"ray: cannot start or reach a Ray cluster {where}: {e}") from None
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._queue = Queue(actor_options={"num_cpus": 0})
        self._options = {"num_cpus": 1, "num_gpus": 1 if gpu else 0, "max_retries": RETRIES}
        self._remote: dict[Any, Any] = {}

    def submit(self, fn: Any, *args: Any) -> Future:
        """Run `fn(*args)` as a Ray task; the future holds its result or the task's own exception."""
        import ray

        if fn not in self._remote:
            self._remote[fn] = ray.remote(fn).options(**self._options)
        extra = {"progress": self._queue} if fn is run_job else {}
        ref = self._remote[fn].remote(*args, **extra)
        out: Future = Future()

        def settle(f: Future) -> None:
            try:
                out.set_result(f.result())
            except BaseException as e:  # noqa: BLE001 - handed to the caller as the task's own error
                out.set_exception(getattr(e, "cause", None) or e)

        ref.future().add_done_callback(settle)
        return out

    def drain(self) -> int:
        n = self._queue.qsize()
        return sum(self._queue.get_nowait_batch(n)) if n else 0

    def restart(self) -> None:
        """Nothing to do: Ray retries a task whose worker died by itself."""

    def close(self, kill: bool = False) -> None:
        import ray

        self._queue.shutdown()
        if self._own:
            ray.shutdown()

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(kill=exc_type is not None)
