"""Progress display for long work: frames done, frames per second, an ETA that holds still (tqdm on stderr).

A run's start (loading a model, exporting it for an engine, starting worker processes, planning) makes no
frames for a while; tqdm's own rate counts that wait, or (smoothed) swings with each burst of frames from
a pool of workers (0:56 to 4:32:18 in one run). `Bar` estimates from the frames made since the first ones
arrived, over all of that time, so the ETA settles after the first windows; while it waits it says what
it waits for (`waiting`), and once a long run is measured it says so in one line, with a faster choice.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

from tqdm import tqdm

LONG_S = 600.0  # an estimate over this (seconds) gets the one-line note with a faster choice
MEASURE_S = 15.0  # seconds of measured frames before that note is trusted


class Bar(tqdm):
    """A tqdm bar whose rate (and so ETA) is the mean since the first frames, not since the start."""

    def __init__(self, *args, hint: str | None = None, **kwargs) -> None:
        self._first: tuple[float, float] | None = None  # (time, n) when frames first arrived
        self._hint, self._noted = hint, False
        super().__init__(*args, **kwargs)

    @classmethod
    def write(cls, s: str, file=None, end: str = "\n", nolock: bool = False) -> None:
        """A line above the bar, on stderr (tqdm's default is stdout, where a --json report goes)."""
        super().write(s, file=file or sys.stderr, end=end, nolock=nolock)

    def waiting(self, text: str) -> None:
        """Say what the run waits for before its first frames (cleared when they come)."""
        self.set_postfix_str(text)

    def resumed(self, n: int) -> None:
        """Frames an earlier run made (a resume): counted, but not in the rate."""
        if self._first is not None:
            self._first = (self._first[0], self._first[1] + n)
        super().update(n)

    def update(self, n: float | None = 1) -> bool | None:
        if n and self._first is None:
            self._first = (time.time(), self.n + n)  # the first frames end the start-up
            self.set_postfix_str("", refresh=False)
            return super().update(n)
        out = super().update(n)
        if n and not self._noted and self._hint:
            self._note_if_long()
        return out

    def steady_rate(self) -> float | None:
        """Frames a second since the first frames arrived (None before two measurements)."""
        if self._first is None:
            return None
        t0, n0 = self._first
        dt = time.time() - t0
        return (self.n - n0) / dt if dt > 0 and self.n > n0 else None

    def _note_if_long(self) -> None:
        rate = self.steady_rate()
        if rate is None or not self.total or self.disable or time.time() - self._first[0] < MEASURE_S:
            return
        self._noted = True
        left = (self.total - self.n) / rate
        if left > LONG_S:
            self.write(f"note: about {_clock(left)} to go at {1 / rate:.2f} s a frame; {self._hint}")

    @property
    def format_dict(self) -> dict:
        d = super().format_dict
        d["rate"] = self.steady_rate()  # tqdm's ETA is (total - n) / rate
        if d["rate"] is None:  # not measured yet: no ETA (tqdm would guess from the start-up's wait)
            d["initial"] = d["n"]
        return d


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_bar(
    total: int | None, desc: str, enabled: bool = True, hint: str | None = None, unit: str = "frame"
) -> Bar:
    """A bar on stderr counting frames (or another `unit`); disabled (silent) for --quiet or when not
    wanted. `hint` is the faster choice the one-line note of a long run names."""
    return Bar(
        total=total,
        desc=desc,
        unit=unit,
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        hint=hint,
    )


def close_bars() -> None:
    """Close every open bar, each drawn once more as far as it got (Ctrl-C: a bar left to the garbage
    collector would draw itself after the line that says the run was interrupted)."""
    for bar in list(Bar._instances):  # tqdm's own set of open bars (a WeakSet)
        bar.close()


@contextlib.contextmanager
def stage(text: str, enabled: bool = True) -> Iterator[None]:
    """One line on stderr for a start-up step (`TEXT ... done in 12.3 s`) before a bar exists."""
    if not enabled:
        yield
        return
    t0 = time.perf_counter()
    print(f"{text} ...", file=sys.stderr, flush=True)
    yield
    print(f"{text}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
