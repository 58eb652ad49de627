"""Training configs: OmegaConf YAML over the defaults below, `key=value` overrides; unknown keys are errors."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from vidiff.errors import ConfigError
from vidiff.textfile import check_text_file
from vidiff.train.separators import check_override, check_text
from vidiff.validate import MAX_SEED

# Every training default, the shipped model's recipe (configs/train/default.yaml states only where it
# writes); the `model:` section's defaults come from the model's own signatures (model_defaults).
DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "data": {
        "clips": ["bigbuckbunny"],
        "eval_clips": ["bikes", "carphone_pristine"],
        "real_fraction": 0.5,
        "crop": 96,
        "margin": 16,  # crop + 2·margin = 128: RIFE runs unpadded on the training region
        "strides": [2, 3, 4],
        "scales": [1.0, 0.5],
        "max_shift": 24.0,
        "task": "interpolate",  # or extrapolate: observed frames before, the target after (generation)
        "max_tau": 2.0,  # extrapolate: targets up to this many observed intervals past the last frame
        "pool": 0,  # > 0: train on a fixed set of this many windows (a check that the loop learns)
        "engine": "pyav",  # random access to the clips: pyav (exact, the faster here) or decord
        "cache_mb": 768,  # decoded frames per data process (its spans): a clip that fits in a span decodes once
        "time_range": None,  # [start, end] seconds: windows only from this part of every clip
        "spans": 2,  # contiguous spans of footage a data process decodes and draws windows from at once
        "windows_per_span": 32,  # real windows served from one decoded span (one seek, one forward pass)
        # a `fuse` model's prior stack per window (vidiff.fusion): cpu (OpenCV's DIS + RIFE), gpu (torch DIS + RIFE),
        # or mixed (either, half each, so one set of weights serves the stack of every device)
        "stack": "cpu",
    },
    "train": {
        "steps": 1500,
        "batch_size": 8,
        "lr": 2e-4,
        "warmup": 200,
        "weight_decay": 0.0,
        "grad_clip": 1.0,
        "ema_decay": 0.999,
        "loss": "l2_rel",
        "loss_target": "sample",
        "p_max_noise": 0.7,
        "checkpoint_every": 250,
        "log_every": 25,
        "eval_every": 500,
        "eval_windows": 48,
        "num_workers": 1,
        "threads": 1,  # one compute thread: the data worker (RIFE + DIS) takes the other core
        "mixed_precision": "no",
        "init": None,  # a model folder or shipped name to start from (fine-tuning); same architecture
        "output": "runs/default",
        "export": None,
    },
}


def load_config(path: str | os.PathLike[str] | None, overrides: Sequence[str] = ()) -> DictConfig:
    """Defaults ← YAML file ← `key=value` overrides; an unknown key (in the file or an override) is a
    `ConfigError` naming the key and the file."""
    from vidiff.diffusion.model import model_defaults

    base = OmegaConf.create({**DEFAULTS, "model": model_defaults()})
    OmegaConf.set_struct(base, True)
    where = str(path) if path else "overrides"
    try:
        if path:
            base = _merge(base, read_yaml(path), where)
        for o in overrides:
            if "=" not in o:
                raise ConfigError(f"override {o!r} must look like key=value (e.g. train.steps=100)")
            where = f"override {o!r}"
            check_override(o)
            try:
                dot = OmegaConf.from_dotlist([o])
            except (yaml.YAMLError, ValueError) as e:
                raise ConfigError(f"{where}: not a valid value ({str(e).splitlines()[0]})") from None
            base = _merge(base, dot, where, o.split("=", 1)[0].strip())
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or ""
        line = _line_of(path, key) if path and where == str(path) else ""
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConfigError(f"{where}{line}: unknown or invalid key {key!r} ({why})") from None
    for name, default in DEFAULTS.items():
        _check_shape(default, base[name], name, lists=True)
    _check_shape(model_defaults(), base.model, "model", lists=False)
    return base


def _merge(base: DictConfig, other: DictConfig, where: str, key: str | None = None) -> DictConfig:
    """`base` with `other` (a file, or the override of `key`) merged in; a mapping for a list
    (`data.clips={}`) or a list for a section (`data=[]`), which OmegaConf refuses with a TypeError, is one
    `ConfigError` (for an override, the shape check's line)."""
    try:
        return OmegaConf.merge(base, other)
    except TypeError:
        if key is not None:
            default = OmegaConf.to_container(OmegaConf.select(base, key))
            _check_shape(default, OmegaConf.select(other, key), key, lists=True)
        raise ConfigError(
            f"{where}: a list where the defaults hold a section of keys, or keys where they hold a list"
        ) from None


NOT_A_MAPPING = "a config is a mapping of sections (model, data, train)"


def read_yaml(path: str | os.PathLike[str]) -> DictConfig:
    """A YAML mapping (a training or model config) read from `path`; a missing file, a folder, a binary or
    malformed file, or a file that holds no mapping is one `ConfigError` line naming it."""
    if not os.path.exists(path):
        raise ConfigError(f"config file not found: {path}")
    if os.path.isdir(path):
        raise ConfigError(f"{path}: is a folder, not a YAML config file")
    check_text_file(path, "config")  # /dev/zero or a pipe: one line, not a read without end
    try:
        with open(path, encoding="utf-8") as f:
            check_text(f.read(), str(path))
        user = OmegaConf.load(path)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: a binary file, not a YAML config") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    except OSError as e:
        if e.errno is None:  # omegaconf's "Invalid loaded object type": the file holds one value
            raise ConfigError(f"{path}: {NOT_A_MAPPING}, not a single value") from None
        raise ConfigError(f"{path}: cannot read ({e.strerror or e})") from None
    if not isinstance(user, DictConfig):
        raise ConfigError(f"{path}: {NOT_A_MAPPING}, not a list")
    return user


def _check_shape(default: Any, value: Any, key: str, lists: bool) -> None:
    """A section of the defaults is still a mapping in `value` (`train=3` would replace it with a number),
    and with `lists` a list is still a list (`data.clips=a.mp4`, not `[a.mp4]`); else a `ConfigError`."""
    if isinstance(default, dict):
        if not OmegaConf.is_dict(value):
            first = next(iter(default), "key")
            raise ConfigError(
                f"{key} = {value!r}: a section of keys; set one of them, e.g. {key}.{first}=..."
            )
        for k, d in default.items():
            _check_shape(d, value[k], f"{key}.{k}", lists)
    elif lists and isinstance(default, list) and not OmegaConf.is_list(value):
        raise ConfigError(f"{key} = {value!r}: must be a list, e.g. [{', '.join(map(str, default[:2]))}]")


MAX_COUNT = 10**9  # the most steps (or any count) a run may name: a torch sampler's index must fit
MAX_BATCH = 65536  # the most windows a batch may hold (a larger one builds windows for ever)
MIXED_PRECISION = ("no", "fp16", "bf16")
ENGINES = ("pyav", "decord")  # vidiff.io.random_access.ENGINES
TASKS = ("interpolate", "extrapolate")  # vidiff.train.data.TASKS, literal so checking needs no torch
TRAIN_STACKS = ("cpu", "gpu", "mixed")  # vidiff.fusion's stacks, or either per window


def check_config(cfg: DictConfig) -> None:
    """Every value the run depends on, checked before anything is written (run folder, config.yaml):
    ranges, choices, and that each training clip exists and is a video. Raises `ConfigError`."""
    from pathlib import Path

    from vidiff.io.random_access import list_clips
    from vidiff.io.samples import SAMPLE_CLIPS

    t, d = cfg.train, cfg.data

    def need(ok: bool, key: str, what: str, value: Any) -> None:
        if not ok:
            raise ConfigError(f"{key} = {value!r}: {what}")

    def whole(key: str, value: Any, lo: int, hi: int = MAX_COUNT) -> None:
        need(
            isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi,
            key,
            f"must be a whole number from {lo} to {hi}",
            value,
        )

    def number(key: str, value: Any, lo: float, hi: float, lo_open: bool = False) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (lo < value if lo_open else lo <= value) and value <= hi
        need(ok, key, f"must be a number in {'(' if lo_open else '['}{lo}, {hi}]", value)

    for k, lo in (("steps", 1), ("batch_size", 1), ("warmup", 0), ("checkpoint_every", 1), ("log_every", 1),
                  ("eval_every", 0), ("eval_windows", 0), ("num_workers", 0), ("threads", 0)):  # fmt: skip
        whole(f"train.{k}", t[k], lo, MAX_BATCH if k == "batch_size" else MAX_COUNT)
    whole("seed", cfg.seed, 0, MAX_SEED)
    number("train.lr", t.lr, 0, 1, lo_open=True)
    number("train.weight_decay", t.weight_decay, 0, 1)
    number("train.grad_clip", t.grad_clip, 0, 1e6)
    number("train.ema_decay", t.ema_decay, 0, 1)
    number("train.p_max_noise", t.p_max_noise, 0, 1, lo_open=True)
    need(
        t.mixed_precision in MIXED_PRECISION,
        "train.mixed_precision",
        f"use {', '.join(MIXED_PRECISION)}",
        t.mixed_precision,
    )
    need(isinstance(t.output, str) and bool(t.output), "train.output", "must be a folder path", t.output)
    need(not os.path.isfile(str(t.output)), "train.output", "is a file; the run needs a folder", t.output)
    _check_writable(str(t.output))
    _check_export(t.export, str(t.output))
    need(d.task in TASKS, "data.task", f"unknown task; choose one of: {', '.join(TASKS)}", d.task)
    number("data.real_fraction", d.real_fraction, 0, 1)
    whole("data.crop", d.crop, 8)
    whole("data.margin", d.margin, 0)
    whole("data.pool", d.pool, 0)
    whole("data.cache_mb", d.cache_mb, 0)
    whole("data.spans", d.spans, 1)
    whole("data.windows_per_span", d.windows_per_span, 1)
    need(d.engine in ENGINES, "data.engine", f"use {', '.join(ENGINES)}", d.engine)
    need(d.stack in TRAIN_STACKS, "data.stack", f"use {', '.join(TRAIN_STACKS)}", d.stack)
    tr = d.time_range
    ok = tr is None or (
        OmegaConf.is_list(tr)
        and len(tr) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in tr)
        and 0 <= tr[0] < tr[1]
    )
    need(ok, "data.time_range", "must be [start, end] in seconds, 0 <= start < end", tr)
    clips = list(d.clips)
    need(
        all(isinstance(c, str) and c for c in clips),
        "data.clips",
        "must be a list of clip names or paths",
        clips,
    )
    if d.real_fraction > 0:
        need(bool(clips), "data.clips", "is empty while data.real_fraction > 0", clips)
    for c in clips:  # a broken file among them is the data layer's: skipped with a warning
        if not (Path(c).exists() or c.removesuffix(".mp4") in SAMPLE_CLIPS or glob.glob(c, recursive=True)):
            raise ConfigError(
                f"data.clips: {c!r} is neither a file, a folder, a glob that matches nor a bundled clip "
                f"({', '.join(SAMPLE_CLIPS)})"
            )
    held_out = {Path(c).stem for c in d.eval_clips}
    for c in clips + list_clips(clips):  # as named, and each file a folder or glob holds
        if Path(c).stem in held_out:
            raise ConfigError(
                f"data.clips: {Path(c).name} is evaluation-only (data.eval_clips, BENCHMARK.md): remove it"
            )
    for c in list(d.eval_clips):
        if Path(c).exists() or c.removesuffix(".mp4") in SAMPLE_CLIPS:
            if Path(c).exists():
                from vidiff.io.probe import probe

                n = probe(c).n_frames  # a missing, broken or non-video file is an InputError naming it
                span = window_frames(d, int(cfg.model.diffusion.context))
                if c in clips and n < span:  # the sampler would drop it and train without it, silently
                    raise ConfigError(f"data.clips: {c} has {n} frame(s); a training window spans {span}")
            continue
        raise ConfigError(
            f"data.eval_clips: {c!r} is neither a file nor a bundled clip ({', '.join(SAMPLE_CLIPS)})"
        )


