"""The held-out-frame protocol (BENCHMARK.md): keep some frames, rebuild the others, score them.

A step s > 1 (the upsampling factor) keeps the frames floor(j·s) for j = 0, 1, 2, … — every k-th frame
for an integer factor k, and for s = 5/2 (kept rate = original·2/5) the frames 0, 2, 5, 7, 10, …, so
the dropped frames sit at t = 1/2, 1/3 and 2/3 between their kept neighbours. Each dropped frame i
before the last kept frame L is rebuilt from the kept frames only, at its real time t, and compared
with the original; frames after L are not scored.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.errors import ConfigError, VidiffError
from vidiff.flow import Interpolator
from vidiff.io.reader import Frame
from vidiff.metrics.quality import psnr, ssim
from vidiff.metrics.temporal import SequenceComparison
from vidiff.timeline import MAX_FACTOR, Keyframe
from vidiff.timeline import Target as PlanTarget
from vidiff.validate import check_ascii_number
from vidiff.windows import fill_window, plan_windows, window_context


def parse_factor(value: str | float | Fraction) -> Fraction:
    """'2', '4', '8', '2.5' or '5/2' -> the upsampling step; a value below 1 ('2/5', '0.4') is a keep ratio.
    The step has the same bound as upscale's factor (`vidiff.timeline.MAX_FACTOR`)."""
    if isinstance(value, str):
        check_ascii_number(value, "factor")
    try:
        f = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ConfigError(
            f"invalid factor {value!r}; use e.g. 2, 4, 8 or 5/2 (kept rate = original·2/5)"
        ) from None
    if f <= 0 or f == 1:
        raise ConfigError(f"invalid factor {value!r}: it must be above 1 (or a keep ratio below 1, e.g. 2/5)")
    step = 1 / f if f < 1 else f
    if step > MAX_FACTOR:
        raise ConfigError(f"factor {value} out of range: at most {MAX_FACTOR}")
    if step.denominator > 1000:
        raise ConfigError(f"invalid factor {value!r}: write it as a simple fraction such as 5/2")
    return step


def factor_label(step: Fraction) -> str:
    """'2', '4' or '5/2'."""
    return str(step)


def factor_value(step: Fraction) -> int | float:
    """The step as a JSON number: 2, 4, 2.5."""
    return int(step) if step.denominator == 1 else float(step)


