"""Video diffusion backends behind one interface (`base.Backend`), chosen from the weights themselves.

`--backend auto` reads `_class_name` from the weights' model_index.json (a local folder is read from
disk and never touches the network; a hub id is fetched through huggingface_hub, honouring `--offline`
and HF_HUB_OFFLINE) and maps the pipeline class to its backend; nothing is guessed from names. A hub id
read from the cache (offline, or the hub not answering) is loaded from its cached snapshot folder, as a
local folder is: no process-wide offline switch is turned on, so a web app's other requests keep the hub.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from vidiff.errors import ConfigError, InputError
from vidiff.generate.backends.base import Backend, first_line
from vidiff.generate.backends.cogvideox import CogVideoX
from vidiff.generate.backends.hunyuan import HunyuanVideo
from vidiff.generate.backends.ltx import LTX
from vidiff.generate.backends.ltx2 import LTX2
from vidiff.generate.backends.skyreels import SkyReelsV2
from vidiff.generate.backends.svd import SVD
from vidiff.generate.backends.wan import Wan
from vidiff.generate.backends.wan_vace import WanVACE

BACKENDS: dict[str, type[Backend]] = {
    b.name: b for b in (Wan, LTX, CogVideoX, SVD, HunyuanVideo, LTX2, SkyReelsV2)
}
# each pipeline class's backend: a family's own, or a class of the family's for one pipeline (Wan's VACE)
CLASSES = {c: b for b in (*BACKENDS.values(), WanVACE) for c in (*b.text_to_video, *b.image_to_video)}
CONFIG_FILES = {"scheduler": "scheduler_config.json", "guider": "guider_config.json"}  # else config.json
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# seconds the hub has to answer vidiff's one check before a run says it cannot be reached (a HEAD request
# answers in well under a second; HF_HUB_ETAG_TIMEOUT overrides it on a slow link)
HUB_TIMEOUT_S = 3.0

__all__ = [
    "BACKENDS",
    "CLASSES",
    "Backend",
    "cached_snapshot",
    "hub_access",
    "hub_quiet",
    "is_local",
    "offline_mode",
    "pipeline_class",
    "resolve",
]


def is_local(weights: str) -> bool:
    """Whether `weights` names a folder (existing or not) rather than a hub id (owner/name)."""
    p = Path(weights).expanduser()
    return p.exists() or not HUB_ID.match(weights) or weights.startswith((".", "/", "~"))


def offline_mode(offline: bool) -> bool:
    """`--offline`, or HF_HUB_OFFLINE set to a true value."""
    return offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def hub_timeout() -> float:
    """Seconds the hub has to answer vidiff's one reachability check: HF_HUB_ETAG_TIMEOUT where set (the
    timeout huggingface_hub gives a file's metadata request), else `HUB_TIMEOUT_S`."""
    try:
        return max(0.1, float(os.environ["HF_HUB_ETAG_TIMEOUT"]))
    except (KeyError, ValueError):
        return HUB_TIMEOUT_S


def hub_unreachable(timeout: float | None = None, weights: str | None = None) -> str | None:
    """None when the hub answers one request within `timeout` seconds (any answer below 500 but 429 counts:
    it is there; with `weights`, the request is for its model_index.json, so a hub that fails on that file
    is caught too); else why not, in one line. One try: huggingface_hub's own calls retry a failed
    connection, a 5xx or a 429 (too many requests) five times or more, about 25 s, before they fail."""
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    url = constants.ENDPOINT
    if weights is not None:
        from huggingface_hub import hf_hub_url

        url = hf_hub_url(weights, "model_index.json")
    try:
        r = get_session().head(url, timeout=hub_timeout() if timeout is None else timeout)
        status = int(r.status_code)
    except (AttributeError, TypeError, ValueError):  # a client API unknown here: the hub call tells
        return None
    except Exception as e:  # noqa: BLE001 - no name, no route, refused, timed out, a proxy's refusal
        return f"{constants.ENDPOINT}: {first_line(e)}"
    if status >= 500 or status == 429:  # failing or rate-limited: huggingface_hub retries these ~30 s
        phrase = str(getattr(r, "reason_phrase", "") or "").strip()
        return f"{constants.ENDPOINT}: it answers HTTP {status}{' ' + phrase if phrase else ''}"
    return None


