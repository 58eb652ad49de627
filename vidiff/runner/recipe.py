"""Run a recipe on one clip or many: the stage chain mapped onto the streaming runners.

decode → [dedupe] → [scene_split] → interpolate → [retime] → [reframe] → encode runs as one streaming
pass (`upscale_file`); a recipe with `infill` runs the repair pass (`infill_file`); one with `generate`
runs the social-clip generator. Many clips: every video in a folder or glob, finished outputs skipped,
a bad file reported and skipped, `shard=(i, n)` taking every n-th clip from the i-th.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import glob
import os
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, OutputError, VidiffError
from vidiff.io.deinterlace import deinterlace_scope
from vidiff.io.probe import strict_input, strict_scope
from vidiff.io.video_ext import (
    DEFAULT_CODEC,
    VIDEO_EXT,  # a batch folder's clips (a camcorder's .MTS was "no video files")
)
from vidiff.recipes import Recipe
from vidiff.validate import OWN, check_ascii_number, check_flag, check_optional_path, check_path


def as_recipe(recipe: object) -> Recipe:
    """`run_recipe`'s recipe: a `Recipe`, or a shipped recipe's name or a YAML path (loaded and checked as
    `vidiff run` loads it); anything else is one `ConfigError` (it was an AttributeError)."""
    if isinstance(recipe, Recipe):
        return recipe
    from vidiff.recipes import load_recipe

    return load_recipe(check_path(recipe, "recipe"))


def check_recipe(recipe: Recipe) -> None:
    """Every value of a recipe (file and overrides) checked before any work, by the same functions the
    CLI options and the Python API go through (`EncodeOptions`, `vidiff.timeline`)."""
    from vidiff.flow import METHOD_OPTIONS, check_method_options
    from vidiff.io.deinterlace import check_deinterlace
    from vidiff.io.encode import EncodeOptions
    from vidiff.timeline import parse_factor, parse_fps, parse_input_fps, parse_speed

    enc = recipe.stage("encode") or {}
    interp = recipe.stage("interpolate") or {}
    where = f"recipe {recipe.name}"
    try:
        EncodeOptions(
            enc.get("codec", DEFAULT_CODEC),
            enc.get("crf", 18),
            enc.get("preset"),
            enc.get("pix_fmt", "yuv420p"),
            enc.get("audio_codec", "auto"),
        )
        if "factor" in interp:
            parse_factor(interp["factor"])
        if "fps" in interp and not (recipe.stage("generate") is not None and interp["fps"] == OWN):
            parse_fps(interp["fps"])  # a generated clip's `source`: make_clip's (the clip's own rate)
        parse_speed((recipe.stage("retime") or {}).get("speed", 1))
        if "fps" in (recipe.stage("decode") or {}):
            parse_input_fps(recipe.stage("decode")["fps"])
        if "deinterlace" in (recipe.stage("decode") or {}):
            check_deinterlace(recipe.stage("decode")["deinterlace"], "decode deinterlace")
        _check_start_number(recipe, enc)
        mr = (recipe.stage("dedupe") or {}).get("max_run", 3)
        if mr < 1:
            raise ConfigError(f"dedupe max_run {mr}: must be 1 or more")
        opts = {k: interp[k] for k in METHOD_OPTIONS if k in interp}
        check_method_options("auto", opts)  # what every method shares (engine), whatever the method
        for st in ("interpolate", "infill"):
            if recipe.stage(st) is not None:
                _checked_stage_method(recipe, st, opts)
        _check_infill_choice(recipe.stage("infill"))
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    plain = recipe.stage("generate") is None and recipe.stage("infill") is None
    if plain and (not interp or ("factor" in interp) == ("fps" in interp)):
        raise ConfigError(f"{where}: the interpolate stage needs exactly one of factor, fps")


def _check_infill_choice(infill: dict[str, Any] | None) -> None:
    """An infill stage repairs what `auto` finds or rebuilds the `frames` listed, not both: frames given
    to a stage with auto on (the repair recipe's, `infill.frames=3`) were ignored without a word."""
    if infill and infill.get("auto") and infill.get("frames") not in (None, ""):
        raise ConfigError(
            f"the infill stage gives auto and frames {infill['frames']!r}: keep one "
            "(infill.auto=false to rebuild the frames listed)"
        )


def _check_start_number(recipe: Recipe, enc: dict[str, Any]) -> None:
    """`encode.start_number`: a first file number, for a recipe that can write image frames (upscale or
    infill; whether the output is frames is checked by the run, before any work)."""
    from vidiff.io.sequence_out import check_start_number

    if enc.get("start_number") is None:
        return
    check_start_number(enc["start_number"])
    if recipe.stage("generate") is not None:
        raise ConfigError(
            f"encode.start_number={enc['start_number']}: numbers image frames; a generated clip is a video file"
        )


def stage_method(recipe: Recipe, stage: str) -> tuple[str | None, str | None]:
    """(method, quality) that a stage names: the `infill` stage's own, else the `interpolate` stage's;
    None where not given."""
    own = recipe.stage(stage) or {}
    if stage == "infill" and "method" not in own and "quality" not in own:
        own = recipe.stage("interpolate") or {}
    return own.get("method"), own.get("quality")


def _checked_stage_method(recipe: Recipe, stage: str, opts: dict[str, Any]) -> None:
    """A stage's method or quality tier checked with the interpolate stage's model options (`opts`); a
    stage that gives both is refused in one line that says how to keep one."""
    from vidiff.flow import AUTO
    from vidiff.quality import checked_method

    method, quality = stage_method(recipe, stage)
    if quality is not None and method not in (None, AUTO):
        raise ConfigError(
            f"the {stage} stage gives method {method!r} and quality {quality!r}: keep one "
            f"({stage}.method=auto to use the quality)"
        )
    if method is not None or quality is not None:
        checked_method(quality, AUTO if method is None else method, opts)  # "" is refused, not auto


def check_input(recipe: Recipe, input: str | None) -> None:
    """A recipe runs on an input, except one whose generate stage makes the clip from a prompt with a
    video diffusion model's weights (text to video, as `vidiff generate --prompt --weights`): without
    either, one line before any work."""
    if input is not None:
        return
    where = f"recipe {recipe.name}: no input"
    g = recipe.stage("generate")
    if g is None:
        raise ConfigError(f"{where}: give one (-i: a video, a folder or a glob)")
    given = [f"generate.{k}" for k in ("prompt", "weights") if g.get(k) or g.get(k + "s") and k == "prompt"]
    if len(given) < 2:
        alone = f", and {given[0]} alone" if given else ""
        raise ConfigError(
            f"{where}{alone}: give -i (a clip or a still), or generate.prompt=TEXT and "
            "generate.weights=FOLDER_OR_HUB_ID to make the clip from a prompt"
        )


def one_process_stage(recipe: Recipe) -> str | None:
    """The stage that makes `recipe`'s clip in one process (generate, infill), or None: such a recipe has
    no segments to spread over workers (a batch still runs its clips side by side)."""
    return next((st for st in ("generate", "infill") if recipe.stage(st) is not None), None)


def check_workers(recipe: Recipe, workers: object) -> None:
    """Workers given for one input of a recipe made in one process would be ignored: one line instead."""
    if workers is not None and (one := one_process_stage(recipe)):
        raise ConfigError(
            f"--workers: recipe {recipe.name} makes its clip in one process (its {one} stage); leave it out"
        )


@checked_call
def run_recipe(
    recipe: Recipe,
    input: str | None,
    output: str,
    progress: bool = True,
    workers: int | str | None = None,
    pool: Any = None,
    strict: bool = False,
) -> dict[str, Any]:
    """Execute `recipe` on one input; returns the stage runner's report plus the recipe name.
    `input` None: a recipe whose generate stage has a prompt and weights makes the clip from the prompt
    (`check_input`). `workers`/`pool`: the frame-rate recipes' segments in parallel (`upscale_file`).
    `input` may be an image sequence (a folder of images, or a pattern), at the `decode` stage's `fps`;
    `output` a folder of frames (`vidiff.io.sequence_out`). `strict`: refuse a damaged input instead of
    using what decodes with one warning line (as --strict)."""
    args = dict(locals())  # the call's arguments
    if check_flag(strict, "strict") and not strict_input():  # the same call, within the strict policy
        with strict_scope(True):
            return run_recipe(**{**args, "strict": False})
    recipe = as_recipe(recipe)
    check_optional_path(input, "input")
    check_path(output, "output")
    check_flag(progress, "progress")
    check_recipe(recipe)
    check_input(recipe, input)
    from vidiff.runner.parallel import parse_workers

    workers = parse_workers(workers)
    check_workers(recipe, workers)
    enc = recipe.stage("encode") or {}
    common = {
        "codec": enc.get("codec", DEFAULT_CODEC),
        "crf": enc.get("crf", 18),
        "preset": enc.get("preset"),
    }
    common["audio_codec"] = enc.get("audio_codec", "auto")
    common["start_number"] = enc.get("start_number")  # image frames' first file number
    interp = recipe.stage("interpolate") or {}
    from vidiff.flow import METHOD_OPTIONS

    method_options = {k: interp[k] for k in METHOD_OPTIONS if k in interp}
    input_fps = (recipe.stage("decode") or {}).get("fps")  # an image sequence's rate
    deinterlace = (recipe.stage("decode") or {}).get("deinterlace")  # None: the caller's (auto)
    with deinterlace_scope(deinterlace):  # every stage that reads the input (a generate stage's clip too)
        report = _run_stages(
            recipe, input, output, progress, workers, pool, common, method_options, input_fps
        )
    return {"recipe": recipe.name, **report}


def _run_stages(
    recipe: Recipe,
    input: str | None,
    output: str,
    progress: bool,
    workers: int | None,
    pool: Any,
    common: dict[str, Any],
    method_options: dict[str, Any],
    input_fps: Any,
) -> dict[str, Any]:
    """The recipe's stages on one input, its values checked (`run_recipe`): their runner's report."""
    enc = recipe.stage("encode") or {}
    interp = recipe.stage("interpolate") or {}
    if recipe.stage("generate") is not None:
        report = _run_generate(recipe, input, output, progress)
    elif recipe.stage("infill") is not None:
        from vidiff.runner.infill import infill_file

        st = recipe.stage("infill")
        method, quality = stage_method(recipe, "infill")
        report = infill_file(
            input,
            output,
            frames=None if st.get("auto") else st.get("frames"),
            auto=bool(st.get("auto")),
            method=method or "auto",
            quality=quality,
            method_options=method_options,
            audio=enc.get("audio", "copy") == "copy",
            progress=progress,
            pix_fmt=enc.get("pix_fmt", "yuv420p"),
            input_fps=input_fps,
            **common,
        )
    else:
        from vidiff.runner.upscale import upscale_file

        retime = recipe.stage("retime") or {}
        transform, size = None, None
        if recipe.stage("reframe") is not None:
            from vidiff.generate.social import preset_size, reframe

            size = preset_size(recipe.stage("reframe").get("aspect", "9:16"))
            transform = functools.partial(reframe, size=size)  # picklable: workers apply it too
        dd = recipe.stage("dedupe")
        report = upscale_file(
            input,
            output,
            factor=interp.get("factor"),
            fps=interp.get("fps"),
            method=interp.get("method", "auto"),
            quality=interp.get("quality"),
            method_options=method_options,
            dedupe=dd is not None,
            max_run=int((dd or {}).get("max_run", 3)),
            scene_cuts=recipe.stage("scene_split") is not None,
            speed=retime.get("speed", 1),
            audio_mode=enc.get("audio", "copy"),
            transform=transform,
            out_size=size,
            pix_fmt=enc.get("pix_fmt", "yuv420p"),
            progress=progress,
            workers=workers,
            pool=pool,
            input_fps=input_fps,
            **common,
        )
    return report


def _run_generate(recipe: Recipe, input: str | None, output: str, progress: bool) -> dict[str, Any]:
    """social_clip: `vidiff.generate.make_clip` (keyframes → frame rate → reframe → encode), every key of
    the recipe passed on or refused; `input` a clip, a still, or None (the model's clip from the prompt)."""
    from vidiff.generate.clip import make_clip
    from vidiff.io.image_ext import IMAGE_EXT

    g = dict(recipe.stage("generate") or {})
    interp = recipe.stage("interpolate") or {}
    enc = recipe.stage("encode") or {}
    where = f"recipe {recipe.name}"
    if "factor" in interp:
        raise ConfigError(
            f"{where}: a generated clip is made at a frame rate: use interpolate.fps, not factor"
        )
    if enc.get("audio", "none") not in ("none", "drop"):
        raise ConfigError(
            f"{where}: encode.audio={enc['audio']}: a generated clip has no source audio to copy or slow; "
            "use none (vidiff generate --audio puts music under it)"
        )
    if enc.get("audio_codec", "auto") == "copy":  # was ignored: the sound made is encoded, never copied
        raise ConfigError(f"{where}: encode.audio_codec=copy: a generated clip has no source audio to copy")
    sources = {} if input is None else {"image" if Path(input).suffix.lower() in IMAGE_EXT else "clip": input}
    if enc.get("audio") == "drop" and (g.get("weights") or g.get("prompt") or "clip" in sources):
        if g.get("no_audio") is False:
            raise ConfigError(f"{where}: encode.audio=drop and generate.no_audio=false: give one")
        g = {**g, "no_audio": True}  # was ignored: the model's (LTX-2's) or the clip's sound kept
    fps = interp.get("fps", 30)  # OWN (source): the clip's own rate, checked by make_clip
    if fps != OWN:
        fps = Fraction(str(fps))
        if fps.denominator != 1:
            raise ConfigError(f"{where}: interpolate.fps must be 24, 25, 30, 50 or 60 for social clips")
        fps = int(fps)
    from vidiff.flow import METHOD_OPTIONS

    model = {k: interp[k] for k in METHOD_OPTIONS if k in interp}  # engine too (--engine): never dropped
    # generate.method=diffusion: the interpolate stage's steps and device drive the refiner too (unless
    # the generate stage names its own, as it does for a video diffusion model)
    diffusion = g.get("method") == "diffusion"
    refine = {k: interp.get(k) for k in ("steps", "device") if k not in g} if diffusion else {}
    method, quality = interp.get("method"), interp.get("quality")
    if quality is not None:  # the tier's method and options, the stage's model options on top
        from vidiff.quality import apply_quality

        method, model = apply_quality(quality, method or "auto", model)
    variations = {k: g.pop(k) for k in ("seeds", "prompts") if k in g}  # one clip each, one load
    if isinstance(variations.get("seeds"), int):
        variations["seeds"] = [variations["seeds"]]
    if isinstance(variations.get("prompts"), str):  # a file of prompts, as --prompts FILE
        variations["prompts"] = Path(variations["prompts"])
    try:
        return (_variations if variations else make_clip)(
            output,
            **variations,
            **sources,
            **g,
            **refine,
            fps=fps,
            aspect=(recipe.stage("reframe") or {}).get("aspect", "9:16"),  # OWN: the clip's own size
            interpolate=method,  # None: make_clip's default, as vidiff generate's (auto for a model's keyframes)
            interpolate_options=model or None,
            codec=enc.get("codec", DEFAULT_CODEC),
            crf=enc.get("crf", 18),
            preset=enc.get("preset"),
            pix_fmt=enc.get("pix_fmt", "yuv420p"),
            progress=progress,
        )
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None


def _variations(output: str, **options: Any) -> dict[str, Any]:
    """social_clip with generate.seeds / generate.prompts: `vidiff.generate.variations.make_clips`, its
    clips in the report and how many failed (`vidiff run` exits 1 then)."""
    from vidiff.generate.variations import make_clips

    clips = make_clips(output, **options)
    return {"output": output, "clips": clips, "clips_failed": sum(c["status"] == "failed" for c in clips)}


def check_output_folder(outdir: str | os.PathLike[str]) -> None:
    """A folder or glob of clips is written into a folder: refuse an existing file, and a name with a video
    extension that does not exist yet (a file meant, not a folder), before any work."""
    path = Path(outdir)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{outdir}: is a file; the clips of a folder or glob go into a folder (-o DIR)")
    if not path.exists() and path.suffix.lower() in VIDEO_EXT:
        raise OutputError(
            f"{outdir}: names a video file; the clips of a folder or glob go into a folder (-o DIR)"
        )


def check_apart_from_inputs(outdir: str | os.PathLike[str], inputs: list[Path]) -> None:
    """The output folder of a batch is not a folder its clips come from: the outputs written beside them
    were taken as clips by the next run of the same command (a_fps_x2_fps_x2.mp4)."""
    out = Path(outdir).resolve()
    if any(src.resolve().parent == out for src in inputs):
        raise OutputError(
            f"{outdir}: holds the input clips; their outputs would be taken as clips by the next run: "
            "give another folder (-o DIR)"
        )


def find_inputs(spec: str) -> list[Path]:
    """Videos in a folder (not recursive) or matching a glob, sorted."""
    p = Path(spec)
    if p.is_dir():
        paths = [x for x in p.iterdir() if x.is_file() and x.suffix.lower() in VIDEO_EXT]
    else:
        paths = [Path(x) for x in glob.glob(spec) if Path(x).is_file()]
    return sorted(paths)


def output_names(inputs: list[Path], tail: str) -> list[str]:
    """Each input's output name, `{stem}{tail}.mp4`; inputs that share a stem (clip.mp4 and clip.mkv)
    keep their extension in it (`clip_mkv{tail}.mp4`), so no two outputs are one file. Made from the
    whole list, so every shard names a clip alike."""
    stems = Counter(src.stem for src in inputs)
    return [
        f"{src.stem}_{src.suffix.lstrip('.')}{tail}.mp4" if stems[src.stem] > 1 else f"{src.stem}{tail}.mp4"
        for src in inputs
    ]


def parse_shard(spec: str | None) -> tuple[int, int]:
    """'1/4' -> (1, 4): this process takes clips 1, 5, 9, … (0-based index i of n)."""
    if not spec:
        return 0, 1
    check_ascii_number(spec, "shard")  # '1_0/20', '١/4': the one number rule
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise ConfigError(f"invalid shard {spec!r}; use i/n, e.g. 0/4") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"invalid shard {spec!r}: need 0 <= i < n")
    return i, n


