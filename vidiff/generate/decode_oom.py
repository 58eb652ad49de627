"""A VAE decode that runs out of GPU memory is done again in tiles, as ComfyUI's VAE Decode does.

The decode comes after every sampler step (minutes); at 720p and 81 frames it is the run's largest
memory peak, so a GPU that holds the model can still run out there, and the steps were lost. While a
pipeline call runs, its VAE's `decode` is wrapped: on `torch.OutOfMemoryError` the cache is emptied,
the VAE's tiling and slicing (diffusers' own) are switched on and the same latents are decoded again,
with one `warning:` line. Tiles are blended at their seams, so the frames may differ slightly from an
untiled decode (which could not be made); at or below the VAE's tile size (256 px for Wan's) tiling
changes nothing. The VAE is put back as it was after the call: the kept pipeline (`loaded`) is the
same as a fresh load for the next run. A VAE already tiled (`--offload`) is left alone.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


def _warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def tiled_on_oom(pipe: Any, n_frames: int, warn: Any = _warn) -> Iterator[None]:
    """While it lasts, `pipe.vae.decode` decodes again in tiles when it runs out of memory (once)."""
    import torch

    vae = getattr(pipe, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling") or getattr(vae, "use_tiling", True):
        yield
        return
    decode = vae.decode
    tiled: list[str] = []  # the switches turned on here, turned off after

    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return decode(*args, **kwargs)
        except torch.OutOfMemoryError:
            if tiled:  # tiled already: nothing more to try here
                raise
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        for name in ("tiling", "slicing"):
            if hasattr(vae, f"enable_{name}") and not getattr(vae, f"use_{name}", False):
                getattr(vae, f"enable_{name}")()
                tiled.append(name)
        warn(
            f"warning: out of GPU memory decoding {n_frames} frames (VAE): decoding them again in tiles "
            "(they may differ slightly at the tiles' seams; offload tiles from the start)"
        )
        return decode(*args, **kwargs)

    vae.decode = guarded
    try:
        yield
    finally:
        del vae.decode  # the class's own again
        for name in tiled:
            getattr(vae, f"disable_{name}")()
