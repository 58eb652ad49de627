"""The Social clip tab's generator settings: what `vidiff generate` offers for a video diffusion model
(sampler steps, keyframes per window, keyframe rate and size, guidance, device, dtype, offload level, offline,
LoRAs, a single-file transformer, shift, low-noise guidance, a single-file VAE, a step cache, fp8 weights), with the same defaults (`make_clip`'s:
empty is the model's own) and the same checks (`make_clip`'s, one `vidiff: error:` line), so the page
sets what the CLI sets."""

from typing import Any

import gradio as gr

from vidiff.ui.widgets import optional_number_field, typed_number, whole

# the dtype menu's "let make_clip choose" entry (dtype None: bf16 on cuda, fp32 on cpu)
AUTO_DTYPE = "auto"
NO_OFFLOAD = "off"  # the offload menu's first entry (make_clip's offload False)
DEFAULT_WEIGHTS = "default"  # the weight dtype menu's first entry (the weights stored in dtype)
DEVICES = ("cpu", "cuda")


def model_fields() -> list[Any]:
    """The settings' components, in the order `model_options` takes their values (ids `so-*`)."""
    from vidiff.generate.clip import DTYPE_CHOICES, MAX_GUIDANCE, MAX_MODEL_STEPS
    from vidiff.generate.offload import OFFLOAD_LEVELS

    with gr.Row():
        steps = optional_number_field(
            label=f"Sampler steps (empty: the model's own; 1 to {MAX_MODEL_STEPS})",
            elem_id="so-steps",
        )
        guidance = optional_number_field(
            label=f"Guidance (empty: the model's own; 0 to {MAX_GUIDANCE:g})", elem_id="so-guidance"
        )
    with gr.Row():
        frames = optional_number_field(
            label="Keyframes per model window (empty: the model's own; its rule, e.g. Wan 4k+1, LTX 8k+1)",
            elem_id="so-frames",
        )
        keyframe_fps = optional_number_field(
            label="Keyframes per second (empty: the model's native rate; vidiff fills in to the frame rate)",
            elem_id="so-keyframe-fps",
        )
        keyframe_size = gr.Textbox(
            label="Keyframe size WxH (empty: the model's native area at the preset's aspect)",
            placeholder="e.g. 832x480",
            elem_id="so-keyframe-size",
        )
    with gr.Row():
        device = gr.Dropdown(
            list(DEVICES), value="cpu", label="Device (cuda: an NVIDIA GPU)", elem_id="so-device"
        )
        dtype = gr.Dropdown(
            [AUTO_DTYPE, *DTYPE_CHOICES],
            value=AUTO_DTYPE,
            label="Precision (auto: bf16 on cuda, fp32 on cpu)",
            elem_id="so-dtype",
        )
        offload = gr.Dropdown(
            [NO_OFFLOAD, *OFFLOAD_LEVELS],
            value=NO_OFFLOAD,
            label="Offload (smaller GPUs, cuda: model one part at a time, group block by block, sequential "
            "layer by layer)",
            elem_id="so-offload",
        )
        offline = gr.Checkbox(
            False,
            label="Offline (a hub id from the local cache only; never the network)",
            elem_id="so-offline",
        )
    lora = gr.Textbox(
        label="LoRAs, one a line: FILE[:SCALE] (a .safetensors file or a hub file owner/name/file; scale 1.0 "
        "if left out; high= / low= for one of Wan 2.2 A14B's two transformers)",
        placeholder="e.g. /models/loras/style.safetensors:0.8",
        lines=2,
        elem_id="so-lora",
    )
    transformer = gr.Textbox(
        label="Transformer file: a single-file transformer in place of the weights' own (ComfyUI's "
        "diffusion_models/ file, a fine-tune; a .safetensors file or a hub file; one a line, high= / low= "
        "for Wan 2.2 A14B)",
        placeholder="e.g. /models/diffusion_models/wan2.1_t2v_1.3B_fp16.safetensors",
        lines=1,
        elem_id="so-transformer",
    )
    shift = optional_number_field(
        label="Shift (empty: the weights' scheduler's own, Wan 2.1 at 720p 5.0; a flow-matching sampler's, e.g. Wan 3.0 at 480p, "
        "5.0 at 720p)",
        elem_id="so-shift",
    )
    guidance_2 = optional_number_field(
        label="Low-noise guidance (Wan 2.2 A14B's second transformer; empty: the guidance above if set, else "
        "the model's own)",
        elem_id="so-guidance-2",
    )
    return [
        steps, frames, keyframe_fps, keyframe_size, guidance, device, dtype, offload, offline, lora, transformer,
        shift, guidance_2,
    ]  # fmt: skip


def vae_field() -> Any:
    """The single-file VAE's field (`so-vae`): its value comes after the GIF box, the handler's last."""
    return gr.Textbox(
        label="VAE file: a single-file VAE in place of the weights' own (ComfyUI's models/vae/ file; a "
        ".safetensors file or a hub file)",
        placeholder="e.g. /models/vae/wan_2.1_vae.safetensors",
        lines=1,
        elem_id="so-vae",
    )


def no_audio_field() -> Any:
    """The box (`so-no-audio`) that leaves out a clip's own sound or the sound a model makes (LTX-2's)."""
    return gr.Checkbox(
        False,
        label="No audio (leave out the clip's own sound or the sound LTX-2 makes)",
        elem_id="so-no-audio",
    )


