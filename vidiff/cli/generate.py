"""`vidiff generate`: short clips for social media — animate a still, extend a clip, make a seamless loop."""

from __future__ import annotations

import argparse
import json
import os
import sys
from fractions import Fraction

from vidiff.cli import add_strict_option

EXAMPLES = """examples:
  vidiff generate --image photo.jpg -o story.mp4 --seconds 5 --motion zoom-in            # 9:16, 30 fps
  vidiff generate --image photo.jpg -o post.mp4 --aspect 1:1 --loop --audio music.m4a
  vidiff generate --clip in.mp4 -o longer.mp4 --extend 1 --aspect 16:9 --fps 60         # 1 s more motion
  vidiff generate --clip in.mp4 -o loop.mp4 --loop --strip strip.png                      # seamless loop
  vidiff generate --image photo.jpg -o svd.mp4 --backend svd --weights ~/models/svd-xt --device cuda
"""


METHODS = ("dis", "diffusion")
MAX_EXTEND = 60.0  # seconds past the end (a clip given to generate is at most 60 s long too)
MAX_TRANSITION = 10.0
SCHEMES = (
    "autoregressive",
    "hierarchical",
)  # vidiff.generate.schemes.SCHEMES; literal so --help needs no cv2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="make a short clip from a still or a clip (extend, animate, loop)",
        description="Make a short clip for social platforms. From a still (--image): camera motion over "
        "the photo. From a clip (--clip): the clip continued past its last frame (--extend seconds of "
        "frames never observed, generated from the motion of its last frames), and with --loop a "
        "transition from its last frame back to its first so it plays as a seamless loop. Output: "
        "H.264 High, yuv420p, +faststart, at a platform size, with AAC audio from --audio trimmed and "
        "faded to the clip.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", help="a still image (jpg, png, ...)")
    src.add_argument("--clip", help="a video clip to extend or loop")
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument(
        "--seconds", type=float, default=4.0, help="length of a clip made from --image (default 4)"
    )
    p.add_argument(
        "--extend",
        type=float,
        default=None,
        help=f"with --clip: seconds of new frames after its end, 0-{MAX_EXTEND:g} (default 1, or 0 with --loop)",
    )
    p.add_argument(
        "--fps", type=int, choices=(24, 25, 30, 50, 60), default=30, help="output frame rate (default 30)"
    )
    p.add_argument(
        "--aspect", default="9:16", help="9:16 (1080x1920, default), 1:1 (1080x1080), 16:9 (1920x1080), 4:5"
    )
    p.add_argument(
        "--motion",
        default="auto",
        help="camera motion for --image: pan-left, pan-right, zoom-in, "
        "zoom-out, auto (pan across wide photos, else zoom in)",
    )
    p.add_argument("--strength", type=float, default=0.25, help="amount of camera motion, 0-1 (default 0.25)")
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
        default="autoregressive",
        choices=SCHEMES,
        help="how frames past the end are sampled (Flexible Diffusion Model schemes)",
    )
    p.add_argument(
        "--backend",
        choices=("vidiff", "svd"),
        default="vidiff",
        help="with --image: vidiff (camera motion, default) or svd (Stable Video Diffusion keyframes from "
        "--weights, then vidiff raises their frame rate; needs pip install 'vidiff[svd]')",
    )
    p.add_argument("--weights", help="with --backend svd: a diffusers StableVideoDiffusionPipeline folder")
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
        help="sampler steps: --method diffusion (default 1) or --backend svd (default 25)",
    )
    p.add_argument(
        "--device", default=None, help="for --method diffusion or --backend svd: cpu (default) or cuda"
    )
    p.add_argument("--audio", help="music or voice to put under the clip (trimmed and faded to its length)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the model (default 0)")
    p.add_argument("--crf", type=int, default=18, help="H.264 quality (default 18)")
    p.add_argument("--preset", default="medium", help="x264 speed preset (default medium)")
    p.add_argument("--strip", help="also write an image strip of the clip's frames (PNG)")
    add_strict_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def _load_image(path: str):
    import cv2

    from vidiff.errors import InputError

    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not an image file")
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"{path}: not a readable image")
    if max(img.shape[:2]) > 16384:
        raise InputError(
            f"{path}: image {img.shape[1]}x{img.shape[0]} is over the 16384-pixel limit per side"
        )
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _svd_keyframes(args: argparse.Namespace, size: tuple[int, int]) -> tuple[list, Fraction]:
    """SVD keyframes of the still at the output's aspect, and their frame rate."""
    from vidiff.errors import ConfigError
    from vidiff.generate.schemes import seamless_loop
    from vidiff.generate.svd import load_svd, svd_keyframes

    if not args.weights:
        raise ConfigError(
            "--backend svd needs --weights DIR (a diffusers StableVideoDiffusionPipeline folder)"
        )
    image = _load_image(args.image)
    pipe = load_svd(args.weights, args.device)
    keys, key_fps = svd_keyframes(
        pipe, image, args.seconds, size[0] / size[1], args.steps, args.seed, progress=not args.quiet
    )
    if args.loop:  # the transition follows the --seconds of keyframes: a looped SVD clip runs longer
        keys += seamless_loop(keys)
    return keys, key_fps


