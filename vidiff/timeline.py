"""Target timestamps: which output frame falls between which two source frames, at which real t.

Output frames are planned from the source *timestamps*, not from indices, so variable-frame-rate input
and ratios such as 25 -> 30 or 30000/1001 -> 60 come out exact (times are `Fraction`s). Duplicate source
frames (animation "on twos", frozen captures) are collapsed first, so motion is interpolated between
distinct frames instead of stalling and jumping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from vidiff.errors import ConfigError, UnsupportedError
from vidiff.validate import check_ascii_number, show

_NTSC = {
    Fraction("23.976"): Fraction(24000, 1001),
    Fraction("29.97"): Fraction(30000, 1001),
    Fraction("59.94"): Fraction(60000, 1001),
    Fraction("119.88"): Fraction(120000, 1001),
}


MAX_FPS = Fraction(1000)  # an output rate above this is refused (no player or encoder wants it)
MAX_FACTOR = Fraction(64)
MIN_SPEED, MAX_SPEED = Fraction(1, 64), Fraction(64)
FPS_HELP = "target frame rate, e.g. 60, 59.94 or 30000/1001 (above 0, at most 1000)"
FACTOR_HELP = "multiply the frame rate, e.g. 2, 4 or 2.5 (1 to 64)"
SPEED_HELP = "playback speed of the planned frames: 0.25 is 4x slow motion (1/64 to 64)"


def _fraction(value: object, what: str, example: str) -> Fraction:
    if isinstance(value, bool):
        raise ConfigError(f"invalid {what} {show(value)}; use e.g. {example}")
    if isinstance(value, str):
        check_ascii_number(value, what)
    try:
        if isinstance(value, str) and "/" in value:
            num, den = value.split("/", 1)
            return Fraction(int(num), int(den))
        f = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError, TypeError):
        raise ConfigError(f"invalid {what} {show(value)}; use e.g. {example}") from None
    return f


def _said(value: object) -> str:
    """A value in an error line as the user wrote it (a string bare, as the CLI's), else bounded (`show`)."""
    return value if isinstance(value, str) else show(value)


def parse_fps(value: str | float | Fraction) -> Fraction:
    """'60', '59.94', '30000/1001' or a number -> exact Fraction (59.94 and 29.97 mean NTSC rates)."""
    f = _fraction(value, "frame rate", "60, 59.94 or 30000/1001")
    if not (isinstance(value, str) and "/" in value):
        f = _NTSC.get(f, f.limit_denominator(1001))
    if f <= 0 or f > MAX_FPS:
        raise ConfigError(f"frame rate {show(value)} out of range (0, {MAX_FPS}]")
    return f


def parse_input_fps(value: str | float | Fraction) -> Fraction:
    """An image sequence's frame rate (`--input-fps`, `vidiff.io.sequence`), read as `parse_fps` reads one."""
    try:
        return parse_fps(value)
    except ConfigError as e:
        raise ConfigError(f"input fps: {e}") from None


def parse_factor(value: str | float | Fraction) -> Fraction:
    """'2', '2.5' or '5/2' -> Fraction, in [1, 64] (below 1 would lower the rate: use an fps for that)."""
    f = _fraction(value, "factor", "2, 4 or 2.5")
    if f < 1:
        raise ConfigError(f"factor {_said(value)} would lower the frame rate; use a target fps for that")
    if f > MAX_FACTOR:
        raise ConfigError(f"factor {_said(value)} out of range [1, {MAX_FACTOR}]")
    return f.limit_denominator(1000)


def parse_speed(value: str | float | Fraction) -> Fraction:
    """A retime speed (0.25 = 4x slow motion), in [1/64, 64]."""
    f = _fraction(value, "speed", "0.25 or 1/4")
    if not MIN_SPEED <= f <= MAX_SPEED:
        raise ConfigError(f"speed {_said(value)} out of range [1/64, 64]; 0.25 is 4x slow motion")
    return f.limit_denominator(1000)


def output_rate(
    src_fps: Fraction,
    factor: Fraction | int | str | None = None,
    fps: Fraction | float | str | None = None,
    speed: Fraction | float | str = 1,
) -> Fraction:
    """The output frame rate from a factor (x2, x4, 2.5) or a target fps, every value range-checked.

    This is the one check of a run's rates: the CLI, recipes and the Python API all come through it
    before any frame is decoded. With `speed`, the rate the frames are written at (out rate x speed)
    must be in range too.
    """
    if (factor is None) == (fps is None):
        raise ConfigError("give exactly one of factor or fps")
    out = Fraction(src_fps) * parse_factor(factor) if factor is not None else parse_fps(fps)  # type: ignore[arg-type]
    write = out * parse_speed(speed)
    if out > MAX_FPS or write > MAX_FPS:
        raise ConfigError(
            f"output rate {float(max(out, write)):.6g} fps is over {MAX_FPS} (source {float(src_fps):.6g} fps)"
        )
    if write < Fraction(1, 100):
        raise ConfigError(f"output rate {float(write):.6g} fps is too low (at least 0.01)")
    return out


@dataclass(frozen=True)
class Target:
    """One output frame: its index and time, and where it lies between source keyframes a and b."""

    index: int
    time: Fraction
    a: int  # index of the source keyframe at or before `time`
    b: int  # index of the next keyframe (== a when there is none)
    t: float  # real position in [0, 1) between a and b


@dataclass
class Plan:
    """The output timeline of a run, streamed: output frame j is at time j / `fps` (source seconds).

    Keyframes come in one pair at a time (`pair`), so the plan never needs the whole clip: each call
    returns the output frames not planned yet that fall before the pair's second keyframe, with their
    real t between the two; `hold` plans the frames after the last keyframe (they repeat it) up to the
    clip's end. The frames are written at `fps * speed` (`write_fps`): speed 1/4 is 4x slow motion.
    `Plan.for_rate` is the one check of a run's rates (CLI, recipes and the Python API come through it
    before any frame is decoded).
    """

    fps: Fraction
    speed: Fraction = Fraction(1)
    planned: int = 0  # output frames planned so far (the index of the next one)

    @classmethod
    def for_rate(
        cls,
        src_fps: Fraction,
        factor: Fraction | int | str | None = None,
        fps: Fraction | float | str | None = None,
        speed: Fraction | float | str = 1,
    ) -> Plan:
        """The plan for `factor` x the source rate or a target `fps`, every value range-checked."""
        return cls(output_rate(src_fps, factor, fps, speed), parse_speed(speed))

    @property
    def write_fps(self) -> Fraction:
        return self.fps * self.speed

    def expected(self, duration: float) -> int:
        """How many output frames a clip of `duration` seconds gets (for a progress bar)."""
        return int(np.ceil(duration * self.fps))

    def _until(self, end: Fraction) -> Iterator[tuple[int, Fraction]]:
        while (time := Fraction(self.planned) / self.fps) < end:
            yield self.planned, time
            self.planned += 1

    def pair(self, a: int, ta: Fraction, tb: Fraction) -> list[Target]:
        """The next output frames before `tb`, between keyframe `a` at `ta` and keyframe a + 1 at `tb`
        (a frame at or before `ta` has t = 0: it is keyframe a)."""
        return [Target(j, tj, a, a + 1, max(0.0, float((tj - ta) / (tb - ta)))) for j, tj in self._until(tb)]

    def hold(self, a: int, end: Fraction) -> list[Target]:
        """The next output frames before `end` (the clip's end), all repeating keyframe `a`."""
        return [Target(j, tj, a, a, 0.0) for j, tj in self._until(end)]


def plan(src_times: list[Fraction], end_time: Fraction, out_fps: Fraction) -> list[Target]:
    """Output frames for source keyframes at `src_times` (sorted, first is 0), the clip ending at `end_time`.

    Output frame j is at time j / out_fps, for every j with that time < end_time. Frames after the
    last keyframe repeat it (t = 0). The batch form of `Plan`.
    """
    p = Plan(out_fps)
    out = [tg for k in range(len(src_times) - 1) for tg in p.pair(k, src_times[k], src_times[k + 1])]
    return out + p.hold(len(src_times) - 1, end_time)


FULL_DIFF_SIDE = 64  # a frame with a side under this is compared at every pixel of each field


def field_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| (0-255) of every 4th pixel of each field (rows 0, 4, 8, ... and 1, 5, 9, ...), the
    larger of the two: a frame repeats another only where both its fields do. 3:2 field telecine mixes
    fields of two moments in one frame; rows of one parity alone took such a frame's clean neighbour for
    its repeat (`vidiff.metrics.fields` uses the same measure). A frame with a side under FULL_DIFF_SIDE
    is compared at every pixel (every row of each field): in a 32x18 clip a 3-pixel thing moving 2 pixels
    a frame fell between the samples every other frame, and the clip was named a cadence of repeats."""
    rows, cols = (2, 1) if min(a.shape[:2]) < FULL_DIFF_SIDE else (4, 4)
    return max(
        float(np.mean(np.abs(a[p::rows, ::cols].astype(np.int16) - b[p::rows, ::cols])))
        for p in (0, 1)
        if a.shape[0] > p
    )


def frames_differ(a: np.ndarray, b: np.ndarray, threshold: float = 0.2) -> bool:
    """False when b is a duplicate of a: `field_diff` under `threshold`.

    Calibrated on bigbuckbunny.mp4, a 24 fps render shown at 25 fps: its five pulldown duplicates
    (frames 7, 32, 57, 82, 107) differ from their twins by 0.05-0.13 after H.264; its slowest real
    motion by 0.35, with one field or both (benchmarks/dedupe_fields.py).
    """
    return field_diff(a, b) > threshold


class _Decoded(Protocol):
    image: np.ndarray
    time: Fraction


@dataclass
class Keyframe:
    """A distinct source frame (anything with `.image` and `.time`, e.g. `vidiff.io.reader.Frame`);
    `cut` is True when a scene cut lies between it and the previous one."""

    frame: Any
    cut: bool


def keyframes(
    frames: Iterable[_Decoded],
    dedupe: bool = True,
    is_cut: Callable[[np.ndarray], bool] | None = None,
    max_run: int = 3,
    stats: dict | None = None,
    threshold: float = 0.2,
    hold_step: Fraction | None = None,
) -> Iterator[Keyframe]:
    """The distinct frames of a stream, with scene cuts flagged, holding at most two frames.

    A run of up to `max_run` identical frames is treated as one drawing held for several frames
    (animation on twos/threes): only its first frame is a keyframe, so motion spreads over the run.
    A longer run is a deliberate hold: its last frame is kept too, so the picture stays still and
    motion starts where it really starts. `is_cut(image)` is called on every frame in order (e.g.
    `vidiff.scenes.SceneDetector().push`); a cut ends a run. `stats` gets `duplicates` (frames
    dropped), `cuts` (their times) and `last_time` (of the stream's last frame).

    `hold_step` (a frame's duration; an animation's, where a frame's delay is a still, not lost frames:
    `vidiff.io.tail.hold_step`): a frame shown for longer than `max_run` of them is a hold too, stored
    once with a long delay instead of repeated: it is kept again one step before the next frame (a copy
    of its frame at that time, `dataclasses.replace`), so it stays still and motion starts there.
    """
    stats = stats if stats is not None else {}
    stats.setdefault("duplicates", 0)
    stats.setdefault("cuts", [])
    first: Keyframe | None = None
    last: Any = None
    run = 0
    for f in frames:
        stats["last_time"] = f.time
        cut = is_cut(f.image) if is_cut else False
        if cut:
            stats["cuts"].append(float(f.time))
        if (
            first is not None
            and dedupe
            and not cut
            and not frames_differ(first.frame.image, f.image, threshold)
        ):
            last, run = f, run + 1
            continue
        if first is not None:
            yield first
            if run > max_run and last is not None:  # a deliberate hold: keep its end so motion starts there
                yield Keyframe(last, False)
                stats["duplicates"] -= 1
            held = last if run > max_run and last is not None else first.frame
            if dedupe and hold_step and not cut and f.time - held.time > max_run * hold_step:
                yield Keyframe(replace(held, time=f.time - hold_step), False)  # a long delay: a hold
        stats["duplicates"] += run - 1 if run > 1 else 0
        first, last, run = Keyframe(f, cut), None, 1
    if first is not None:
        yield first
        stats["duplicates"] += run - 1 if run > 1 else 0


FLOW_FREE_METHODS = ("dup", "blend")  # interpolators that need no optical flow
DIS_MIN_SIDE, DIS_MIN_LONG_SIDE = 8, 12  # OpenCV DIS: pixels on each side, and on the longer one


def check_flow_size(width: int, height: int, method: str = "dis", what: str = "optical flow") -> None:
    """Refuse (one line) a frame size OpenCV's DIS flow cannot handle, unless the method needs no flow:
    under 8 px on a side, or under 12 px on both (OpenCV's own limit, read from its source and checked
    on every size in tests/test_api_args.py). Arithmetic only: OpenCV itself is never asked, as asking it
    about some small sizes crashed the process (`vidiff.flow.dis_calc` pads those it can handle)."""
    if method in FLOW_FREE_METHODS or (
        min(width, height) >= DIS_MIN_SIDE and max(width, height) >= DIS_MIN_LONG_SIDE
    ):
        return
    raise UnsupportedError(
        f"frame size {width}x{height} is too small for {what} (OpenCV DIS needs {DIS_MIN_SIDE} px on each "
        f"side and {DIS_MIN_LONG_SIDE} on one)"
        + ("; use method blend or dup" if what == "optical flow" else "")
    )