def window_frames(data: DictConfig | dict[str, Any], context: int) -> int:
    """Frames a clip needs for one training window: the widest stride over the observed frames (and,
    extrapolating, `max_tau` intervals past them), plus the frame after."""
    tau = float(data["max_tau"]) if data["task"] == "extrapolate" else 0.0
    return int(max(data["strides"]) * (1 + 2 * context + tau)) + 2


def _check_writable(output: str, key: str = "train.output") -> None:
    """`key`'s folder must be creatable: its nearest existing folder takes a file (tried, then removed)."""
    import tempfile

    parent = os.path.abspath(output)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        why = "is not a folder" if not os.path.isdir(parent) else f"cannot be written ({e.strerror or e})"
        raise ConfigError(f"{key} = {output!r}: {parent} {why}") from None


def _check_export(export: Any, output: str) -> None:
    """`train.export` is replaced by the trained model at the end (the folder is removed first), so it
    must be None or a new, empty or model folder (vidiff.json) apart from the run's `output`."""
    if export is None:
        return
    if not isinstance(export, str) or not export.strip():
        raise ConfigError(f"train.export = {export!r}: must be a folder path (or null)")
    real, run = os.path.realpath(export), os.path.realpath(output)
    if real == run or run.startswith(real + os.sep) or real == os.path.realpath(os.sep):
        raise ConfigError(f"train.export = {export!r}: holds the run's output {output!r}; export elsewhere")
    if os.path.isfile(export):
        raise ConfigError(f"train.export = {export!r}: is a file; the export is a model folder")
    if (
        os.path.isdir(export)
        and os.listdir(export)
        and not os.path.isfile(os.path.join(export, "vidiff.json"))
    ):
        raise ConfigError(
            f"train.export = {export!r}: a folder that holds no model (vidiff.json); the export replaces "
            "it, so give a new, empty or model folder"
        )
    _check_writable(export, "train.export")


def _line_of(path: str | os.PathLike[str], key: str) -> str:
    last = key.split(".")[-1] if key else ""
    if not last:
        return ""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip().startswith(f"{last}:"):
                return f" line {n}"
    return ""


def to_dict(cfg: DictConfig) -> dict[str, Any]:
    """Plain-python copy of a config."""
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
