"""`make_clip`: a short social clip from a still or a clip, as a library call.

`vidiff generate` and the `social_clip` recipe both call it. Every option is checked before any frame is
made (one `ConfigError` / `InputError` / `OutputError` line); the report says what was made. This module
imports nothing heavy at load time (the CLI reads its constants for `--help`).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from fractions import Fraction
from typing import Any

from vidiff.api_call import checked_call
from vidiff.io.video_ext import DEFAULT_CODEC

METHODS = ("dis", "diffusion")
# How far past a clip's end extension carries its motion, in frame intervals of the clip: up to here the
# new frames change from frame to frame within 0.8-1.2x as much as the real ones (mean over bikes and
# carphone, 7 starts, both schemes); from 23 on they change 1.25-2x as much and smear.
# `python benchmarks/generate_horizon.py`, benchmarks/results/generate_horizon. The one bound of
# `extend_frames` (API) and `--extend` (CLI, recipes, web app).
MAX_EXTEND_FRAMES = 22
HORIZON_RESULTS = "benchmarks/results/generate_horizon"
MAX_TRANSITION = 10.0
SCHEMES = ("autoregressive", "hierarchical")  # vidiff.generate.schemes.SCHEMES, literal: no cv2 here
FPS_CHOICES = (24, 25, 30, 50, 60)
# vidiff.generate.backends.BACKENDS, literal: no import
BACKEND_NAMES = ("wan", "ltx", "cogvideox", "svd", "hunyuanvideo", "ltx2", "skyreels")
BACKEND_CHOICES = ("auto", "vidiff", *BACKEND_NAMES)
DTYPE_CHOICES = ("bf16", "fp16", "fp32")
MAX_MODEL_STEPS = 200
MAX_GUIDANCE = 30.0
# make_clip's defaults for the options that apply to some sources only (None: not given; the CLI's help,
# the recipe and the web app read them here)
DEFAULT_SECONDS = 4.0
DEFAULT_FPS = 30
DEFAULT_ASPECT = "9:16"
DEFAULT_MOTION = "auto"
DEFAULT_STRENGTH = 0.25
DEFAULT_SCHEME = "autoregressive"
SOURCES = {
    "image": "a still",
    "clip": "a clip",
    "model": "a video diffusion model's clip",
    "continue": "a clip continued by a video diffusion model",  # vidiff.generate.continue_clip
}
# option -> (the sources it applies to, what it is): given for another source it would be ignored
ONLY_FOR = {
    "seconds": (
        ("image", "model"),
        "the length of a clip made from a still or a prompt (extend continues a clip)",
    ),
    "motion": (("image",), "the camera motion over a still (without a video diffusion model)"),
    "strength": (("image",), "the amount of camera motion over a still (without a video diffusion model)"),
    "extend": (("clip", "continue"), "the seconds a clip is continued past its end"),
    "scheme": (("clip",), "how a clip is continued past its end"),
    "interpolate": (
        ("clip", "model", "continue"),
        "how frames are filled in between a clip's or a model's frames (a still's camera motion is made "
        "at the output's rate)",
    ),
}


def parse_size(value: str | Sequence[int] | None) -> tuple[int, int] | None:
    """'832x480', (832, 480) or [832, 480] (a recipe's YAML list) -> (832, 480); a one-line ConfigError for
    anything else. The sides of a pair are checked as a string's are: (32.0, 32.0) was passed to the
    model as it was (a failed torch.randn after the weights had loaded), (True, 32) as 1x32."""
    from vidiff.errors import ConfigError
    from vidiff.validate import check_ascii_number, check_int, is_list

    if value is None:
        return None
    if is_list(value) and len(value) == 2:  # type: ignore[arg-type]
        try:
            return check_int(value[0], "", 1, 4096), check_int(value[1], "", 1, 4096)  # type: ignore[index]
        except ConfigError:
            raise ConfigError(f"keyframe_size {value!r}: each side must be a whole number 1-4096") from None
    if not isinstance(value, str):
        raise ConfigError(f"keyframe_size {value!r}: write it as WIDTHxHEIGHT, e.g. 832x480")
    check_ascii_number(value, "keyframe_size")  # '8_32x480', '８３２x480': the one number rule
    try:
        w, h = (int(x) for x in value.lower().split("x"))
    except ValueError:
        raise ConfigError(f"keyframe_size {value!r}: write it as WIDTHxHEIGHT, e.g. 832x480") from None
    if not (0 < w <= 4096 and 0 < h <= 4096):
        raise ConfigError(f"keyframe_size {value!r}: each side must be 1-4096")
    return w, h


def check_extend(n_new: object, fps: Fraction | None = None, seconds: float | None = None) -> int:
    """`n_new` frames past a clip's end, refused (`ConfigError`) unless a whole number 0 to
    `MAX_EXTEND_FRAMES`; with the clip's `fps` (and the `seconds` asked for) the line says it in seconds."""
    from vidiff.errors import ConfigError

    if isinstance(n_new, bool) or not isinstance(n_new, numbers.Integral) or n_new < 0:
        raise ConfigError(f"extension of {n_new!r} frames: give a whole number, 0 or more")
    n_new = int(n_new)
    if n_new > MAX_EXTEND_FRAMES:
        asked, here = f"extension of {n_new} frames", ""
        if fps is not None:
            want = n_new if seconds is None else seconds * float(fps)  # (1e308 s: infinite, not counted)
            count = n_new if abs(want - n_new) <= 1 else f"more than {MAX_EXTEND_FRAMES}"
            asked = f"extend {seconds:g} s is {count} frames at {float(fps):.4g} fps"
            here = f" ({MAX_EXTEND_FRAMES / float(fps):.2f} s here)"
        raise ConfigError(
            f"{asked}: extension carries a clip's motion {MAX_EXTEND_FRAMES} frames past its end{here}, "
            f"beyond which its frames flicker and smear (measured: {HORIZON_RESULTS})"
        )
    return n_new


# set by `check_model_clip`: `make_clip` stops where the model would load, every option checked
_CHECK_ONLY: ContextVar[bool] = ContextVar("check_only", default=False)


class _Checked(Exception):
    """Every check of a `make_clip` run under `check_model_clip` passed."""


def check_model_clip(output: str | os.PathLike[str], **options: Any) -> None:
    """Every check `make_clip(output, **options)` runs for a video diffusion model's clip (`weights`
    given), stopping where the model would load: nothing loaded, nothing written. `make_clips` runs it
    where each output is there already, so a bad option is still one line, not a quiet skip."""
    from vidiff.errors import ConfigError

    if not options.get("weights"):
        raise ConfigError("check_model_clip checks a video diffusion model's clip: give weights")
    token = _CHECK_ONLY.set(True)
    try:
        make_clip(output, **options)
    except _Checked:
        return
    finally:
        _CHECK_ONLY.reset(token)


def _load_image(path: str, what: str = "image"):
    """The still at `path`, RGB (`vidiff.generate.still`: each way it is not one still is one line)."""
    from vidiff.generate.still import load_still

    return load_still(path, what)


def _stderr(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


def _model_keyframes(
    image: str | None,
    seconds: float,
    size: tuple[int, int],
    backend: str,
    weights: str | None,
    prompt: str | None,
    negative_prompt: str | None,
    steps: int | None,
    guidance: float | None,
    seed: int,
    keyframe_fps: float | None,
    frames: int | None,
    keyframe_size: str | tuple[int, int] | None,
    device: str,
    dtype: str | None,
    offload: bool | str | None,
    offline: bool,
    progress: bool,
    on_step: Callable[[int, int], None] | None = None,
    note: Callable[[str], None] = _stderr,
    lora: str | list[str] | None = None,
    transformer: str | list[str] | None = None,
    shift: float | None = None,
    guidance_2: float | None = None,
    vae: str | None = None,
    last_image: str | None = None,
    loop: bool = False,
    audio_guidance: float | None = None,
    tail: Any = None,
    cache: str | None = None,
    weight_dtype: str | None = None,
    no_audio: bool = False,
    reference_image: str | None = None,
) -> tuple[list, Fraction, list[int], dict[str, Any]]:
    """A video diffusion model's keyframes for `seconds` (several windows, each from the last frame of
    the one before, when one is too short; the last ending on `last_image`, `vidiff.generate.end_frame`):
    (frames, their rate, the joins' indices, report facts). `tail` (`continue_clip.ClipTail`): a clip's
    last frames start the first window, its aspect sets the keyframes' and `seconds` is planned from it.
    Every option and the weights' kind are checked before the model is loaded; `note` says a fallback
    (a hub that cannot be reached: the cached copy). `offload` (a level), `weight_dtype` and `cache`:
    `vidiff.generate.offload`, `vidiff.generate.step_cache`; `no_audio` for a model that makes no sound:
    refused (`vidiff.generate.model_audio.check_no_audio`); `reference_image` a subject/style still every
    window keeps, for pipelines that take one (`Backend.takes_reference`: Wan VACE)."""
    from vidiff.errors import ConfigError
    from vidiff.generate import keyframes as kf
    from vidiff.generate.backends import hub_access, hub_quiet, is_local, offline_mode, resolve
    from vidiff.generate.end_frame import check_backend, check_request, check_windows
    from vidiff.generate.lora import check_lora_support, fetch_loras, is_hub_file, parse_loras
    from vidiff.generate.model_audio import audio_guidance as audio_guidance_for
    from vidiff.generate.model_audio import check_no_audio
    from vidiff.generate.offload import check_weight_dtype, parse_offload
    from vidiff.generate.shift import apply_shift, check_shift, shift_key
    from vidiff.generate.single_file import check_single_file_support, fetch_single_files, parse_single_files
    from vidiff.generate.step_cache import check_cache_support, parse_cache
    from vidiff.generate.vae_file import parse_vae
    from vidiff.progress import stage

    if not weights:
        what = f"backend {backend}" if backend in BACKEND_NAMES else "a prompt"
        raise ConfigError(f"{what} needs weights: a diffusers video pipeline (a folder or a hub id)")
    if dtype not in (None, *DTYPE_CHOICES):
        raise ConfigError(f"unknown dtype {dtype!r}; choose one of: {', '.join(DTYPE_CHOICES)}")
    if guidance is not None and not 0 <= guidance <= MAX_GUIDANCE:
        raise ConfigError(f"guidance must be between 0 and {MAX_GUIDANCE:g}, not {guidance:g}")
    if guidance_2 is not None and not 0 <= guidance_2 <= MAX_GUIDANCE:
        raise ConfigError(f"guidance_2 must be between 0 and {MAX_GUIDANCE:g}, not {guidance_2:g}")
    if audio_guidance is not None and not 0 < audio_guidance <= MAX_GUIDANCE:  # diffusers takes 0 as unset
        raise ConfigError(
            f"audio_guidance must be above 0 and at most {MAX_GUIDANCE:g}, not {audio_guidance:g}"
        )
    offload = parse_offload(offload)
    if offload and not device.startswith("cuda"):
        raise ConfigError(
            f"offload {offload} moves the model's parts between the GPU and the CPU: use it with device cuda"
        )
    weight_dtype = check_weight_dtype(weight_dtype)
    spec = parse_cache(cache)
    ksize = parse_size(keyframe_size)
    loras = parse_loras(lora)
    files = parse_single_files(transformer)
    vae_files = parse_vae(vae)
    check_shift(shift)
    if last_image:
        check_request(image, loop)
    still = _load_image(image) if image else None  # a clip's: its last frame, once it is read (below)
    last = _load_image(last_image, "last_image") if last_image else None
    reference = _load_image(reference_image, "reference_image") if reference_image else None
    hub = not is_local(weights) and not offline_mode(offline)
    with stage(f"looking up {weights} on the hub", progress and hub):
        # a hub id: the cache alone when offline or when the hub does not answer (one quick check)
        offline = hub_access(weights, offline, note=note)
        b = resolve("auto" if backend == "vidiff" else backend, weights, offline)
    if b.takes_prompt and not prompt:
        raise ConfigError(f"{b.kind} ({b.name}) makes a clip from a text prompt: give a prompt")
    if not b.takes_prompt and (prompt or negative_prompt):
        raise ConfigError(f"{b.kind} ({b.name}) takes no prompt: it animates the still given as image")
    if negative_prompt and b.takes_prompt and not b.takes_negative_prompt:
        raise ConfigError(
            f"{b.kind} ({b.name}) runs its guidance embedded in the model, with no negative pass: leave "
            "negative_prompt out"
        )
    if tail is not None:
        tail.check_backend(b)
    elif b.is_image_to_video and still is None:
        raise ConfigError(f"{b.kind} ({b.name}) animates a still: give an image")
    if still is not None and not b.can_condition_on_image:
        raise ConfigError(
            f"these {b.kind} weights make a clip from a prompt only; for an image use weights that start "
            f"from a frame ({b.frame_weights})"
        )
    if last is not None:
        check_backend(b)
    if reference is not None and not b.takes_reference:
        raise ConfigError(
            f"reference_image: these {b.kind} weights take no reference image (Wan VACE's reference_images: "
            "WanVACEPipeline weights do); give the still as image to start the clip on it"
        )
    end = last is not None  # the last window ends on that still
    # a still, a clip's last frame or a window started from the one before it: an image conditions
    with_image = (
        still is not None or tail is not None or kf.plan(b, seconds, keyframe_fps, frames, end).windows > 1
    )
    b.check_requirements(with_image=with_image)
    check_lora_support(b.kind, b.two_stage, loras)
    check_single_file_support(b.kind, b.two_stage, files)
    if spec is not None:  # diffusers' registries: the transformer's class and the pipelines that call it
        own = b.is_image_to_video or b.takes_video  # it starts a window on frames itself (no sibling)
        pipes = (b.kind, b.sibling) if with_image and b.sibling and not own else (b.kind,)
        part = b.configs.get("model_index", {}).get("transformer")
        check_cache_support(b.kind, part[1] if isinstance(part, list) and len(part) == 2 else None, pipes)
    if guidance_2 is not None and not b.two_stage:
        raise ConfigError(
            f"guidance_2 is the low-noise transformer's guidance of a two-transformer Wan 2.2 (A14B); this "
            f"{b.kind} has one transformer: use guidance"
        )
    b.audio_guidance = audio_guidance_for(b, guidance, audio_guidance)  # LTX-2's sound
    check_no_audio(b, no_audio, tail is not None)
    if shift is not None:  # its scheduler's config, read beside the index: a flow-matching one?
        shift_key(b.kind, b.configs.get("scheduler"))
    if tail is not None:  # the lead frames and the extension, in keyframes, by the model's rules
        seconds = tail.fit(b, keyframe_fps, frames)
    lead = 1 if tail is None else tail.lead
    first = kf.plan(b, seconds, keyframe_fps, frames, end, lead)  # the model's rules, before it loads
    check_windows(b, first, end)
    if tail is not None:
        tail.check_plan(first)
        tail.read()  # decoded once every option is checked (a long clip takes a while)
        still, seconds = tail.last, tail.fit(b, keyframe_fps, frames)  # a damaged clip's lead: what decoded
        lead = tail.lead
    aspect = tail.aspect if tail is not None else size[0] / size[1]
    with stage("reading the transformer's and VAE's files", progress and bool(files + vae_files)):
        files = fetch_single_files(
            files + vae_files, b.kind, b.source, offline, is_local(weights) or offline, note
        )
    with stage("getting the LoRAs' hub files", progress and any(map(is_hub_file, loras))):
        loras = fetch_loras(loras, offline, note)
    b.size(aspect, ksize)
    steps = steps or b.steps
    if guidance is None and guidance_2 is None:  # the model's own pair (Wan 2.2 A14B: 4.0 and 3.0)
        guidance_2 = b.default_guidance_2
    guidance = b.guidance if guidance is None else guidance
    b.guidance_2 = guidance_2  # None: the pipeline uses guidance for both stages (a guidance given alone)
    if _CHECK_ONLY.get():  # `check_model_clip`: every option checked, the model not loaded
        raise _Checked
    try:
        with stage(f"loading the {b.kind} ({weights}) on {device}", progress), hub_quiet():  # minutes
            b.load(device, dtype, offline, is_local(weights), offload, files, loras, spec, weight_dtype)
        # again with what the loaded model says (SVD's window)
        p = kf.plan(b, seconds, keyframe_fps, frames, end, lead)
        wh = b.size(aspect, ksize)
        if shift is None:  # the size's own where the weights' scheduler says another (Wan 2.1 at 720P)
            shift = b.default_shift(wh)
        apply_shift(b.pipe, b.kind, shift)
        if on_step is not None:  # loaded: a progress and cancel point before the first step (minutes)
            on_step(0, p.windows * steps)
        seq, joins = kf.generate(
            b, p, prompt, still, negative_prompt, wh, steps, guidance, seed, progress, on_step, last,
            None if tail is None else tail.video(), reference,
        )  # fmt: skip
    finally:  # the pipeline stays loaded for the next run (vidiff.generate.loaded), free to take
        b.release()
    sound = getattr(b, "audio", None)  # the model's own sound, a window at a time (LTX-2)
    facts = {
        "source": "image" if still is not None else "prompt",
        "backend": b.name,
        "pipeline": b.kind,
        **b.report_facts(),
        "weights": weights,
        "keyframes": len(seq),
        "keyframe_fps": round(float(p.rate), 4),
        "keyframe_size": list(wh),
        "windows": p.windows,
        "window_frames": p.window,
        "_carry": p.carry,  # make_clip's, for the report's window_joins
        "steps": steps,
        "guidance": guidance,
        "seed": seed,
    }
    if last_image:
        facts["last_image"] = last_image
    if reference_image:
        facts["reference_image"] = reference_image
    if offload:
        facts["offload"] = offload
    if weight_dtype:
        facts["weight_dtype"] = weight_dtype
    if spec is not None:
        facts["cache"] = b.cache.facts(spec)
    replaced = [{"file": f.source, "replaces": f.part} for f in files if f.part != "vae"]
    if replaced:
        facts["transformer_files"] = replaced
    if vae_files:
        facts["vae_file"] = vae_files[0].source
    if b.audio_guidance is not None:
        facts["audio_guidance"] = b.audio_guidance
    if b.two_stage:
        facts["guidance_2"] = guidance if guidance_2 is None else guidance_2
    if shift is not None:
        facts["shift"] = shift
    if loras:
        facts["loras"] = [{"lora": x.source, "scale": x.scale, "stage": x.stage or "all"} for x in loras]
    if sound:
        from vidiff.generate.model_audio import join_windows

        facts["_sound"] = join_windows(sound, p.gen_rate, p.window, p.need, p.carry)  # make_clip's too
    return seq, p.rate, joins, facts


@checked_call
def make_clip(
    output: str | os.PathLike[str],
    *,
    image: str | None = None,
    clip: str | None = None,
    seconds: float | None = None,
    extend: float | None = None,
    fps: int | None = None,
    aspect: str | None = None,
    motion: str | None = None,
    strength: float | None = None,
    loop: bool = False,
    transition: float | None = None,
    scheme: str | None = None,
    backend: str = "auto",
    weights: str | None = None,
    method: str = "dis",
    steps: int | None = None,
    device: str | None = "cpu",
    seed: int = 0,
    prompt: str | None = None,
    negative_prompt: str | None = None,
    guidance: float | None = None,
    keyframe_fps: float | None = None,
    frames: int | None = None,
    keyframe_size: str | tuple[int, int] | None = None,
    dtype: str | None = None,
    offload: bool | str = False,
    offline: bool = False,
    lora: str | list[str] | None = None,
    transformer: str | list[str] | None = None,
    shift: float | None = None,
    guidance_2: float | None = None,
    vae: str | None = None,
    last_image: str | None = None,
    reference_image: str | None = None,
    audio_guidance: float | None = None,
    cache: str | None = None,
    weight_dtype: str | None = None,
    interpolate: str | None = None,
    interpolate_options: dict[str, Any] | None = None,
    audio: str | None = None,
    no_audio: bool = False,
    codec: str = DEFAULT_CODEC,
    crf: int = 18,
    preset: str | None = None,
    pix_fmt: str = "yuv420p",
    strip: str | None = None,
    progress: bool = True,
    on_frame: Callable[[int, int], None] | None = None,
    on_step: Callable[[int, int], None] | None = None,
    strict: bool = False,
) -> dict[str, Any]:
    """Make a clip at a platform size (`aspect`) and rate (`fps`) into `output`; returns the report.
    None: `DEFAULT_ASPECT` / `DEFAULT_FPS`, except for a clip continued by a model, which keeps its own
    (`vidiff.validate.OWN`, "source", says so for that source alone).

    With `weights` (a diffusers video pipeline folder or hub id; `backend` auto reads its class) or a
    `prompt`: a video diffusion model's keyframes from `prompt` and/or the still `image` (see
    `_model_keyframes`), with `lora` (a `[high=|low=]PATH_OR_HUB_FILE[:SCALE]` string or a list of them:
    `vidiff.generate.lora`) on its transformer, `shift` its flow-matching sampler's shift
    (`vidiff.generate.shift`), `guidance_2` a two-transformer Wan 2.2's low-noise guidance, and
    `transformer` (`[high=|low=]PATH_OR_HUB_FILE`, or a list: `vidiff.generate.single_file`) a single-file
    transformer in place of the weights' own, `vae` (PATH_OR_HUB_FILE: `vidiff.generate.vae_file`) a
    single-file VAE in place of theirs, `last_image` a still the clip ends on (its first is `image`:
    first and last frame to video, `vidiff.generate.end_frame`), `reference_image` a subject/style still
    every window keeps (Wan VACE's `reference_images`), `audio_guidance` the guidance of the
    sound LTX-2 makes (default: `guidance` where given, else the model's 7.0), `offload` True or a level
    (model, group, sequential) and `weight_dtype` (fp8_e4m3fn, fp8_e5m2: `vidiff.generate.offload`) how the
    model fits a smaller GPU, `cache` a step cache on its transformer (first-block[:THRESHOLD]:
    `vidiff.generate.step_cache`). Else from `image`: camera `motion` over
    the still. From `clip`: the clip continued `extend` seconds past its end by `scheme` (refined by the shipped models
    with `method="diffusion"`, `steps`, `device`, `seed`), with `loop` a transition back to its start; with
    `weights` too, the model continues it `extend` seconds from its last frames (`vidiff.generate.continue_clip`).
    `seconds`, `motion`, `strength`, `extend`, `scheme` and `interpolate` apply to some sources only
    (`ONLY_FOR`): None takes the default (`DEFAULT_*`), a value given for another source is refused, not
    ignored. A model's or a clip's frames are brought to `fps` by the `interpolate` method (default:
    vidiff's default method, `auto`, for a model's keyframes; dis for a clip; with
    `interpolate_options`); a still's camera frames are made at `fps`. They are encoded with
    `codec`/`crf`/`preset`/`pix_fmt`, with `audio` (a music file) trimmed and faded under them (else a
    clip's own sound under its part, `vidiff.generate.clip_sound`, or the sound a model makes with its
    frames, LTX-2's, unless `no_audio`: `vidiff.generate.model_audio`), and
    `strip` also writes a PNG strip of the frames. `on_frame(done, total)` is called after each frame is
    written (a progress and cancel point: an exception it raises stops the job and leaves no output);
    `on_step(done, total)` after each of a video diffusion model's sampler steps, over all its windows,
    and once with done 0 when the model has loaded (the same, while its keyframes are made: minutes
    before the first frame; loading cannot be interrupted, so that is the first point it can stop). `strict`: refuse a
    damaged `clip` instead of using what decodes with one warning line (as --strict).
    """
    args = dict(locals())  # the call's arguments (no other name is bound yet)
    from vidiff.io.probe import strict_input, strict_scope
    from vidiff.validate import MAKE_CLIP_ARGS, as_text, check_args, check_seed, check_steps

    check_args(MAKE_CLIP_ARGS, args)  # each argument's type, before any work
    weights, vae, lora, transformer = (as_text(v) for v in (weights, vae, lora, transformer))  # a Path too
    # a whole number given as 9.0 (a web form's number, a YAML float) is used as 9: torch and diffusers
    # take ints only (a float seed was a RuntimeError traceback, float steps or frames a failed model call)
    steps, seed, frames, crf = (None if v is None else int(v) for v in (steps, seed, frames, crf))
    if strict and not strict_input():  # the same call, within the strict policy
        with strict_scope(True):
            return make_clip(**{**args, "strict": False})
    import cv2
    import numpy as np

    from vidiff.errors import ConfigError
    from vidiff.flow import get_interpolator
    from vidiff.generate.keyframes import window_joins
    from vidiff.generate.motion import iter_camera_frames
    from vidiff.generate.schemes import seamless_loop
    from vidiff.generate.social import gif_size, image_strip, preset_size, reframe, retime
    from vidiff.generate.still import check_not_still, check_still_path
    from vidiff.generate.summary import Consistency
    from vidiff.io.audio import AudioTrack
    from vidiff.io.colortags import output_color
    from vidiff.io.encode import EncodeOptions
    from vidiff.io.gif_out import check_gif_rate, is_gif
    from vidiff.io.probe import probe
    from vidiff.io.sequence_out import frames_encoding, frames_writer
    from vidiff.io.writer import VideoWriter, check_output_path, check_png_output, write_atomically
    from vidiff.progress import progress_bar
    from vidiff.timeline import check_flow_size

    output = os.fspath(output)
    model = bool(weights or prompt) or backend in BACKEND_NAMES
    if backend not in ("auto", "vidiff", *BACKEND_NAMES):
        raise ConfigError(
            f"unknown backend {backend!r}; choose auto, vidiff or one of: {', '.join(BACKEND_NAMES)}"
        )
    if (image is not None or not model) and (image is None) == (clip is None):
        raise ConfigError("give exactly one of an image (a still) or a clip")
    source = "continue" if model and clip else "model" if model else "image" if image is not None else "clip"
    aspect, fps = _own(aspect, "aspect", "size", source), _own(fps, "fps", "rate", source)
    _refuse_unused(source, seconds=seconds, motion=motion, strength=strength, extend=extend, scheme=scheme)
    _refuse_unused(
        source, interpolate=interpolate if interpolate is not None else interpolate_options or None
    )
    seconds = DEFAULT_SECONDS if seconds is None else seconds
    motion = DEFAULT_MOTION if motion is None else motion
    strength = DEFAULT_STRENGTH if strength is None else strength
    scheme = DEFAULT_SCHEME if scheme is None else scheme
    own = None  # a clip continued by a model keeps its own frame size and rate where none is given
    clip_info = None  # its probe, taken once (`open_tail` below takes it)
    if source == "continue" and (aspect is None or fps is None):
        from vidiff.generate.continue_clip import own_format

        clip_info = probe(clip)
        own = own_format(clip_info)
    size = own[0] if aspect is None and own else preset_size(DEFAULT_ASPECT if aspect is None else aspect)
    size = gif_size(size) if is_gif(output) else size
    fps_given, fps = fps, own[1] if fps is None and own else DEFAULT_FPS if fps is None else fps
    for still in (image, last_image, reference_image):  # a folder is no still: said before the output is
        if still:  # checked against it
            check_still_path(still)
    inputs = [x for x in (image, last_image, reference_image, clip, audio) if x]
    check_output_path(output, inputs, gif=True)
    if strip:
        check_png_output(strip, "strip", [*inputs, output])
    if extend is not None and not (math.isfinite(extend) and extend >= 0):  # frames: once the rate is known
        raise ConfigError(f"extend must be 0 or more seconds, not {extend:g}")
    if transition is not None and not 0 < transition <= MAX_TRANSITION:
        raise ConfigError(
            f"transition must be above 0 and at most {MAX_TRANSITION} seconds, not {transition:g}"
        )
    if transition is not None and not (loop and clip is not None):  # else it would be ignored
        raise ConfigError("transition applies to a clip with loop (the seconds back to the clip's start)")
    if not 0 <= strength <= 1:
        raise ConfigError(f"strength must be between 0 and 1, not {strength:g}")
    check_seed(seed)
    if fps_given is not None and fps not in FPS_CHOICES:
        raise ConfigError(f"fps {fps} for a social clip: use one of {', '.join(map(str, FPS_CHOICES))}")
    given = EncodeOptions(codec, crf, preset, pix_fmt)
    opts = given.for_output(output)
    if is_gif(output):  # a GIF takes no encoding options and holds no music
        frames_encoding(output, given)
        check_gif_rate(output, fps)
        if audio:
            raise ConfigError(f"{output}: a GIF holds no audio; leave --audio out, or write .mp4")
    else:
        opts.check_output(output, *size, resumable=False, note=False)  # its size note once all is checked
    uses_model = model or method == "diffusion"
    if backend == "vidiff" and weights:
        raise ConfigError(
            "weights are for a video diffusion backend (the vidiff models are the shipped ones)"
        )
    for name, value in (("steps", steps), ("device", None if device == "cpu" else device)):
        if value is not None and not uses_model:
            raise ConfigError(f"{name} applies to method diffusion or a video diffusion model (weights)")
    model_only = {
        "guidance": guidance, "keyframe_fps": keyframe_fps, "frames": frames, "keyframe_size": keyframe_size,
        "dtype": dtype, "negative_prompt": negative_prompt, "offload": offload or None, "offline": offline or None,
        "on_step": on_step, "lora": lora or None, "transformer": transformer or None, "shift": shift,
        "guidance_2": guidance_2, "vae": vae, "last_image": last_image, "audio_guidance": audio_guidance,
        "cache": cache, "weight_dtype": weight_dtype, "reference_image": reference_image,
    }  # fmt: skip
    for name, value in model_only.items():
        if value is not None and not model:
            raise ConfigError(f"{name} applies to a video diffusion model (weights)")
    if no_audio and not (model or clip):
        raise ConfigError(
            "no_audio applies to a video diffusion model (weights) or a clip: a still has no sound"
        )
    if no_audio and audio:
        raise ConfigError(
            "no_audio drops the clip's or the model's sound and audio puts music in its place: give one"
        )
    device = device or "cpu"
    if model:
        from vidiff.diffusion.model import check_device

        check_device(device)
        if steps is not None and not 1 <= steps <= MAX_MODEL_STEPS:
            raise ConfigError(f"steps must be between 1 and {MAX_MODEL_STEPS} for a video diffusion model")
    else:
        steps = check_steps(1 if steps is None else steps)  # vidiff's sampler (method diffusion)
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    if model and method != "dis":
        raise ConfigError("method applies to a clip (a model's keyframes are filled in by interpolate)")
    if not 0.2 <= seconds <= 60 and clip is None:
        raise ConfigError("seconds must be between 0.2 and 60")
    if interpolate is None:
        interpolate = "auto" if model else "dis"
    notes: list[str] = []  # the run's note: lines (a fallback), on stderr as they come and in the report

    def note(line: str) -> None:
        notes.append(line)
        _stderr(line)

    # an unknown method or option: one line; a still's camera frames need none
    interp = None
    if source != "image":
        interp = get_interpolator(interpolate, note=note, **(interpolate_options or {}))
    report: dict[str, Any] = {
        "output": output,
        "size": list(size),
        "fps": fps if isinstance(fps, int) else round(float(fps), 4),
    }
    report["interpolate"] = None if interp is None else interp.name
    out_fps = Fraction(fps)
    joins: list[int] = []
    if audio:  # a bad music file fails before any frame is made (a model's minutes, a still's, a clip's)
        AudioTrack.from_file(audio, duration=0.1)
    tail = None
    if source == "continue":  # a clip continued by the model: probed here, read once its options are checked
        from vidiff.generate.continue_clip import check_request, open_tail

        check_request(loop, last_image, extend)
        tail = open_tail(clip, extend, clip_info)
        info = tail.info
    if model:
        seq, seq_fps, joins, facts = _model_keyframes(
            image, seconds, size, backend, weights, prompt, negative_prompt, steps, guidance, seed,
            keyframe_fps, frames, keyframe_size, device, dtype, offload, offline, progress, on_step, note, lora,
            transformer, shift, guidance_2, vae, last_image, loop, audio_guidance, tail, cache, weight_dtype,
            no_audio, reference_image,
        )  # fmt: skip
        keys = list(seq)
        sound, carry = facts.pop("_sound", None), facts.pop("_carry")
        if tail is not None:  # the clip, then the model's frames at its rate and size
            seq, keys, joins, more = tail.continued(keys, joins, interp)
            if sound is not None and not (no_audio or audio):
                note("note: the sound the model made is left out: the clip's audio stays under its part")
            seq_fps, sound, n_clip = tail.fps, None, tail.n_clip
            facts.update(more)
        if loop:  # the transition follows the seconds of keyframes: a looped clip runs longer
            seq += seamless_loop(seq)
        report.update(facts)
    elif image:
        if method != "dis":
            raise ConfigError(
                "method applies to a clip (a still is animated by exact camera motion or a video "
                "diffusion model)"
            )
        n = round(seconds * fps)
        # made one at a time as the encoder takes them (a list held minutes of 1080x1920 frames: 22 GB)
        frames = iter_camera_frames(_load_image(image), n, size, motion, strength, pingpong=loop)
        report.update(source="image", motion=motion, frames_generated=n)
        seq = None  # camera frames are at the output's size and rate already
    else:
        info = probe(clip)
        check_not_still(info, clip)
        info.require_frames(3, "extension")
        if info.duration > 60:
            raise ConfigError(
                f"{clip}: {info.duration:.0f} s is too long for generate (60 s at most); trim it first"
            )
        check_flow_size(info.width, info.height, "dis")
        ext_s = (
            extend if extend is not None else 0.0 if loop else min(1.0, MAX_EXTEND_FRAMES / float(info.fps))
        )
        n_float = ext_s * float(info.fps)  # 1e308 s is an infinity of frames: round() raised OverflowError
        n_new = check_extend(
            round(n_float) if math.isfinite(n_float) else MAX_EXTEND_FRAMES + 1, info.fps, ext_s
        )
        refiner, bar = None, None
        if method == "diffusion":
            from vidiff.generate.refine import DiffusionRefiner
            from vidiff.progress import progress_bar

            # the model's frames counted as they are made (a loop's transition length is found later)
            bar = progress_bar(None if loop else n_new, "refine (diffusion)", progress)
            refiner = DiffusionRefiner(steps=steps, seed=seed, device=device, on_frames=bar.update)
        seq = _ExtendedClip(
            clip,
            n_new,
            scheme,
            refiner,
            loop,
            progress and refiner is None,
            info.rotation,
            info.flip,
            info.sar,
        )
        n_loop = seq.add_loop(info.fps, transition) if loop else 0
        if bar is not None:
            bar.close()
        report.update(
            source="clip",
            frames_observed=seq.n_clip,
            frames_extended=n_new,
            frames_loop=n_loop,
            scheme=scheme,
            method=method,
        )
        seq_fps, n_clip = info.fps, seq.n_clip
    if seq is not None:  # streamed: the clip is read again as it is written, the new frames follow
        total = math.ceil(len(seq) * out_fps / seq_fps)
        frames = (reframe(f, size) for f in retime(seq, seq_fps, out_fps, interp))
    else:
        total = n
    track = AudioTrack.from_file(audio, duration=total / fps) if audio else None
    if clip and not (audio or no_audio or is_gif(output)):  # the clip's sound under its part
        from vidiff.generate.clip_sound import clip_sound

        track = clip_sound(clip, info, n_clip, total / fps)
        report["audio"] = "the clip's" if track is not None else None
    elif clip and no_audio:
        report["audio"] = "dropped (no_audio)"
    if model and sound is not None:  # the model's sound (LTX-2), unless dropped or replaced
        track = _model_track(sound, total / fps, output, audio, no_audio, note, report) or track
    # H.264 High where it holds the pixel format (4:2:0 8-bit, lossy: crf 0 is lossless, High 4:4:4 only);
    # other formats take the encoder's own
    profile = "high" if opts.encoder == "libx264" and pix_fmt == "yuv420p" and crf != 0 else None
    picks = set(np.linspace(0, total - 1, min(6, total)).round().astype(int)) if strip else set()
    shown, ends = [], []  # the strip's frames; the first and the last
    bar, k = progress_bar(total, "write", progress), 0
    summary = Consistency()  # the clip's temporal-consistency summary, frame by frame
    if is_gif(output):
        writer: Any = frames_writer(output, size[0], size[1], out_fps, inputs=inputs)
    else:  # new frames: a clip's colours (an HDR clip stays HDR), else BT.709; tagged (`vidiff.io.colortags`)
        padded = opts.size_note(output, *size)  # said now: every refusal came before, in one line
        if padded is not None:
            note(padded)
        color = output_color(info.pix_fmt, info.color, remade=True) if clip else output_color()
        kwargs = {**opts.writer_kwargs(), "profile": profile, "audio": track, "inputs": inputs}
        writer = VideoWriter(output, size[0], size[1], out_fps, **kwargs, color=color)
    with writer as w:
        for k, frame in enumerate(frames, 1):
            w.write(frame)
            shown += [frame] if k - 1 in picks else []
            ends[min(k, 2) - 1 :] = [frame]
            bar.update(1)
            if on_frame is not None:
                on_frame(k, total)
            summary.push(frame)
    bar.close()
    if loop:
        report["loop_jump"] = float(abs(ends[-1].astype(float) - ends[0]).mean())
    report["frames"] = k
    report["seconds"] = round(float(k / fps), 3)
    report["consistency"] = summary.result()
    report["notes"] = notes
    if model:
        joined = window_joins(keys, joins, carry)  # each join's flicker, measured once for both entries
        report["join_flicker_ratios"] = [j["flicker"] for j in joined]
        report["window_joins"] = joined
    if strip:
        image = cv2.cvtColor(image_strip(shown), cv2.COLOR_RGB2BGR)
        write_atomically(strip, lambda tmp: cv2.imwrite(tmp, image))  # appears only whole
        report["strip"] = strip
    return report


def _model_track(
    sound: tuple, seconds: float, output: str, music: str | None, no_audio: bool, note: Callable, report: dict
) -> Any:
    """The model's sound as the output's track, fitted to its `seconds` (`vidiff.generate.model_audio`);
    None where `no_audio` drops it, `music` replaces it or the output (a GIF) holds no audio. The report
    says which."""
    from vidiff.generate.model_audio import track
    from vidiff.io.gif_out import is_gif

    samples, rate = sound
    report["audio"] = "dropped (no_audio)" if no_audio else music or "the model's"
    if no_audio or music:
        if music:
            note(f"note: {music} replaces the sound the model made")
        return None
    if is_gif(output):
        note("note: a GIF holds no audio: the sound the model made is left out")
        report["audio"] = None
        return None
    report["audio_seconds"] = round(samples.shape[1] / rate, 3)
    return track(samples, rate, seconds)


def _own(value: Any, name: str, what: str, source: str) -> Any:
    """`value`, or None (the clip's own: `own_format`) for `OWN`, which a clip continued by a model takes
    alone: another source has no own frame size and rate to keep (one line, not the default instead)."""
    from vidiff.errors import ConfigError
    from vidiff.validate import OWN

    if not (isinstance(value, str) and value == OWN):
        return value
    if source != "continue":
        raise ConfigError(
            f"{name} {OWN} keeps the clip's own frame {what}: it applies to a clip continued by a model "
            f"(a clip and weights), not to {'a clip extended without one' if source == 'clip' else SOURCES[source]}"
        )
    return None


def _refuse_unused(source: str, **given: object) -> None:
    """A `ConfigError` for an option given (not None) that does not apply to `source` (`ONLY_FOR`): it
    would be ignored."""
    from vidiff.errors import ConfigError

    for name, value in given.items():
        sources, what = ONLY_FOR[name]
        if value is not None and source not in sources:
            raise ConfigError(f"{name} does not apply to {SOURCES[source]}: it is {what}")


class _ExtendedClip:
    """A clip, its extension and its loop transition at the clip's rate, with bounded memory (`len` is the
    frame count, known before the first frame): a first pass reads the clip for its last frames (and, for a
    seamless loop, its first frame and frame-to-frame change), the new frames are made at the clip's size
    (at most `MAX_EXTEND_FRAMES`, and a transition), and each iteration reads the clip again ahead of them,
    so a frame reaches the encoder as soon as it is read or made (issue 33: 24 s held 7.25 GB). The clip's
    frames are turned upright by its display `rotation` (a phone's portrait clip): reframed as stored, it
    was cropped sideways (`vidiff.io.orient`)."""

    def __init__(
        self,
        clip: str,
        n_new: int,
        scheme: str,
        refiner: Any,
        loop: bool,
        progress: bool,
        rotation: int = 0,
        flip: bool = False,
        sar: Any = None,
    ) -> None:
        from collections import deque

        from vidiff.generate.schemes import iter_extend, mean_step
        from vidiff.progress import progress_bar

        self.clip, self.refiner, self.tail, self.rotation = clip, refiner, [], rotation
        self.flip, self.sar = flip, sar  # a display matrix's mirror, non-square pixels (`vidiff.io.orient`)
        last: deque = deque(maxlen=3)  # the schemes' context
        self.first, self.steps, self.n_clip = None, [], 0
        for image in self._clip_frames():
            if loop and last:
                self.steps += mean_step([last[-1], image])
            self.first = image if self.first is None else self.first
            last.append(image)
            self.n_clip += 1
        self.new = []
        with progress_bar(n_new, "extend", progress and n_new > 0) as bar:
            for f in iter_extend(list(last), n_new, scheme, refiner=refiner):
                self.new.append(f)
                bar.update(1)
        self.end = self.new[-1] if self.new else last[-1]
        if loop:
            self.steps += mean_step([last[-1], *self.new])

    def add_loop(self, fps: Fraction, transition: float | None) -> int:
        """Append the transition back to the first frame (`transition` seconds, or as long as the seam
        needs to be no rougher than the median change); returns its length."""
        import numpy as np

        from vidiff.generate.schemes import loop_frames

        n = max(1, round(transition * float(fps))) if transition is not None else None
        step = float(np.median(self.steps)) if n is None else None
        self.tail = loop_frames(self.first, self.end, n, max_step=step, refiner=self.refiner)
        return len(self.tail)

    def __len__(self) -> int:
        return self.n_clip + len(self.new) + len(self.tail)

    def __iter__(self) -> Iterator:
        from itertools import islice

        yield from islice(self._clip_frames(), self.n_clip)
        yield from self.new
        yield from self.tail

    def _clip_frames(self) -> Iterator:
        """The clip's frames, upright."""
        from vidiff.io.orient import upright
        from vidiff.io.reader import VideoReader

        return (upright(f.image, self.rotation, self.flip, self.sar) for f in VideoReader(self.clip))