def cached_snapshot(weights: str) -> Path | None:
    """The folder of hub id `weights` in the local Hugging Face cache (its snapshot, where its
    model_index.json is), or None when the cache lacks it. Read from disk alone: no network, no
    huggingface_hub client (which would look its 'agent' list up on the hub)."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(weights, "model_index.json")
    return Path(found).parent if isinstance(found, str) else None


def _cached(weights: str) -> bool:
    """Whether the local Hugging Face cache holds hub id `weights` (its model_index.json)."""
    return cached_snapshot(weights) is not None


def _fetch_hint(weights: str) -> str:
    return f"fetch it once where the hub can be reached (hf download {weights}), or give a local folder"


def hub_access(weights: str, offline: bool, note: Callable[[str], None] | None = None) -> bool:
    """Whether `weights` is read from the local Hugging Face cache only (True) rather than the hub, decided
    before any hub call, so no run waits on huggingface_hub's retries. A local folder: `offline` as given.
    Offline (`offline` or HF_HUB_OFFLINE): True, no network tried; a hub id the cache lacks is one line
    that says how to fetch it. Online: one quick check (`hub_unreachable`); a hub that does not answer
    is one line, or, for a hub id in the cache, `note` says it runs from the cache (True)."""
    if is_local(weights):
        return offline
    if offline_mode(offline):
        if not _cached(weights):
            raise InputError(
                f"weights {weights}: not in the local Hugging Face cache, and offline (--offline or "
                f"HF_HUB_OFFLINE) nothing is downloaded: {_fetch_hint(weights)}"
            )
        return True
    reason = hub_unreachable(weights=weights)
    if reason is None:
        return False
    if not _cached(weights):
        raise InputError(
            f"weights {weights}: cannot reach the hub ({reason}), and it is not in the local Hugging Face "
            f"cache: {_fetch_hint(weights)}"
        )
    if note is not None:
        note(f"note: cannot reach the hub ({reason}); using {weights} from the local Hugging Face cache")
    return True


_QUIET_LOCK = threading.Lock()
_QUIET: list = []  # [the logger's level before the first scope] while any scope is open


@contextlib.contextmanager
def hub_quiet() -> Iterator[None]:
    """huggingface_hub's log lines below errors off while it lasts (vidiff reports what fails in one line).
    Scopes may overlap (the web app's requests on threads): the first sets the level, the last restores
    it, so none leaves it changed. Offline is not switched on here: a hub id read from the cache is
    loaded from its snapshot folder (`resolve`), so no other request loses the hub."""
    hub = logging.getLogger("huggingface_hub")
    with _QUIET_LOCK:
        if not _QUIET:
            _QUIET.append(hub.level)
            hub.setLevel(logging.ERROR)
        _QUIET.append(None)
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET.pop()
            if len(_QUIET) == 1:
                hub.setLevel(_QUIET.pop())


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
    if offline_mode(offline):  # the cache, read from disk: no hub client made
        snapshot = cached_snapshot(weights)
        if snapshot is None:
            raise InputError(
                f"weights {weights}: no such folder, and no model_index.json in the local Hugging Face "
                f"cache (offline): {_fetch_hint(weights)}"
            )
        return snapshot / "model_index.json"
    try:
        from huggingface_hub import hf_hub_download

        with hub_quiet():
            return Path(hf_hub_download(weights, "model_index.json"))
    except Exception as e:  # any hub failure (no such repo, a network lost mid-call): one line
        raise InputError(
            f"weights {weights}: no such folder, and no model_index.json on the hub: {first_line(e)}"
        ) from None


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
    return _read_index(weights, offline)[1]["_class_name"]


def _read_index(weights: str, offline: bool) -> tuple[Path, dict]:
    """model_index.json's path and content (`pipeline_class`'s checks)."""
    path = _index_path(weights, offline)
    try:
        index = json.loads(path.read_text())
        kind = index["_class_name"]
        if not isinstance(kind, str):  # 5, null, a list: 'holds a 5' would read as a class
            raise TypeError(kind)
    except (ValueError, KeyError, TypeError):
        raise InputError(f"weights {weights}: model_index.json is not a diffusers pipeline index") from None
    if is_local(weights) or offline_mode(offline):  # a folder, or a hub id's snapshot in the cache
        _check_parts(path.parent, index, kind)
    return path, index


def _part_configs(weights: str, index_path: Path, index: dict, parts: tuple[str, ...], hub: bool) -> dict:
    """model_index.json and the config of each of `parts` the index names (config.json; a scheduler's
    scheduler_config.json, a guider's guider_config.json), read beside the index
    (a folder, a cached snapshot) or, `hub`, fetched as diffusers would; one that cannot be read is left
    out (the backend's figures stand until the loaded model says)."""
    configs: dict[str, dict] = {"model_index": index}
    for part in parts:
        spec = index.get(part)
        if not isinstance(spec, list) or None in spec:
            continue
        name = CONFIG_FILES.get(part, "config.json")
        try:
            if hub:
                from huggingface_hub import hf_hub_download

                with hub_quiet():
                    path = Path(hf_hub_download(weights, f"{part}/{name}"))
            else:
                path = index_path.parent / part / name
            config = json.loads(path.read_text())
        except Exception:  # noqa: BLE001 - any failure: loading says what is wrong, in one line
            continue
        if isinstance(config, dict):
            configs[part] = config
    return configs


def resolve(backend: str, weights: str, offline: bool = False) -> Backend:
    """The backend for `weights` (`auto`: from its pipeline class); a one-line error when the weights are
    not a video pipeline vidiff drives or not the named backend's."""
    if backend != "auto" and backend not in BACKENDS:
        raise ConfigError(
            f"unknown backend {backend!r}; choose auto, vidiff or one of: {', '.join(BACKENDS)}"
        )
    index_path, index = _read_index(weights, offline)
    kind = index["_class_name"]
    cls = CLASSES.get(kind)
    if cls is None:
        raise InputError(
            f"weights {weights} holds a {kind}, not a video pipeline vidiff drives "
            f"(it takes: {', '.join(sorted(CLASSES))})"
        )
    if backend != "auto" and cls.name != backend:
        raise ConfigError(f"weights {weights} holds a {kind} ({cls.name}), not backend {backend}")
    # a folder as ~/models/wan (a recipe's YAML, the web app, the API: no shell expands it) is loaded from
    # the folder the index was read from; diffusers took it for a malformed hub id. A hub id read from the
    # cache is loaded from its snapshot folder (nothing asks the hub; no process-wide offline mode)
    if is_local(weights):
        b = cls(kind, str(Path(weights).expanduser()))
    else:
        snapshot = cached_snapshot(weights) if offline_mode(offline) else None
        b = cls(kind, weights, None if snapshot is None else str(snapshot))
    hub = not is_local(weights) and not offline_mode(offline)
    b.configure(_part_configs(weights, index_path, index, cls.config_parts, hub))
    return b
