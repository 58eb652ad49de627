"""Recipes: YAML chains of stages the runner executes (`vidiff run RECIPE`).

The shipped recipes live here (package data) and are linked from the repository's `pipelines/`.
A recipe is validated on load: an unknown stage or option names the file, the line and the key.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vidiff.errors import ConfigError
from vidiff.quality import check_quality
from vidiff.recipes.yaml_load import load_yaml
from vidiff.textfile import check_text_file
from vidiff.validate import check_ascii_number, show

HERE = Path(__file__).resolve().parent
_NUMBERISH = re.compile(r"[-+]?[0-9_.]*[0-9][0-9_.]*(?:[eE][-+]?[0-9_]+)?")

# stage -> option -> allowed python types
STAGES: dict[str, dict[str, tuple[type, ...]]] = {
    # the rate of an image-sequence input (vidiff.io.sequence); how an interlaced clip is read
    "decode": {"fps": (int, float, str), "deinterlace": (str,)},
    "dedupe": {"max_run": (int,)},
    "scene_split": {},
    "interpolate": {
        "method": (str,),
        "quality": (str,),  # a tier (vidiff.quality): fast, balanced, max, auto; instead of method
        "factor": (int, float, str),
        "fps": (int, float, str),
        "steps": (int,),
        "seed": (int,),
        "weights": (str,),
        "device": (str,),
        "engine": (str,),
    },
    "retime": {"speed": (int, float)},
    "infill": {"auto": (bool,), "frames": (str, int), "method": (str,), "quality": (str,)},
    "reframe": {"aspect": (str,)},
    "generate": {
        "extend": (int, float),
        "motion": (str,),
        "seconds": (int, float),
        "loop": (bool,),
        "scheme": (str,),
        "method": (str,),
        "strength": (int, float),
        "seed": (int,),
        "seeds": (str, int, list),  # variations: a range (1-4), a comma list or a YAML list of seeds
        "prompts": (str, list),  # variations: a file of prompts (one a line) or a YAML list of them
        # a video diffusion model's keyframes (vidiff.generate.make_clip's keywords)
        "prompt": (str,),
        "negative_prompt": (str,),
        "weights": (str,),
        "backend": (str,),
        "steps": (int,),
        "guidance": (int, float),
        "keyframe_fps": (int, float),
        "frames": (int,),
        "keyframe_size": (str,),
        "device": (str,),
        "dtype": (str,),
        "offload": (bool, str),  # true (model offload) or a level: model, group, sequential
        "weight_dtype": (str,),  # the transformer's weights stored in fp8 (fp8_e4m3fn, fp8_e5m2)
        "cache": (str,),  # a step cache on the transformer: first-block[:THRESHOLD]
        "offline": (bool,),
        "lora": (str, list),  # one [high=|low=]FILE[:SCALE] or a list of them
        "transformer": (str, list),  # one [high=|low=]FILE (a single-file transformer) or a list
        "shift": (int, float),
        "guidance_2": (int, float),
        "vae": (str,),  # a single-file VAE (ComfyUI's models/vae/ file)
        "no_audio": (bool,),  # leave out the clip's own sound or the sound the model makes (LTX-2's)
        "audio_guidance": (int, float),  # the guidance of the sound LTX-2 makes
        "last_image": (str,),  # a still the clip ends on (-i its first: first and last frame to video)
        "reference_image": (str,),  # a subject/style still every window keeps (Wan VACE's reference_images)
    },
    "encode": {
        "codec": (str,),
        "crf": (int,),
        "preset": (str,),
        "pix_fmt": (str,),
        "audio": (str,),
        "audio_codec": (str,),
        "start_number": (int,),  # an image-frames output's first file number (vidiff.io.sequence_out)
    },
}
TOP = {"description", "stages"}
AUDIO_MODES = ("copy", "drop", "slow", "none")


@dataclass
class Recipe:
    """A validated chain of stages: [(name, options)] in order."""

    name: str
    path: Path
    description: str
    stages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def stage(self, name: str) -> dict[str, Any] | None:
        """Options of stage `name`, or None if the recipe has no such stage."""
        for n, opts in self.stages:
            if n == name:
                return opts
        return None

    def with_overrides(self, overrides: list[str]) -> Recipe:
        """A copy with `stage.key=value` overrides applied (validated like the file)."""
        stages = [(n, dict(o)) for n, o in self.stages]
        for ov in overrides:
            if "=" not in ov or "." not in ov.split("=", 1)[0]:
                raise ConfigError(
                    f"override {ov!r} must look like stage.key=value (e.g. interpolate.method=blend)"
                )
            key, raw = ov.split("=", 1)
            stage, opt = key.split(".", 1)
            if stage not in STAGES:
                raise ConfigError(f"override {ov!r}: unknown stage {stage!r}; stages: {', '.join(STAGES)}")
            text = STAGES[stage].get(opt) == (str,)
            try:
                value = load_yaml(raw) if raw else ""
            except yaml.YAMLError as e:  # `*a`, `[1`, `a: b: c`: a traceback from the YAML parser
                if not text:
                    raise ConfigError(
                        f"override {ov!r}: not a YAML value ({str(e).splitlines()[0]})"
                    ) from None
                value = raw  # a text key takes the text: prompt=*dramatic* fox
            if isinstance(value, int) and ":" in raw:  # YAML 1.1 reads 1:1 as base 60 (61): an aspect
                value = raw
            if text and isinstance(value, (int, float, datetime.date)):
                value = raw.strip()  # a text key takes the text: prompt=1984, weights=2024-05-01, motion=yes
            _check_option(stage, opt, value, f"override {ov!r}")
            for n, o in stages:
                if n == stage:
                    o[opt] = value
                    if value is None:  # null: the key left out, the recipe's value too
                        del o[opt]
                    break
            else:
                raise ConfigError(f"override {ov!r}: recipe {self.name!r} has no {stage!r} stage")
        return Recipe(self.name, self.path, self.description, stages)


def recipe_names() -> list[str]:
    """Names of the shipped recipes."""
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def load_recipe(spec: str | os.PathLike[str]) -> Recipe:
    """A shipped recipe by name (`fps_x2`) or a YAML file path, validated."""
    p = Path(spec)
    if not p.suffix and (HERE / f"{spec}.yaml").exists():
        p = HERE / f"{spec}.yaml"
    if not p.exists():
        raise ConfigError(
            f"unknown recipe {str(spec)!r}; shipped recipes: {', '.join(recipe_names())}, or a YAML path"
        )
    if p.is_dir():
        raise ConfigError(f"{p}: is a folder, not a recipe file (a YAML file with 'stages:')")
    check_text_file(p, "recipe")  # /dev/zero or a pipe: one line, not a read without end
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a recipe: a binary file, not YAML text") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the recipe ({e.strerror or e})") from None
    if "\x00" in text:
        raise ConfigError(f"{p}: not a recipe: a binary file, not YAML text")
    try:
        node = yaml.compose(text)
        data = load_yaml(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a recipe is a mapping with 'stages:' (a list of stages)")
    try:
        lines = _key_lines(node)
    except ConfigError as e:
        raise ConfigError(f"{p} {e}") from None
    for k in data:
        if k not in TOP:
            raise ConfigError(
                f"{p} line {lines.get((k,), '?')}: unknown key {k!r}; expected: {', '.join(sorted(TOP))}"
            )
    stages_raw = data.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError(f"{p}: 'stages' must be a non-empty list")
    stages = []
    for i, st in enumerate(stages_raw):
        if not isinstance(st, dict) or len(st) != 1:
            raise ConfigError(f"{p}: stage {i + 1} must be one 'name: {{options}}' mapping")
        ((name, opts),) = st.items()
        opts = opts or {}
        if name not in STAGES:
            raise ConfigError(
                f"{p} line {lines.get(('stages', i, name), '?')}: unknown stage {name!r}; stages: {', '.join(STAGES)}"
            )
        if not isinstance(opts, dict):
            raise ConfigError(
                f"{p} line {lines.get(('stages', i, name), '?')}: options of {name!r} must be a mapping"
            )
        for k, v in opts.items():
            _check_option(name, k, v, f"{p} line {lines.get(('stages', i, name, k), '?')}")
        _check_once(name, [n for n, _ in stages], p, lines, i)
        stages.append((name, {k: v for k, v in opts.items() if v is not None}))  # null: left out
    names = [n for n, _ in stages]
    if "generate" not in names and names[0] != "decode":
        raise ConfigError(f"{p}: the first stage must be 'decode' (or 'generate')")
    if names[-1] != "encode":
        raise ConfigError(f"{p}: the last stage must be 'encode'")
    description = data.get("description", "")
    if not isinstance(description, str):  # str() of an aliased list could be billions of items
        raise ConfigError(f"{p} line {lines.get(('description',), '?')}: description must be text")
    return Recipe(p.stem, p, description, stages)


def _check_once(name: str, before: list[str], p: Path, lines: dict[tuple, int], i: int) -> None:
    """A stage may appear once: the runner maps each stage onto one pass (`Recipe.stage` reads the first),
    so a second `interpolate` would be dropped silently (40 frames where 80 were asked for)."""
    if name in before:
        first = lines.get(("stages", before.index(name), name), "?")
        raise ConfigError(
            f"{p} line {lines.get(('stages', i, name), '?')}: stage {name!r} appears twice (first at line "
            f"{first}); a recipe runs each stage once: put all of its options in one {name!r} stage"
        )


def _check_option(stage: str, key: str, value: Any, where: str) -> None:
    """`stage.key = value` checked: a known key, of a type it takes; null (None) takes any key's default,
    as a stage given null takes no options (the key is then left out)."""
    allowed = STAGES[stage]
    if key not in allowed:
        opts = ", ".join(allowed) or "none"
        raise ConfigError(f"{where}: unknown key {key!r} in stage {stage!r} (options: {opts})")
    if value is None:
        return
    if not isinstance(value, allowed[key]) or (isinstance(value, bool) and bool not in allowed[key]):
        if isinstance(value, str) and _NUMBERISH.fullmatch(value.strip()):  # 1_000: the number rule's line
            try:
                check_ascii_number(value, f"{stage}.{key}")
            except ConfigError as e:
                raise ConfigError(f"{where}: {e}") from None
        raise ConfigError(
            f"{where}: {stage}.{key} = {show(value)} has the wrong type (it takes {_kinds(allowed[key])})"
        )
    if stage == "encode" and key == "audio" and value not in AUDIO_MODES:
        raise ConfigError(f"{where}: encode.audio must be one of {', '.join(AUDIO_MODES)}")
    if key == "quality":
        try:
            check_quality(value)
        except ConfigError as e:
            raise ConfigError(f"{where}: {stage}.quality: {e}") from None


# what a user calls each type a recipe key takes, for the wrong-type line
_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text", list: "a list"}


def _kinds(types: tuple[type, ...]) -> str:
    """'a whole number or text' for (int, str): the kinds a key takes, each named once."""
    if float in types:  # a float key takes whole numbers too: "a number" says both
        types = tuple(t for t in types if t is not int)
    names = list(dict.fromkeys(_KIND_NAMES.get(t, t.__name__) for t in types))
    return " or ".join(names)


def _key_lines(node: yaml.Node, path: tuple = (), seen: set[int] | None = None) -> dict[tuple, int]:
    """(path of keys and list indices) -> 1-based line of that key in the YAML text. A node met again (an
    alias: `a: &x [*x]`, or nine aliases of nine aliases, a 'billion laughs' that took minutes to walk) is
    not walked again; its keys are on the line of its first place. A key given twice in one mapping (YAML
    keeps the last silently) is a ConfigError naming both lines."""
    out: dict[tuple, int] = {}
    seen = set() if seen is None else seen
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            kp = path + (k.value,)
            if kp in out:
                raise ConfigError(
                    f"line {k.start_mark.line + 1}: key {k.value!r} is given twice (first on line {out[kp]})"
                )
            out[kp] = k.start_mark.line + 1
            out.update(_key_lines(v, kp, seen))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out.update(_key_lines(v, path + (i,), seen))
    return out
