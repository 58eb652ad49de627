"""Video diffusion backends behind one interface (`base.Backend`), chosen from the weights themselves.

`--backend auto` reads `_class_name` from the weights' model_index.json (a local folder is read from
disk and never touches the network; a hub id is fetched through huggingface_hub, honouring `--offline`
and HF_HUB_OFFLINE) and maps the pipeline class to its backend; nothing is guessed from names.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

from vidiff.errors import ConfigError, InputError
from vidiff.generate.backends.base import Backend, first_line
from vidiff.generate.backends.cogvideox import CogVideoX
from vidiff.generate.backends.ltx import LTX
from vidiff.generate.backends.svd import SVD
from vidiff.generate.backends.wan import Wan

BACKENDS: dict[str, type[Backend]] = {b.name: b for b in (Wan, LTX, CogVideoX, SVD)}
CLASSES = {c: b for b in BACKENDS.values() for c in (*b.text_to_video, *b.image_to_video)}
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

__all__ = ["BACKENDS", "CLASSES", "Backend", "is_local", "pipeline_class", "resolve"]


def is_local(weights: str) -> bool:
    """Whether `weights` names a folder (existing or not) rather than a hub id (owner/name)."""
    p = Path(weights).expanduser()
    return p.exists() or not HUB_ID.match(weights) or weights.startswith((".", "/", "~"))


def offline_mode(offline: bool) -> bool:
    """`--offline`, or HF_HUB_OFFLINE set to a true value."""
    return offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _index_path(weights: str, offline: bool) -> Path:
    if is_local(weights):
        p = Path(weights).expanduser()
        if not p.exists():
            raise InputError(f"weights {weights}: no such folder")
        if not p.is_dir():
            raise InputError(f"weights {weights}: not a folder; give a diffusers pipeline folder or hub id")
        if not (p / "model_index.json").is_file():
            raise InputError(
                f"weights {weights}: no model_index.json; give a diffusers pipeline folder or a hub id"
            )
        return p / "model_index.json"
    try:
        from huggingface_hub import hf_hub_download

        with _hub_quiet():
            return Path(hf_hub_download(weights, "model_index.json", local_files_only=offline_mode(offline)))
    except Exception as e:  # any hub failure (offline and not cached, no such repo, no network): one line
        where = "in the local Hugging Face cache (offline)" if offline_mode(offline) else "on the hub"
        raise InputError(
            f"weights {weights}: no such folder, and no model_index.json {where}: {first_line(e)}"
        ) from None


@contextlib.contextmanager
def _hub_quiet() -> Iterator[None]:
    """huggingface_hub's own log lines off while it looks a file up: without a network it retries five
    times over about 25 s, a warning line each, before the one error vidiff reports."""
    hub = logging.getLogger("huggingface_hub")
    level = hub.level
    hub.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hub.setLevel(level)


def _check_parts(folder: Path, index: dict, kind: str) -> None:
    """A one-line InputError naming the first component the index lists that the folder lacks."""
    for part, spec in index.items():
        if part.startswith("_") or not isinstance(spec, list) or None in spec:
            continue
        if not (folder / part).is_dir():
            raise InputError(f"weights {folder}: the {kind} is missing its {part}/ ({spec[1]})")


def pipeline_class(weights: str, offline: bool = False) -> str:
    """The diffusers pipeline class a weights folder or hub id holds (its model_index.json's _class_name);
    for a local folder every component it lists must be there."""
    path = _index_path(weights, offline)
    try:
        index = json.loads(path.read_text())
        kind = index["_class_name"]
        if not isinstance(kind, str):  # 5, null, a list: 'holds a 5' would read as a class
            raise TypeError(kind)
    except (ValueError, KeyError, TypeError):
        raise InputError(f"weights {weights}: model_index.json is not a diffusers pipeline index") from None
    if is_local(weights):
        _check_parts(path.parent, index, kind)
    return kind


def resolve(backend: str, weights: str, offline: bool = False) -> Backend:
    """The backend for `weights` (`auto`: from its pipeline class); a one-line error when the weights are
    not a video pipeline vidiff drives or not the named backend's."""
    if backend != "auto" and backend not in BACKENDS:
        raise ConfigError(
            f"unknown backend {backend!r}; choose auto, vidiff or one of: {', '.join(BACKENDS)}"
        )
    kind = pipeline_class(weights, offline)
    cls = CLASSES.get(kind)
    if cls is None:
        raise InputError(
            f"weights {weights} holds a {kind}, not a video pipeline vidiff drives "
            f"(it takes: {', '.join(sorted(CLASSES))})"
        )
    if backend != "auto" and cls.name != backend:
        raise ConfigError(f"weights {weights} holds a {kind} ({cls.name}), not backend {backend}")
    return cls(kind, weights)
