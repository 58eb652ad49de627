"""The web app's Social clip tab: `vidiff.generate.make_clip` from a still (camera motion), a clip
(extended past its end), or a video diffusion model's keyframes (a prompt and/or a still, the user's
weights: a folder or a hub id) filled in by vidiff; reframed to a platform preset, with optional music."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from vidiff.errors import ConfigError, VidiffError
from vidiff.io.encode import KEEP_SIZE
from vidiff.ui.core import NO_SAMPLE, App, Cancelled, Job, drive, error_line, with_warning
from vidiff.ui.social_model import (
    audio_guidance_field,
    cache_field,
    last_image_field,
    model_fields,
    model_options,
    no_audio_field,
    reference_image_field,
    upload_path,
    vae_field,
    weight_dtype_field,
)
from vidiff.ui.widgets import (
    CLIP_TYPES,
    clip_input,
    on_cancel,
    optional_number_field,
    run_cancel,
    typed_number,
)
from vidiff.validate import OWN

# the Preset's and Frame rate's last choice: make_clip's OWN (a clip continued by a model keeps its size, rate)
OWN_CHOICE = "Clip's own"


def social_tab(app: App) -> None:
    """The tab's controls, and Make clip / Cancel wired to them."""
    c = _social_layout()
    c.run.click(
        _run_social(app),
        [
            c.input,
            c.sample,
            c.aspect,
            c.motion,
            c.strength,
            c.seconds,
            c.extend,
            c.fps,
            c.loop,
            c.music,
            c.prompt,
            c.negative,
            c.weights,
            c.backend,
            c.seed,
            *c.model_fields,
            c.gif,
            c.vae,
            c.no_audio,
            c.last_image,
            c.audio_guidance,
            c.cache,
            c.weight_dtype,
            c.reference_image,
        ],  # fmt: skip
        [c.status, c.video, c.out, c.report],
    )
    on_cancel(app, "social", c.cancel, c.status)


def _social_layout() -> SimpleNamespace:
    """The tab's components (element ids `so-*`), by name."""
    from vidiff.generate.clip import (
        BACKEND_NAMES,
        DEFAULT_MOTION,
        DEFAULT_SECONDS,
        DEFAULT_STRENGTH,
        FPS_CHOICES,
    )
    from vidiff.generate.motion import MOTIONS
    from vidiff.generate.social import PRESETS
    from vidiff.io.image_ext import IMAGE_EXT

    c = SimpleNamespace()
    with gr.Row():
        with gr.Column():
            c.input, c.sample = clip_input(
                "Still image or clip (upload)", "so-input", ["image", *CLIP_TYPES, *sorted(IMAGE_EXT)]
            )
            c.aspect = gr.Radio(
                [*PRESETS, OWN_CHOICE], value="9:16", label="Preset (aspect ratio)", elem_id="so-aspect"
            )
            with gr.Row():
                c.motion = gr.Dropdown(list(MOTIONS), value=DEFAULT_MOTION, label="Camera motion (a still)")
                # as --strength: a slider's number box sent a typed 0,3 as 3 (then 1) and an emptied one as 0
                c.strength = optional_number_field(
                    label=f"Motion strength (a still; 0 to 1, empty: {DEFAULT_STRENGTH:g})",
                    elem_id="so-strength",
                    value=f"{DEFAULT_STRENGTH:g}",
                )
            with gr.Row():
                c.seconds = optional_number_field(  # a number field sent a typed 2,5 as 25 seconds
                    label=f"Length in seconds (a still or a prompt; empty: {DEFAULT_SECONDS:g})",
                    elem_id="so-seconds",
                    value=f"{DEFAULT_SECONDS:g}",
                )
                c.extend = optional_number_field(
                    label="Extension past the end in seconds (a clip; empty: as far as its motion carries, at most "
                    "1 s; with weights the model continues it, empty: one model window)",
                    elem_id="so-extend",
                )
            with gr.Row():
                c.fps = gr.Dropdown([*FPS_CHOICES, OWN_CHOICE], value=30, label="Frame rate (fps)")
                c.loop = gr.Checkbox(False, label="Seamless loop (the end leads back into the start)")
                c.gif = gr.Checkbox(
                    False, label="Animated GIF instead of MP4 (no music, 50 fps at most)", elem_id="so-gif"
                )
            with gr.Accordion("Video diffusion model (optional: your weights)", open=False):
                c.prompt = gr.Textbox(label="Prompt (text-to-video weights)", lines=2, elem_id="so-prompt")
                c.negative = gr.Textbox(label="Negative prompt (optional)", elem_id="so-negative")
                c.weights = gr.Textbox(
                    label="Weights: a diffusers pipeline folder or hub id (Wan, LTX-Video, CogVideoX, SVD, HunyuanVideo)",
                    elem_id="so-weights",
                )
                with gr.Row():
                    c.backend = gr.Dropdown(
                        ["auto", *BACKEND_NAMES], value="auto", label="Backend (auto: read from the weights)"
                    )
                    # as --seed: a number field ran an emptied box as 0 without a word (and took no 2,5)
                    c.seed = optional_number_field(
                        label="Seed (same seed, same clip; empty: 0)", elem_id="so-seed", value="0"
                    )
                c.model_fields = model_fields()
                c.vae = vae_field()
                c.no_audio = no_audio_field()
                c.last_image = last_image_field()
                c.audio_guidance = audio_guidance_field()
                c.cache = cache_field()
                c.weight_dtype = weight_dtype_field()
                c.reference_image = reference_image_field()
            c.music = gr.File(
                label="Music (optional; trimmed and faded)", file_types=["audio"], elem_id="so-music"
            )
            c.run, c.cancel, c.status = run_cancel("so", "Make clip")
        with gr.Column():
            c.video = gr.Video(label="Preview", interactive=False, elem_id="so-preview")
            c.out = gr.File(label="Social clip (download)", interactive=False, elem_id="so-output")
            c.report = gr.Markdown("", elem_id="so-report")
    return c