def last_image_field() -> Any:
    """The upload (`so-last-image`) of a still the clip ends on, the uploaded still or clip being its first
    (first and last frame to video): the handler's last field."""
    from vidiff.io.image_ext import IMAGE_EXT

    return gr.File(
        label="Last frame (optional: a still the clip ends on; the upload above is its first)",
        file_types=["image", *sorted(IMAGE_EXT)],
        elem_id="so-last-image",
    )


def reference_image_field() -> Any:
    """The upload (`so-reference-image`) of a subject or style still kept across the clip (Wan VACE's
    `reference_images`): the handler's last field."""
    from vidiff.io.image_ext import IMAGE_EXT

    return gr.File(
        label="Reference image (optional, Wan VACE: a subject or style kept across the clip, not a frame)",
        file_types=["image", *sorted(IMAGE_EXT)],
        elem_id="so-reference-image",
    )


def audio_guidance_field() -> Any:
    """The guidance of the sound LTX-2 makes (`so-audio-guidance`): the handler's last field."""
    from vidiff.generate.clip import MAX_GUIDANCE

    return optional_number_field(
        label=f"Sound guidance (LTX-2; empty: Guidance if set, else the model's 7.0; up to {MAX_GUIDANCE:g})",
        elem_id="so-audio-guidance",
    )


def cache_field() -> Any:
    """The step cache (`so-cache`, `--cache`): the handler's last field but one."""
    from vidiff.generate.step_cache import DEFAULT_THRESHOLD

    return gr.Textbox(
        label="Step cache: first-block[:THRESHOLD] skips transformer work on steps that barely change "
        f"(ComfyUI's TeaCache / First Block Cache; threshold default {DEFAULT_THRESHOLD:g}; empty: off)",
        placeholder=f"e.g. first-block:{DEFAULT_THRESHOLD:g}",
        elem_id="so-cache",
    )


def weight_dtype_field() -> Any:
    """The transformer's weight storage (`so-weight-dtype`, `--weight-dtype`): the handler's last field."""
    from vidiff.generate.offload import WEIGHT_DTYPES

    return gr.Dropdown(
        [DEFAULT_WEIGHTS, *WEIGHT_DTYPES],
        value=DEFAULT_WEIGHTS,
        label="Transformer weights (fp8: about half the memory, cast to the precision layer by layer)",
        elem_id="so-weight-dtype",
    )


def upload_path(value: Any) -> str | None:
    """A file field's value as a path (Gradio sends a path, or an object with `.name`); None when empty."""
    return None if not value else value if isinstance(value, str) else getattr(value, "name", None)


def model_options(
    steps: Any,
    frames: Any,
    keyframe_fps: Any,
    keyframe_size: Any,
    guidance: Any,
    device: Any,
    dtype: Any,
    offload: Any,
    offline: Any,
    lora: Any = None,
    transformer: Any = None,
    shift: Any = None,
    guidance_2: Any = None,
    vae: Any = None,
    no_audio: Any = None,
    cache: Any = None,
    weight_dtype: Any = None,
) -> dict[str, Any]:
    """`make_clip`'s keywords for the settings given (an empty field, the menus' defaults and unticked
    boxes are not sent: `make_clip`'s defaults apply). Whole numbers from the page (25.0) are sent as
    ints; anything else as it came, for `make_clip` to check. Without weights or a prompt what was set is
    sent all the same: `make_clip` refuses it in one line, as the CLI does (it would be ignored)."""
    from vidiff.validate import check_text

    size = check_text(keyframe_size, "keyframe_size")
    opts: dict[str, Any] = {
        "steps": whole(typed_number(steps, "steps")),
        "frames": whole(typed_number(frames, "frames")),
        "keyframe_fps": typed_number(keyframe_fps, "keyframe_fps"),
        "keyframe_size": size.strip() or None if isinstance(size, str) else None,
        "guidance": typed_number(guidance, "guidance"),
        "device": None if device == "cpu" else device,  # make_clip's default; another is checked there
        "dtype": None if dtype == AUTO_DTYPE else dtype,
        # a level, or a value for make_clip to refuse (0 == False: `in (False, ...)` took a crafted 0 for off)
        "offload": None if offload is False or offload == NO_OFFLOAD else offload,
        "offline": offline if offline is not False else None,
        "lora": _lines(check_text(lora, "lora")),
        "transformer": _lines(check_text(transformer, "transformer")),
        "shift": typed_number(shift, "shift"),
        "guidance_2": typed_number(guidance_2, "guidance_2"),
        "vae": _vae(vae),
        "no_audio": no_audio if no_audio is not False else None,  # True, or a crafted value to refuse
        "cache": _vae(check_text(cache, "cache")),  # stripped; empty: off
        "weight_dtype": None if weight_dtype == DEFAULT_WEIGHTS else weight_dtype,
    }
    return {k: v for k, v in opts.items() if v is not None}


def _vae(value: Any) -> Any:
    """A one-line text field's value (the VAE's file, the cache), stripped, None when empty; anything
    but a string as it came, for `make_clip` to refuse."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _lines(text: str | None) -> list[str] | None:
    """The non-empty lines of a text field (None when there are none)."""
    lines = [x.strip() for x in (text or "").splitlines() if x.strip()]
    return lines or None
