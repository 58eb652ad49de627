"""`vidiff bench` engine: the held-out-frame protocol for every clip × factor × method, one record each.

Each method runs in its own short-lived worker process (`python -m vidiff.metrics.bench REQUEST`) so
its peak RSS is its own and one method's model or crash does not touch the others; all of them run
in the same invocation so their times can be compared as ratios to OpenCV DIS (BENCHMARK.md).
A method whose peer is absent (no RIFE weights) gives a record with status "skipped".
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, InputError, VidiffError
from vidiff.io.deinterlace import as_shown
from vidiff.io.probe import probe
from vidiff.io.reader import VideoReader
from vidiff.io.samples import SAMPLE_CLIPS, sample_clip
from vidiff.metrics.protocol import (
    Score,
    factor_label,
    factor_value,
    is_kept,
    score_interpolator,
    score_sequence,
    targets,
)
from vidiff.validate import split_names

DEFAULT_METHODS = ("dup", "blend", "dis", "minterpolate", "rife", "fuse", "diffusion")
EXTERNAL_METHODS = (
    "minterpolate",
)  # FFmpeg's filter (vidiff.metrics.peers), not in the interpolator registry
OPTIONAL_METHODS = ("rife", "fuse", "diffusion")  # may be unregistered or lack weights: skipped, not an error
FIELDS = (
    "clip", "width", "height", "factor", "method", "psnr", "ssim", "flicker_ratio", "tdiff_err",
    "s_per_frame", "speed_ratio_vs_dis", "peak_rss_mb", "n_frames",
)  # fmt: skip


def check_max_frames(value: object) -> int | None:
    """`max_frames` (the Compare tab's frames to use): None (the whole clip), or a whole number 2 or more
    (fewer leave no frame to hold out); anything else is one `ConfigError`."""
    from vidiff.validate import check_int

    if value is None:
        return None
    try:
        return check_int(value, "max_frames", 2)
    except ConfigError:
        raise ConfigError(f"max_frames must be a whole number, at least 2 (not {value!r})") from None


def resolve_methods(spec: str | Sequence[str] | None) -> list[str]:
    """Method names from 'dup,blend,dis' (or a list); the default is the peers plus any registered method.

    `diffusion@DIR` is the diffusion method with the model in DIR (a trained run's `model/`), so
    several models can be compared in one invocation.
    """
    from vidiff.flow import AUTO, interpolator_names

    registered = interpolator_names()
    if spec is None:  # `auto` is one of these under another name
        return list(DEFAULT_METHODS) + [m for m in registered if m not in DEFAULT_METHODS and m != AUTO]
    names = split_names(spec, "methods", "dup,blend,dis")
    known = set(registered) | set(EXTERNAL_METHODS) | set(OPTIONAL_METHODS)
    bad = [m for m in names if m.partition("@")[0] not in known]
    if bad:
        raise ConfigError(f"unknown method {bad[0]!r}; choose from: {', '.join(sorted(known))}")
    if not names:
        raise ConfigError("no method given; e.g. methods dup,blend,dis")
    for m in names:  # a model named by the user that is not there is bad input, not a method to skip
        if (weights := m.partition("@")[2]) != "":
            from vidiff.models.paths import resolve_model_path

            resolve_model_path(weights)
    return names


def resolve_qualities(spec: str | Sequence[str] | None) -> list[str]:
    """Quality tiers from 'fast,balanced,max' (or a list), each checked (`vidiff.quality`); none: []. Each
    is scored as a row of its own, named by the tier (the method string a worker gets)."""
    from vidiff.quality import check_quality

    if spec is None:
        return []
    names = split_names(spec, "quality", "fast,balanced,max")
    if not names:
        raise ConfigError("no quality given; e.g. fast,balanced,max")
    return [check_quality(q) for q in names]


def method_and_options(method: str) -> tuple[str, dict[str, Any]]:
    """A bench method string as (registered method, its options): a tier's name (`max`) is the method and
    options it stands for; `diffusion@DIR` is diffusion with the model in DIR."""
    from vidiff.quality import TIERS, apply_quality

    if method in TIERS:
        name, options = apply_quality(method)
        return name, dict(options or {})
    name, _, weights = method.partition("@")
    return name, ({"weights": weights} if weights else {})


def resolve_clip(spec: str | os.PathLike[str]) -> Path:
    """A video path, or the name of a development clip (bikes, carphone_pristine, bigbuckbunny)."""
    p = Path(spec)
    if p.exists() or str(spec).removesuffix(".mp4") not in SAMPLE_CLIPS:
        return p
    return sample_clip(str(spec))


def _frames(path: str, max_frames: int | None) -> Iterator[np.ndarray]:
    for f in VideoReader(path):
        if max_frames is not None and f.index >= max_frames:
            return
        yield f.image


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (Linux's VmHWM). Not ru_maxrss where VmHWM exists: Linux
    keeps the high-water mark from before exec, so a worker started by a large parent (a notebook, the web
    app, a long pytest) read the parent's size (2173 MB for a 9-frame blend)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024.0
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def base_record(path: str | os.PathLike[str], step: Fraction, method: str) -> dict[str, Any]:
    """A record with every field present (figures None), for a clip, factor and method."""
    rec: dict[str, Any] = {k: None for k in FIELDS}
    rec.update(
        clip=Path(path).stem, path=os.fspath(path), factor=factor_value(step), keep_ratio=str(1 / step),
        method=method, status="ok", reason=None, per_t=[],
    )  # fmt: skip
    return rec


@as_shown()  # (a clip flagged progressive scored as a player shows it, combed or not)
def run_method(
    path: str | os.PathLike[str],
    step: Fraction,
    method: str,
    progress: bool = False,
    max_frames: int | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Score one method on one clip at one factor (in this process); VidiffError becomes 'skipped'.

    `on_frame(n)` is called as frames are rebuilt (a progress and cancel point: what it raises, other
    than `VidiffError`, stops the run)."""
    from vidiff.progress import progress_bar

    path = os.fspath(path)
    rec = base_record(path, step, method)
    info = probe(path)
    n = min(info.n_frames, max_frames) if max_frames else info.n_frames
    rec.update(width=info.width, height=info.height, fps=str(info.fps), n_source_frames=n)
    n_targets = len(targets(n, step))
    if n_targets == 0:
        return _skip(rec, f"clip has {n} frames: too short for factor {factor_label(step)}")
    with progress_bar(n_targets, f"{rec['clip']} x{factor_label(step)} {method}", progress) as bar:

        def tick(k: int) -> None:
            bar.update(k)
            if on_frame is not None:
                on_frame(k)

        try:
            if method == "minterpolate":
                from vidiff.metrics.peers import run_minterpolate

                kept = (im for i, im in enumerate(_frames(path, n)) if is_kept(i, step))
                run = run_minterpolate(kept, info.fps, step, info.width, info.height)
                try:
                    score = score_sequence(_frames(path, n), run.frames, step, run.seconds, tick)
                finally:
                    run.close()
            else:
                from vidiff.flow import get_interpolator

                name, options = method_and_options(method)
                interp = get_interpolator(name, **options)
                score = score_interpolator(_frames(path, n), step, interp, tick)
        except VidiffError as e:
            return _skip(rec, str(e))
    return _fill(rec, score, _peak_rss_mb())


def _skip(rec: dict[str, Any], reason: str) -> dict[str, Any]:
    rec.update(status="skipped", reason=reason)
    return rec


def _fill(rec: dict[str, Any], score: Score, rss: float) -> dict[str, Any]:
    rec.update(score.summary())
    rec["peak_rss_mb"] = round(rss, 1)
    return rec


def run_isolated(
    path: str | os.PathLike[str],
    step: Fraction,
    method: str,
    progress: bool = False,
    max_frames: int | None = None,
) -> dict[str, Any]:
    """`run_method` in a fresh Python process (own peak RSS, own crash); errors give status 'error'."""
    req = json.dumps({"path": os.fspath(path), "step": str(step), "method": method, "progress": progress,
                      "max_frames": max_frames})  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "vidiff.metrics.bench", req], stdout=subprocess.PIPE, stderr=None, text=True,
        check=False,
    )  # fmt: skip
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1])
    rec = base_record(path, step, method)
    rec.update(status="error", reason=f"worker exited with code {proc.returncode}")
    return rec


