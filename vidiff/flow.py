"""Classical frame interpolators behind one interface: duplicate, linear blend, DIS optical-flow warp.

They are the baselines every learned method is measured against, and the DIS warp is the prior mu
that the residual diffusion model refines (Residual Video Diffusion, Yang et al. 2023).
Frames are RGB uint8 arrays of shape (H, W, 3); times t are real numbers in [0, 1] between a and b.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError
from vidiff.malloc import keep_freed_memory
from vidiff.timeline import check_flow_size
from vidiff.validate import (
    check_callable,
    check_int,
    check_mapping,
    check_number,
    check_pair,
    check_seed,
    check_steps,
    check_times,
    show,
)


@runtime_checkable
class Interpolator(Protocol):
    """Anything that makes frames at real times t in [0, 1] between two frames a and b.

    One that also uses context (the diffusion model) has `context` (observed frames wanted on each side
    of a pair) and `interpolate_window(frames, times, target_times)` (times in any unit: seconds from
    the runner, frame indices from the bench protocol); the runner's windows (`vidiff.windows`) and the
    bench protocol call it when it is there. `vidiff.windows.pair_windows` cuts such a window into one
    window per pair, measured in the pair's own gap. Such a class may also tell its `context` for given
    options without being built (a classmethod `context_of(**options)`, `vidiff.windows.method_context`)."""

    name: str

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        """Frames at each t of `ts` (t=0 is a, t=1 is b), RGB uint8 like the inputs."""
        ...


class Duplicate:
    """Nearest frame: a for t <= 0.5, b otherwise (what a frame-rate converter does with no motion model).

    A tie at t = 0.5 repeats the earlier frame, as BENCHMARK.md's dup figures do.
    """

    name = "dup"

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        check_pair(a, b)
        return [(a if t <= 0.5 else b).copy() for t in check_times(ts)]


class Blend:
    """Linear cross-fade (1 - t) a + t b."""

    name = "blend"

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        check_pair(a, b)
        ts = check_times(ts)
        fa, fb = a.astype(np.float32), b.astype(np.float32)
        return [to_u8((1.0 - t) * fa + t * fb) for t in ts]


def to_u8(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Float pixels -> uint8, rounded half up and clipped to [0, 255]. With `out` (a uint8 array of x's
    shape) x itself is used as scratch (it must be the caller's own temporary) and the result goes to out."""
    if out is None:
        return np.clip(x + 0.5, 0, 255).astype(np.uint8)
    np.add(x, 0.5, out=x)
    np.clip(x, 0, 255, out=x)
    out[...] = x  # the same truncating cast as astype
    return out


# OpenCV's DIS (4.x-5.1) reads past a pyramid level that is only a few patches high: a frame under 32 rows
# and 40+ columns (96x8, 80x16, 200x24) segfaults or fails; with its rows edge-padded to 32 every size
# from 8x12 / 12x8 up is safe (tests/test_api_args.py runs the sizes in a child process)
DIS_MIN_ROWS = 32


