"""`vidiff probe`: what a video file holds (size, exact fps, VFR, frames, rotation, audio, subtitles,
chapters)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe",
        help="describe a video file",
        description="Describe the video stream of a file (the first that is not cover art) and its audio "
        "streams, subtitle streams and chapters, as vidiff sees it.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff probe in.mp4\n  vidiff probe in.mp4 --json | jq .fps",
    )
    p.add_argument("input", metavar="INPUT", help="video file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.io.probe import probe, repeats_note

    info = probe(args.input)
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
    print(f"  rate   {rate} fps ({float(info.fps):.3f}){' variable (VFR)' if info.is_vfr else ''}")
    print(f"  frames {info.n_frames}, {info.duration:.3f} s, rotation {info.rotation} deg")
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
