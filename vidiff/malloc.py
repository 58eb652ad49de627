"""Keep freed memory for the next frame instead of handing it back to the kernel (glibc only).

By default glibc serves a large allocation with a fresh mapping once its adaptive threshold has not yet
grown to that size, and gives the top of the heap back to the kernel once more than its trim threshold
is free. Every frame's temporaries (a 720p float32 frame is 11 MB, a 720p model window's tensors up to
33 MB) then fault in each page again, and the kernel zero-fills each one: tens of thousands of page
faults per frame. Fixing both thresholds, as PyTorch's CPU performance guide does by recommending a
caching allocator (jemalloc, tcmalloc), keeps that memory in the heap for reuse with no extra library.
The figures are in benchmarks/results/malloc (`python benchmarks/malloc.py`).

Peak memory is unchanged (the same allocations); the process keeps up to `TRIM_BYTES` of freed heap
that it would otherwise return. Allocations above `MMAP_BYTES` (glibc's largest allowed threshold) still
get their own mapping; vidiff keeps those few buffers itself (vidiff.diffusion.sampling.Workspace).
"""

from __future__ import annotations

import ctypes
import functools
import sys

MMAP_BYTES = 32 << 20  # glibc's largest mmap threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)
TRIM_BYTES = 256 << 20  # freed heap top kept before glibc returns it to the kernel
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers (glibc's malloc.h)


@functools.cache
def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds once per process; True where that took effect.

    A no-op returning False off Linux, or where the C library has no `mallopt` or refuses the values
    (musl's is a stub). A process forked after the call inherits the setting; a spawned one calls this
    itself when it builds a method (vidiff.flow.interpolator_factory).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # the mmap threshold first: setting either one turns off glibc's adaptive threshold
    return mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES) == 1
