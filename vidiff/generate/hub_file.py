"""One file named by a local path or a hub file (`owner/name/path/in/repo.safetensors`): a LoRA, a
single-file transformer. A hub file is fetched as huggingface_hub fetches, into its cache; offline (or
with the hub not answering) it is read from that cache alone, and one not there is one line saying how
to fetch it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from vidiff.errors import InputError

HUB_FILE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+/.+$")


def is_hub_file(source: str) -> bool:
    """Whether `source` names a file on the hub (owner/name/path) rather than a local file."""
    return (
        not Path(source).expanduser().exists()
        and bool(HUB_FILE.match(source))
        and not source.startswith((".", "/", "~"))
    )


def local_file(source: str, what: str, offline: bool, note: Callable[[str], None] | None = None) -> str:
    """The local path of `source` (`what` names it in messages: "lora", "transformer"): a file that
    exists, or a hub file from the hub or the local cache; a one-line InputError otherwise."""
    p = Path(source).expanduser()
    if not is_hub_file(source):
        if p.is_dir():
            raise InputError(f"{what} {source}: is a folder; give its .safetensors file")
        if p.exists() and not p.is_file():  # a FIFO, a device: "no such file" sent users looking for it
            raise InputError(f"{what} {source}: not a regular file (a device, pipe or socket); give a file")
        if not p.is_file():
            raise InputError(f"{what} {source}: no such file")
        return str(p)
    from huggingface_hub import try_to_load_from_cache

    from vidiff.generate.backends import hub_quiet, hub_unreachable, offline_mode
    from vidiff.generate.backends.base import first_line

    owner, name, filename = source.split("/", 2)
    repo = f"{owner}/{name}"
    cached = try_to_load_from_cache(repo, filename)
    cached = cached if isinstance(cached, str) else None
    hint = f"fetch it once where the hub can be reached (hf download {repo} {filename}), or give a local file"
    if offline_mode(offline):
        if cached is None:
            raise InputError(
                f"{what} {source}: no such file, and not in the local Hugging Face cache (offline): {hint}"
            )
        return cached
    reason = hub_unreachable()
    if reason is not None:
        if cached is None:
            raise InputError(f"{what} {source}: cannot reach the hub ({reason}): {hint}")
        if note is not None:
            note(f"note: cannot reach the hub ({reason}); using {what} {source} from the local cache")
        return cached
    try:
        from huggingface_hub import hf_hub_download

        with hub_quiet():
            return hf_hub_download(repo, filename)
    except Exception as e:  # noqa: BLE001 - no such repo or file, a network lost mid-call: one line
        raise InputError(f"{what} {source}: no such file, and not on the hub: {first_line(e)}") from None
