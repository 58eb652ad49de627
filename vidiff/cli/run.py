"""`vidiff run RECIPE -i INPUT -o OUTPUT [stage.key=value ...]`: run a recipe on a clip or many."""

from __future__ import annotations

import argparse
import json

from vidiff.cli import (
    add_deinterlace_option,
    add_input_fps_option,
    add_report_options,
    add_start_number_option,
    add_strict_option,
)
from vidiff.cli.upscale import add_workers_option


def register(sub: argparse._SubParsersAction) -> None:
    from vidiff.recipes import recipe_names

    p = sub.add_parser(
        "run",
        help="run a recipe (a YAML chain of stages) on a clip or a folder of clips, or from a prompt",
        description="Run RECIPE — a shipped name (" + ", ".join(recipe_names()) + ") or a YAML file — on "
        "INPUT (social_clip: a clip or a still, or no INPUT with generate.prompt and generate.weights: a "
        "video diffusion model makes the clip from the prompt). With a folder or glob as INPUT, OUTPUT is a folder: every clip is processed, finished outputs "
        "are skipped, a bad file is reported in one line and skipped; the exit code is 1 if any failed. "
        "Segments of a long clip and the clips of a batch run in parallel on every core (--workers N), or "
        "on a Ray cluster (--ray [ADDRESS]); --shard i/n splits a batch by hand (each process or machine "
        "takes every n-th clip).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  vidiff run fps_x2 -i in.mp4 -o out.mp4\n"
        "  vidiff run slowmo_x4 -i in.mp4 -o slow.mp4 encode.audio=drop\n"
        "  vidiff run fps_60 -i in.mp4 -o out.mp4 interpolate.method=blend\n"
        "  vidiff run fps_x2 -i in.mp4 -o out.mp4 --quality max   # or interpolate.quality=max\n"
        "  vidiff run repair -i glitchy.mp4 -o fixed.mp4\n"
        "  vidiff run social_clip -i photo.jpg -o story.mp4 generate.motion=zoom-in\n"
        '  vidiff run social_clip -o fox.mp4 generate.prompt="a red fox in snow" '
        "generate.weights=Wan-AI/Wan2.1-T2V-1.3B-Diffusers\n"
        "  vidiff run fps_x2 -i 'clips/*.mp4' -o out/ --workers 4\n"
        "  vidiff run fps_x2 -i 'clips/*.mp4' -o out/ --ray          # a local Ray instance, or --ray HOST:PORT\n"
        "  vidiff run fps_x2 -i 'clips/*.mp4' -o out/ --shard 0/2   # and --shard 1/2 in a second process\n"
        "  vidiff run fps_60 -i frames/ -o out.mp4 --input-fps 30   # a folder of images only: one clip\n"
        "  vidiff run fps_x2 -i in.mp4 -o out_frames/               # PNG frames out (see upscale --help)",
    )
    p.add_argument("recipe", help="recipe name or YAML path")
    p.add_argument(
        "-i",
        "--input",
        help="a video (or a still for social_clip), a folder or a glob of videos; or an image sequence: a "
        "folder that holds images and no video, or a pattern such as frames/%%05d.png; none for social_clip "
        "with generate.prompt and generate.weights (text to video)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file (.gif too), or output folder for many inputs; for one input, image frames: DIR/ or "
        "DIR/%%06d.png",
    )
    add_input_fps_option(p, "the override decode.fps=FPS: ")
    add_deinterlace_option(p, "the override decode.deinterlace=MODE: ")
    add_start_number_option(p, "the override encode.start_number=N: ")
    p.add_argument("overrides", nargs="*", metavar="stage.key=value", help="override a stage option")
    p.add_argument("--shard", help="i/n: process only every n-th clip starting at the i-th (0-based)")
    add_workers_option(p)
    p.add_argument(
        "--ray",
        nargs="?",
        const=True,
        default=None,
        metavar="ADDRESS",
        help="run the clips' segments as Ray tasks: on the cluster at ADDRESS, or a local Ray instance "
        "(needs the ray extra: pip install 'vidiff[ray]'); a folder or glob of clips as INPUT",
    )
    from vidiff.cli.upscale import add_engine_option, add_quality_option

    add_engine_option(p)
    add_quality_option(
        p,
        "a quality tier for the recipe's interpolate stage (its infill stage in a repair recipe): "
        "the override interpolate.quality=TIER; the recipe's stage must not name a method (or "
        "interpolate.method=auto). ",
    )
    add_strict_option(p)
    add_report_options(p, "the report(s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.errors import ConfigError
    from vidiff.recipes import load_recipe
    from vidiff.runner.parallel import cli_workers
    from vidiff.runner.recipe import (
        check_input,
        check_workers,
        is_batch,
        one_process_stage,
        parse_shard,
        run_many,
        run_recipe,
    )

    parse_shard(args.shard)  # a bad --shard, --workers or --ray is refused before any work
    workers = cli_workers(args.workers) if args.ray is None else None  # every core by default
    if args.ray is not None:
        from vidiff.runner.ray_pool import check_ray

        check_ray()
        if args.workers is not None:
            raise ConfigError("--workers counts local processes; with --ray the cluster's CPUs run the tasks")
    extra = [f"interpolate.engine={args.engine}"] if args.engine else []  # --engine: an override
    if args.input_fps is not None:  # --input-fps: an override of the decode stage
        extra.append(f"decode.fps={args.input_fps}")
    if args.deinterlace is not None:  # --deinterlace: an override of the decode stage
        extra.append(f"decode.deinterlace={args.deinterlace}")
    if args.start_number is not None:  # --start-number: an override of the encode stage
        extra.append(f"encode.start_number={args.start_number}")
    recipe = load_recipe(args.recipe)
    if args.engine and recipe.stage("interpolate") is None:  # the override's message names no flag
        raise ConfigError(
            f"--engine runs an interpolate stage's networks; recipe {recipe.name} has none (its frames are "
            "made by its other stages)"
        )
    if args.quality is not None:  # --quality: an override of the stage that makes frames
        from vidiff.quality import check_quality

        check_quality(args.quality)
        infill = recipe.stage("interpolate") is None and recipe.stage("infill") is not None
        extra.append(f"{'infill' if infill else 'interpolate'}.quality={args.quality}")
    recipe = recipe.with_overrides([*args.overrides, *extra])
    check_input(recipe, args.input)  # no -i: a prompt and weights, or one line before any work
    if not is_batch(args.input):  # one input: workers given for a recipe made in one process is refused
        check_workers(recipe, args.workers)
        workers = None if one_process_stage(recipe) else workers
    if args.shard and not is_batch(args.input):
        what = "INPUT is one file" if args.input is not None else "there is no INPUT"
        raise ConfigError(f"--shard splits a folder or glob of clips; {what}")
    if "fps" in (recipe.stage("decode") or {}) and is_batch(args.input):
        raise ConfigError(
            "--input-fps (decode.fps) is the rate of one image sequence; INPUT is a folder or glob of videos"
        )
    if is_batch(args.input):
        reports, failures, skipped = run_many(
            recipe, args.input, args.output, args.shard, not args.quiet, workers=workers, ray=args.ray
        )
        if args.json:
            print(
                json.dumps(
                    {
                        "done": reports,
                        "failed": [{"input": i, "error": e} for i, e in failures],
                        "skipped": skipped,
                    },
                    indent=2,
                )
            )
        else:
            print(
                f"{len(reports)} done, {len(skipped)} already finished, {len(failures)} failed -> {args.output}"
            )
        return 1 if failures or any(r.get("clips_failed") for r in reports) else 0  # or a seed's clip
    if args.ray is not None:
        from vidiff.runner.recipe import ray_pool

        with ray_pool(recipe, args.ray) as pool:
            report = run_recipe(recipe, args.input, args.output, not args.quiet, pool=pool)
    else:
        report = run_recipe(recipe, args.input, args.output, not args.quiet, workers=workers)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        if recipe.stage("infill") is not None:  # a repair recipe: what it did, as `vidiff infill` says it
            from vidiff.cli.infill import print_repairs

            print_repairs(report, bool(recipe.stage("infill").get("auto")))
        print(f"wrote {report.get('output', args.output)} ({recipe.name})")
    return 1 if report.get("clips_failed") else 0  # generate.seeds / prompts: a clip that failed