def dis_calc(dis: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`dis.calc(a, b)` on two gray frames, with frames under `DIS_MIN_ROWS` rows edge-padded below for
    the flow (then cropped back), so OpenCV never sees the sizes it crashes on."""
    h = a.shape[0]
    if h >= DIS_MIN_ROWS:
        return dis.calc(a, b, None)
    pad = DIS_MIN_ROWS - h
    a, b = (cv2.copyMakeBorder(x, 0, pad, 0, 0, cv2.BORDER_REPLICATE) for x in (a, b))
    return np.ascontiguousarray(dis.calc(a, b, None)[:h])


def _dis_calc(preset: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return dis_calc(cv2.DISOpticalFlow_create(preset), a, b)


@functools.cache
def _flow_thread() -> ThreadPoolExecutor:
    """One helper thread per process for the backward flow, made on first use."""
    return ThreadPoolExecutor(1, thread_name_prefix="vidiff-dis")


# a forked worker (parallel segments) has the executor object but not its thread: it makes its own
os.register_at_fork(after_in_child=_flow_thread.cache_clear)


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def dis_flow(a: np.ndarray, b: np.ndarray, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM) -> np.ndarray:
    """Dense flow from a to b (H, W, 2 float32: a(x) ~ b(x + flow(x))), OpenCV DIS (Kroeger et al. 2016)."""
    return _dis_calc(preset, _gray(a), _gray(b))


def backward_warp(
    img: np.ndarray,
    flow: np.ndarray,
    interp: int = cv2.INTER_LINEAR,
    border: int = cv2.BORDER_REPLICATE,
) -> np.ndarray:
    """out(x) = img(x + flow(x)), bilinear and border replicated unless told. uint8 or float32 images."""
    # one (H, W, 2) map (x, y interleaved: OpenCV's CV_32FC2) in one add, not two strided ones
    where = _grid(*flow.shape[:2]) + flow.astype(np.float32, copy=False)
    return cv2.remap(img, where, None, interp, borderMode=border)


@functools.lru_cache(maxsize=4)
def _grid(h: int, w: int) -> np.ndarray:
    """The pixel grid (h, w, 2) of (x, y), float32, made once per size (read-only: it is shared)."""
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([gx, gy], axis=-1)
    grid.flags.writeable = False
    return grid


# Bicubic so detail is not smoothed away; content entering at a border is mirrored, not smeared.
SHARP = (cv2.INTER_CUBIC, cv2.BORDER_REFLECT)


def carry_forward(prev: np.ndarray, last: np.ndarray, steps: Sequence[float]) -> list[np.ndarray]:
    """Frames `s` intervals past `last` at constant velocity: the DIS flow from `last` to `prev`,
    scaled by s, warps `last` once per frame (uint8 in, uint8 out)."""
    flow = dis_flow(last, prev)  # last(x) ~ prev(x + flow): content moves by -flow per interval
    return [backward_warp(last, s * flow, *SHARP) for s in steps]


def fb_consistency(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """Forward-backward error |F_ab(x) + F_ba(x + F_ab(x))| in pixels, per pixel of a (H, W float32)."""
    back = backward_warp(flow_ba, flow_ab)
    return np.linalg.norm(flow_ab + back, axis=-1)


def at_end(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray | None:
    """What an interpolator gives at an end of its pair: a copy of a for t <= 0, of b for t >= 1; else None."""
    return a.copy() if t <= 0.0 else b.copy() if t >= 1.0 else None


DIS_PRESETS = (
    cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    cv2.DISOPTICAL_FLOW_PRESET_FAST,
    cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
)


class DISFlow:
    """Bidirectional DIS flow; each input frame is backward-warped to time t and the two are blended.

    For a target time t the flow from the target to a is approximated by t * F_ba and to b by
    (1 - t) * F_ab (linear motion, flow sampled at the target pixel). With `occlusion=True`, each
    warped frame's weight is lowered where its flow fails the forward-backward check, so a pixel
    hidden in one frame is taken from the other (occlusion reasoning as in Super SloMo, Jiang et al. 2018).
    """

    name = "dis"

    def __init__(
        self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, occlusion: bool = False, sigma: float = 1.0
    ):
        given = preset
        try:  # a whole number (a NumPy integer too: OpenCV takes only a Python int)
            preset = check_int(preset, "DIS preset")
        except ConfigError:
            preset = None
        if preset not in DIS_PRESETS:
            raise ConfigError(f"DIS preset {show(given)}: use 0 (ultrafast), 1 (fast) or 2 (medium)")
        check_number(sigma, "DIS occlusion sigma", positive=True)
        self.preset = preset
        self.occlusion = occlusion
        self.sigma = sigma

    def flows(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(F_ab, F_ba), the two computed at once: OpenCV's DIS is mostly serial and releases the GIL, so
        the second flow runs on a helper thread (the same flows as one after the other, bit for bit)."""
        ga, gb = _gray(a), _gray(b)
        back = _flow_thread().submit(_dis_calc, self.preset, gb, ga)
        return _dis_calc(self.preset, ga, gb), back.result()

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        check_pair(a, b)
        ts = check_times(ts)
        check_flow_size(a.shape[1], a.shape[0])
        return self.interpolate_with_flows(a, b, ts, *self.flows(a, b))

    def interpolate_with_flows(
        self, a: np.ndarray, b: np.ndarray, ts: Sequence[float], f_ab: np.ndarray, f_ba: np.ndarray
    ) -> list[np.ndarray]:
        """As `interpolate`, with the two flows already computed (the model reuses them)."""
        out = []
        fa, fb = a.astype(np.float32), b.astype(np.float32)
        if self.occlusion:
            # error of each frame's flow, measured on that frame's own grid
            err_a = fb_consistency(f_ab, f_ba)
            err_b = fb_consistency(f_ba, f_ab)
        for t in ts:
            if (end := at_end(a, b, t)) is not None:
                out.append(end)
                continue
            wa_img = backward_warp(fa, t * f_ba)
            wb_img = backward_warp(fb, (1.0 - t) * f_ab)
            if not self.occlusion:
                # the weights are the same at every pixel: scalars, in the same float32 arithmetic as the
                # per-pixel path below (so the same bytes), in place on the warps (no frame-sized temporaries)
                ta, tb = np.float32(1.0 - t), np.float32(t)
                wa_img *= ta / (ta + tb)
                wb_img *= tb / (ta + tb)
                wa_img += wb_img
                wa_img += 0.5
                out.append(np.clip(wa_img, 0, 255, out=wa_img).astype(np.uint8))
                continue
            wa = np.full(a.shape[:2], 1.0 - t, np.float32)
            wb = np.full(a.shape[:2], t, np.float32)
            ea = backward_warp(err_a, t * f_ba)
            eb = backward_warp(err_b, (1.0 - t) * f_ab)
            # a pixel of a that has no match in b (occluded there) means b's warp is wrong here
            wa = wa / (1.0 + np.maximum(eb - self.sigma, 0.0) ** 2)
            wb = wb / (1.0 + np.maximum(ea - self.sigma, 0.0) ** 2)
            den = wa + wb
            lin = den < 1e-4
            wa = np.where(lin, 1.0 - t, wa) / np.where(lin, 1.0, den)
            wb = np.where(lin, t, wb) / np.where(lin, 1.0, den)
            out.append(to_u8(wa[..., None] * wa_img + wb[..., None] * wb_img))
        return out


# name -> the factory itself, or "module:attribute" imported on first use, so that `--method dis`
# loads neither torch nor diffusers (the learned methods live in higher layers and are named, not imported)
_REGISTRY: dict[str, Callable[..., Interpolator] | str] = {
    "dup": Duplicate,
    "blend": Blend,
    "dis": DISFlow,
    "rife": "vidiff.peers.rife:RIFE",
    "fuse": "vidiff.fusion:Fuse",
    "diffusion": "vidiff.diffusion.interpolator:DiffusionInterpolator",
}

# The method a run uses when none is named: the best one measured (benchmarks/results/quality), when its
# RIFE weights are in the cache; else the DIS prior alone, with a one-line note (see `resolve_auto`).
AUTO = "auto"
# the options of the learned methods that a command line or a recipe's interpolate stage passes on
METHOD_OPTIONS = ("steps", "seed", "weights", "device", "engine")
BEST_METHOD = "diffusion"
FALLBACK_METHOD = "dis"

# What each method is and what it measured, bikes 640x272 x2 on the 2-core CPU: PSNR (dB) and seconds per
# frame from benchmarks/results/model (the held-out-frame protocol), the model's mean gain over the best peer
# on the four clip/factor cases there, and the learned methods' time over RIFE's as the median of the four
# runs in benchmarks/results/model_speed_small; the max tier's (vidiff.quality) from results/model_tiers
# and results/tier_speed. The web app's method hints and `--method`'s help both read
# this one table (`method_line`); tests/test_method_facts.py checks it against those results files.
METHOD_FACTS: dict[str, dict[str, float]] = {
    "dup": {"psnr": 25.22},
    "blend": {"psnr": 28.61},
    "dis": {"psnr": 32.14, "s_per_frame": 0.025},
    "rife": {"psnr": 33.70, "x_dis": 8.8},
    "fuse": {"psnr": 33.57, "x_rife": 1.14},
    "diffusion": {"psnr": 34.01, "x_rife": 1.39, "gain": 0.24},
    "max": {"psnr": 34.165, "x_rife": 2.78, "gain": 0.33},  # the tier: the model, ensemble=2
}
METHOD_WHAT = {  # in the order `--method`'s help lists them
    AUTO: "vidiff's model when RIFE's weights are fetched (`vidiff fetch rife`), else dis",
    "diffusion": "vidiff's model, the learned fusion of DIS and RIFE, the best quality",
    "fuse": "fixed mean of DIS and RIFE, no learning (needs `vidiff fetch rife`)",
    "rife": "RIFE v4 (needs `vidiff fetch rife`)",
    "dis": "optical flow both ways, the fastest that follows motion",
    "blend": "cross-fade, instant, ghosts on motion",
    "dup": "repeats frames, instant, judders",
}


def method_line(name: str) -> str:
    """What `name` is and, where measured (METHOD_FACTS), its PSNR and time on bikes x2, in one line."""
    figures = facts_text(name)
    return METHOD_WHAT.get(name, name) + (f"; {figures}" if figures else "")


def facts_text(name: str) -> str:
    """The figures METHOD_FACTS holds for `name` (a method, or a quality tier's key), as one clause; ""
    where none are measured."""
    f = METHOD_FACTS.get(name, {})
    said = [f"{f['psnr']:.1f} dB on bikes x2"] if "psnr" in f else []
    if "gain" in f:
        gain = f"+{f['gain']:.2f} dB mean over the best peer"
        if said:
            said[-1] += f" ({gain})"
        else:
            said.append(gain)
    if "s_per_frame" in f:
        said.append(f"{f['s_per_frame']:.3f} s/frame at 640x272")
    if "x_rife" in f:
        said.append(f"{f['x_rife']:.2f}× RIFE's time")
    if "x_dis" in f:
        said.append(f"{f['x_dis']:.1f}× dis's time")
    return ", ".join(said)


@checked_call
def register_interpolator(name: str, factory: Callable[..., Interpolator] | str) -> None:
    """Make `factory` (or a lazy "module:attribute") available as `--method name`."""
    if not isinstance(name, str) or not name.strip() or name == AUTO:
        raise ConfigError(f"method name {name!r:.60}: must be a non-empty string other than {AUTO!r}")
    lazy = isinstance(factory, str) and all(factory.partition(":")[::2]) and ":" in factory
    if not callable(factory) and not lazy:
        raise ConfigError(f"method {name!r}: the factory must be callable or a 'module:attribute' string")
    _REGISTRY[name] = factory


@checked_call
def interpolator_names() -> list[str]:
    """Names usable as `--method` (`auto` included); imports nothing."""
    return sorted([*_REGISTRY, AUTO])


def _stderr(line: str) -> None:
    import sys

    print(line, file=sys.stderr)


def resolve_auto(name: str, note: Callable[[str], None] | None = _stderr) -> str:
    """`auto` -> BEST_METHOD when the RIFE weights it needs are cached, else FALLBACK_METHOD with a one-line
    note (on stderr unless `note` says otherwise; None: silent). Other names come back unchanged."""
    if name != AUTO:
        return name
    from vidiff.fetch import rife_weights_cached

    if rife_weights_cached():
        return BEST_METHOD
    if note is not None:
        note(f"note: RIFE weights not found (run `vidiff fetch rife`); using {FALLBACK_METHOD}")
    return FALLBACK_METHOD


def _factory(name: str) -> Callable[..., Interpolator]:
    """The factory registered as `name`, a lazy "module:attribute" imported on first use; one that does not
    import or is not callable is one `ConfigError` (it was Python's ModuleNotFoundError or TypeError)."""
    f = _REGISTRY[name]
    if isinstance(f, str):
        import importlib

        mod, _, attr = f.partition(":")
        try:
            f = getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError) as e:
            raise ConfigError(f"method {name!r}: cannot load its factory {_REGISTRY[name]!r} ({e})") from None
        if not callable(f):
            raise ConfigError(f"method {name!r}: its factory {_REGISTRY[name]!r} is not callable")
        _REGISTRY[name] = f
    return f


