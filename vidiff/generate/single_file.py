"""A single-file transformer in place of the weights' own: `--transformer [high=|low=]FILE`.

ComfyUI and the models' original releases ship a video model's transformer as one `.safetensors` file in
the original key layout (ComfyUI's `models/diffusion_models/`: `wan2.1_t2v_1.3B_fp16.safetensors`, a
fine-tune, a merge). diffusers' `from_single_file` converts such a file to its own layout with the
weights' `transformer/config.json`; the pipeline then loads every other part (text encoder, VAE,
scheduler) from the weights as before, and not their own transformer. A two-transformer Wan 2.2 A14B
takes one file per transformer, named `high=` (high noise) or `low=` (low noise).

Before the model loads (minutes), the file's header is checked against the transformer its config
describes (built on the meta device: no memory): the tensors it lacks, those of another shape (a 14B
file on a 1.3B config) and ComfyUI's "scaled fp8" files (per-tensor scales diffusers does not apply) are
each one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vidiff.errors import ConfigError, InputError, UnsupportedError

PARTS = {"high": "transformer", "low": "transformer_2"}  # a two-transformer Wan 2.2's stages


@dataclass(frozen=True)
class SingleFile:
    """One `--transformer` (or `--vae`: `component` "vae") as asked for: `source` (a path or hub file),
    `stage` (None: the one transformer) and, once fetched and checked, its local `path` and the part's
    diffusers `model` class."""

    spec: str
    source: str
    stage: str | None = None
    path: str | None = None
    model: type | None = None
    component: str | None = None  # the part it replaces when not a transformer (`vidiff.generate.vae_file`)

    @property
    def part(self) -> str:
        """The pipeline component it replaces."""
        return self.component or PARTS[self.stage or "high"]

    @property
    def what(self) -> str:
        """The option it came from, as messages name it."""
        return self.component or "transformer"


def parse_single_files(value: str | list[str] | tuple[str, ...] | None) -> list[SingleFile]:
    """The files `value` names (each `[high=|low=]PATH_OR_HUB_FILE`); a one-line ConfigError for an
    empty one or two for the same transformer."""
    from vidiff.validate import check_texts

    check_texts(value, "transformer")
    files = []
    for spec in [value] if isinstance(value, str) else list(value or []):
        text, stage = spec.strip(), None
        head = text.split("=", 1)[0]
        if "=" in text and head in PARTS:
            stage, text = head, text.split("=", 1)[1].strip()
        if not text:
            raise ConfigError(
                f"transformer {spec!r}: give a .safetensors file or a hub file (owner/name/file)"
            )
        files.append(SingleFile(spec, text, stage))
    parts = [f.part for f in files]
    if len(set(parts)) < len(parts):
        raise ConfigError("transformer: one file per transformer (give high= and low= once each at most)")
    return files


def check_single_file_support(kind: str, two_stage: bool, files: list[SingleFile]) -> None:
    """A one-line ConfigError / UnsupportedError, before anything is read, for files this pipeline
    cannot take in place of its transformer."""
    if not files:
        return
    staged = next((f for f in files if f.stage is not None), None)
    if two_stage and len(files) and staged is None:
        raise ConfigError(
            f"transformer {files[0].spec!r}: this {kind} has two transformers; name which the file replaces "
            "with high= (high noise) or low= (low noise)"
        )
    if staged is not None and not two_stage:
        raise ConfigError(
            f"transformer {staged.spec!r}: {staged.stage}= names one of a two-transformer Wan 2.2's "
            f"transformers; this {kind} has one (leave {staged.stage}= out)"
        )


def fetch_single_files(
    files: list[SingleFile],
    kind: str,
    source: str,
    offline: bool,
    local: bool,
    note: Callable[[str], None] | None = None,
) -> list[SingleFile]:
    """Each file with its local path (a hub file fetched, from the cache alone `offline`), checked
    against the part (transformer, VAE) the config of `source` describes (`local`: read without the hub)."""
    from dataclasses import replace

    from vidiff.generate.hub_file import local_file

    out = []
    for f in files:
        path = local_file(f.source, f.what, offline, note)
        got = replace(f, path=path, model=_part_class(kind, source, f.part, local, f.what))
        _check_tensors(got, source, local)
        out.append(got)
    return out


def _part_class(kind: str, source: str, part: str, local: bool, what: str = "transformer") -> type:
    """The diffusers model class of `part` in the weights' index; a one-line error when the pipeline
    has no such part or diffusers cannot read that class from one file."""
    import diffusers
    from diffusers.loaders.single_file_model import SINGLE_FILE_LOADABLE_CLASSES

    index = getattr(diffusers, kind).load_config(source, local_files_only=local)
    spec = index.get(part)
    if not isinstance(spec, list) or None in spec:
        raise UnsupportedError(f"{what}: the {kind} has no {part} to replace")
    cls = getattr(diffusers, spec[1], None)
    if cls is None or not any(issubclass(cls, getattr(diffusers, c)) for c in SINGLE_FILE_LOADABLE_CLASSES):
        raise UnsupportedError(f"{what}: diffusers cannot read a {spec[1]} from a single file")
    return cls


def _check_tensors(f: SingleFile, source: str, local: bool) -> None:
    """The file's tensor names and shapes (its header only) against the part the config builds
    on the meta device, through diffusers' own key conversion."""
    import torch
    from accelerate import init_empty_weights
    from diffusers.loaders.single_file_model import SINGLE_FILE_LOADABLE_CLASSES as LOADABLE
    from diffusers.loaders.single_file_model import _get_single_file_loadable_mapping_class
    from safetensors import safe_open

    cls = f.model
    try:
        with safe_open(f.path, framework="pt") as st:
            header = {k: torch.empty(st.get_slice(k).get_shape(), device="meta") for k in st.keys()}  # noqa: SIM118
    except Exception:  # noqa: BLE001 - a header safetensors cannot read: not its format
        raise InputError(f"{f.what} {f.source}: not a safetensors file") from None
    if any(k.endswith("scale_weight") or k == "scaled_fp8" for k in header):
        raise UnsupportedError(
            f"{f.what} {f.source}: a scaled fp8 checkpoint (per-tensor scale_weight), which diffusers "
            "does not apply: give the fp16 or bf16 file"
        )
    config = cls.load_config(source, subfolder=f.part, local_files_only=local)
    with init_empty_weights():
        expected = {k: tuple(v.shape) for k, v in cls.from_config(config).state_dict().items()}
    if f.component == "vae" and set(header) != set(expected):  # a layout diffusers must convert
        from vidiff.generate.vae_file import check_convertible

        check_convertible(f, cls.__name__, config)
    mapping = LOADABLE[_get_single_file_loadable_mapping_class(cls)]["checkpoint_mapping_fn"]
    try:
        got = header if set(header) == set(expected) else mapping(config=config, checkpoint=dict(header))
    except Exception:  # noqa: BLE001 - a file the conversion cannot read: said by what it lacks
        got = header
    got = {k: tuple(v.shape) for k, v in got.items() if isinstance(v, torch.Tensor)}
    _say_mismatch(f, cls.__name__, expected, got)