def _run_social(app: App) -> Any:
    """The Make clip button's handler: `make_clip` on a job, a cancel point after each frame."""
    from vidiff.generate.clip import BACKEND_NAMES
    from vidiff.io.image_ext import IMAGE_EXT
    from vidiff.io.webp_in import is_animated

    def run_social(
        upload: Any,
        sample: str,
        aspect: str,
        motion: str,
        strength: str | float | None,
        seconds: str | float | None,
        extend: str | float | None,
        fps: Any,
        loop: bool,
        music: Any,
        prompt: str,
        negative: str,
        weights: str,
        backend: str,
        seed: str | float | None,
        steps: str | float | None,
        frames: str | float | None,
        keyframe_fps: str | float | None,
        keyframe_size: str | None,
        guidance: str | float | None,
        device: str | None,
        dtype: str | None,
        offload: Any,
        offline: bool,
        lora: str | None,
        transformer: str | None,
        shift: str | float | None,
        guidance_2: str | float | None,
        gif: bool,
        vae: str | None,
        no_audio: bool,
        last_image: Any,
        audio_guidance: str | float | None,
        cache: str | None,
        weight_dtype: str | None,
        reference_image: Any,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple]:
        failed = (None, None, "")
        try:
            from vidiff.generate.social import preset_size
            from vidiff.validate import check_real

            extend, seconds = typed_number(extend, "extend"), typed_number(seconds, "seconds")
            strength, seed = typed_number(strength, "strength"), typed_number(seed, "seed")
            _check_unsent(extend, strength, seconds, motion, music, gif, seed)
            # make_clip checks OWN's use (a crafted list or array is not the choice: its own line there)
            aspect, fps = (OWN if isinstance(v, str) and v == OWN_CHOICE else v for v in (aspect, fps))
            if fps is not OWN:
                check_real(fps, "fps")  # the page always sends one (make_clip takes None as its default)
            model = _model_options(prompt, negative, weights, backend, seed)
            app.exposure.check_weights(model.get("weights"))  # a shared app: the launch's folders only
            # a video diffusion model (make_clip's rule): weights, a prompt or a model backend named
            uses_model = (
                any(model.get(k) for k in ("weights", "prompt")) or model.get("backend") in BACKEND_NAMES
            )
            # the generator's settings (steps, keyframes, device...): sent when set, so make_clip checks
            # them as the CLI's (given without a model, its one line says they apply to a model)
            model |= model_options(
                steps, frames, keyframe_fps, keyframe_size, guidance, device, dtype, offload, offline, lora,
                transformer, shift, guidance_2, vae=vae, no_audio=no_audio, cache=cache,
                weight_dtype=weight_dtype,
            )  # fmt: skip
            _check_model_files(app, model)  # a shared app: LoRA and transformer files from its folders only
            for key, still in (("last_image", last_image), ("reference_image", reference_image)):
                path = upload_path(still)
                if path:  # make_clip refuses it without a model (a last still: without a first)
                    app.exposure.check_upload(path, app.workdir)  # a shared app reads only what was uploaded
                    model[key] = path
            audio_guidance = typed_number(audio_guidance, "audio_guidance")
            if audio_guidance is not None:  # make_clip checks it (a number, LTX-2 weights)
                model["audio_guidance"] = audio_guidance
            # a model without an upload or a sample: text to video; a sample picked is used (make_clip
            # refuses a clip with a model in one line), not silently dropped
            chosen = upload or (sample and sample != NO_SAMPLE)
            src = app.resolve_input(upload, sample) if chosen or not uses_model else None
            if aspect is not OWN:
                preset_size(aspect)  # names the output: checked before it is made
            audio = None if not music else music if isinstance(music, str) else getattr(music, "name", None)
            if audio:
                app.exposure.check_upload(audio, app.workdir)  # a shared app reads only what was uploaded
        except VidiffError as e:
            yield (error_line(e), *failed)
            return
        # (an animated WebP is a clip)
        still = src is None or (Path(src).suffix.lower() in IMAGE_EXT and not is_animated(src))
        folder = app.new_folder("social")
        ext = "gif" if gif is True else "mp4"  # an animated GIF: make_clip refuses music and over 50 fps
        shape = "own" if aspect is OWN else aspect.replace(":", "x")
        out = folder / f"{Path(src).stem if src else 'generated'}_{shape}.{ext}"

        def work(job: Job) -> dict[str, Any]:
            from vidiff.generate import make_clip

            job.stage = "animating the still" if still else "extending the clip"
            if uses_model:  # until on_step(0, total): the model has loaded
                job.stage = job.busy = "loading the model"

            def on_frame(done: int, total: int) -> None:  # after each frame written
                job.busy = ""
                if job.cancel.is_set():
                    raise Cancelled()
                job.total, job.done = total, done

            def on_step(done: int, total: int) -> None:  # loaded (0), then after each step: minutes on a CPU
                # after the last step the pipeline decodes its frames (VAE), which cannot be interrupted
                job.busy = "the model decoding its frames" if done == total else ""
                if job.cancel.is_set():
                    raise Cancelled()
                job.stage = f"generating keyframes, model step {done} of {total}"
                job.steps = (done, total)
                if done == total:
                    job.stage = "the model decoding its frames (VAE)"

            # the fields a source does not use are not sent: make_clip refuses them (the page always has values)
            camera = still and not uses_model
            with _own_named():
                return make_clip(
                    out,
                    image=src if still else None,
                    clip=None if still else src,
                    seconds=seconds if still else None,  # None: make_clip's default
                    extend=extend,  # empty unless typed: make_clip refuses a still's in one line, as the API's
                    fps=fps,  # as the page sent them: `make_clip` refuses NaN, 30.5, None or loop 'no' in one line
                    aspect=aspect,
                    motion=motion if camera else None,
                    strength=strength if camera else None,
                    loop=loop,
                    audio=audio,
                    progress=False,
                    on_frame=on_frame,
                    on_step=on_step if uses_model else None,  # make_clip refuses it without a model
                    **model,
                )

        result = yield from drive(app, request, "social", folder, work, progress, failed)
        if result is not None:
            w, h = result["size"]
            msg = f"Done: {result['frames']} frames, {result['seconds']} s at {w}x{h}."
            # the run's notes (a hub not reached: the cached weights; RIFE missing: dis) under the status,
            # the padding note without its --pix-fmt hint (the page has no pixel-format choice)
            notes = (n.replace(KEEP_SIZE, "") for n in result.get("notes", ()))
            shown = with_warning(msg, None if still else src, *notes)
            yield (shown, None if ext == "gif" else str(out), str(out), _report_md(result))

    return run_social