def check_device(device: object) -> None:
    """A learned method's `device`: cpu, cuda or cuda:N that this torch can use, else one `ConfigError`
    line (torch is imported only here, so a run without a device option never loads it)."""
    import torch

    try:
        dev = torch.device(device)  # type: ignore[arg-type]
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if dev.type not in ("cpu", "cuda"):
        raise ConfigError(f"device {device!r} is not supported; use cpu, cuda or cuda:N")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: no CUDA device is available to this torch build; use cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ConfigError(f"device {device!r}: there are {torch.cuda.device_count()} CUDA devices")


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise ConfigError(
            f"method {name!r:.60}: give a method name; choose one of: {', '.join(interpolator_names())}"
        )


def check_method_options(name: str, options: dict) -> None:
    """A `ConfigError` if `name` is unknown or takes none of `options` (checked on the real callable), or
    its `device` is not one torch can use here, or its `engine` is not one of vidiff.engine.ENGINES, or
    its `steps` or `seed` is out of range."""
    if not isinstance(name, str):
        raise ConfigError(
            f"method {name!r:.60}: give a method name; choose one of: {', '.join(interpolator_names())}"
        )
    check_mapping(options, "method options")
    if name != AUTO and name not in _REGISTRY:
        raise ConfigError(f"unknown method {name!r}; choose one of: {', '.join(interpolator_names())}")
    if options.get("steps") is not None:
        check_steps(options["steps"])
    if options.get("seed") is not None:
        check_seed(options["seed"])
    if options.get("engine") is not None:
        from vidiff.engine import check_engine

        check_engine(options["engine"])
    if name == AUTO:
        return
    params = inspect.signature(_factory(name)).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        bad = [k for k in options if k not in params]
        if bad:
            takes = ", ".join(params) or "none"
            raise ConfigError(f"method {name!r} has no option {bad[0]!r} (its options: {takes})")
    if options.get("device") is not None:
        check_device(options["device"])


def interpolator_factory(
    name: str, note: Callable[[str], None] | None = _stderr, **kwargs
) -> tuple[str, Callable[..., Interpolator], dict[str, Any]]:
    """The method `name` resolves to (`auto`: see `resolve_auto`), its factory and the options it takes
    (those it does not take are dropped for `auto`), checked as `get_interpolator` checks them; nothing is
    built, so a process that makes no frames (a parallel run's parent) loads no model. The process's
    allocator is set to keep freed frame-sized memory for reuse (vidiff.malloc), once."""
    check_callable(note, "note")
    _check_name(name)
    keep_freed_memory()
    if name == AUTO:
        name = resolve_auto(name, note)
        params = inspect.signature(_factory(name)).parameters
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    check_method_options(name, kwargs)
    return name, _factory(name), kwargs


def get_interpolator(name: str, note: Callable[[str], None] | None = _stderr, **kwargs) -> Interpolator:
    """Build the interpolator called `name` (`auto`: see `resolve_auto`; options the method it resolves to
    does not take are dropped); an unknown name or option is a `ConfigError`."""
    _, factory, kwargs = interpolator_factory(name, note, **kwargs)
    return factory(**kwargs)
