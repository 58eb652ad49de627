"""`make_clip`: a short social clip from a still or a clip, as a library call.

`vidiff generate` and the `social_clip` recipe both call it. Every option is checked before any frame is
made (one `ConfigError` / `InputError` / `OutputError` line); the report says what was made. This module
imports nothing heavy at load time (the CLI reads its constants for `--help`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from typing import Any

METHODS = ("dis", "diffusion")
MAX_EXTEND = 60.0  # seconds past the end (a clip given to generate is at most 60 s long too)
MAX_TRANSITION = 10.0
SCHEMES = ("autoregressive", "hierarchical")  # vidiff.generate.schemes.SCHEMES, literal: no cv2 here
FPS_CHOICES = (24, 25, 30, 50, 60)
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


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


def make_clip(
    output: str | os.PathLike[str],
    *,
    image: str | None = None,
    clip: str | None = None,
    seconds: float = 4.0,
    extend: float | None = None,
    fps: int = 30,
    aspect: str = "9:16",
    motion: str = "auto",
    strength: float = 0.25,
    loop: bool = False,
    transition: float | None = None,
    scheme: str = "autoregressive",
    backend: str = "vidiff",
    weights: str | None = None,
    method: str = "dis",
    steps: int | None = None,
    device: str | None = None,
    seed: int = 0,
    interpolate: str = "dis",
    interpolate_options: dict[str, Any] | None = None,
    audio: str | None = None,
    codec: str = "h264",
    crf: int = 18,
    preset: str | None = None,
    pix_fmt: str = "yuv420p",
    strip: str | None = None,
    progress: bool = True,
    on_frame: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Make a clip at a platform size (`aspect`) and rate (`fps`) into `output`; returns the report.

    From `image`: camera `motion` over the still (or `backend="svd"` keyframes from `weights`). From
    `clip`: the clip continued `extend` seconds past its end by `scheme` (refined by the shipped models
    with `method="diffusion"`, `steps`, `device`, `seed`), with `loop` a transition back to its start.
    The frames are brought to `fps` by the `interpolate` method (with `interpolate_options`), encoded with
    `codec`/`crf`/`preset`/`pix_fmt`, with `audio` (a music file) trimmed and faded under them, and
    `strip` also writes a PNG strip of the frames. `on_frame(done, total)` is called after each frame is
    written (a progress and cancel point: an exception it raises stops the job and leaves no output).
    """
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

    output = os.fspath(output)
    if (image is None) == (clip is None):
        raise ConfigError("give exactly one of an image (a still) or a clip")
    size = preset_size(aspect)
    inputs = [x for x in (image, clip, audio) if x]
    check_output_path(output, inputs)
    if strip:
        check_png_output(strip, "--strip", [*inputs, output])
    if extend is not None and not 0 <= extend <= MAX_EXTEND:
        raise ConfigError(f"--extend must be between 0 and {MAX_EXTEND} seconds, not {extend:g}")
    if transition is not None and not 0 < transition <= MAX_TRANSITION:
        raise ConfigError(
            f"--transition must be above 0 and at most {MAX_TRANSITION} seconds, not {transition:g}"
        )
    if not 0 <= strength <= 1:
        raise ConfigError(f"--strength must be between 0 and 1, not {strength:g}")
    if fps not in FPS_CHOICES:
        raise ConfigError(f"fps {fps} for a social clip: use one of {', '.join(map(str, FPS_CHOICES))}")
    opts = EncodeOptions(codec, crf, preset, pix_fmt)
    opts.check_output(output, *size, resumable=False)
    uses_model = backend == "svd" or method == "diffusion"
    if backend not in ("vidiff", "svd"):
        raise ConfigError(f"unknown backend {backend!r}; choose vidiff or svd")
    if weights and backend != "svd":
        raise ConfigError("--weights is for --backend svd (the vidiff models are the shipped ones)")
    for name, value in (("steps", steps), ("device", device)):
        if value is not None and not uses_model:
            raise ConfigError(f"--{name} applies to --method diffusion or --backend svd")
    device = device or "cpu"
    if steps is None:
        steps = 25 if backend == "svd" else 1
    top = 100 if backend == "svd" else 50  # SVD's scheduler; vidiff's sampler takes 1-50
    if not 1 <= steps <= top:
        raise ConfigError(f"--steps must be between 1 and {top} (with --backend {backend})")
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    interp = get_interpolator(interpolate, **(interpolate_options or {}))  # an unknown option: one line
    report: dict[str, Any] = {"output": output, "size": list(size), "fps": fps, "interpolate": interp.name}
    out_fps = Fraction(fps)
    if image:
        if method != "dis":
            raise ConfigError(
                "--method applies to --clip (a still is animated by exact camera motion or --backend svd)"
            )
        if not 0.2 <= seconds <= 60:
            raise ConfigError("--seconds must be between 0.2 and 60")
        if backend == "svd":
            from vidiff.generate.svd import load_svd, svd_keyframes

            if not weights:
                raise ConfigError(
                    "--backend svd needs --weights DIR (a diffusers StableVideoDiffusionPipeline folder)"
                )
            still = _load_image(image)
            pipe = load_svd(weights, device)
            seq, seq_fps = svd_keyframes(
                pipe, still, seconds, size[0] / size[1], steps, seed, progress=progress
            )
            if loop:  # the transition follows the seconds of keyframes: a looped SVD clip runs longer
                seq += seamless_loop(seq)
            report.update(source="image", backend="svd", weights=weights)
        else:
            n = round(seconds * fps)
            frames = camera_frames(_load_image(image), n, size, motion, strength, pingpong=loop)
            report.update(source="image", motion=motion, frames_generated=n)
            seq = None  # camera frames are at the output's size and rate already
    else:
        if backend == "svd":
            raise ConfigError("--backend svd animates a still: use it with --image")
        info = probe(clip)
        if info.n_frames < 3:
            raise InputError(f"{clip}: has {info.n_frames} frames; extension needs at least 3")
        if info.duration > 60:
            raise ConfigError(
                f"{clip}: {info.duration:.0f} s is too long for generate (60 s at most); trim it first"
            )
        check_flow_size(info.width, info.height, "dis")
        src = read_frames(clip)
        ext_s = extend if extend is not None else (0.0 if loop else 1.0)
        n_new = round(ext_s * float(info.fps))
        refiner, bar = None, None
        if method == "diffusion":
            from vidiff.generate.refine import DiffusionRefiner
            from vidiff.progress import progress_bar

            # the model's frames counted as they are made (a loop's transition length is found later)
            bar = progress_bar(None if loop else n_new, "refine (diffusion)", progress)
            refiner = DiffusionRefiner(steps=steps, seed=seed, device=device, on_frames=bar.update)
        new = extend_frames(src, n_new, scheme=scheme, refiner=refiner) if n_new else []
        seq = src + new
        n_loop = 0
        if loop:
            if transition is not None:
                n_tr = max(1, round(transition * float(info.fps)))
                tail = loop_frames(seq[0], seq[-1], n_tr, refiner=refiner)
            else:
                tail = seamless_loop(seq, refiner)
            n_loop = len(tail)
            seq += tail
        if bar is not None:
            bar.close()
        report.update(
            source="clip",
            frames_observed=len(src),
            frames_extended=n_new,
            frames_loop=n_loop,
            scheme=scheme,
            method=method,
        )
        seq_fps = info.fps
    if seq is not None:
        frames = [reframe(f, size) for f in retime(seq, seq_fps, out_fps, interp)]
    if loop:
        report["loop_jump"] = float(abs(frames[-1].astype(float) - frames[0]).mean())
    track = AudioTrack.from_file(audio, duration=len(frames) / fps) if audio else None
    # H.264 High where it holds the pixel format (4:2:0 8-bit); other formats take the encoder's own
    profile = "high" if opts.encoder == "libx264" and pix_fmt == "yuv420p" else None
    with VideoWriter(output, size[0], size[1], out_fps, **opts.writer_kwargs(), profile=profile, audio=track,
                     inputs=inputs) as w:  # fmt: skip
        for k, frame in enumerate(frames, 1):
            w.write(frame)
            if on_frame is not None:
                on_frame(k, len(frames))
    report["frames"] = len(frames)
    report["seconds"] = round(len(frames) / fps, 3)
    if strip:
        cv2.imwrite(strip, cv2.cvtColor(image_strip(frames), cv2.COLOR_RGB2BGR))
        report["strip"] = strip
    return report
