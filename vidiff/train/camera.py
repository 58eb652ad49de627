"""Camera realism for training windows: motion blur, sensor noise and lossy compression.

The evaluation clips are camera footage (blurred where things move fast, noisy, compressed); the training
data are a clean animated film and procedural motion over photos. These three effects are what a camera adds
to a scene, so a model trained with them sees candidates fail the way they fail on real footage.

- Motion blur: a frame is the mean of renders over its exposure (the procedural scene renders any real
  time exactly), as a shutter integrates light.
- Sensor noise: Gaussian, one σ per window, independent per value.
- Compression: JPEG at one quality per window (a stand-in for a video codec's intra frames).

Every draw comes from the window's generator and only for an effect that is on, so a config with all
three off makes exactly the windows it made before they existed.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

BLUR_SAMPLES = 7  # renders averaged over one exposure


def exposed(render: Callable[[float], np.ndarray], tau: float, exposure: float) -> np.ndarray:
    """The frame at τ seen through a shutter open for `exposure` intervals around τ: the mean of
    BLUR_SAMPLES renders (uint8); `exposure` 0 is the sharp frame."""
    if exposure <= 0:
        return render(tau)
    acc = None
    for k in range(BLUR_SAMPLES):
        f = render(tau + exposure * (k / (BLUR_SAMPLES - 1) - 0.5)).astype(np.float32)
        acc = f if acc is None else acc + f
    return np.clip(acc / BLUR_SAMPLES + 0.5, 0, 255).astype(np.uint8)


def draw_exposure(rng: np.random.Generator, shutter: float) -> float:
    """A window's exposure: none for half the windows, else uniform up to `shutter` (no draw when off)."""
    if shutter <= 0:
        return 0.0
    return float(rng.uniform(0.0, shutter)) if rng.random() < 0.5 else 0.0


def degrade(frames: list[np.ndarray], rng: np.random.Generator, noise: float, jpeg: int) -> list[np.ndarray]:
    """The window's frames with sensor noise (σ uniform up to `noise`) and, for half the windows, JPEG at a
    quality uniform in [jpeg, 95]; the same σ and quality for every frame of the window."""
    if noise > 0:
        sigma = float(rng.uniform(0.0, noise))
        frames = [
            np.clip(f + rng.normal(0.0, sigma, f.shape).astype(np.float32) + 0.5, 0, 255).astype(np.uint8)
            for f in frames
        ]
    if jpeg > 0 and rng.random() < 0.5:
        q = int(rng.integers(min(jpeg, 95), 96))
        frames = [_jpeg(f, q) for f in frames]
    return frames


def _jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(
        ".jpg", np.ascontiguousarray(frame[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB image
        return frame
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
