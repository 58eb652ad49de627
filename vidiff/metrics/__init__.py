"""Temporal-consistency metrics and the held-out-frame benchmark protocol (see BENCHMARK.md).

- `quality`: PSNR and SSIM of a frame against its ground truth.
- `temporal`: flicker, temporal-difference error, warping error.
- `protocol`: keep every k-th frame (or 2 in 5), rebuild the rest, score them.
- `clip`: the per-frame consistency report of any clip (`vidiff metrics`).
- `defects`: one detector per defect kind (black, frozen, duplicate, flicker, corrupt, jump, cut), and the
  level matching `vidiff infill --auto` repairs flicker with.
- `peers`: FFmpeg's minterpolate (through PyAV), run losslessly beside vidiff's methods.
- `bench`: every clip × factor × method in one invocation (`vidiff bench`); `report`: tables and plots.
"""

from vidiff.api_call import checked_call
from vidiff.metrics import protocol, quality, temporal

# the public names: a call that does not fit the signature is a ConfigError, not a TypeError (the modules'
# own functions, called per frame inside vidiff, stay unwrapped)
parse_factor = checked_call(protocol.parse_factor)
score_interpolator = checked_call(protocol.score_interpolator)
psnr = checked_call(quality.psnr)
ssim = checked_call(quality.ssim)
frame_diff = checked_call(temporal.frame_diff)
tdiff_error = checked_call(temporal.tdiff_error)
warping_error = checked_call(temporal.warping_error)

__all__ = ["frame_diff", "parse_factor", "psnr", "score_interpolator", "ssim", "tdiff_error", "warping_error"]
