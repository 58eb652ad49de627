"""Repair a clip: regenerate chosen frames (or frozen, black and corrupt ones it finds) from their neighbours.

Two streaming passes: the first looks at every frame (and a small thumbnail of it) to decide which frames
to replace; the second rewrites the clip, holding a run of bad frames only until the next good one
arrives, and rebuilds each from the good frames around it at its real time.
"""

from __future__ import annotations

import os
import time
from fractions import Fraction
from typing import Any

from vidiff.errors import ConfigError, InputError
from vidiff.flow import Interpolator, get_interpolator
from vidiff.io.encode import EncodeOptions
from vidiff.io.probe import VideoFile
from vidiff.io.reader import VideoReader
from vidiff.io.writer import VideoWriter, check_output_path
from vidiff.metrics.defects import detect_bad_frames
from vidiff.progress import progress_bar
from vidiff.timeline import check_flow_size


def parse_frames(spec: str | int, n_frames: int) -> set[int]:
    """'10-14,30' -> {10, 11, 12, 13, 14, 30}; every index must lie inside the clip."""
    out: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part[1:]:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise ValueError
            else:
                a = b = int(part)
        except ValueError:
            raise ConfigError(f"invalid --frames {spec!r}; use e.g. 10-14,30") from None
        if a < 0 or b >= n_frames:  # checked before the range is built: 0-999999999999 is one line
            bad = a if a < 0 else max(a, n_frames)
            raise ConfigError(f"--frames: frame {bad} is outside the clip (frames 0-{n_frames - 1})")
        out.update(range(a, b + 1))
    if not out:
        raise ConfigError(f"invalid --frames {spec!r}: no frame listed")
    return out


def infill_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    frames: str | set[int] | None = None,
    auto: bool = False,
    method: str | Interpolator = "auto",
    method_options: dict[str, Any] | None = None,
    codec: str = "libx264",
    crf: int | None = 18,
    preset: str | None = None,
    audio: bool = True,
    progress: bool = True,
    pix_fmt: str = "yuv420p",
    audio_codec: str = "auto",
) -> dict[str, Any]:
    """Rewrite `input` to `output` with the listed frames (or, with `auto`, the bad ones found) rebuilt
    from the nearest kept frames on each side; same frame count, timing and audio."""
    input, output = os.fspath(input), os.fspath(output)
    check_output_path(output, [input])
    enc = EncodeOptions(codec, crf, preset, pix_fmt, audio_codec)
    if (frames is None) == (not auto):
        raise ConfigError("give either frames to replace (--frames 10-14,30) or --auto")
    # opened once for the probe, the defect scan and the frames; the audio copier, which reads while the
    # frames are read, opens its own
    with VideoFile(input) as src:
        info = src.info
        if info.n_frames < 3:
            raise InputError(f"{input}: has only {info.n_frames} frames; infilling needs at least 3")
        if not auto and not isinstance(frames, set):
            frames = parse_frames(frames, info.n_frames)
        if not auto and set(range(info.n_frames)) <= set(frames):  # type: ignore[arg-type]
            raise ConfigError(
                f"--frames lists every frame of {input} (0-{info.n_frames - 1}); keep at least one to rebuild "
                "the others from"
            )
        interp = get_interpolator(method, **(method_options or {})) if isinstance(method, str) else method
        check_flow_size(info.width, info.height, getattr(interp, "name", str(method)))
        enc.check_output(output, info.width, info.height, resumable=False)
        reasons = detect_bad_frames(src) if auto else dict.fromkeys(sorted(frames), "listed")
        t0 = time.perf_counter()
        with (
            VideoWriter(
                output,
                info.width,
                info.height,
                info.fps,
                **enc.writer_kwargs(),
                audio_from=input if audio and info.audio else None,
                audio_codec=audio_codec,
                rotation=info.rotation,
                color=info.color,
                inputs=[input],
            ) as writer,
            progress_bar(info.n_frames, "infill", progress) as bar,
        ):
            replaced, held = _rewrite(src, reasons, interp, writer, bar)
        return {
            "input": input,
            "output": output,
            "method": getattr(interp, "name", str(method)),
            "frames": writer.n_frames,
            "fps": str(info.fps),
            "replaced": [
                {"frame": i, "time_s": round(float(Fraction(i) / info.fps), 3), "why": reasons[i]}
                for i in replaced
            ],
            "held": held,
            "seconds": round(time.perf_counter() - t0, 3),
        }


def _rewrite(
    src: VideoFile, reasons: dict[int, str], interp: Interpolator, writer: VideoWriter, bar: Any
) -> tuple[list[int], list[int]]:
    """The second pass: every frame to `writer`, those in `reasons` rebuilt from the good frames around them
    (held from the nearest one at either end of the clip); returns (replaced, held) frame indices."""
    replaced: list[int] = []
    held: list[int] = []
    last_good = None
    pending = []
    for f in VideoReader(src):
        if f.index in reasons:
            pending.append(f)
            continue
        if pending:
            if last_good is None:  # bad frames at the very start: hold the first good frame
                for p in pending:
                    writer.write(f.image)
                    held.append(p.index)
            else:
                ts = [float((p.time - last_good.time) / (f.time - last_good.time)) for p in pending]
                for p, img in zip(pending, interp.interpolate(last_good.image, f.image, ts), strict=True):
                    writer.write(img)
                    replaced.append(p.index)
            bar.update(len(pending))
            pending = []
        writer.write(f.image)
        bar.update(1)
        last_good = f
    for p in pending:  # bad frames at the very end: hold the last good frame
        writer.write(last_good.image if last_good is not None else p.image)
        held.append(p.index)
    return replaced, held
