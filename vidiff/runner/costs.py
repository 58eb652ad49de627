"""What a method costs per output frame (seconds) and per worker (memory), from committed benchmark figures.

Both grow about linearly with the frame's pixel count, so each method is a line through two measured
sizes, 640x272 (bikes) and 1280x720 (bigbuckbunny), on the project's 2-core reference machine:

- rife, fuse, diffusion: `vidiff bench --input bikes bigbuckbunny --factor 2 --methods
  rife,fuse,diffusion,... --max-frames 25` (benchmarks/results/model_speed_small/run1): the method's
  s/frame and the process's peak RSS.
- dis (also used for blend and dup, which are cheaper): `python benchmarks/speed.py`
  (benchmarks/results/speed/speed.md, upscale_dis_x2): whole-pipeline s/frame and peak RSS.

The figures are fixed numbers, not a live timing, so what is derived from them (the segment length,
`segment_frames`) is the same on every run of a clip with the same options: byte-identical resume and
`--workers` need the same cuts every time.
"""

from __future__ import annotations

import os

# method -> ((s/frame at 640x272, at 1280x720), (peak RSS MB at 640x272, at 1280x720))
MEASURED: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "dis": ((0.0172, 0.0794), (148.0, 405.0)),
    "rife": ((0.2225, 0.9854), (849.0, 1486.0)),
    "fuse": ((0.2557, 1.1233), (868.0, 1570.0)),
    "diffusion": ((0.3069, 1.4055), (1085.0, 2220.0)),
}
_SIZES = (640 * 272, 1280 * 720)
_LIKE = {"blend": "dis", "dup": "dis", "auto": "diffusion"}  # unmeasured: a method at least as costly

SEGMENT_SECONDS = 30.0  # reference-machine work per segment: about a minute on a busy or smaller machine
SEGMENT_RANGE = (24, 120)  # frames: shorter segments add part files; longer ones lose work on Ctrl-C
MEMORY_SHARE = 0.8  # of the available memory the workers may take together


def _line(points: tuple[float, float], pixels: int) -> float:
    (x0, x1), (y0, y1) = _SIZES, points
    return max(y0 * 0.25, y0 + (y1 - y0) * (pixels - x0) / (x1 - x0))


def _measured(method: str) -> tuple[tuple[float, float], tuple[float, float]]:
    name = method if isinstance(method, str) else getattr(method, "name", "")
    return MEASURED.get(
        _LIKE.get(name, name), MEASURED["dis"]
    )  # another object: 120-frame segments, as before


def seconds_per_frame(method: str, width: int, height: int) -> float:
    """Reference-machine seconds to make one output frame of `width` x `height` with `method`."""
    return _line(_measured(method)[0], width * height)


def worker_mb(method: str, width: int, height: int) -> float:
    """Peak resident memory (MB) of one worker making `width` x `height` frames with `method`."""
    return _line(_measured(method)[1], width * height)


def segment_frames(method: str, width: int, height: int) -> int:
    """Output frames per resumable segment: about `SEGMENT_SECONDS` of work, within `SEGMENT_RANGE`.

    A fixed function of the method and frame size (never of this machine's speed), so every run and
    resume of a clip cuts it in the same places."""
    lo, hi = SEGMENT_RANGE
    return max(lo, min(hi, int(SEGMENT_SECONDS / seconds_per_frame(method, width, height))))


def available_mb() -> float | None:
    """Memory available to new processes (MB), or None where it cannot be read."""
    try:
        import psutil

        return psutil.virtual_memory().available / 2**20
    except Exception:  # noqa: BLE001 - psutil missing or refusing: fall back to /proc, then to no limit
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    if hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    return None


HEAVY = ("rife", "fuse", "diffusion")  # methods that load a network (seconds to minutes at start-up)


def faster_hint(method: str, width: int, height: int) -> str | None:
    """The faster choices a long run's note names (from the measured costs), or None for the fastest."""
    mine = seconds_per_frame(method, width, height)
    quicker = [
        f"--method {m} about {mine / seconds_per_frame(m, width, height):.1f}x faster"
        for m in ("fuse", "dis")
        if m != method and seconds_per_frame(m, width, height) < mine / 1.1
    ]
    return " or ".join(quicker) + " (lower quality)" if quicker else None