def _say_mismatch(f: SingleFile, name: str, expected: dict, got: dict) -> None:
    """One line for a file that cannot fill the part; one warning line for unused tensors."""
    have = [k for k in expected if k in got]
    if not have:
        raise InputError(
            f"{f.what} {f.source}: none of the {name}'s {len(expected)} tensors is in it: a checkpoint "
            "of another model?"
        )
    shaped = [k for k in have if got[k] != expected[k]]
    if shaped:
        k = shaped[0]
        raise InputError(
            f"{f.what} {f.source}: {len(shaped)} of its tensors have other shapes than the weights' "
            f"{name} (e.g. {k}: {list(got[k])}, the config says {list(expected[k])}): a checkpoint of "
            "another size of the model?"
        )
    missing = [k for k in expected if k not in got]
    if missing:
        raise InputError(
            f"{f.what} {f.source}: holds {len(have)} of the {name}'s {len(expected)} tensors "
            f"(lacks e.g. {missing[0]}): a checkpoint of another variant of the model?"
        )
    extra = len(got) - len(have)
    if extra:
        print(
            f"warning: {f.what} {f.source}: {extra} of its {len(got)} tensors are not the {name}'s; left out",
            file=sys.stderr,
            flush=True,
        )


def load_single_files(files: list[SingleFile], source: str, dtype: Any, local: bool) -> dict:
    """{component: model} for the pipeline's from_pretrained, each read from its file (`fetch_single_files`'
    checked files: their model class known)."""
    from vidiff.generate.backends.base import first_line

    parts = {}
    for f in files:
        try:
            parts[f.part] = f.model.from_single_file(
                f.path, config=source, subfolder=f.part, torch_dtype=dtype, local_files_only=local
            )
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
            raise InputError(f"{f.what} {f.source}: cannot load it: {first_line(e)}") from None
    return parts
