"""Who can reach the web app, and what it lets them do: `--share` (a public gradio.live link) or a `--host`
other than this machine's loopback makes the app public, and a public app caps uploads
(`SHARED_MAX_UPLOAD`, `--max-upload`), loads a video diffusion model only from the folders given at
launch (`--weights-dir`) and a hub id only with `--allow-hub`: a visitor cannot make the server read any
folder or download any model. On 127.0.0.1 alone nothing changes (the user is the visitor).

No Gradio here: the CLI checks its options with it before Gradio is imported, and tests need no server.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from vidiff.errors import ConfigError

SHARED_MAX_UPLOAD = "200MB"  # the upload cap of a public app unless --max-upload says otherwise
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_size(text: object, what: str = "--max-upload") -> int | None:
    """'200MB', '1.5GB', '500000' (bytes) -> bytes; 'none' -> None (no cap)."""
    if not isinstance(text, str):
        raise ConfigError(f"{what} {text!r:.60}: give a size such as 200MB or 2GB (or none)")
    if text.strip().lower() == "none":
        return None
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)  # ASCII digits: '١٠MB' was 10MB
    unit = m.group(2).upper() if m else ""
    if not m or unit not in _UNITS:
        raise ConfigError(f"{what} {text!r:.60}: give a size such as 200MB or 2GB (or none)")
    size = int(float(m.group(1)) * _UNITS[unit])
    if size < 1:
        raise ConfigError(f"{what} {text!r:.60}: give a size above 0 (or none for no cap)")
    return size


def is_public(host: str, share: bool) -> bool:
    """Whether others can reach the app: a share link, or a host that is not only this machine's loopback
    (0.0.0.0, a LAN address or name)."""
    if share:
        return True
    try:
        addrs = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError, ValueError):
        return True  # not checked here (`check_host` refuses it): counted public, the safe side
    try:
        return not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)
    except ValueError:
        return True


@dataclass(frozen=True)
class Exposure:
    """What the app lets its visitors do (`public`: reachable by others)."""

    public: bool = False
    max_upload: int | None = None  # bytes; None: no cap
    weights_dirs: tuple[Path, ...] = ()  # where a public app (or one given folders) loads weights from
    allow_hub: bool = False  # a public app loads a hub id only with this

    @classmethod
    def from_options(
        cls,
        host: str,
        share: bool,
        max_upload: str | None = None,
        weights_dirs: list[str] | tuple[str, ...] = (),
        allow_hub: bool = False,
    ) -> Exposure:
        """The exposure `vidiff ui`'s options ask for; a bad size or a weights folder that is not one is one
        `ConfigError` line before the server starts."""
        public = is_public(host, share)
        size = parse_size(max_upload) if max_upload is not None else None
        if max_upload is None and public:
            size = parse_size(SHARED_MAX_UPLOAD)
        dirs = []
        for d in weights_dirs:
            p = Path(os.path.expanduser(d)).resolve()
            if not p.is_dir():
                raise ConfigError(f"--weights-dir {d!r}: not a folder")
            dirs.append(p)
        return cls(public, size, tuple(dirs), bool(allow_hub))

    def check_weights(self, weights: str | None) -> None:
        """A `ConfigError` if a visitor may not load `weights` (a folder or a hub id): in a public app only a
        folder inside a `--weights-dir` and a hub id with `--allow-hub`; given `--weights-dir`, only those
        folders in any app."""
        if not weights or not (self.public or self.weights_dirs):
            return
        from vidiff.generate.backends import is_local

        if is_local(weights):
            p = Path(os.path.expanduser(weights)).resolve()
            if any(p == d or d in p.parents for d in self.weights_dirs):
                return
            where = ", ".join(map(str, self.weights_dirs)) or "none were given at launch"
            raise ConfigError(
                f"weights {weights!r}: this app loads weights only from the folders given at launch "
                f"(vidiff ui --weights-dir DIR: {where})"
            )
        if self.public and not self.allow_hub:
            raise ConfigError(
                f"weights {weights!r}: this shared app loads no hub id (start it with vidiff ui --allow-hub)"
            )

    def check_model_files(self, sources: list[str], what: str) -> None:
        """A `ConfigError` if a visitor may not load one of `sources` (LoRA or transformer files, each a
        local path or a hub file owner/name/file): as for weights, a local file inside a `--weights-dir`
        and a hub file with `--allow-hub` in a public app; given `--weights-dir`, only files inside."""
        if not (self.public or self.weights_dirs):
            return
        from vidiff.generate.hub_file import is_hub_file

        for source in sources:
            if is_hub_file(source):
                if self.public and not self.allow_hub:
                    raise ConfigError(
                        f"{what} {source!r}: this shared app fetches no hub file (start it with vidiff ui "
                        "--allow-hub)"
                    )
                continue
            p = Path(os.path.expanduser(source)).resolve()
            if not any(d in p.parents for d in self.weights_dirs):
                where = ", ".join(map(str, self.weights_dirs)) or "none were given at launch"
                raise ConfigError(
                    f"{what} {source!r}: this app reads model files only from the folders given at launch "
                    f"(vidiff ui --weights-dir DIR: {where})"
                )

    def check_upload(self, path: str, workdir: str | os.PathLike[str]) -> None:
        """In a public app, an input must be a file uploaded to this app (inside `workdir` or Gradio's upload
        folder): a crafted request naming any file of the server is refused (Gradio checks it too)."""
        if not self.public:
            return
        import tempfile

        from vidiff.errors import InputError

        roots = [Path(workdir), Path(tempfile.gettempdir()) / "gradio"]
        if os.environ.get("GRADIO_TEMP_DIR"):
            roots.append(Path(os.environ["GRADIO_TEMP_DIR"]))
        try:
            p = Path(path).resolve()
        except (OSError, ValueError, RuntimeError):
            p = None
        if p is None or not any(p.is_relative_to(r.resolve()) for r in roots):
            raise InputError(f"{Path(str(path)).name}: not a file uploaded to this app; upload it")

    def launch_kwargs(self) -> dict[str, int]:
        """Gradio `launch` keywords: the upload cap (Gradio refuses a larger file before it is stored)."""
        return {} if self.max_upload is None else {"max_file_size": self.max_upload}

    def line(self) -> str | None:
        """What a public app allows, said at launch; None for an app on this machine only."""
        if not self.public:
            return None
        cap = "no cap (--max-upload none)" if self.max_upload is None else f"up to {_mb(self.max_upload)}"
        dirs = ", ".join(map(str, self.weights_dirs)) or "none (--weights-dir DIR)"
        hub = "allowed (--allow-hub)" if self.allow_hub else "refused (--allow-hub allows them)"
        return f"vidiff ui: public: uploads {cap}; weights folders: {dirs}; hub ids: {hub}"


def _mb(size: int) -> str:
    return f"{size / 10**6:g} MB"
