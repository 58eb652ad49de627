"""`make_clips`: variations of one video diffusion model's clip in one run — several seeds and/or several
prompts, one clip each, the model loaded once.

A creator tries a prompt at a few seeds, or a few prompts, and keeps the best; loading a real model takes
minutes, so the clips share the kept pipeline (`vidiff.generate.loaded`: a second `make_clip` with the
same settings takes it as it is). Each clip is `make_clip` with that seed and prompt, so its bytes are a
single run's. Every option is checked before the model loads; a clip that fails later (out of memory) is
one line and the rest go on, as `vidiff run` on a folder does; an output already there is finished
(outputs appear only whole) and skipped on a rerun (every option checked even when all are:
`clip.check_model_clip`).

Names: `-o out.mp4` with seeds only writes `out_s{SEED}.mp4`; with prompts, `out_p{N}_s{SEED}.mp4`, N the
prompt's place (1-based) among the prompts kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, VidiffError

MAX_CLIPS = 100  # a real model's clip takes minutes: 100 is a night's run; more is likely a typo (1-1000)
SEEDS_HELP = "a range (1-4) or a comma list (1,5,9; 1-3,7)"


def parse_seeds(spec: object) -> list[int]:
    """'1-4', '1,5,9', '1-3,7' or a list of whole numbers -> the seeds in order; a `ConfigError` for a
    seed out of 0..MAX_SEED, a backward range, a repeat (two clips of one name) or more than `MAX_CLIPS`."""
    from vidiff.validate import MAX_SEED, check_ascii_number, check_seed, is_list

    too_many = ConfigError(f"seeds {spec!r:.60}: at most {MAX_CLIPS} clips in one run")
    if is_list(spec):
        if len(spec) > MAX_CLIPS:  # type: ignore[arg-type]
            raise too_many
        seeds = [check_seed(s, "seeds entry") for s in spec]  # type: ignore[union-attr]
    elif isinstance(spec, str):
        check_ascii_number(spec, "seeds")
        seeds = []
        for part in spec.replace(" ", "").split(","):
            lo, sep, hi = part.partition("-")
            if not lo.isdigit() or (sep and not hi.isdigit()):
                raise ConfigError(f"seeds {spec!r}: write {SEEDS_HELP}")
            a, b = int(lo), int(hi) if sep else int(lo)
            if b > MAX_SEED:
                raise ConfigError(f"seeds {spec!r}: a seed is 0 to {MAX_SEED}")
            if b < a:
                raise ConfigError(f"seeds {spec!r}: the range {part} runs backwards; write {b}-{a}")
            if len(seeds) + b - a >= MAX_CLIPS:  # refused before a list of millions is made
                raise too_many
            seeds += range(a, b + 1)
    else:
        raise ConfigError(f"seeds {spec!r:.60}: write {SEEDS_HELP}, or give a list of whole numbers")
    if not seeds:
        raise ConfigError("seeds: give at least one seed")
    repeat = next((s for k, s in enumerate(seeds) if s in seeds[:k]), None)
    if repeat is not None:
        raise ConfigError(f"seeds {spec!r:.60}: seed {repeat} is given twice (two clips of one name)")
    return seeds


def read_prompts(path: str | os.PathLike[str]) -> list[str]:
    """The prompts of a text file, one a line; blank lines and `#` comments skipped. A missing, unreadable,
    too big (`vidiff.textfile`) or empty file is one `ConfigError`."""
    from vidiff.textfile import check_text_file

    check_text_file(path, "prompts")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; give a text file of prompts, one a line") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the prompts ({e.strerror or e})") from None
    prompts = [line.strip() for line in text.splitlines()]
    prompts = [p for p in prompts if p and not p.startswith("#")]
    if not prompts:
        raise ConfigError(f"{path}: holds no prompt (one a line; blank lines and # comments are skipped)")
    return prompts


def check_prompts(prompts: object) -> list[str]:
    """A list of prompts (each a non-empty string) or a path to a file of them (`read_prompts`; a bare
    string is not taken for either: give a list, or a `Path`)."""
    from vidiff.validate import is_list

    if isinstance(prompts, os.PathLike):
        return read_prompts(prompts)
    if not is_list(prompts):
        raise ConfigError(
            f"prompts {prompts!r:.60}: give a list of prompts, or a path (pathlib.Path) to a file of them"
        )
    bad = next((p for p in prompts if not isinstance(p, str) or not p.strip()), 0)  # type: ignore[union-attr]
    if bad != 0:
        raise ConfigError(f"prompts entry {bad!r:.60}: each prompt is a non-empty string")
    if not prompts:
        raise ConfigError("prompts: give at least one prompt")
    return [p.strip() for p in prompts]  # type: ignore[union-attr]


def clip_names(output: str, seeds: list[int], n_prompts: int | None) -> list[tuple[int | None, int, str]]:
    """(prompt number or None, seed, output path) of each clip, prompt by prompt: `out_s3.mp4`, or with
    prompts `out_p2_s3.mp4`."""
    stem, ext = os.path.splitext(output)
    if n_prompts is None:
        return [(None, s, f"{stem}_s{s}{ext}") for s in seeds]
    return [(k, s, f"{stem}_p{k}_s{s}{ext}") for k in range(1, n_prompts + 1) for s in seeds]


@checked_call
def make_clips(
    output: str | os.PathLike[str],
    *,
    seeds: str | Sequence[int] | None = None,
    prompts: Sequence[str] | os.PathLike[str] | None = None,
    progress: bool = True,
    **options: Any,
) -> list[dict[str, Any]]:
    """One clip per prompt and seed (`seeds`: `parse_seeds`; `prompts`: `check_prompts`; the one `seed`
    or `prompt` of `options` where these are None) into the names of `clip_names`, each made by
    `make_clip(name, seed=..., prompt=..., **options)`; returns one entry per clip: output, prompt, seed,
    status ("done" with the report, "skipped": there already, "failed" with the error line). An error
    before a clip's model has loaded stops the run (the options, the weights or memory for the model:
    every clip would fail); a clip that fails after it is one line on stderr and the rest go on."""
    from vidiff.generate.clip import check_model_clip, make_clip
    from vidiff.validate import check_flag, check_path

    check_path(output, "output")
    check_flag(progress, "progress")
    if seeds is None and prompts is None:
        raise ConfigError("make_clips makes variations: give seeds and/or prompts (make_clip makes one clip)")
    for one, many, given in (("seed", "seeds", seeds), ("prompt", "prompts", prompts)):
        if given is not None and options.get(one) is not None:
            raise ConfigError(f"{one} is one clip's and {many} several clips': give one")
    if not options.get("weights"):
        raise ConfigError("seeds and prompts are variations of a video diffusion model's clip: give weights")
    seed, prompt = options.pop("seed", None), options.pop("prompt", None)
    seed_list = [seed or 0] if seeds is None else parse_seeds(seeds)
    prompt_list = [prompt] if prompts is None else check_prompts(prompts)
    if len(seed_list) * len(prompt_list) > MAX_CLIPS:
        raise ConfigError(
            f"{len(prompt_list)} prompts at {len(seed_list)} seeds are {len(seed_list) * len(prompt_list)} "
            f"clips: at most {MAX_CLIPS} in one run"
        )
    names = clip_names(os.fspath(output), seed_list, None if prompts is None else len(prompt_list))
    user_step: Callable[[int, int], None] | None = options.pop("on_step", None)
    loaded = [False]

    def on_step(done: int, total: int) -> None:
        loaded[0] = True
        if user_step is not None:
            user_step(done, total)

    if all(os.path.exists(name) for _, _, name in names):  # all skipped: the options checked all the same
        p, seed, name = names[0]
        check_model_clip(
            name, seed=seed, prompt=prompt_list[0 if p is None else p - 1], progress=progress, **options
        )
    entries = []
    for k, (p, seed, name) in enumerate(names, 1):
        prompt = prompt_list[0 if p is None else p - 1]
        entry: dict[str, Any] = {"output": name, "prompt": prompt, "seed": seed}
        entries.append(entry)
        if os.path.exists(name):  # outputs appear only whole: one there is finished
            entry["status"] = "skipped"
            _say(progress, f"clip {k} of {len(names)}: {name} is there already, skipped")
            continue
        _say(
            progress,
            f"clip {k} of {len(names)}: seed {seed}" + (f", prompt {p}" if p else "") + f" -> {name}",
        )
        try:
            report = make_clip(name, seed=seed, prompt=prompt, on_step=on_step, progress=progress, **options)
        except VidiffError as e:
            if not loaded[0]:
                raise
            entry.update(status="failed", error=str(e))
        except Exception as e:  # noqa: BLE001 - one clip out of memory must not stop the others
            entry.update(status="failed", error=f"{type(e).__name__}: {e}")
        else:
            entry.update(status="done", report=report)
            continue
        print(f"vidiff: error: {name}: {entry['error']}", file=sys.stderr, flush=True)
    return entries


def _say(progress: bool, line: str) -> None:
    if progress:
        print(line, file=sys.stderr, flush=True)