def speed_ratios(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill `speed_ratio_vs_dis` in the records of one clip x factor (where dis, or the fast tier, which
    is dis, ran); returns them."""
    ran = {r["method"]: r for r in group if r["status"] == "ok"}
    dis = ran.get("dis", ran.get("fast"))
    for r in group:
        if dis and r["s_per_frame"] is not None and dis["s_per_frame"]:
            r["speed_ratio_vs_dis"] = r["s_per_frame"] / dis["s_per_frame"]
    return group


@checked_call
def bench(
    inputs: Sequence[str | os.PathLike[str]] | None = None,
    factors: Sequence[Fraction] = (Fraction(2),),
    methods: Sequence[str] | None = None,
    isolate: bool = True,
    progress: bool = True,
    max_frames: int | None = None,
    qualities: Sequence[str] | str | None = None,
) -> list[dict[str, Any]]:
    """Run the protocol on every clip × factor × method, then each quality tier of `qualities` as a row
    named by the tier; returns the records (see FIELDS, plus per_t)."""
    factors = _checked_bench_args(inputs, factors, methods, isolate, progress, qualities)
    max_frames = check_max_frames(max_frames)
    paths = [resolve_clip(c) for c in (inputs or SAMPLE_CLIPS)]
    for p in paths:
        probe(p)  # fail early, one line, on a bad input
    names = list(dict.fromkeys(resolve_methods(methods) + resolve_qualities(qualities)))
    runner = run_isolated if isolate else _run_guarded
    records = []
    for p in paths:
        for step in factors:
            group = speed_ratios([runner(p, step, m, progress, max_frames) for m in names])
            for r in group:
                if r["status"] != "ok":
                    print(f"vidiff bench: {r['clip']} x{r['factor']} {r['method']}: {r['status']}: {r['reason']}",
                          file=sys.stderr)  # fmt: skip
            records.extend(group)
    return records


def _checked_bench_args(
    inputs: object, factors: object, methods: object, isolate: object, progress: object, qualities: object
) -> list[Fraction]:
    """`bench`'s arguments checked before any clip is opened (a number or a bool for a list was a
    TypeError, a string factor an AttributeError after the clip was read, inputs='' or [] ran every sample
    clip); returns the factors as steps (`parse_factor`: 2, '5/2', 2.5)."""
    from vidiff.metrics.protocol import parse_factor
    from vidiff.validate import check_flag, check_paths, is_list, show

    if inputs is not None and not check_paths(inputs, "inputs"):
        raise ConfigError("inputs []: give one or more clips (None: the sample clips)")
    if not is_list(factors) or not len(factors):  # type: ignore[arg-type]
        raise ConfigError(f"factors {show(factors)}: give a list of factors, e.g. [2, 4, '5/2']")
    for name, spec in (("methods", methods), ("qualities", qualities)):
        names = [spec] if isinstance(spec, str) else spec
        if spec is not None and (not is_list(names) or not all(isinstance(m, str) for m in names)):
            raise ConfigError(f"{name} {show(spec)}: give names, e.g. 'dup,blend' or ['dup', 'blend']")
    check_flag(isolate, "isolate")
    check_flag(progress, "progress")
    return [parse_factor(f) for f in factors]


def _run_guarded(path: str | os.PathLike[str], step: Fraction, method: str, *options: Any) -> dict[str, Any]:
    """`run_method(path, step, method, *options)`, an unexpected exception becoming a record with status
    'error'."""
    try:
        return run_method(path, step, method, *options)
    except InputError:
        raise
    except Exception as e:  # a crashing method must not lose the other results
        traceback.print_exc(file=sys.stderr)
        rec = base_record(path, step, method)
        rec.update(status="error", reason=f"{type(e).__name__}: {e}")
        return rec


def _worker(argv: list[str]) -> int:
    req = json.loads(argv[0])
    try:
        rec = _run_guarded(
            req["path"], Fraction(req["step"]), req["method"], req["progress"], req["max_frames"]
        )
    except VidiffError as e:
        rec = base_record(req["path"], Fraction(req["step"]), req["method"])
        rec.update(status="error", reason=str(e))
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
