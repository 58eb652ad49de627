"""`vidiff generate`: short clips for social media — animate a still, extend a clip, make a seamless loop."""

from __future__ import annotations

import argparse
import json
import sys

from vidiff.cli import add_report_options, add_strict_option
from vidiff.generate.backends import HUB_TIMEOUT_S
from vidiff.generate.clip import (
    BACKEND_CHOICES,
    DEFAULT_ASPECT,
    DEFAULT_FPS,
    DEFAULT_MOTION,
    DEFAULT_SCHEME,
    DEFAULT_SECONDS,
    DEFAULT_STRENGTH,
    DTYPE_CHOICES,
    FPS_CHOICES,
    MAX_EXTEND_FRAMES,
    MAX_TRANSITION,
    METHODS,
    SCHEMES,
)
from vidiff.generate.continue_clip import MAX_WINDOWS
from vidiff.generate.offload import OFFLOAD_LEVELS, WEIGHT_DTYPES
from vidiff.generate.step_cache import DEFAULT_THRESHOLD
from vidiff.generate.variations import MAX_CLIPS, SEEDS_HELP
from vidiff.validate import MAX_SEED, OWN

EXAMPLES = r"""examples:
  vidiff generate --image photo.jpg -o story.mp4 --seconds 5 --motion zoom-in            # 9:16, 30 fps
  vidiff generate --image photo.jpg -o post.mp4 --aspect 1:1 --loop --audio music.m4a
  vidiff generate --clip in.mp4 -o longer.mp4 --extend 0.7 --aspect 16:9 --fps 60       # 0.7 s more motion
  vidiff generate --clip in.mp4 -o loop.mp4 --loop --strip strip.png                      # seamless loop
  vidiff generate --image photo.jpg -o loop.gif --aspect 1:1 --loop --seconds 3          # a looping GIF
  vidiff generate --prompt "a red fox in snow" --weights Wan-AI/Wan2.1-T2V-1.3B-Diffusers -o fox.mp4 --device cuda
  vidiff generate --prompt "waves at dusk" --weights Lightricks/LTX-Video -o waves.mp4 --seconds 10 --offload --device cuda
  vidiff generate --clip in.mp4 --prompt "the car drives on" --weights ~/models/ltx-0.9.7 -o on.mp4 \
    --extend 3 --device cuda                         # a model continues the clip (its own size and rate)
  vidiff generate --prompt "a red fox in snow" --weights ~/models/wan-1.3b -o fox.mp4 --seeds 1-4 \
    --device cuda                                    # fox_s1.mp4 ... fox_s4.mp4, the model loaded once
  vidiff generate --prompts prompts.txt --seeds 1,2 --weights ~/models/wan-1.3b -o v.mp4 --device cuda
  vidiff generate --image photo.jpg -o svd.mp4 --weights ~/models/svd-xt --device cuda      # SVD (auto)
  vidiff generate --image first.png --last-image last.png --prompt "the bud opens" -o open.mp4 \
    --weights Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers --device cuda --offload       # first and last frame
  vidiff generate --prompt "a red fox in snow" --weights ~/models/wan-1.3b -o fox.mp4 --device cuda \
    --transformer ~/ComfyUI/models/diffusion_models/my_wan_finetune.safetensors  # ComfyUI's file
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="make a short clip from a prompt, a still or a clip (video diffusion models, animate, extend, loop)",
        description="Make a short clip for social platforms. With --weights (a diffusers video pipeline: "
        "Wan, LTX-Video, LTX-2 (with its sound), CogVideoX, SVD, HunyuanVideo, SkyReels V2; folder or hub id): the model makes keyframes at its native rate "
        "from --prompt and/or --image (or continues --clip from its last frames), longer clips window after "
        "window from the last frame, and vidiff "
        "fills them in to --fps at their real times. From a still alone (--image): camera motion over "
        "the photo. From a clip (--clip): the clip continued past its last frame (--extend seconds of "
        "frames never observed, generated from the motion of its last frames), and with --loop a "
        "transition from its last frame back to its first so it plays as a seamless loop. Output: "
        "H.264 High, yuv420p, +faststart, at a platform size (a clip continued by a model: its own size and "
        "rate unless --aspect / --fps), with AAC audio from --audio trimmed and "
        "faded to the clip; or an animated GIF (-o NAME.gif: 480 on its short side, no audio, 50 fps at most).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--image", help="a still image (jpg, png, ...)")
    src.add_argument("--clip", help="a video clip to extend or loop")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output .mp4 (or .mov, .mkv, .webm; .gif: 480 on its short side, no audio, 50 fps at most)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=None,
        help=f"length of a clip made from --image or --prompt (default {DEFAULT_SECONDS:g}; past one model "
        "window the next window starts from the last frame)",
    )
    p.add_argument(
        "--extend",
        type=float,
        default=None,
        help=f"with --clip: seconds of new frames after its end, up to {MAX_EXTEND_FRAMES} of the clip's frames "
        "(0.88 s at 25 fps), as far as its motion carries before the new frames flicker and smear (measured); "
        "default that or 1 s, whichever is shorter (0 with --loop). With --weights: the model continues the "
        f"clip from its last frames, default one model window, at most {MAX_WINDOWS} windows",
    )
    p.add_argument(
        "--fps",
        type=lambda t: int(t) if t.lstrip("-").isdigit() else t,  # a rate, or OWN
        choices=(*FPS_CHOICES, OWN),
        default=None,
        help=f"output frame rate (default {DEFAULT_FPS}; a clip continued by a model: the clip's own, as "
        f"{OWN} says)",
    )
    p.add_argument(
        "--aspect",
        default=None,
        help=f"9:16 (1080x1920), 1:1 (1080x1080), 16:9 (1920x1080), 4:5 (1080x1350); default {DEFAULT_ASPECT}, "
        f"and a clip continued by a model keeps its own frame size ({OWN}); a .gif is 480 on its short side "
        "(480x854, 480x480, ...)",
    )
    p.add_argument(
        "--motion",
        default=None,
        help="camera motion for --image: pan-left, pan-right, zoom-in, "
        f"zoom-out, {DEFAULT_MOTION} (default: pan across wide photos, else zoom in)",
    )
    p.add_argument(
        "--strength",
        type=float,
        default=None,
        help=f"amount of camera motion for --image, 0-1 (default {DEFAULT_STRENGTH:g})",
    )
    p.add_argument("--loop", action="store_true", help="make the end lead seamlessly back into the start")
    p.add_argument(
        "--transition",
        type=float,
        default=None,
        help=f"with --clip --loop: seconds of loop transition, up to {MAX_TRANSITION:g} "
        "(default: as long as needed for the seam to be no rougher than the clip's median change)",
    )
    p.add_argument(
        "--scheme",
        default=None,
        choices=SCHEMES,
        help=f"with --clip: how frames past the end are sampled (Flexible Diffusion Model schemes; default "
        f"{DEFAULT_SCHEME})",
    )
    m = p.add_argument_group("video diffusion models (pip install 'vidiff[video]')")
    m.add_argument("--prompt", help="what the clip shows (text-to-video and image-to-video models)")
    m.add_argument(
        "--last-image",
        help="a still the clip ends on, --image being its first (first and last frame to video: Wan and "
        "SkyReels V2 image-to-video, LTXConditionPipeline, LTX-2)",
    )
    m.add_argument(
        "--reference-image",
        help="a subject or style still kept across the whole clip, not a frame of it (Wan VACE's "
        "reference_images, ComfyUI's VACE reference image)",
    )
    m.add_argument("--negative-prompt", help="what it should not show")
    m.add_argument(
        "--weights",
        help="a diffusers video pipeline: a local folder (never touches the network) or a hub id "
        "(downloaded by diffusers unless --offline / HF_HUB_OFFLINE)",
    )
    m.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="auto (default: the pipeline class in the weights' model_index.json; camera motion or "
        "extension without --weights), vidiff (no model), wan, ltx, cogvideox, svd, hunyuanvideo",
    )
    m.add_argument("--guidance", type=float, default=None, help="classifier-free guidance (model's default)")
    m.add_argument(
        "--audio-guidance",
        type=float,
        default=None,
        help="LTX-2: the guidance of the sound it makes (default: --guidance if given, else the model's 7.0)",
    )
    m.add_argument(
        "--guidance-2",
        type=float,
        default=None,
        help="a two-transformer Wan 2.2 (A14B): the low-noise transformer's guidance (default: --guidance if "
        "given, else the model's own: 3.0 for T2V-A14B, 3.5 for I2V-A14B)",
    )
    m.add_argument(
        "--frames",
        type=int,
        default=None,
        help="keyframes per model window (its rule, e.g. Wan 4k+1, LTX 8k+1)",
    )
    m.add_argument(
        "--keyframe-fps",
        type=float,
        default=None,
        help="keyframes per second, at most the model's native rate (default: native; vidiff fills in)",
    )
    m.add_argument(
        "--keyframe-size", help="WxH of the keyframes (default: the model's native area at --aspect)"
    )
    m.add_argument(
        "--lora",
        action="append",
        metavar="[high=|low=]FILE[:SCALE]",
        help="a LoRA on the model's transformer: a .safetensors file or a hub file (owner/name/file), scale "
        "default 1.0; repeat to stack; high= / low= puts it in one of Wan 2.2 A14B's two transformers",
    )
    m.add_argument(
        "--transformer",
        action="append",
        metavar="[high=|low=]FILE",
        help="a single-file transformer (ComfyUI's diffusion_models/ file, the original release's, a "
        "fine-tune) in place of the weights' own: a .safetensors file or a hub file (owner/name/file); "
        "high= / low= for one of Wan 2.2 A14B's two transformers",
    )
    m.add_argument(
        "--vae",
        metavar="FILE",
        help="a single-file VAE (ComfyUI's models/vae/ file, e.g. wan_2.1_vae.safetensors) in place of the "
        "weights' own: a .safetensors file or a hub file (owner/name/file)",
    )
    m.add_argument(
        "--shift",
        type=float,
        default=None,
        help="the flow-matching sampler's shift, above 0 and at most 100 (ComfyUI's ModelSamplingSD3 shift; "
        "diffusers' Wan docs: 3.0 for 480p, 5.0 for 720p; default: the weights' scheduler's own, 5.0 for a Wan 2.1 run at 720P)",
    )
    m.add_argument("--dtype", choices=DTYPE_CHOICES, default=None, help="default bf16 on cuda, fp32 on cpu")
    m.add_argument(
        "--offload",
        nargs="?",
        const="model",
        default=None,
        choices=OFFLOAD_LEVELS,
        metavar="LEVEL",
        help="smaller GPUs (cuda), with VAE tiling/slicing: --offload alone or model (one part on the GPU at a "
        "time), group (block by block, the next copied on a CUDA stream: ComfyUI's block swap) or sequential "
        "(layer by layer: the least memory, the slowest)",
    )
    m.add_argument(
        "--weight-dtype",
        choices=tuple(WEIGHT_DTYPES),
        default=None,
        help="store the transformer's weights in fp8 (ComfyUI's weight_dtype), cast to --dtype layer by layer: "
        "about half its memory; frames close to, not equal to, the full weights'",
    )
    m.add_argument(
        "--cache",
        metavar="METHOD[:THRESHOLD]",
        default=None,
        help=f"skip transformer work on steps whose output barely changes: first-block (diffusers' First "
        f"Block Cache, as ComfyUI's TeaCache / First Block Cache), threshold default {DEFAULT_THRESHOLD:g}, "
        "higher skips more (Wan, LTX-Video, CogVideoX, HunyuanVideo 1.0); default off",
    )
    m.add_argument(
        "--offline",
        action="store_true",
        help="never reach the hub: a hub id from the local cache only (as HF_HUB_OFFLINE=1); online, a hub "
        f"that does not answer in {HUB_TIMEOUT_S:g} s (HF_HUB_ETAG_TIMEOUT) is said at once and a cached hub "
        "id used",
    )
    m.add_argument(
        "--interpolate",
        default=None,
        help="how frames between keyframes are made, for a model's keyframes or a clip (default: auto, "
        "vidiff's default method, for a model's keyframes; dis for a clip); a still's camera motion is made "
        "at --fps",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="dis",
        help="with --clip: dis (the classical prior: motion carried forward, flow interpolation; default) "
        "or diffusion (the shipped models refine every generated frame: weights/extend past the end, "
        "weights/default between frames; ~20x slower, see benchmarks/results/generate)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="sampler steps: --method diffusion (default 1) or a video diffusion model (its default)",
    )
    p.add_argument(
        "--device",
        default=None,
        help="for --method diffusion or a video diffusion model: cpu (default) or cuda",
    )
    p.add_argument(
        "--audio",
        help="music or voice to put under the clip (trimmed and faded to its length; it replaces the sound "
        "a model makes, LTX-2's)",
    )
    p.add_argument(
        "--no-audio",
        action="store_true",
        help="leave out the sound: a --clip's own, or the sound a model makes (LTX-2's)",
    )
    p.add_argument(
        "--seed", type=int, default=None, help=f"random seed for the model, 0 to {MAX_SEED} (default 0)"
    )
    p.add_argument(
        "--seeds",
        help=f"variations: one clip per seed, the model loaded once: {SEEDS_HELP}; -o out.mp4 writes "
        f"out_s1.mp4, ... (at most {MAX_CLIPS} clips; one already there is skipped)",
    )
    m.add_argument(
        "--prompts",
        metavar="FILE",
        help="variations: one clip per prompt of a text file (one a line; blank lines and # comments "
        "skipped), at each --seeds or --seed; -o out.mp4 writes out_p1_s0.mp4, ... (N: the prompt's place)",
    )
    p.add_argument("--crf", type=int, default=18, help="H.264 quality (default 18)")
    p.add_argument("--preset", help="x264 speed preset (default medium, the encoder's own)")
    p.add_argument("--strip", help="also write an image strip of the clip's frames (PNG)")
    add_strict_option(p)
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.generate.clip import make_clip
    from vidiff.generate.summary import summary_lines

    options = dict(
        image=args.image,
        clip=args.clip,
        seconds=args.seconds,
        extend=args.extend,
        fps=args.fps,
        aspect=args.aspect,
        motion=args.motion,
        strength=args.strength,
        loop=args.loop,
        transition=args.transition,
        scheme=args.scheme,
        backend=args.backend,
        weights=args.weights,
        method=args.method,
        steps=args.steps,
        device=args.device,
        seed=args.seed,
        prompt=args.prompt,
        negative_prompt=args.negative_prompt,
        guidance=args.guidance,
        keyframe_fps=args.keyframe_fps,
        frames=args.frames,
        keyframe_size=args.keyframe_size,
        dtype=args.dtype,
        offload=args.offload or False,
        offline=args.offline,
        lora=args.lora,
        transformer=args.transformer,
        shift=args.shift,
        guidance_2=args.guidance_2,
        vae=args.vae,
        last_image=args.last_image,
        reference_image=args.reference_image,
        audio_guidance=args.audio_guidance,
        cache=args.cache,
        weight_dtype=args.weight_dtype,
        interpolate=args.interpolate,
        audio=args.audio,
        no_audio=args.no_audio,
        crf=args.crf,
        preset=args.preset,
        strip=args.strip,
        progress=not args.quiet,
    )
    if args.seeds is not None or args.prompts is not None:
        return _variations(args, options)
    report = make_clip(args.output, **{**options, "seed": args.seed or 0})
    if args.json:
        print(json.dumps(report, indent=2))
    elif not args.quiet:
        w, h = report["size"]
        print(
            f"wrote {args.output}: {report['frames']} frames, {report['seconds']} s, {w}x{h} at {report['fps']:g} fps",
            file=sys.stderr,
        )
        for line in summary_lines(report):
            print(line, file=sys.stderr)
    return 0


def _variations(args: argparse.Namespace, options: dict) -> int:
    """--seeds / --prompts: one clip each (`vidiff.generate.variations`); exit 1 if any failed."""
    from pathlib import Path

    from vidiff.generate.variations import make_clips

    prompts = None if args.prompts is None else Path(args.prompts)
    entries = make_clips(args.output, seeds=args.seeds, prompts=prompts, **options)
    if args.json:
        print(json.dumps(entries, indent=2))
    elif not args.quiet:
        counts = {s: sum(e["status"] == s for e in entries) for s in ("done", "skipped", "failed")}
        print(
            f"{counts['done']} done, {counts['skipped']} already finished, {counts['failed']} failed "
            f"-> {entries[0]['output']}" + (f" ... {entries[-1]['output']}" if len(entries) > 1 else ""),
            file=sys.stderr,
        )
    return 1 if any(e["status"] == "failed" for e in entries) else 0
