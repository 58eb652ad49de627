"""`vidiff probe`: what a video file holds (size, exact fps, VFR, frames, rotation, audio, subtitles,
chapters)."""

from __future__ import annotations

import argparse
import json

from vidiff.cli import add_deinterlace_option, add_input_fps_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe",
        help="describe a video file",
        description="Describe the video stream of a file (the first that is not cover art) and its audio "
        "streams, subtitle streams and chapters, as vidiff sees it; or an image sequence (a folder of images, "
        "or a pattern such as frames/%%05d.png), from its images' headers.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff probe in.mp4\n  vidiff probe in.mp4 --json | jq .fps\n"
        "  vidiff probe frames/ --input-fps 30",
    )
    p.add_argument("input", metavar="INPUT", help="video file or image sequence")
    add_input_fps_option(p)
    add_deinterlace_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.io.aspect import describe_sar
    from vidiff.io.colortags import describe_color
    from vidiff.io.orient import upright_size
    from vidiff.io.probe import probe, repeats_note
    from vidiff.io.sequence import CONTAINER
    from vidiff.timeline import parse_input_fps

    info = probe(args.input, None if args.input_fps is None else parse_input_fps(args.input_fps))
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
        return 0
    print(f"{info.path}")
    print(
        f"  video  {info.codec} {info.width}x{info.height} {info.pix_fmt} ({info.bit_depth}-bit), container {info.container}"
    )
    rate = (
        f"{info.fps.numerator}/{info.fps.denominator}"
        if info.fps.denominator != 1
        else str(info.fps.numerator)
    )
    given = " (--input-fps: a sequence has no rate of its own)" if info.container == CONTAINER else ""
    stored = " (interlaced: read as stored)" if info.interlaced else ""
    how = {"field": " (deinterlaced: a frame per field)", "frame": " (deinterlaced)"}
    how["film"] = " (telecined film: 2:3 pulldown undone)"
    given += how.get(info.deinterlace, stored)
    print(f"  rate   {rate} fps ({float(info.fps):.3f}){' variable (VFR)' if info.is_vfr else ''}{given}")
    if info.color:
        print(f"  colour {describe_color(info.color, info.pix_fmt)}")
    shown = upright_size(info.width, info.height, info.rotation, info.sar)
    turned = f" (shown {shown[0]}x{shown[1]})" if info.rotation else ""
    turned += ", mirrored (display matrix)" if info.flip else ""
    print(f"  frames {info.n_frames}, {info.duration:.3f} s, rotation {info.rotation} deg{turned}")
    if info.first_at:  # reports' times are on this clock (`vidiff.io.clock`)
        print(f"  starts {info.first_at:.3f} s in (the sound starts first; vidiff's times count from it)")
    if info.sar:
        print(f"  pixels {describe_sar(info.width, info.height, info.sar, info.rotation)}")
    for a in info.audio:
        dur = f", {a.duration:.3f} s" if a.duration else ""
        print(f"  audio  #{a.index} {a.codec} {a.sample_rate} Hz {a.channels} ch{dur}")
    if not info.audio:
        print("  audio  none")
    if info.subtitles:
        subs = ", ".join(
            f"#{t.index} {t.codec}" + (f" ({t.language})" if t.language else "") for t in info.subtitles
        )
        print(f"  subs   {subs}")
    if info.chapters:
        marks = ", ".join(f"{c.start:.3f} s" + (f" {c.title}" if c.title else "") for c in info.chapters)
        print(f"  chapters {len(info.chapters)}: {marks}")
    if info.damage:
        print(f"  damage {info.damage} (vidiff uses the frames that decode; --strict refuses the file)")
    if info.repeated:
        print(f"  damage {repeats_note(info.repeated)} (left out, as ffmpeg does; --strict refuses the file)")
    return 0