@checked_call
def run_many(
    recipe: Recipe,
    input_spec: str,
    outdir: str,
    shard: str | None = None,
    progress: bool = True,
    suffix: str | None = None,
    workers: int | str | None = None,
    ray: str | bool | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], list[str]]:
    """Run `recipe` on every clip of a folder/glob into `outdir`: (reports, failures, skipped).

    Clips and their segments share one pool: `workers` local processes (default None: one process), or a
    Ray cluster with `ray` (an address, or True for a local instance). A short clip is one job; a long
    one is planned here and its segments sent to the pool, while other clips are planned beside it.
    """
    from vidiff.runner.parallel import LocalPool, parse_workers, workers_for

    recipe = as_recipe(recipe)
    check_path(input_spec, "input")
    check_path(outdir, "output")
    check_flag(progress, "progress")
    if shard is not None and not isinstance(shard, str):
        raise ConfigError(f"shard {shard!r:.60}: give 'i/n', e.g. '0/4'")
    if suffix is not None and (not isinstance(suffix, str) or any(c in suffix for c in ("/", os.sep, "\0"))):
        raise ConfigError(
            f"suffix {suffix!r:.60}: give text for the output names, without a folder (e.g. '_x2')"
        )
    check_recipe(recipe)
    workers = parse_workers(workers)
    i, n = parse_shard(shard)
    if ray is not None and ray is not False:
        from vidiff.runner.ray_pool import check_ray

        check_ray()
    check_output_folder(outdir)
    if (recipe.stage("encode") or {}).get("start_number") is not None:
        raise ConfigError(
            "encode.start_number numbers image frames; a folder or glob of clips is written as video files"
        )
    inputs = find_inputs(input_spec)
    if not inputs:
        raise ConfigError(f"no video files found in {input_spec!r}")
    check_apart_from_inputs(outdir, inputs)
    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{outdir}: cannot make the output folder ({e.strerror or e})") from None
    todo, skipped = [], []
    names = output_names(inputs, suffix or "_" + recipe.name)
    for k, (src, name) in enumerate(zip(inputs, names, strict=True)):
        if k % n != i:
            continue
        dst = out / name
        if dst.exists():  # outputs appear only complete, so an existing one is finished
            skipped.append(str(dst))
        else:
            todo.append((src, dst))
    results: dict[int, dict[str, Any]] = {}
    failed: dict[int, tuple[str, str]] = {}

    def one(k: int, src: Path, dst: Path, pool: Any) -> None:
        try:
            if one_process_stage(recipe):  # the whole clip is one job: of the pool, else of this process
                job = (recipe, str(src), str(dst))
                results[k] = pool.submit(_whole_recipe, job).result() if pool else run_recipe(*job, progress)
            else:
                results[k] = run_recipe(recipe, str(src), str(dst), progress, workers=workers, pool=pool)
        except VidiffError as e:
            failed[k] = (str(src), str(e))
            print(f"vidiff: error: {e}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - one broken clip must not stop a batch
            failed[k] = (str(src), f"{type(e).__name__}: {e}")
            print(f"vidiff: error: {src}: {type(e).__name__}: {e}", file=sys.stderr)

    if ray is not None and ray is not False:
        pool_cm: Any = ray_pool(recipe, ray)
    elif len(todo) > 1 and workers is not None and (n := workers_for(workers, 10**9)) > 1:
        pool_cm = LocalPool(n)  # None: one process (the API's default); "auto": the cores
    else:
        pool_cm = contextlib.nullcontext(None)
    with pool_cm as pool:
        if pool is None:
            for k, (src, dst) in enumerate(todo):
                one(k, src, dst, None)
        else:
            # each clip's planning and joining runs in a thread of this process; its frames in the pool
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max(1, min(len(todo), pool.workers))) as threads:
                for f in [
                    threads.submit(contextvars.copy_context().run, one, k, src, dst, pool)
                    for k, (src, dst) in enumerate(todo)
                ]:
                    f.result()
    reports = [results[k] for k in sorted(results)]
    failures = [failed[k] for k in sorted(failed)]
    return reports, failures, skipped


