"""Decode ahead and encode behind in threads, so the model (on a GPU above all) never waits on I/O.

`Prefetch` runs an iterator (the frame reader) in a thread, a bounded queue ahead of its consumer;
`Behind` runs calls (the segment writer's) in order in a thread, a bounded queue behind its caller. PyAV
and numpy release the GIL while they decode, convert and encode, so both overlap the model's work. The
order of frames and of calls is kept, so the bytes written are those of the plain path (tested). An
exception in a thread is raised in the caller, at its next call or at the end. The threads run in a
copy of the caller's context (contextvars), so what is held there (`--strict`) reaches them.

Beside a GPU model step, `quick_handoffs` lowers the interpreter's switch interval while they run: a
caller busy in Python (a model step launching kernels is, as much as the GPU runs them) otherwise holds
the GIL up to 5 ms each time one of these threads needs it for a few lines between its C calls
(benchmarks/gil_handoffs.py). Not beside a CPU-bound caller: there it only adds switches.
"""

from __future__ import annotations

import contextvars
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

DEPTH = 8  # frames held in each queue: enough to ride over a slow window, bounded memory
SWITCH_INTERVAL = 0.0005  # seconds, while I/O threads run (Python's default: 0.005)
_END = object()
_handoffs = {"users": 0, "saved": 0.0}
_handoffs_lock = threading.Lock()


class quick_handoffs:
    """While held (by any number of users at once), the switch interval is `SWITCH_INTERVAL`; the last to
    let go puts back what was there before. `hold()` and `release()`, or a `with` block."""

    def __init__(self) -> None:
        self._held = False

    def hold(self) -> quick_handoffs:
        with _handoffs_lock:
            if not self._held:
                self._held = True
                if _handoffs["users"] == 0:
                    _handoffs["saved"] = sys.getswitchinterval()
                    sys.setswitchinterval(min(SWITCH_INTERVAL, _handoffs["saved"]))
                _handoffs["users"] += 1
        return self

    def release(self) -> None:
        with _handoffs_lock:
            if self._held:
                self._held = False
                _handoffs["users"] -= 1
                if _handoffs["users"] == 0:
                    sys.setswitchinterval(_handoffs["saved"])

    def __enter__(self) -> quick_handoffs:
        return self.hold()

    def __exit__(self, *exc: object) -> None:
        self.release()


def start_thread(fn: Callable[..., None], name: str, *args: Any) -> threading.Thread:
    """A started daemon thread running fn(*args) in a copy of the caller's context (the input policy,
    `--strict`, is a context variable: the reader thread must see the caller's)."""
    t = threading.Thread(target=contextvars.copy_context().run, args=(fn, *args), name=name, daemon=True)
    t.start()
    return t


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetch(Iterator[Any]):
    """Iterate `source` in a thread, up to `depth` items ahead. `close()` stops the thread and closes the
    source (a generator's `finally` runs in that thread, before `close` returns)."""

    def __init__(self, source: Iterable[Any], depth: int = DEPTH) -> None:
        self._q: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = start_thread(self._run, "vidiff-read", iter(source))

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, it: Iterator[Any]) -> None:
        try:
            for item in it:
                if not self._put(item):
                    break
            else:
                self._put(_END)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            self._put(_Raised(e))
        finally:
            close = getattr(it, "close", None)
            if close is not None and self._stop.is_set():
                close()

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        item = self._q.get()
        if item is _END or isinstance(item, _Raised):
            self._done = True
            self._thread.join()
            if isinstance(item, _Raised):
                raise item.exc
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop reading ahead; returns once the thread has ended."""
        self._done = True
        self._stop.set()
        self._thread.join()


class Behind:
    """Run `fn(*args)` for each `submit(*args)` in a thread, in order, up to `depth` calls behind.
    `join()` waits for all and raises what a call raised; `cancel()` drops what is queued and stops."""

    def __init__(self, fn: Callable[..., Any], depth: int = DEPTH) -> None:
        self._fn = fn
        self._q: queue.Queue = queue.Queue(depth)
        self._error: BaseException | None = None
        self._cancel = False
        self._thread = start_thread(self._run, "vidiff-write")

    def _run(self) -> None:
        while True:
            args = self._q.get()
            if args is _END:
                return
            if self._error is None and not self._cancel:
                try:
                    self._fn(*args)
                except BaseException as e:  # noqa: BLE001 - raised in the caller
                    self._error = e

    def _raise(self) -> None:
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    def submit(self, *args: Any) -> None:
        self._raise()
        self._q.put(args)

    def join(self) -> None:
        if self._thread.is_alive():
            self._q.put(_END)
            self._thread.join()
        self._raise()

    def cancel(self) -> None:
        self._cancel = True
        if self._thread.is_alive():
            self._q.put(_END)
            self._thread.join()
        self._error = None