@contextmanager
def _own_named() -> Iterator[None]:
    """`make_clip`'s line on the clip's own size or rate (`OWN`, the CLI's word "source") naming the page's
    choice, `OWN_CHOICE`: a still with "Clip's own" read "aspect source", a word the page does not show."""
    try:
        yield
    except ConfigError as e:
        line = str(e)
        for name in ("aspect", "fps"):
            line = line.replace(f"{name} {OWN} keeps", f'{name} "{OWN_CHOICE}" keeps')
        if line == str(e):
            raise
        raise ConfigError(line) from None


def _check_model_files(app: App, model: dict) -> None:
    """The LoRA, transformer and VAE files a run would read, checked against what the app lets a visitor load
    (`vidiff.ui.exposure`): their sources, as `make_clip` parses them."""
    from vidiff.generate.lora import parse_loras
    from vidiff.generate.single_file import parse_single_files
    from vidiff.generate.vae_file import parse_vae

    app.exposure.check_model_files([x.source for x in parse_loras(model.get("lora"))], "lora")
    app.exposure.check_model_files(
        [x.source for x in parse_single_files(model.get("transformer"))], "transformer"
    )
    app.exposure.check_model_files([x.source for x in parse_vae(model.get("vae"))], "vae")


def _check_unsent(
    extend: Any, strength: Any, seconds: Any, motion: Any, music: Any, gif: Any, seed: Any
) -> None:
    """The fields a run may not send on (a clip's motion, the seed without a model)
    and those read here (music, GIF) have their type checked all the same, with make_clip's lines: a crafted
    'x' was dropped without a word (gif='yes' made an MP4, music=3 no music)."""
    from vidiff.validate import check_flag, check_optional_real, check_seed, check_text

    for name, value in (("extend", extend), ("strength", strength), ("seconds", seconds)):
        check_optional_real(value, name)
    check_text(motion, "motion")
    if music not in (None, "") and not isinstance(music, str) and not hasattr(music, "name"):
        raise ConfigError(f"audio {music!r:.60}: must be an uploaded file (or None)")
    check_flag(gif, "gif")
    if seed is not None:
        check_seed(seed)


