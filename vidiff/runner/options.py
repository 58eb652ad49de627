"""`UpscaleOptions`: a frame-rate run's options, validated once, whichever door they came through.

The CLI (`vidiff upscale`), a recipe (`vidiff run`), the Python API (`upscale_file(**options)`) and the
web app all build one of these, so a bad value is refused in one line (`ConfigError`) before any frame
is decoded. What needs the input (its size, the encoder's trial run) is checked by `upscale_file`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError
from vidiff.flow import Interpolator
from vidiff.io.deinterlace import check_deinterlace
from vidiff.io.encode import EncodeOptions, check_audio_codec_used
from vidiff.io.sequence_out import check_start_number
from vidiff.io.video_ext import DEFAULT_CODEC
from vidiff.quality import apply_quality
from vidiff.runner.parallel import parse_workers
from vidiff.timeline import parse_factor, parse_fps, parse_input_fps, parse_speed
from vidiff.validate import UPSCALE_ARGS, check_args, check_int, check_size, show

AUDIO_MODES = ("copy", "drop", "slow", "none")


@dataclass(frozen=True)
class UpscaleOptions:
    """How `upscale_file` raises a clip's frame rate; invalid values raise `ConfigError` on construction.

    `factor` or `fps`: the output rate. `speed` < 1 makes slow motion (the planned frames played at that
    rate times `speed`). `method`: a registered name (`vidiff.flow`) with its `method_options`, or an
    `Interpolator`; or `quality` (fast, balanced, max, auto: `vidiff.quality`), a tier that names the
    method and its options (`method_options` such as steps or seed go on top; `resolved_method`).
    `codec`/`crf`/`preset`/`pix_fmt`/`audio_codec`: the encoding (`EncodeOptions`). `audio_mode`
    "copy", "drop" or "slow" (re-timed by `speed`, pitch kept); None: "copy" if `audio` else "drop".
    `transform` maps each output frame (size `out_size` = (width, height), or found by applying it to a
    blank frame); a source with a display rotation (a phone's portrait clip), a mirror or non-square pixels
    (a DVD's) gives it the frames as shown (upright, square pixels) and is written so (`vidiff.io.orient.upright_first`; a transform keyed "identity" is exempt). `dedupe`/`max_run`: collapse held source frames (runs up to `max_run`); `scene_cuts`:
    never interpolate across a cut. `window`: keyframe pairs per window of a method with context.
    `workers`: processes (None: one, so that a script without a `__main__` guard works; the CLI
    asks for every core); `pool`: a pool shared with other clips. `input_fps`: the rate of an image-sequence
    input (`vidiff.io.sequence`; None: its default), refused for a video file. `strict`: refuse a damaged
    input (cut short, frames that do not decode) instead of using what decodes with one warning line.
    `deinterlace`: how an interlaced clip is read (`vidiff.io.deinterlace`; None: the caller's, auto).
    `start_number`: the first file number of an image-frames output (None: 0; `vidiff.io.sequence_out`).
    """

    factor: float | Fraction | None = None
    fps: Fraction | float | None = None
    method: str | Interpolator = "auto"
    method_options: dict[str, Any] | None = None
    codec: str = DEFAULT_CODEC
    crf: int | None = 18
    preset: str | None = None
    pix_fmt: str = "yuv420p"
    audio: bool = True
    dedupe: bool = True
    scene_cuts: bool = True
    progress: bool = True
    speed: Fraction | float = 1
    audio_mode: str | None = None
    transform: Callable[[np.ndarray], np.ndarray] | None = None
    out_size: tuple[int, int] | None = None
    max_run: int = 3
    window: int = 8
    workers: int | str | None = None
    pool: Any = None
    audio_codec: str = "auto"
    quality: str | None = None
    input_fps: Fraction | float | str | None = None
    strict: bool = False
    start_number: int | None = None
    deinterlace: str | None = None

    def __post_init__(self) -> None:
        check_args({k: c for k, c in UPSCALE_ARGS.items() if k not in ("input", "output")}, self.__dict__)
        self.encode  # noqa: B018 - EncodeOptions checks codec, crf, preset and pix_fmt
        self.resolved_method  # noqa: B018 - the tier is known and does not contradict the method
        if self.fps is not None:
            parse_fps(self.fps)
        if self.factor is not None:
            parse_factor(self.factor)
        if self.input_fps is not None:  # kept as the Fraction it reads as (the io layer takes numbers)
            object.__setattr__(self, "input_fps", parse_input_fps(self.input_fps))
        parse_speed(self.speed)
        if self.deinterlace is not None:
            check_deinterlace(self.deinterlace)
        check_start_number(self.start_number)  # (that the output is image frames: `upscale_file`)
        # whole numbers as every count is read (a NumPy integer too, refused before), kept as ints; the
        # size as a (width, height) tuple of ints (a NumPy array's truth value was a ValueError later)
        try:
            window = check_int(self.window, "window", 1, 1024)
        except ConfigError:
            raise ConfigError(f"window {show(self.window)}: a window is 1 to 1024 pairs of frames") from None
        object.__setattr__(self, "window", window)
        object.__setattr__(self, "max_run", check_int(self.max_run, "dedupe max_run", 1))
        object.__setattr__(self, "out_size", check_size(self.out_size, "out_size"))
        object.__setattr__(self, "workers", parse_workers(self.workers))
        if self.resolved_audio not in AUDIO_MODES:
            raise ConfigError(f"audio mode {self.audio_mode!r}: use copy, drop or slow")
        check_audio_codec_used(self.resolved_audio != "drop", self.audio_codec)

    @classmethod
    def from_kwargs(cls, base: UpscaleOptions | None = None, **kwargs: Any) -> UpscaleOptions:
        """`UpscaleOptions(**kwargs)`, or `base` with `kwargs` over it; an unknown name is a `ConfigError`
        naming the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(
                f"unknown upscale option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**kwargs) if base is None else dataclasses.replace(base, **kwargs)

    @property
    def encode(self) -> EncodeOptions:
        """The output's encoding settings."""
        return EncodeOptions(self.codec, self.crf, self.preset, self.pix_fmt, self.audio_codec)

    @property
    def resolved_method(self) -> tuple[str | Interpolator, dict[str, Any]]:
        """(method, its options) that `quality` stands for with `method_options` on top; without a quality,
        `method` and `method_options` as given (`vidiff.quality.apply_quality`)."""
        method, options = apply_quality(self.quality, self.method, self.method_options)
        return method, dict(options or {})

    @property
    def resolved_audio(self) -> str:
        """What happens to the audio: copy, drop, slow (or none)."""
        return self.audio_mode or ("copy" if self.audio else "drop")

    def replace(self, **changes: Any) -> UpscaleOptions:
        """A copy with `changes`, validated again."""
        return self.from_kwargs(self, **changes)


# an unknown keyword or a positional too many is a ConfigError naming the fields, not a TypeError
UpscaleOptions.__init__ = checked_call(UpscaleOptions.__init__)  # type: ignore[method-assign]
