"""Argument checks shared by the public Python API: a bad argument is one `ConfigError` sentence, raised
before any work, never a `TypeError` or a NumPy/OpenCV/PyAV traceback from deep inside."""

from __future__ import annotations

import math
import numbers
import os
import reprlib
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.errors import ConfigError

MAX_FPS = 10_000  # the highest frame rate an argument may name
RATE_DENOMINATOR = 100_000  # a rate's terms stay under 2**31 (MAX_FPS times this)
SAMPLER_STEPS = (1, 50)  # the range of vidiff's few-step samplers (vidiff.diffusion.sampling)
MAX_SIDE = 16384  # the largest frame side an argument may name (H.264's level limit is far below)
MAX_SEED = 2**32 - 1  # a random seed's range (NumPy's; torch takes it whole, with room for per-step offsets)


def is_list(value: object) -> bool:
    """A list-like argument: a sequence other than a string, or a NumPy array of at least one dimension (a
    0-d array has no length: `len` and iteration raise TypeError)."""
    if isinstance(value, np.ndarray):
        return value.ndim >= 1
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def check_path(value: object, what: str = "path") -> str:
    """A file path (str or os.PathLike) as a str; anything else (None, a number, a list) is refused."""
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"{what} {show(value)}: give a file path (str or os.PathLike)")
    try:
        path = os.fspath(value)
    except TypeError:
        raise ConfigError(f"{what} {show(value)}: give a file path (str or os.PathLike)") from None
    if not isinstance(path, str) or not path.strip() or "\0" in path:
        raise ConfigError(f"{what} {show(value)}: give a non-empty file path")
    return path