def _model_options(
    prompt: str, negative: str, weights: str, backend: str, seed: float | None
) -> dict[str, Any]:
    """`make_clip`'s model keywords from the tab's fields. Without a prompt or weights (the still or clip
    is then animated or extended by vidiff alone) only a negative prompt or a backend other than auto is
    sent, so `make_clip` refuses it in one line as the CLI does rather than the page dropping it. The
    text fields (the backend's too, even when unused) and the seed are checked here (`check_text`,
    `check_seed`, as `make_clip` does: a `ConfigError`), the rest by `make_clip`."""
    from vidiff.validate import check_seed, check_text

    texts = {"prompt": prompt, "negative_prompt": negative, "weights": weights, "backend": backend}
    prompt, negative, weights, backend = ((check_text(v, k) or "").strip() for k, v in texts.items())
    if not (prompt or weights):
        given = {"negative_prompt": negative, "backend": "" if backend == "auto" else backend}
        return {k: v for k, v in given.items() if v}
    return {
        "prompt": prompt or None,
        "negative_prompt": negative or None,
        "weights": weights or None,
        "backend": backend or "auto",
        "seed": 0 if seed is None else check_seed(seed),
    }


def _report_md(r: dict[str, Any]) -> str:
    """The made clip's facts as a two-column table."""
    w, h = r["size"]
    rows = [("size", f"{w}x{h}"), ("fps", r["fps"]), ("frames", r["frames"]), ("seconds", r["seconds"])]
    if "backend" in r and r.get("pipeline"):
        rows += [("model", f"{r['pipeline']} ({r['backend']})"), ("keyframes", r["keyframes"])]
        rows.append(("keyframe fps", r["keyframe_fps"]))
        if "keyframe_size" in r:  # what the generator settings made (the model's own where left empty)
            kw, kh = r["keyframe_size"]
            rows += [
                ("keyframe size", f"{kw}x{kh}"),
                ("model windows", f"{r['windows']} ({r['window_frames']} frames each)"),
            ]
            rows += [("sampler steps", r["steps"]), ("guidance", r["guidance"])]
            rows += [("low-noise guidance", r["guidance_2"])] if "guidance_2" in r else []
            rows += [("sound guidance", r["audio_guidance"])] if "audio_guidance" in r else []
            if "cache" in r:  # how many transformer passes the step cache skipped
                c = r["cache"]
                rows.append(
                    (
                        "step cache",
                        f"{c['method']}:{c['threshold']:g}, {c['skipped']} of {c['passes']} passes skipped",
                    )
                )
            rows += [("offload", r["offload"])] if "offload" in r else []
            rows += [("transformer weights", r["weight_dtype"])] if "weight_dtype" in r else []
            rows += [
                (k.replace("_", " "), r[k])
                for k in ("variant", "shift", "last_image", "reference_image")
                if r.get(k)
            ]
            for x in r.get("loras", []):  # each LoRA, its scale and, for one of two transformers, which
                where = "" if x["stage"] == "all" else f" ({x['stage']})"
                rows.append(("LoRA", f"{x['lora']} at {x['scale']:g}{where}"))
    elif r["source"] == "image":
        rows.append(("motion", r["motion"]))
    else:
        rows += [("frames observed", r["frames_observed"]), ("frames extended", r["frames_extended"])]
        rows.append(("loop frames", r["frames_loop"]))
    if "loop_jump" in r:
        rows.append(("loop seam (mean change)", f"{r['loop_jump']:.2f}"))
    return "| social clip | |\n| --- | --- |\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)
