"""LoRA adapters on a video diffusion model's transformer: `--lora [high=|low=]PATH_OR_HUB_FILE[:SCALE]`.

A LoRA is a `.safetensors` file, local or on the hub (`owner/name/path/in/repo.safetensors`, fetched as
huggingface_hub fetches, from the cache alone offline). diffusers' `load_lora_weights` reads it, each as its
own adapter, and `set_adapters` gives each its scale (default 1.0; several stack). Wan's loader also
converts the original Wan / ComfyUI keys (`diffusion_model.blocks...`) and musubi-tuner's kohya-style keys
(`lora_unet_blocks_...`; every attention and feed-forward layer must be in it). A two-transformer Wan 2.2 A14B takes a LoRA in both transformers, or in the
high-noise one (`high=`) or the low-noise one (`low=`) alone. Everything that can be told from the file is
checked before the model loads; that its layers are the transformer's, once it has loaded, before any
sampling step. Needs `peft` (the `video` extra).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidiff.errors import ConfigError, InputError, UnsupportedError
from vidiff.validate import check_ascii_number

STAGES = ("high", "low")  # a two-transformer Wan's `transformer` (high noise) and `transformer_2` (low)
DEFAULT_SCALE = 1.0
_SCALE = re.compile(r"^(.*):([^:/\\]*)$")  # PATH:SCALE, the tail neither a folder nor a drive's path


@dataclass(frozen=True)
class Lora:
    """One LoRA as asked for: its `source` (a path or a hub file), `scale`, `stage` (None: every
    transformer) and, once fetched, its local `path`."""

    spec: str
    source: str
    scale: float = DEFAULT_SCALE
    stage: str | None = None
    path: str | None = None


def parse_loras(value: str | list[str] | tuple[str, ...] | None) -> list[Lora]:
    """The LoRAs `value` names (each `[high=|low=]PATH_OR_HUB_FILE[:SCALE]`); a one-line ConfigError for
    an empty one or a scale that is not a finite number."""
    from vidiff.validate import check_texts

    check_texts(value, "lora")
    specs = [value] if isinstance(value, str) else list(value or [])
    return [_parse(s) for s in specs]


def _parse(spec: str) -> Lora:
    text = spec.strip()
    stage = None
    head = text.split("=", 1)[0]
    if "=" in text and head in STAGES:
        stage, text = head, text.split("=", 1)[1].strip()
    scale = DEFAULT_SCALE
    m = _SCALE.match(text)
    if m and not Path(text).expanduser().exists():
        text, raw = m.group(1), m.group(2).strip()
        check_ascii_number(raw, f"lora {spec!r}: scale")  # '0_5', '٠.٥': the one number rule
        try:
            scale = float(raw)
        except ValueError:
            raise ConfigError(
                f"lora {spec!r}: scale {raw!r} is not a number (PATH[:SCALE], e.g. :0.8)"
            ) from None
        if not math.isfinite(scale):
            raise ConfigError(f"lora {spec!r}: scale {raw} is not a finite number")
    if not text:
        raise ConfigError(f"lora {spec!r}: give a .safetensors file or a hub file (owner/name/file)")
    return Lora(spec, text, scale, stage)


def fetch_loras(loras: list[Lora], offline: bool, note: Callable[[str], None] | None = None) -> list[Lora]:
    """Each LoRA with its local path, checked to be a safetensors LoRA: a local file, or a hub file from
    the hub or, offline (or the hub not answering), the local Hugging Face cache alone."""
    from vidiff.generate.hub_file import local_file

    return [_checked(lora, local_file(lora.source, "lora", offline, note)) for lora in loras]


def is_hub_file(lora: Lora) -> bool:
    """Whether `lora` names a file on the hub (owner/name/path) rather than a local file."""
    from vidiff.generate.hub_file import is_hub_file as hub

    return hub(lora.source)


def _checked(lora: Lora, path: str) -> Lora:
    """`lora` with `path`, which must be a safetensors file holding LoRA tensors."""
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as f:
            keys = list(f.keys())
    except Exception:  # noqa: BLE001 - a header safetensors cannot read: not its format
        raise InputError(
            f"lora {lora.source}: not a safetensors file (a LoRA is a .safetensors file)"
        ) from None
    if not any(("lora" in k.lower() or k.endswith(".diff")) for k in keys):
        raise InputError(
            f"lora {lora.source}: not a LoRA: none of its {len(keys)} tensors is a LoRA layer "
            "(lora_A/lora_B, lora_down/lora_up)"
        )
    return Lora(lora.spec, lora.source, lora.scale, lora.stage, path)


def check_lora_support(kind: str, two_stage: bool, loras: list[Lora]) -> None:
    """A one-line UnsupportedError / ConfigError, before loading, for LoRAs the pipeline cannot take."""
    if not loras:
        return
    import importlib.util

    import diffusers

    from vidiff.generate.backends.base import quiet_libraries

    quiet_libraries()  # first: importing the pipeline's module may log (an image processor's fallback)
    if importlib.util.find_spec("peft") is None:
        raise UnsupportedError("lora needs the peft package: pip install peft (or 'vidiff[video]')")
    if not hasattr(getattr(diffusers, kind, None), "load_lora_weights"):
        raise UnsupportedError(f"the {kind} takes no LoRA (diffusers has no LoRA loader for it)")
    staged = next((lora for lora in loras if lora.stage is not None), None)
    if staged is not None and not two_stage:
        raise ConfigError(
            f"lora {staged.spec!r}: {staged.stage}= names one of a two-transformer Wan 2.2's transformers; "
            f"this {kind} has one (leave {staged.stage}= out)"
        )


def apply_loras(pipe: Any, loras: list[Lora], weights: str) -> None:
    """Load each LoRA into the loaded pipeline's transformer(s) as its own adapter at its scale. A LoRA
    none of whose layers is the transformer's is a one-line InputError naming how many matched (diffusers
    would only warn, or fail deep in peft); some unmatched, one warning line with the counts."""
    if not loras:
        return
    import sys

    from vidiff.quiet import no_warnings

    targets = {"high": "transformer", "low": "transformer_2"}
    parts = [p for p in ("transformer", "transformer_2") if getattr(pipe, p, None) is not None]
    active: dict[str, tuple[list[str], list[float]]] = {p: ([], []) for p in parts}
    for i, lora in enumerate(loras):
        state = _state_dict(pipe, lora)
        into = [targets[lora.stage]] if lora.stage else parts
        for part in into:
            matched, total = _matching(getattr(pipe, part), state)
            if matched == 0:
                raise InputError(
                    f"lora {lora.source}: 0 of its {total} layers are in the {type(getattr(pipe, part)).__name__} "
                    f"of weights {weights} (by name and width): a LoRA for another model?"
                )
            if matched < total:
                print(
                    f"warning: lora {lora.source}: {total - matched} of its {total} layers are not in the "
                    f"{part} (by name and width); using the {matched} that are",
                    file=sys.stderr,
                    flush=True,
                )
            name = f"vidiff_lora_{i}"
            try:
                second = {"load_into_transformer_2": True} if part == "transformer_2" else {}
                with no_warnings():  # peft's note on a second adapter: stacking is what was asked
                    pipe.load_lora_weights(dict(state), adapter_name=name, **second)
            except (ValueError, RuntimeError, KeyError, TypeError) as e:
                from vidiff.generate.backends.base import first_line

                why = next((x.strip() for x in str(e).splitlines() if "size mismatch" in x), first_line(e))
                raise InputError(f"lora {lora.source}: cannot load it into the {part}: {why}") from None
            active[part][0].append(name)
            active[part][1].append(lora.scale)
    for part, (names, scales) in active.items():
        if names:
            getattr(pipe, part).set_adapters(names, scales)


def _state_dict(pipe: Any, lora: Lora) -> dict:
    """The LoRA's tensors in diffusers' naming (the pipeline's loader converts other formats)."""
    from vidiff.generate.backends.base import first_line
    from vidiff.quiet import no_warnings

    try:
        with no_warnings():
            return type(pipe).lora_state_dict(lora.path)
    except KeyError as e:  # a converted format (musubi-tuner's) lacking a layer its converter reads
        raise InputError(
            f"lora {lora.source}: diffusers' converter for its key format needs layer {e} and it has none "
            "(a LoRA trained on only some layers?)"
        ) from None
    except (ValueError, RuntimeError, TypeError, OSError) as e:
        raise InputError(f"lora {lora.source}: cannot read it as a LoRA: {first_line(e)}") from None


def _matching(model: Any, state: dict) -> tuple[int, int]:
    """(how many of the LoRA's layers are modules of `model` of their shape, how many layers it has): a
    LoRA for another size of the model (Wan 14B's on 1.3B) names the same modules with other widths."""
    modules = dict(model.named_modules())
    layers: dict[str, list] = {}
    for key, tensor in state.items():
        name = key.removeprefix("transformer.")
        layer = name.split(".lora_")[0] if ".lora_" in name else name.rsplit(".", 1)[0]
        layers.setdefault(layer, [])
        if ".lora_A." in name:
            layers[layer].append(("in_features", tensor.shape[-1]))
        elif ".lora_B." in name:
            layers[layer].append(("out_features", tensor.shape[0]))
    return sum(_fits(modules.get(layer), dims) for layer, dims in layers.items()), len(layers)


def _fits(module: Any, dims: list) -> bool:
    """Whether `module` exists and its widths are the LoRA layer's (`dims`: (attribute, width))."""
    return module is not None and all(getattr(module, a, w) == w for a, w in dims)
