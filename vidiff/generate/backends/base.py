"""The one interface every video diffusion backend has: load the pipeline, its rules, `keyframes(...)`.

A backend is a diffusers pipeline family (Wan, LTX-Video, LTX-2, CogVideoX, SVD, HunyuanVideo, SkyReels V2). Its class attributes are the
model's own rules: the rate it was trained at (`fps`), its frame-count rule (`frame_step` k: counts of
k·n+1), its default and largest window, the multiple its sides must be and its native pixel area. The
generic `keyframes` calls the pipeline with a `torch.Generator` on the device (same seed, same bytes on
the same device) and a step progress bar through `callback_on_step_end`; a backend adds what its
pipeline takes besides (`extra_kwargs`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidiff.build_lock import BUILD_LOCK
from vidiff.errors import ConfigError, InputError, UnsupportedError
from vidiff.quiet import no_warnings

DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def quiet_libraries() -> None:
    """diffusers' and transformers' own bars and notes off, their error logs too (what fails reaches the
    user as vidiff's one line): vidiff shows its progress and errors."""
    from diffusers.utils import logging as diffusers_logging

    libs = [diffusers_logging]
    try:
        from transformers.utils import logging as transformers_logging

        libs.append(transformers_logging)
    except ImportError:  # a pipeline without a transformers part
        pass
    for lib in libs:
        lib.disable_progress_bar()
        lib.set_verbosity(lib.CRITICAL)


def _check_loaded(pipe: Any, weights: str) -> None:
    """A one-line InputError when a part's weights did not fill its model: diffusers leaves the tensors a
    checkpoint lacks (a part saved from another model or config) empty, on the meta device, and moving
    them fails later with a traceback."""
    import torch

    for name, part in pipe.components.items():
        if not isinstance(part, torch.nn.Module):
            continue
        empty = [k for k, t in (*part.named_parameters(), *part.named_buffers()) if t.is_meta]
        if empty:
            raise InputError(
                f"weights {weights}: its {name}/ holds no weights for {len(empty)} of the "
                f"{type(part).__name__}'s tensors (e.g. {empty[0]}): a part saved from another model?"
            )


KEYFRAME_RATE_DENOMINATOR = 1000  # a keyframe rate is kept as a fraction over at most this


def keyframe_rate(keyframe_fps: float) -> Fraction:
    """`keyframe_fps` (above 0) as the Fraction the plan uses; a one-line ConfigError for a rate so low
    it rounds to 0 (1e-9 was a ZeroDivisionError traceback)."""
    if not math.isfinite(keyframe_fps):  # inf: Fraction raises OverflowError
        raise ConfigError(f"keyframe_fps {keyframe_fps:g}: give a finite rate")
    rate = Fraction(keyframe_fps).limit_denominator(KEYFRAME_RATE_DENOMINATOR)
    if rate == 0:
        raise ConfigError(
            f"keyframe_fps {keyframe_fps:g}: too low; give at least {1 / KEYFRAME_RATE_DENOMINATOR:g} "
            "keyframes per second"
        )
    return rate


class _StepProgress:
    """A pipeline call's progress: a bar over its sampler steps, then a line while the VAE decodes the
    frames (after the last step; it can take longer than the steps on a CPU) and its time when done."""

    def __init__(
        self, desc: str, steps: int, n_frames: int, enabled: bool, on_step: Callable[[int], None] | None
    ) -> None:
        from vidiff.progress import progress_bar

        self.bar = progress_bar(steps, desc, enabled, unit="step")
        self.steps, self.n_frames, self.enabled, self.on_step = steps, n_frames, enabled, on_step
        self.decoding: float | None = None
        self.done = 0  # counted here: a disabled bar (no progress shown: the web app) counts nothing

    def step(self, _pipe: Any, _i: int, _t: Any, _kwargs: dict) -> dict:
        """diffusers' callback_on_step_end."""
        self.bar.update(1)
        self.done += 1
        if self.on_step is not None:
            self.on_step(self.done)
        if self.done == self.steps:
            self.bar.close()
            self.decoding = time.perf_counter()
            if self.enabled:
                print(f"decoding {self.n_frames} frames (VAE) ...", file=sys.stderr, flush=True)
        return {}

    def close(self, finished: bool) -> None:
        """After the call (`finished`) or its failure: the bar closed, the decode's time if it finished."""
        self.bar.close()
        if finished and self.decoding is not None and self.enabled:
            took = time.perf_counter() - self.decoding
            print(f"decoding {self.n_frames} frames (VAE): done in {took:.1f} s", file=sys.stderr, flush=True)


class Backend:
    """A video diffusion pipeline family: its rules, loading and keyframe generation."""

    name = ""
    text_to_video: tuple[str, ...] = ()  # diffusers pipeline class names that make a clip from a prompt
    image_to_video: tuple[str, ...] = ()  # ... that make it from a prompt and a first frame
    # an image-to-video class built on the same parts as the text-to-video weights (from_pipe), if any
    sibling: str | None = None
    # other classes of the family whose weights start from a frame (Wan's VACE), named beside
    # `image_to_video` where these weights cannot (`frame_weights`)
    also_from_frame: tuple[str, ...] = ()
    # pipeline class -> the packages its diffusers code imports only when called (pip names = modules)
    requires: dict[str, tuple[str, ...]] = {}
    takes_prompt = True
    takes_negative_prompt = True  # False: it would be ignored (HunyuanVideo 1.0's embedded guidance)
    rate_conditioned = False  # the pipeline is told the frame rate (its frames are then at any rate)
    two_stage = False  # two transformers (Wan 2.2 A14B: high noise, then low noise)
    guidance_2: float | None = None  # the second transformer's guidance (None: the first's)
    default_guidance_2: float | None = None  # ... when neither guidance is given (Wan 2.2 A14B's own)
    default_audio_guidance: float | None = None  # the sound's guidance (None: the model makes no sound)
    audio_guidance: float | None = None  # ... this run's (`vidiff.generate.model_audio.audio_guidance`)
    fps = Fraction(16)
    frame_step = 4
    window = 81
    max_frames = 81
    multiple = 16
    native_size = (832, 480)  # (w, h) at landscape; other aspects keep its area
    steps = 50
    guidance = 5.0
    example = ""  # a hub id, for the README and error lines
    # the parts whose config.json `configure` reads (before loading: a folder's, or a hub id's, files)
    config_parts: tuple[str, ...] = ("scheduler",)

    def __init__(self, kind: str, weights: str, source: str | None = None) -> None:
        """`weights` as the user named them (a folder or hub id: what messages say); `source` where they
        are loaded from when that differs (a hub id's snapshot folder in the local cache)."""
        self.kind, self.weights, self.source = kind, weights, source or weights
        self.pipe: Any = None
        self._hold: Any = None  # the kept pipeline, held while this run uses it (`load`, `release`)
        self.configs: dict[str, dict[str, Any]] = {}  # what `configure` was given
        self._i2v: Any = None
        self.device = "cpu"
        self.cache: Any = None  # this run's step cache counts (`vidiff.generate.step_cache.CacheCount`)

    # -- rules ---------------------------------------------------------------------------------------
    def configure(self, configs: dict[str, dict[str, Any]]) -> None:
        """Rules the weights' own configs set (`configs`: "model_index" and each of `config_parts` that
        could be read); the class's figures stand by default."""
        self.configs = configs

    def default_shift(self, wh: tuple[int, int]) -> float | None:
        """The sampler shift a run at keyframes `wh` takes when none is given (None: the scheduler's own)."""
        return None

    def report_facts(self) -> dict[str, Any]:
        """What the run's report says of the weights besides their class (none by default)."""
        return {}

    @property
    def is_image_to_video(self) -> bool:
        return self.kind in self.image_to_video

    @property
    def frame_weights(self) -> str:
        """The classes whose weights start from a frame, for a refusal line: 'A, B'."""
        return ", ".join((*self.image_to_video, *self.also_from_frame))

    @property
    def can_condition_on_image(self) -> bool:
        """Whether a window can start from a given frame (a still, or the previous window's last frame)."""
        return self.is_image_to_video or self.sibling is not None

    def valid_frames(self, n: int) -> int:
        """The smallest frame count the model takes that is at least `n`."""
        return max(1, math.ceil((n - 1) / self.frame_step)) * self.frame_step + 1

    def check_frames(self, n: int) -> None:
        """A one-line ConfigError unless `n` keyframes per window is a count this model takes."""
        if not (1 < n <= self.max_frames and (n - 1) % self.frame_step == 0):
            raise ConfigError(
                f"frames {n}: {self.name} takes {self.frame_step}k+1 frames, from "
                f"{self.frame_step + 1} to {self.max_frames} "
                f"(e.g. {min(self.valid_frames(max(n, 2)), self.max_frames)})"
            )

    def window_frames(self, frames: int | None) -> int:
        """Keyframes per window: `frames` (checked) or the model's default."""
        if frames is None:
            return self.window
        self.check_frames(frames)
        return frames

    def rate(self, seconds: float, keyframe_fps: float | None, window: int) -> Fraction:
        """The keyframes' rate: `keyframe_fps` (at most the native rate) or the native rate."""
        if keyframe_fps is None:
            return self.fps
        if not 0 < keyframe_fps <= self.fps:
            raise ConfigError(
                f"keyframe_fps {keyframe_fps:g}: {self.name} makes {float(self.fps):g} frames per second; "
                "give a rate above 0 and at most that"
            )
        return keyframe_rate(keyframe_fps)

    def size(self, aspect: float, size: tuple[int, int] | None = None) -> tuple[int, int]:
        """(w, h) of the keyframes: `size` (checked) or the native area at `aspect` in the model's multiple."""
        m = self.multiple
        if size is not None:
            w, h = size
            if w % m or h % m or w < m or h < m:
                raise ConfigError(
                    f"keyframe_size {w}x{h}: {self.name} needs sides in multiples of {m} "
                    f"(e.g. {max(m, round(w / m) * m)}x{max(m, round(h / m) * m)})"
                )
            return w, h
        area = self.native_size[0] * self.native_size[1]
        return (
            max(m, round(math.sqrt(area * aspect) / m) * m),
            max(m, round(math.sqrt(area / aspect) / m) * m),
        )

    def check_requirements(self, with_image: bool = False) -> None:
        """A one-line UnsupportedError naming a package the pipeline needs that is not installed (checked
        before the model loads: diffusers would fail with a NameError in the middle of the call);
        `with_image`: a window starts from a frame, so the image-to-video sibling's needs count too."""
        import importlib

        kinds = (self.kind, self.sibling) if with_image and self.sibling else (self.kind,)
        for module in dict.fromkeys(m for k in kinds for m in self.requires.get(k, ())):
            try:
                importlib.import_module(module)
            except ImportError:
                needs = next(k for k in kinds if module in self.requires.get(k, ()))
                raise UnsupportedError(
                    f"the {needs} needs the {module} package to read the prompt: pip install {module}"
                ) from None

    # -- loading -------------------------------------------------------------------------------------
    def load(
        self,
        device: str,
        dtype: str | None,
        offline: bool,
        local: bool,
        offload: bool | str | None = False,
        single_files: list | None = None,
        loras: list | None = None,
        cache: Any = None,
        weight_dtype: str | None = None,
    ) -> None:
        """The pipeline of `weights` on `device` in `dtype` (fp32 on the CPU, bf16 on CUDA by default);
        `offload`: an offload level (True: model CPU offload) with VAE tiling/slicing, `weight_dtype` the
        denoiser's weights stored in fp8 (`vidiff.generate.offload`); `cache` (a
        `vidiff.generate.step_cache.CacheSpec`) a step cache on its transformers for this run; `single_files`
        (`vidiff.generate.single_file`, fetched and checked): transformers (or a VAE) read from those files;
        `loras` (`vidiff.generate.lora`, fetched): adapters on the transformer. The pipeline loaded last
        in this process is taken as it is when all of these are the same (`vidiff.generate.loaded`);
        `release()` when the run is done with it."""
        import torch

        from vidiff.generate.loaded import files_key, loaded
        from vidiff.generate.offload import parse_offload
        from vidiff.generate.step_cache import apply_cache

        self.device = device
        offload = parse_offload(offload)
        dt = getattr(torch, DTYPES[dtype or ("bf16" if device.startswith("cuda") else "fp32")])
        files, loras = single_files or [], loras or []
        key = (
            self.kind, self.source, files_key(self.source if Path(self.source).exists() else None), device,
            str(dt), offload, weight_dtype, tuple((f.part, files_key(f.path)) for f in files),
            tuple((x.stage, x.scale, files_key(x.path)) for x in loras),
        )  # fmt: skip
        hold = loaded(
            key, lambda: self._build(device, dt, offline, local, offload, files, loras, weight_dtype)
        )
        self.pipe, self._hold = hold.__enter__(), hold
        self.pipe.scheduler = self.pipe._vidiff_scheduler  # a kept one's: not the last run's shift
        try:
            self.cache = apply_cache(self.pipe, cache)  # this run's only (`release` takes it off)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """The run is done with the pipeline: the next run may take it (`load`)."""
        from vidiff.generate.step_cache import remove_cache

        hold, self._hold = self._hold, None
        if hold is not None:
            remove_cache(self.pipe)  # the next run starts as from a fresh load
            hold.__exit__(None, None, None)

    def _build(
        self,
        device: str,
        dt: Any,
        offline: bool,
        local: bool,
        offload: str | None,
        files: list,
        loras: list,
        weight_dtype: str | None = None,
    ) -> Any:
        """The pipeline read from the weights (and `files`), on `device`, with `loras` on it."""
        import diffusers
        import torch

        from vidiff.generate.lora import apply_loras
        from vidiff.generate.offload import place, store_weights
        from vidiff.generate.single_file import load_single_files

        quiet_libraries()  # first: importing the pipeline's module may log (an image processor's fallback)
        cls = getattr(diffusers, self.kind)
        try:
            # torch_dtype's rename (diffusers 0.36+), a T5 for a UMT5, ...: ignored while it loads (a scope
            # that overlapping loads on the web app's threads cannot leave on for good); one build at a time
            with BUILD_LOCK, no_warnings():
                parts = load_single_files(files, self.source, dt, local or offline)
                pipe = cls.from_pretrained(
                    self.source, torch_dtype=dt, local_files_only=local or offline, **parts
                )
        except (OSError, ValueError, KeyError, RuntimeError, TypeError, AttributeError) as e:
            raise InputError(
                f"weights {self.weights}: cannot load the {self.kind}: {first_line(e)}"
            ) from None
        _check_loaded(pipe, self.weights)
        # LoRAs before the parts move to the device or are offloaded; one for another model is one line
        apply_loras(pipe, loras, self.weights)
        pipe._vidiff_scheduler = pipe.scheduler  # its own, put back for each run (`load`; --shift)
        pipe.set_progress_bar_config(disable=True)  # vidiff shows its own bar (steps)
        store_weights(pipe, weight_dtype, dt)  # fp8 storage before the parts are placed
        try:
            place(pipe, device, offload)
        except torch.OutOfMemoryError:
            raise UnsupportedError(
                f"weights {self.weights}: the model does not fit in {device}'s memory; try offload or "
                "dtype bf16"
            ) from None
        return pipe

    def image_pipe(self) -> Any:
        """The pipeline that starts from a frame: the loaded one, or its image-to-video sibling."""
        if self.is_image_to_video:
            return self.pipe
        if self._i2v is None:
            import diffusers

            self._i2v = getattr(diffusers, self.sibling).from_pipe(self.pipe)
            self._i2v.set_progress_bar_config(disable=True)
        return self._i2v

    # -- generation ----------------------------------------------------------------------------------
    def call(self, pipe: Any, kw: dict[str, Any], step: Callable[..., dict]) -> Any:
        """The pipeline's call with `kw`, `step` after each sampler step (diffusers' callback_on_step_end)."""
        return pipe(**kw, callback_on_step_end=step)

    def extra_kwargs(self, rate: Fraction, n_frames: int, guidance: float) -> dict[str, Any]:
        """What this pipeline takes besides the common arguments (the guidance scale by default)."""
        return {"guidance_scale": guidance}

    @property
    def takes_video(self) -> bool:
        """Whether a window can start from several frames (a video condition: `with_video`)."""
        return False

    def with_video(self, pipe: Any, kw: dict[str, Any], video: list, last: Any = None) -> tuple[Any, dict]:
        """The pipeline and its arguments for a window whose first frames are `video` (PIL images), ending
        on the PIL image `last` where given."""
        raise NotImplementedError(f"{self.kind} takes no video condition")

    takes_reference = False  # True: a subject/style still kept across the clip (Wan VACE's reference_images)

    needs_end_frame = False  # True: the pipeline fails without one (Wan 2.1 FLF2V's two image embeddings)

    def end_frame_refusal(self) -> str | None:
        """None where a window can end on a given frame (`with_end_frame`); else why not, for one line
        said before the weights load (`vidiff.generate.end_frame`)."""
        return f"diffusers' {self.kind} takes no end frame"

    def with_end_frame(self, pipe: Any, kw: dict[str, Any], last: Any, n_frames: int) -> tuple[Any, dict]:
        """The pipeline and its arguments for a window from `kw["image"]` to the PIL image `last`."""
        return pipe, {**kw, "last_image": last}  # diffusers' name where a pipeline takes one (Wan's)

    def keyframes(
        self,
        prompt: str | None,
        image: np.ndarray | None,
        negative_prompt: str | None,
        n_frames: int,
        size: tuple[int, int],
        steps: int,
        guidance: float,
        seed: int,
        rate: Fraction,
        progress: bool = False,
        label: str = "",
        on_step: Callable[[int], None] | None = None,
        last: np.ndarray | None = None,
        video: list[np.ndarray] | None = None,
        reference: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """`n_frames` frames (RGB uint8, `size`) from `prompt` and/or `image` (the first frame's content),
        or starting on the frames `video` (reframed so: `with_video`; a clip's last frames,
        `vidiff.generate.continue_clip`, or the window before's, `vidiff.generate.keyframes`), ending on
        `last` where given (reframed as the first: `with_end_frame`, or with the video); `reference` a
        subject/style still the pipeline keeps beside the frames (`takes_reference`), as given.
        A bar counts the sampler's steps (`label` after its name, e.g. the window), then a line times the
        VAE's decode (minutes on a CPU); `on_step(done)` after each step is a cancel point (what it
        raises stops the sampler)."""
        import torch
        from PIL import Image

        from vidiff.generate.decode_oom import tiled_on_oom
        from vidiff.generate.social import reframe
        from vidiff.generate.step_cache import reset_cache

        w, h = size
        kw: dict[str, Any] = dict(height=h, width=w, num_frames=n_frames, num_inference_steps=steps)
        if self.takes_prompt:
            kw.update(prompt=prompt, negative_prompt=negative_prompt)
        kw.update(self.extra_kwargs(rate, n_frames, guidance))
        pil = lambda f: Image.fromarray(reframe(f, (w, h)))  # noqa: E731
        pipe = self.pipe
        if image is not None:
            pipe = self.image_pipe()
            kw["image"] = pil(image)
        if video is not None:  # a clip's or the window before's last frames (and a last still)
            pipe, kw = self.with_video(pipe, kw, [pil(f) for f in video], None if last is None else pil(last))
        elif last is not None:
            pipe, kw = self.with_end_frame(pipe, kw, pil(last), n_frames)
        if reference is not None:  # diffusers fits it, whole, on a white canvas of the frame size
            kw["reference_images"] = [Image.fromarray(reference)]
        shown = _StepProgress(f"{self.name} keyframes{label}", steps, n_frames, progress, on_step)
        shown.bar.waiting("encoding the prompt" if self.takes_prompt else "encoding the image")
        gen = torch.Generator(self.device).manual_seed(seed)
        reset_cache(self.pipe)  # each window from a fresh cache state
        out = None
        try:
            with tiled_on_oom(pipe, n_frames):  # a decode out of memory: again in tiles (ComfyUI's way)
                out = self.call(pipe, {**kw, "generator": gen, "output_type": "np"}, shown.step).frames[0]
        except torch.OutOfMemoryError:
            raise UnsupportedError(
                f"out of {self.device} memory making {n_frames} frames at {w}x{h}: try offload, "
                "dtype bf16, fewer frames or a smaller keyframe_size"
            ) from None
        except (RuntimeError, ValueError, TypeError, IndexError) as e:  # weights at odds with their config
            # an IndexError: a scheduler config whose timesteps repeat at this step count (discrete Karras
            # sigmas in an Euler scheduler ran off its own table at 25 steps)
            hint = (
                f" (its scheduler at {steps} steps: try another --steps)" if isinstance(e, IndexError) else ""
            )
            raise UnsupportedError(
                f"the {self.kind} of weights {self.weights} failed making {n_frames} frames at {w}x{h}: "
                f"{first_line(e)}{hint}"
            ) from None
        finally:
            shown.close(out is not None)
        out = np.asarray(out, dtype=np.float32)
        return [np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8) for f in out]