def _whole_recipe(job: tuple[Recipe, str, str]) -> dict[str, Any]:
    """`run_recipe` on one clip in a pool's worker: a batch of a recipe made in one process (repair,
    social_clip) runs its clips side by side in processes, not threads of one process, whose model loads
    and ONNX exports would share torch's global state (a model built during another's export came out on
    the meta device)."""
    from vidiff.runner.parallel import quiet_bars

    quiet_bars()
    recipe, src, dst = job
    return run_recipe(recipe, src, dst, progress=False)


def ray_pool(recipe: Recipe, ray: str | bool) -> Any:
    """The Ray pool for `recipe`: at address `ray` (True: a local instance), one GPU a task when the
    recipe interpolates on CUDA."""
    from vidiff.runner.ray_pool import RayPool

    gpu = str((recipe.stage("interpolate") or {}).get("device", "cpu")).startswith("cuda")
    return RayPool(None if ray is True else str(ray), gpu=gpu)


def is_batch(input_spec: str | None) -> bool:
    """A folder or a glob pattern (rather than one file, or no input); a folder that holds no video but
    images is one clip, an image sequence (`vidiff.io.sequence`)."""
    if input_spec is None:
        return False
    if os.path.isdir(input_spec):
        return bool(find_inputs(input_spec)) or not _holds_images(input_spec)
    return any(c in input_spec for c in "*?[")


def _holds_images(folder: str) -> bool:
    from vidiff.io.image_ext import IMAGE_EXT

    return any(p.is_file() and p.suffix.lower() in IMAGE_EXT for p in Path(folder).iterdir())