def kept_indices(n_frames: int, step: Fraction) -> list[int]:
    """Indices floor(j·step) of the frames kept out of `n_frames`."""
    out, j = [], 0
    while (i := (j * step.numerator) // step.denominator) < n_frames:
        out.append(i)
        j += 1
    return out


def is_kept(i: int, step: Fraction) -> bool:
    """True if frame i is one of the kept frames floor(j·step)."""
    # i is kept iff some j has floor(j·p/q) = i, i.e. ceil(i·q/p)·p/q < i + 1
    p, q = step.numerator, step.denominator
    j = -(-i * q // p)
    return (j * p) // q == i


@dataclass(frozen=True)
class Target:
    """A dropped frame: its index, and its time t in (0, 1) between kept frames a and b."""

    index: int
    a: int
    b: int

    @property
    def t(self) -> Fraction:
        return Fraction(self.index - self.a, self.b - self.a)


def targets(n_frames: int, step: Fraction) -> list[Target]:
    """Every scored frame of a clip of `n_frames` frames, in order."""
    kept = kept_indices(n_frames, step)
    return [Target(i, a, b) for a, b in zip(kept, kept[1:], strict=False) for i in range(a + 1, b)]


@dataclass
class Segment:
    """Two consecutive kept frames and the dropped frames between them (with their ground truth)."""

    a: np.ndarray
    b: np.ndarray
    targets: list[Target]
    truths: list[np.ndarray]
    a_index: int = 0  # original indices of a and b (their times in frames)
    b_index: int = 0


def segments(frames: Iterable[np.ndarray], step: Fraction) -> Iterator[Segment]:
    """Walk a clip once, keeping only the frames since the last kept one in memory."""
    j, nxt = 0, 0  # next kept index is floor(j·step)
    last: tuple[int, np.ndarray] | None = None
    between: list[tuple[int, np.ndarray]] = []
    for i, img in enumerate(frames):
        if i == nxt:
            if last is not None:
                a_i, a = last
                yield Segment(
                    a, img, [Target(k, a_i, i) for k, _ in between], [g for _, g in between], a_i, i
                )
            last, between = (i, img), []
            j += 1
            nxt = (j * step.numerator) // step.denominator
        else:
            between.append((i, img))


@dataclass
class Score:
    """Accumulates the figures of one method on one clip: per-frame PSNR/SSIM, flicker, timing."""

    frames: list[dict[str, Any]] = field(default_factory=list)  # one per target: index, t, psnr, ssim
    seq: SequenceComparison = field(default_factory=SequenceComparison)
    seconds: float = 0.0  # time spent making the targets

    def kept(self, image: np.ndarray) -> None:
        """A kept frame: it is part of the rebuilt sequence as it is."""
        self.seq.push(image, image)

    def target(self, tgt: Target, rebuilt: np.ndarray, truth: np.ndarray) -> None:
        """A rebuilt frame and its ground truth."""
        if rebuilt.shape != truth.shape or rebuilt.dtype != np.uint8:
            raise VidiffError(
                f"method returned a {rebuilt.shape} {rebuilt.dtype} frame for a {truth.shape} uint8 clip"
            )
        self.frames.append(
            {
                "index": tgt.index,
                "t": float(tgt.t),
                "psnr": psnr(rebuilt, truth),
                "ssim": ssim(rebuilt, truth),
            }
        )
        self.seq.push(rebuilt, truth)

    def summary(self) -> dict[str, Any]:
        """Means over the scored frames, the temporal figures, and the per-t breakdown."""
        n = len(self.frames)
        by_t: dict[float, list[dict[str, Any]]] = {}
        for f in self.frames:
            by_t.setdefault(round(f["t"], 6), []).append(f)
        return {
            "psnr": float(np.mean([f["psnr"] for f in self.frames])) if n else None,
            "ssim": float(np.mean([f["ssim"] for f in self.frames])) if n else None,
            "flicker_ratio": self.seq.flicker_ratio,
            "tdiff_err": self.seq.tdiff_err,
            "n_frames": n,
            "s_per_frame": self.seconds / n if n else None,
            "per_t": [
                {
                    "t": t,
                    "psnr": float(np.mean([f["psnr"] for f in fs])),
                    "ssim": float(np.mean([f["ssim"] for f in fs])),
                    "n": len(fs),
                }
                for t, fs in sorted(by_t.items())
            ],
        }


def score_interpolator(
    frames: Iterable[np.ndarray],
    step: Fraction,
    interp: Interpolator,
    on_frame: Callable[[int], None] | None = None,
) -> Score:
    """Run the protocol with an in-process interpolator; only its interpolation calls are timed, and not
    the first call of each window shape (run twice: a warm-up that builds per-shape caches, then timed).

    The kept frames are the keyframes of the runner's windows (`vidiff.windows`, one pair each) at their
    real times (original frame indices), so an interpolator that takes context (`interpolate_window`,
    e.g. the diffusion model with `context` > 0) gets up to `context` more kept frames on each side of
    each pair, as the runner gives it; the others get the pair.
    """
    context = window_context(interp)
    score = Score()
    pending: deque[Segment] = deque()  # segments whose window has not come yet (at most context + 1)
    warmed: set[tuple[int, int]] = set()  # window shapes (keyframes, targets) already run once

    def kept() -> Iterator[Keyframe]:
        for n, seg in enumerate(segments(frames, step)):
            if n == 0:
                score.kept(seg.a)
                yield Keyframe(Frame(seg.a_index, Fraction(seg.a_index), seg.a), False)
            pending.append(seg)
            yield Keyframe(Frame(seg.b_index, Fraction(seg.b_index), seg.b), False)

    for w in plan_windows(kept(), pairs=1, context=context or 0):
        seg = pending.popleft()
        if seg.targets:
            # the dropped frames of the window's one pair, at their real times (frame indices)
            planned = [
                PlanTarget(tg.index, Fraction(tg.index), w.lo, w.hi, float(tg.t)) for tg in seg.targets
            ]
            shape = (len(w.frames), len(planned))
            if shape not in warmed:
                # the first window of each shape is run once untimed: what it builds once per shape (an
                # engine's export and compile) is set-up, like loading the weights, not per-frame work
                fill_window(w, planned, interp, context is not None)
                warmed.add(shape)
            t0 = time.perf_counter()
            made = fill_window(w, planned, interp, context is not None)
            score.seconds += time.perf_counter() - t0
            for tg, out, truth in zip(seg.targets, made, seg.truths, strict=True):
                score.target(tg, out, truth)
            if on_frame:
                on_frame(len(seg.targets))
        score.kept(seg.b)
    return score


def score_sequence(
    truth: Iterable[np.ndarray],
    rebuilt: Sequence[np.ndarray],
    step: Fraction,
    seconds: float = 0.0,
    on_frame: Callable[[int], None] | None = None,
) -> Score:
    """Score a full-rate rebuilt sequence (from an external tool) frame by frame against the truth.

    `rebuilt[i]` stands for original frame i; its kept frames must equal the originals exactly
    (anything else means the tool shifted or altered the timeline), else `VidiffError`.
    """
    score = Score(seconds=seconds)
    kept: list[int] = []
    cache: list[np.ndarray] = []
    for i, g in enumerate(truth):
        cache.append(g)
        kept_now = is_kept(i, step)
        if not kept_now:
            continue
        kept.append(i)
        if i >= len(rebuilt):
            break
        if not np.array_equal(rebuilt[i], g):
            raise VidiffError(f"kept frame {i} does not come back unchanged")
        if len(kept) == 1:
            score.kept(g)
        else:
            a = kept[-2]
            for k, gt in enumerate(cache[:-1], start=a + 1):
                score.target(Target(k, a, i), np.asarray(rebuilt[k]), gt)
                if on_frame:
                    on_frame(1)
            score.kept(g)
        cache = []
    return score
