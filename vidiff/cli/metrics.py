"""`vidiff metrics`: temporal-consistency report of any clip (optionally against a reference)."""

from __future__ import annotations

import argparse
import json

from vidiff.cli import add_deinterlace_option, add_input_fps_option, add_report_options, add_strict_option

EXAMPLES = """examples:
  vidiff metrics clip.mp4                          # summary and the worst segments, with timestamps
  vidiff metrics clip.mp4 --plot clip.png          # per-frame curves as a PNG
  vidiff metrics out.mp4 --reference truth.mp4     # also PSNR/SSIM per frame, flicker ratio
  vidiff metrics clip.mp4 --json --quiet > m.json  # every per-frame figure, machine-readable
  vidiff metrics frames/ --input-fps 30             # an image sequence (a folder, or frames/%05d.png)

figures (0-255 units unless said):
  warping error   frame i warped onto frame i+1 with DIS optical flow; mean |difference| where the
                  flow passes a forward-backward check: what motion does not explain (flicker,
                  popping, smearing). Lower is more consistent.
  flicker         mean |F(i+1) - F(i)|: all change between frames, motion included.
  with --reference: PSNR (dB) and SSIM per frame; flicker ratio = flicker of the input over the
                  reference's (1.0 ideal, below: motion smoothed, above: jitter); tdiff err = mean
                  |(F(i+1)-F(i)) - (G(i+1)-G(i))|. Frames are paired by index.
  Scene cuts and fades are detected and left out of the means and of the worst segments.

defects (each with its frames, time span and a confidence; the plot colours them by kind):
  black      1-3 blank frames (black or one flat colour) between pictured ones
  frozen     2+ repeats of a frame while the picture moves around them (a held shot is not one)
  duplicate  a single repeat inside motion: a cadence break (e.g. 24 -> 25 fps), reported only; repeats
             at a regular rhythm (24 fps at 30 or 60, 15 at 30) are one duplicate event: a cadence;
             so are field-mixed (combed) frames of 3:2 telecine (24p at 29.97i): "telecine (combed frames)"
  flicker    brightness/colour of a frame or a region off its neighbours' and back, content in place
  corrupt    a region (noise, wrong blocks, a flat patch) that neither neighbour explains
  jump       two frames out of order, or a skip (frames missing: the picture leaps)
  events, content rather than defects: cuts, and fades (to, from or through black or white; JSON
  summary.fades) whose frames are not named black or flicker
  `vidiff infill --auto` repairs black, frozen, corrupt, flicker and out-of-order frames and nothing else.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "metrics",
        help="temporal-consistency report of a clip",
        description="Measure how temporally consistent a clip is: per-frame warping error and flicker, "
        "their means, the worst segments with their timestamps, scene cuts, and the defects found, each "
        "named by kind. With --reference, also PSNR and SSIM of every frame against the reference clip "
        "(same size, frames paired by index).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    p.add_argument(
        "input",
        metavar="INPUT",
        help="video file or image sequence (a folder, or frames/%%05d.png) to measure",
    )
    p.add_argument("--reference", "-r", metavar="REF", help="ground-truth clip of the same size")
    add_input_fps_option(p)
    add_deinterlace_option(p)
    p.add_argument("--plot", metavar="PNG", help="write per-frame curves to this PNG file")
    p.add_argument(
        "--top", type=int, default=5, metavar="N", help="how many worst segments to list (default 5)"
    )
    p.add_argument(
        "--max-frames", type=int, default=None, metavar="N", help="measure only the first N frames"
    )
    add_strict_option(p)
    add_report_options(p, "the full report (per-frame figures)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.io.deinterlace import as_shown

    with as_shown():  # (its probe counts the frames analyze_clip measures)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from vidiff.io.probe import probe
    from vidiff.io.sequence import check_input_fps, is_sequence
    from vidiff.io.writer import check_png_output
    from vidiff.metrics.clip import analyze_clip, check_measure_limits
    from vidiff.metrics.report import clip_text, plot_clip
    from vidiff.progress import progress_bar
    from vidiff.timeline import parse_input_fps

    check_measure_limits(args.max_frames, args.top)  # the API's and the web app's check, one line
    if args.plot:
        check_png_output(args.plot, "--plot", [x for x in (args.input, args.reference) if x])
    given = None if args.input_fps is None else parse_input_fps(args.input_fps)
    rate = check_input_fps(given, args.input, args.reference)
    info = probe(args.input, rate if is_sequence(args.input) else None)
    info.require_frames(2, "measuring")  # before the progress bar (analyze_clip checks it too)
    if args.reference:
        probe(args.reference, rate if is_sequence(args.reference) else None)
    total = min(info.n_frames, args.max_frames or info.n_frames)
    with progress_bar(total, "metrics", not args.quiet) as bar:
        report = analyze_clip(args.input, args.reference, args.max_frames, args.top, bar.update, rate)
    if args.plot:
        plot_clip(report, args.plot)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(clip_text(report))
        if args.plot:
            print(f"  plot: {args.plot}")
    return 0
