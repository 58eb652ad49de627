"""The sound under a clip that `generate` continues (by vidiff's schemes or by a model): the clip's first
audio stream under the clip's own frames, silence under what is added after them, as a video editor keeps
a clip's sound when the clip is lengthened. One rule for both kinds of continuation."""

from __future__ import annotations

from typing import Any

FADE_OUT_S = 0.05  # the clip's sound faded out over this at its end (no click where the silence starts)


def clip_sound(clip: str, info: Any, n_clip: int, seconds: float) -> Any:
    """`clip`'s first audio stream (`info`: its `VideoInfo`) for its first `n_clip` frames, then silence,
    `seconds` long (an `AudioTrack`); None where the clip has no audio."""
    import numpy as np

    from vidiff.io.audio import RATE, AudioTrack

    if not info.audio:
        return None
    part = AudioTrack.from_file(clip, duration=n_clip / float(info.fps), fade_out=FADE_OUT_S)
    pad = max(0, round(seconds * RATE) - part.samples.shape[1])
    return AudioTrack(np.pad(part.samples, ((0, 0), (0, pad))))
