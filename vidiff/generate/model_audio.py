"""The sound a video diffusion model makes with its frames (LTX-2), as the output clip's audio track.

A clip longer than one window is several model calls, each with its own sound: `join_windows` keeps each
window's audio for the frames it adds (a window after the first starts from the last frame of the one
before, so that frame's time is cut from its audio, as the frame is), so the sound stays in step with the
keyframes. `track` resamples it to the muxer's 48 kHz stereo (`vidiff.io.audio.AudioTrack`) and fits it to
the output's duration: the interpolated output lasts the keyframes' time, give or take a frame; a looped
clip's transition runs past the model's sound, which ends with a short fade into silence there.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from vidiff.io.audio import AudioTrack

FADE_S = 0.02  # the fade at the end of the model's sound where silence follows (no click)


def audio_guidance(backend: object, guidance: float | None, given: float | None) -> float | None:
    """The guidance of the sound a model makes with its frames (LTX-2's `audio_guidance_scale`): `given`;
    else a `guidance` given alone, as a single CFG in ComfyUI guides the whole model (a distilled model's
    guidance 1 then runs no CFG pass at all); else the model's own (`default_audio_guidance`: 7.0, the
    LTX-2 authors' figure and diffusers' default). None for a model that makes no sound, where `given`
    is a one-line ConfigError."""
    from vidiff.errors import ConfigError

    default = getattr(backend, "default_audio_guidance", None)
    if default is None:
        if given is not None:
            kind = getattr(backend, "kind", "model")
            raise ConfigError(f"audio_guidance guides the sound LTX-2 makes; this {kind} makes none")
        return None
    return given if given is not None else guidance if guidance is not None else default


def check_no_audio(backend: object, no_audio: bool, continues_clip: bool) -> None:
    """`no_audio` for a model that makes no sound would be ignored: one `ConfigError`, as `audio_guidance`
    is (a continued clip's own sound is what it drops there: taken)."""
    from vidiff.errors import ConfigError

    if no_audio and not continues_clip and getattr(backend, "default_audio_guidance", None) is None:
        kind = getattr(backend, "kind", "model")
        raise ConfigError(
            f"no_audio (a recipe's encode.audio=drop) leaves out the sound a model makes (LTX-2's); this "
            f"{kind} makes none"
        )


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """`x` (channels, samples) cut or padded with silence to `n` samples."""
    if x.shape[1] >= n:
        return x[:, :n]
    return np.concatenate([x, np.zeros((x.shape[0], n - x.shape[1]), np.float32)], axis=1)


def join_windows(
    chunks: list[tuple[np.ndarray, int]], gen_rate: Fraction, window: int, need: int, carry: int = 1
) -> tuple[np.ndarray, int]:
    """The sound of `need` frames at `gen_rate` made in windows of `window` frames: each window's
    (samples, Hz) from `chunks`, the time of the `carry` frames it started on cut after the first window."""
    rate = chunks[0][1]
    per_frame = rate / float(gen_rate)
    parts = []
    for k, (wave, _) in enumerate(chunks):
        skip = 0 if k == 0 else carry
        parts.append(_fit(wave[:, round(skip * per_frame) :], round((window - skip) * per_frame)))
    joined = np.concatenate(parts, axis=1)
    return joined[:, : round(need * per_frame)], rate


def track(samples: np.ndarray, rate: int, duration: float) -> AudioTrack:
    """`samples` (channels, n) at `rate` Hz as a 48 kHz stereo `AudioTrack` of exactly `duration` s."""
    import av

    from vidiff.io.tempo import RATE

    x = np.ascontiguousarray(samples.astype(np.float32))
    if x.shape[0] != 2:  # the muxer's track is stereo: mono in both channels, more mixed down to them
        x = np.repeat(x.mean(axis=0, keepdims=True), 2, axis=0)
    frame = av.AudioFrame.from_ndarray(x, format="fltp", layout="stereo")
    frame.sample_rate = rate
    res = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
    out = [f.to_ndarray() for f in res.resample(frame)] + [f.to_ndarray() for f in res.resample(None)]
    y = np.concatenate(out, axis=1).astype(np.float32) if out else np.zeros((2, 0), np.float32)
    n = round(duration * RATE)
    if y.shape[1] < n:  # silence follows: fade the sound out first
        k = min(y.shape[1], round(FADE_S * RATE))
        if k:
            y[:, y.shape[1] - k :] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    return AudioTrack(_fit(y, n))