def check_int(value: object, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number (an int, or a float/Fraction with no fractional part) within [lo, hi]."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        try:
            ok = math.isfinite(value) and int(value) == value  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            ok = False
    if not ok or (lo is not None and value < lo) or (hi is not None and value > hi):  # type: ignore[operator]
        raise ConfigError(f"{what} {show(value)}: must be a whole number{_range(lo, hi)}")
    return int(value)  # type: ignore[call-overload]


def check_ascii_number(text: str, what: str) -> str:
    """A number as the user typed it (an option's string): ASCII only. Python's int(), float() and Fraction()
    read other scripts' digits ('٣٠' is 30, '３０' too), so a rate or count could be typed in one script
    and read as another; every number option refuses them here, the one rule (the CLI's int and float
    options, rates, factors, frame lists, a recipe's numbers). Python's digit separators ('1_000') are
    refused too: no other tool (ffmpeg, a YAML 1.2 reader) reads them, and '1_0' is likely a typo."""
    if not text.isascii():
        raise ConfigError(f"{what} {text!r}: write numbers with the ASCII digits 0-9")
    if "_" in text:
        raise ConfigError(f"{what} {text!r}: write numbers without '_' separators, e.g. 1000")
    return text


def split_names(spec: str | Sequence[str], what: str, example: str) -> list[str]:
    """'dup,blend' (or a list of such strings) -> the names, in order, repeats dropped; an empty entry
    ('dup,,blend', a trailing comma) is refused, not silently dropped (a name the user meant to type); none
    at all ('', ',') is [] for the caller to refuse in its own words."""
    names = [m.strip() for part in ([spec] if isinstance(spec, str) else spec) for m in str(part).split(",")]
    if not any(names):
        return []  # nothing given at all: the caller's own line ("no method given")
    if not all(names):
        raise ConfigError(f"{what} {show(spec)}: an empty entry in the list; e.g. {example}")
    return list(dict.fromkeys(names))


def check_limit(value: object, what: str) -> int | None:
    """None (no limit), or a whole number 0 or more (e.g. `max_frames`)."""
    return None if value is None else check_int(value, what, 0)


def check_seed(value: object, what: str = "seed") -> int:
    """A random seed: a whole number from 0 to MAX_SEED (a larger one overflows torch's generator)."""
    return check_int(value, what, 0, MAX_SEED)


def check_steps(value: object, what: str = "steps") -> int:
    """vidiff's sampler steps: a whole number in SAMPLER_STEPS."""
    lo, hi = SAMPLER_STEPS
    try:
        return check_int(value, what, lo, hi)
    except ConfigError:
        raise ConfigError(f"{what} must be between {lo} and {hi}, not {show(value)}") from None


def check_number(
    value: object, what: str, lo: float | None = None, hi: float | None = None, positive: bool = False
) -> float:
    """A finite real number within [lo, hi] (above zero with `positive`)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        try:
            ok = math.isfinite(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            ok = False
    if ok and positive and value <= 0:  # type: ignore[operator]
        ok = False
    if not ok or (lo is not None and value < lo) or (hi is not None and value > hi):  # type: ignore[operator]
        sign = ", above 0" if positive else ""
        raise ConfigError(f"{what} {show(value)}: must be a finite number{sign}{_range(lo, hi)}")
    return float(value)  # type: ignore[arg-type]


def check_rate(value: object, what: str = "fps") -> Fraction:
    """A frame rate: a finite number or Fraction above 0 (as a Fraction whose terms fit a container's
    32-bit time base: a float such as 29.97 is 2997/100, not its 2**48 binary denominator)."""
    check_number(value, what, hi=MAX_FPS, positive=True)
    if not isinstance(value, (numbers.Rational, float)):  # np.float32: Fraction() takes neither; its
        value = float(str(value))  # shortest repr, 29.97, not float()'s 29.969999313354492
    rate = Fraction(value).limit_denominator(RATE_DENOMINATOR)  # type: ignore[arg-type]
    if rate == 0:
        raise ConfigError(f"{what} {show(value)}: must be at least 1/{RATE_DENOMINATOR}")
    return rate


def check_image(image: object, what: str = "frame", shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An RGB uint8 frame of shape (H, W, 3) (or exactly `shape`)."""
    if not isinstance(image, np.ndarray):
        raise ConfigError(f"{what}: expected an RGB uint8 numpy array (H, W, 3), got {type(image).__name__}")
    want = shape or ("H", "W", 3)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ConfigError(
            f"{what}: expected an RGB uint8 array of shape ({', '.join(map(str, want))}), "
            f"got {image.dtype} {tuple(image.shape)}"
        )
    if shape is not None and image.shape != shape:
        raise ConfigError(f"{what}: shape {tuple(image.shape)} != the expected {shape}")
    return image


def check_frames(frames: object, what: str = "frames", at_least: int = 1) -> list[np.ndarray]:
    """A list (or (T, H, W, 3) array) of at least `at_least` RGB uint8 frames of one shape."""
    if (
        isinstance(frames, (str, bytes))
        or not isinstance(frames, (Sequence, np.ndarray))
        or (isinstance(frames, np.ndarray) and frames.ndim != 4)
    ):
        raise ConfigError(f"{what} {show(frames)}: give a list of RGB uint8 frames (H, W, 3)")
    if len(frames) < at_least:
        raise ConfigError(f"{what}: {len(frames)} given; give at least {at_least} frames")
    shape = None
    for i, image in enumerate(frames):
        shape = check_image(image, f"{what} entry {i}", shape).shape
    return list(frames)


def check_alike(what: str, *images: object, min_side: int = 1) -> tuple[int, ...]:
    """Frames a metric compares: uint8 arrays of one shape, RGB (H, W, 3) or gray (H, W), each side at
    least `min_side` pixels; returns their shape."""
    for i, image in enumerate(images):
        if not isinstance(image, np.ndarray):
            raise ConfigError(f"{what}: frame {i + 1} is a {type(image).__name__}; give uint8 numpy arrays")
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.shape[2:] not in ((), (3,)):
            raise ConfigError(
                f"{what}: frame {i + 1} is {image.dtype} {tuple(image.shape)}; give uint8 (H, W, 3) or (H, W)"
            )
        if image.shape != images[0].shape:  # type: ignore[union-attr]
            raise ConfigError(f"{what}: frames of shapes {images[0].shape} and {image.shape}; give one size")  # type: ignore[union-attr]
        if min(image.shape[:2]) < min_side:
            raise ConfigError(
                f"{what}: frames of {image.shape[1]}x{image.shape[0]}; give at least {min_side} px a side"
            )
    return images[0].shape  # type: ignore[union-attr]


def check_pair(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    """Two RGB uint8 frames of the same shape (an interpolator's a and b)."""
    check_image(a, "frame a")
    check_image(b, "frame b")
    if a.shape != b.shape:  # type: ignore[union-attr]
        raise ConfigError(f"frames a {a.shape} and b {b.shape} differ in shape; give two frames of one size")  # type: ignore[union-attr]
    return a, b  # type: ignore[return-value]


def check_times(ts: object, what: str = "ts", lo: float = 0.0, hi: float = 1.0) -> list[float]:
    """A sequence of finite times in [lo, hi] (an interpolator's t: 0 is frame a, 1 is frame b)."""
    if not is_list(ts):
        raise ConfigError(f"{what} {show(ts)}: give a list of times in [{lo:g}, {hi:g}]")
    return [check_number(t, f"{what} value", lo, hi) for t in ts]


def check_same_length(what: str, **seqs: Any) -> int:
    """Lists that go together (frames, their times, their observed flags) have one length; returns it."""
    lengths = {}
    for name, seq in seqs.items():
        if not is_list(seq):
            raise ConfigError(f"{what}: {name} must be a list, got {type(seq).__name__}")
        lengths[name] = len(seq)
    if len(set(lengths.values())) > 1:
        told = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise ConfigError(f"{what}: {told}: give one entry per frame in each")
    return next(iter(lengths.values()), 0)


def _range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" from {_num(lo)} to {_num(hi)}"
    if lo is not None:
        return f", {_num(lo)} or more"
    if hi is not None:
        return f", {_num(hi)} or less"
    return ""


def _num(x: float) -> str:
    """A bound as written: a whole number in full (4294967295, not 4.29497e+09), else compact."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def check_flag(value: object, what: str) -> bool:
    """A yes/no option: True or False (NumPy's bools too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{what} {show(value)}: must be True or False")
    return bool(value)


def check_flag_or_text(value: object, what: str) -> Any:
    """A yes/no option that also takes a named level (`offload`): True, False or a string (the level,
    checked where it is used)."""
    if isinstance(value, str):
        return value
    return check_flag(value, what)


def check_callable(value: object, what: str) -> Any:
    """None, or something callable (a transform, a note hook)."""
    if value is not None and not callable(value):
        raise ConfigError(f"{what} {show(value)}: must be a function (or None)")
    return value


def check_mapping(value: object, what: str) -> Any:
    """None, or a dict of options keyed by their names (a key that is not a string, {1: 2}, was Python's
    TypeError 'keywords must be strings' where the options were passed on as `**options`)."""
    if value is not None and not isinstance(value, Mapping):
        raise ConfigError(f"{what} {show(value)}: must be a dict (or None)")
    for key in value or {}:  # type: ignore[union-attr]
        if not isinstance(key, str):
            raise ConfigError(f"{what} key {show(key)}: must be a string (a name)")
    return value


COLOR_KEYS = ("color_range", "colorspace", "color_primaries", "color_trc")  # a probe's `VideoInfo.color`


def check_color(value: object, what: str) -> Any:
    """None, or a colour-tag dict as a probe gives (`COLOR_KEYS`, each an FFmpeg enum number 0-255): an
    unknown key was set on the encoder as an attribute, an AttributeError traceback."""
    check_mapping(value, what)
    for key, tag in (value or {}).items():  # type: ignore[attr-defined]
        if key not in COLOR_KEYS:
            raise ConfigError(f"{what} key {show(key)}: use {', '.join(COLOR_KEYS)} (as probe() gives)")
        check_int(tag, f"{what} {key}", 0, 255)
    return value


def check_sar(value: object, what: str) -> Fraction | None:
    """A pixel aspect ratio (`vidiff.io.aspect`) given as "32:27", "32/27", a (32, 27) pair or a number
    above 0, as a Fraction; None for square pixels (1) or none given."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str):
            check_ascii_number(value, what)
            num, _, den = value.replace("/", ":").partition(":")
            sar = Fraction(int(num), int(den or 1))
        elif isinstance(value, tuple) and len(value) == 2:
            sar = Fraction(int(value[0]), int(value[1]))
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            sar = Fraction(value).limit_denominator(65535)
        else:
            raise TypeError
        if sar <= 0:
            raise ValueError
    except (TypeError, ValueError, ZeroDivisionError):
        raise ConfigError(f"{what} {show(value)}: must be a pixel aspect ratio above 0, e.g. 32:27") from None
    return None if sar == 1 else sar


def check_text(value: object, what: str) -> Any:
    """None, or a string (a value checked further where it is used)."""
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{what} {show(value)}: must be a string (or None)")
    return value


def check_place(value: object, what: str) -> Any:
    """None, a string, or an os.PathLike: a local folder or file that may also be a hub id (`weights`,
    `vae`); `as_text` makes it a string."""
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"{what} {show(value)}: must be a string or a path (or None)")
    return value


def check_places(value: object, what: str) -> Any:
    """None, or one `check_place` value or a list (or tuple) of them (a repeatable option: `lora`)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if value is not None and not all(isinstance(v, (str, os.PathLike)) for v in items):
        raise ConfigError(f"{what} {show(value)}: must be a string or a path, or a list of them (or None)")
    return value


def as_text(value: Any) -> Any:
    """A `check_place(s)` value with each os.PathLike as its string (a Path given for `weights` was refused)."""
    if isinstance(value, (list, tuple)):
        return [as_text(v) for v in value]
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def check_texts(value: object, what: str) -> Any:
    """None, a string, or a list (or tuple) of strings (a repeatable option's values)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if value is not None and not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{what} {show(value)}: must be a string or a list of strings (or None)")
    return value


def check_side(value: object, what: str) -> int:
    """A frame width or height in pixels."""
    return check_int(value, what, 1, MAX_SIDE)


def check_size(value: object, what: str) -> Any:
    """None, or a frame size (width, height) in pixels."""
    if value is None:
        return None
    if not is_list(value) or len(value) != 2:
        raise ConfigError(f"{what} {show(value)}: must be (width, height) in pixels")
    return (check_side(value[0], f"{what} width"), check_side(value[1], f"{what} height"))


def check_paths(value: object, what: str) -> list[str]:
    """A list of file paths (e.g. the inputs an output must not overwrite)."""
    if isinstance(value, (str, bytes, os.PathLike)) or not isinstance(value, (Sequence, set, frozenset)):
        raise ConfigError(f"{what} {show(value)}: must be a list of file paths")
    return [check_path(p, f"{what} entry") for p in value]


def check_method(value: object, what: str = "method") -> Any:
    """A method name, or an object with `interpolate(a, b, ts)` (an `Interpolator`)."""
    if not isinstance(value, str) and not callable(getattr(value, "interpolate", None)):
        raise ConfigError(f"{what} {show(value)}: give a method name or an Interpolator")
    return value


def check_source(value: object, what: str) -> Any:
    """None, a file path, or an open file-like source (a `VideoFile`: anything with `start_pass`)."""
    if value is not None and not hasattr(value, "start_pass"):
        check_path(value, what)
    return value


def check_has(*methods: str) -> Callable[[object, str], Any]:
    """A check that the value is None or has each of `methods` (a duck-typed pool, an audio track)."""

    def check(value: object, what: str) -> Any:
        if value is not None and not all(callable(getattr(value, m, None)) for m in methods):
            raise ConfigError(f"{what} {show(value)}: must have {', '.join(methods)} (or be None)")
        return value

    return check


def check_scalar(value: object, what: str) -> Any:
    """None, a number or a string (a rate such as "30000/1001", parsed where it is used)."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (numbers.Real, str)) or isinstance(value, np.ndarray)
    ):
        raise ConfigError(f"{what} {show(value)}: must be a number (or None)")
    return value


def check_real(value: object, what: str) -> Any:
    """A real number, not a bool (its range is checked where it is used)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{what} {show(value)}: must be a number")
    return value


def check_optional_real(value: object, what: str) -> Any:
    """None, or a real number (its range is checked where it is used)."""
    return None if value is None else check_real(value, what)


# make_clip's aspect and fps (a recipe's reframe.aspect / interpolate.fps, the web app's "Clip's own"): the
# clip's own frame size / rate, for a clip continued by a model (as the CLI gives with no --aspect / --fps)
OWN = "source"


def check_optional_rate(value: object, what: str) -> Any:
    """None, `OWN`, or a real number (its range is checked where it is used)."""
    return value if isinstance(value, str) and value == OWN else check_optional_real(value, what)


def check_whole(value: object, what: str) -> Any:
    """None, or a whole number (its range is checked where it is used)."""
    return None if value is None else check_int(value, what)


def check_optional_path(value: object, what: str) -> Any:
    """None, or a file path."""
    return None if value is None else check_path(value, what)


def check_args(kinds: Mapping[str, Callable[[object, str], Any]], values: Mapping[str, Any]) -> None:
    """Run each argument's check (`kinds`: name -> check) on a call's `values` (e.g. its `locals()`)."""
    for name, check in kinds.items():
        check(values[name], name)


def show(value: object) -> str:
    """A short repr for an error line (a nested container is shown to a bounded depth and length: the full
    repr of a YAML 'billion laughs' list is gigabytes)."""
    try:
        if isinstance(value, np.ndarray):
            text = f"<array {value.dtype} {value.shape}>"
        elif isinstance(value, (list, tuple, dict, set, frozenset)):
            text = _SHORT.repr(value)
        else:
            text = repr(value)
    except ValueError:  # an int of over 4300 digits (or a list holding one): Python refuses to print it
        text = "<a number too long to print>"
    return text if len(text) <= 60 else text[:57] + "..."


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = _SHORT.maxfrozenset = 12


# the argument types of the public calls whose values are checked where they are used (`check_args`)
UPSCALE_ARGS: dict[str, Callable[[object, str], Any]] = {
    "input": check_path,
    "output": check_path,
    "factor": check_scalar,
    "fps": check_scalar,
    "input_fps": check_scalar,
    "speed": check_scalar,
    "crf": check_scalar,
    "window": check_scalar,
    "max_run": check_scalar,
    "workers": check_scalar,
    "method": check_method,
    "method_options": check_mapping,
    "codec": check_text,
    "preset": check_text,
    "pix_fmt": check_text,
    "audio": check_flag,
    "dedupe": check_flag,
    "scene_cuts": check_flag,
    "progress": check_flag,
    "strict": check_flag,
    "deinterlace": check_text,
    "audio_mode": check_text,
    "audio_codec": check_text,
    "transform": check_callable,
    "out_size": check_size,
    "pool": check_has("submit", "drain"),
    "start_number": check_whole,
}
MAKE_CLIP_ARGS: dict[str, Callable[[object, str], Any]] = {
    "output": check_path,
    **dict.fromkeys(
        ("image", "clip", "audio", "strip", "last_image", "reference_image"), check_optional_path
    ),
    "fps": check_optional_rate,  # None: make_clip's default (a continued clip's own rate); OWN: that rate
    **dict.fromkeys(
        ("seconds", "strength", "extend", "transition", "guidance", "guidance_2", "keyframe_fps", "shift")
        + ("audio_guidance",),
        check_optional_real,
    ),
    **dict.fromkeys(("steps", "seed", "frames", "crf"), check_whole),
    **dict.fromkeys(("loop", "offline", "progress", "strict", "no_audio"), check_flag),
    "offload": check_flag_or_text,
    **dict.fromkeys(
        ("aspect", "motion", "scheme", "backend", "method", "device", "prompt", "negative_prompt")
        + ("dtype", "interpolate", "codec", "preset", "pix_fmt", "cache", "weight_dtype"),
        check_text,
    ),
    **dict.fromkeys(("weights", "vae"), check_place),
    **dict.fromkeys(("lora", "transformer"), check_places),
    "interpolate_options": check_mapping,
    **dict.fromkeys(("on_frame", "on_step"), check_callable),
}
INFILL_ARGS: dict[str, Callable[[object, str], Any]] = {
    "input": check_path,
    "output": check_path,
    "method": check_method,
    "method_options": check_mapping,
    **dict.fromkeys(("codec", "preset", "pix_fmt", "audio_codec", "quality"), check_text),
    "crf": check_scalar,
    **dict.fromkeys(("auto", "audio", "progress", "strict"), check_flag),
    "on_scan": check_callable,
    "input_fps": check_scalar,
    "deinterlace": check_text,
    "start_number": check_whole,
}
WRITER_ARGS: dict[str, Callable[[object, str], Any]] = {
    "path": check_path,
    "width": check_side,
    "height": check_side,
    "fps": lambda v, what: check_rate(v, what),
    "codec": check_text,
    "preset": check_text,
    "pix_fmt": check_text,
    "audio_from": check_source,
    "rotation": lambda v, what: check_int(v, what, -360, 360),
    "color": check_color,
    "inputs": check_paths,
    "faststart": check_flag,
    "profile": check_text,
    "audio": check_has("attach"),
    "lock": check_flag,
    "audio_checked": check_flag,
    "extras": check_has("attach", "fit"),
    "sar": check_sar,
    "flip": check_flag,
}