def run(args: argparse.Namespace) -> int:
    import cv2

    from vidiff.errors import ConfigError, InputError
    from vidiff.flow import get_interpolator
    from vidiff.generate import camera_frames, extend_frames, loop_frames
    from vidiff.generate.schemes import seamless_loop
    from vidiff.generate.social import image_strip, preset_size, reframe, retime
    from vidiff.io.audio import AudioTrack
    from vidiff.io.encode import EncodeOptions
    from vidiff.io.probe import probe
    from vidiff.io.reader import read_frames
    from vidiff.io.writer import VideoWriter, check_output_path, check_png_output
    from vidiff.timeline import check_flow_size

    size = preset_size(args.aspect)
    inputs = [x for x in (args.image, args.clip, args.audio) if x]
    check_output_path(args.output, inputs)
    if args.strip:
        check_png_output(args.strip, "--strip", [*inputs, args.output])
    if args.extend is not None and not 0 <= args.extend <= MAX_EXTEND:
        raise ConfigError(f"--extend must be between 0 and {MAX_EXTEND} seconds, not {args.extend:g}")
    if args.transition is not None and not 0 < args.transition <= MAX_TRANSITION:
        raise ConfigError(
            f"--transition must be above 0 and at most {MAX_TRANSITION} seconds, not {args.transition:g}"
        )
    if not 0 <= args.strength <= 1:
        raise ConfigError(f"--strength must be between 0 and 1, not {args.strength:g}")
    EncodeOptions("h264", args.crf, args.preset).check_output(args.output, *size, resumable=False)
    fps = Fraction(args.fps)
    uses_model = args.backend == "svd" or args.method == "diffusion"
    if args.weights and args.backend != "svd":
        raise ConfigError("--weights is for --backend svd (the vidiff models are the shipped ones)")
    for opt in ("steps", "device"):
        if getattr(args, opt) is not None and not uses_model:
            raise ConfigError(f"--{opt} applies to --method diffusion or --backend svd")
    args.device = args.device or "cpu"
    if args.steps is None:
        args.steps = 25 if args.backend == "svd" else 1
    top = 100 if args.backend == "svd" else 50  # SVD's scheduler; vidiff's sampler takes 1-50
    if not 1 <= args.steps <= top:
        raise ConfigError(f"--steps must be between 1 and {top} (with --backend {args.backend})")
    report: dict = {"output": args.output, "size": list(size), "fps": args.fps}
    if (
        args.method not in METHODS
    ):  # argparse checks these too; run() is also called by the social_clip recipe
        raise ConfigError(f"unknown method {args.method!r}; choose one of: {', '.join(METHODS)}")
    if args.scheme not in SCHEMES:
        raise ConfigError(f"unknown scheme {args.scheme!r}; choose one of: {', '.join(SCHEMES)}")
    if args.image and args.method != "dis":
        raise ConfigError(
            "--method applies to --clip (a still is animated by exact camera motion or --backend svd)"
        )
    if args.image:
        if not 0.2 <= args.seconds <= 60:
            raise ConfigError("--seconds must be between 0.2 and 60")
        if args.backend == "svd":
            seq, seq_fps = _svd_keyframes(args, size)
            report.update(source="image", backend="svd", weights=args.weights)
        else:
            n = round(args.seconds * args.fps)
            frames = camera_frames(
                _load_image(args.image), n, size, args.motion, args.strength, pingpong=args.loop
            )
            report.update(source="image", motion=args.motion, frames_generated=n)
            seq = None  # camera frames are at the output's size and rate already
    else:
        if args.backend == "svd":
            raise ConfigError("--backend svd animates a still: use it with --image")
        info = probe(args.clip)
        if info.n_frames < 3:
            raise InputError(f"{args.clip}: has {info.n_frames} frames; extension needs at least 3")
        if info.duration > 60:
            raise ConfigError(
                f"{args.clip}: {info.duration:.0f} s is too long for generate (60 s at most); trim it first"
            )
        check_flow_size(info.width, info.height, "dis")
        src = read_frames(args.clip)
        extend = args.extend if args.extend is not None else (0.0 if args.loop else 1.0)
        n_new = round(extend * float(info.fps))
        refiner = None
        if args.method == "diffusion":
            from vidiff.generate.refine import DiffusionRefiner

            refiner = DiffusionRefiner(steps=args.steps, seed=args.seed, device=args.device)
        new = extend_frames(src, n_new, scheme=args.scheme, refiner=refiner) if n_new else []
        clip = src + new
        n_loop = 0
        if args.loop:
            if args.transition is not None:
                n_tr = max(1, round(args.transition * float(info.fps)))
                loop = loop_frames(clip[0], clip[-1], n_tr, refiner=refiner)
            else:
                loop = seamless_loop(clip, refiner)
            n_loop = len(loop)
            clip += loop
        report.update(
            source="clip",
            frames_observed=len(src),
            frames_extended=n_new,
            frames_loop=n_loop,
            scheme=args.scheme,
            method=args.method,
        )
        seq, seq_fps = clip, info.fps
    if seq is not None:
        frames = [reframe(f, size) for f in retime(seq, seq_fps, fps, get_interpolator("dis"))]
    if args.loop:
        report["loop_jump"] = float(abs(frames[-1].astype(float) - frames[0]).mean())
    track = AudioTrack.from_file(args.audio, duration=len(frames) / args.fps) if args.audio else None
    with VideoWriter(
        args.output,
        size[0],
        size[1],
        fps,
        crf=args.crf,
        preset=args.preset,
        profile="high",
        audio=track,
        inputs=inputs,
    ) as w:
        w.write_all(frames)
    report["frames"] = len(frames)
    report["seconds"] = round(len(frames) / args.fps, 3)
    if args.strip:
        cv2.imwrite(args.strip, cv2.cvtColor(image_strip(frames), cv2.COLOR_RGB2BGR))
        report["strip"] = args.strip
    if args.json:
        print(json.dumps(report, indent=2))
    elif not args.quiet:
        print(
            f"wrote {args.output}: {report['frames']} frames, {report['seconds']} s, {size[0]}x{size[1]} "
            f"at {args.fps} fps",
            file=sys.stderr,
        )
    return 0
