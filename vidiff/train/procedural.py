"""Procedural motion over real photographs, with exact ground truth at any real time.

A window is rendered from a photo (scikit-image's bundled images, read from disk) under a smooth camera
motion — translation with acceleration, rotation, zoom — plus moving sprites cut from other photos that
occlude the background and each other. Any time τ renders exactly, so targets sit at real-valued times.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from vidiff.errors import ConfigError

# colour photographs shipped inside the scikit-image wheel (no download)
PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "hubble_deep_field.jpg",
    "ihc.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "retina.jpg",
    "brick.png",
    "grass.png",
    "gravel.png",
    "camera.png",
    "moon.png",
    "coins.png",
    "page.png",
    "text.png",
    "horse.png",
    "cell.png",
)


def photo_dir() -> Path:
    """scikit-image's data folder, located without importing scikit-image."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("procedural training data needs scikit-image's photos: pip install scikit-image")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


@lru_cache(maxsize=1)
def load_photos() -> tuple[np.ndarray, ...]:
    """The photos as RGB uint8 arrays (grey ones replicated to 3 channels)."""
    out = []
    for name in PHOTOS:
        p = photo_dir() / name
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is not None and min(img.shape[:2]) >= 128:
            out.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    if not out:
        raise ConfigError(f"no photos found in {photo_dir()}")
    return tuple(out)


def _affine(center: np.ndarray, shift: np.ndarray, angle: float, scale: float) -> np.ndarray:
    """2x3 matrix: rotate/scale about `center`, then translate by `shift`."""
    m = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), float(np.degrees(angle)), float(scale))
    m[:, 2] += shift
    return m


class MotionWindow:
    """One procedural scene: renders the frame at any real time τ (units: one observed-frame interval)."""

    def __init__(self, rng: np.random.Generator, size: int, max_shift: float = 24.0) -> None:
        photos = load_photos()
        self.size = size
        bg = photos[rng.integers(len(photos))]
        # background region larger than the view so camera motion never runs out of picture
        s = rng.uniform(0.35, 1.0) * min(bg.shape[:2]) / (2.2 * size)
        bg = (
            cv2.resize(bg, None, fx=1 / max(s, 1e-3), fy=1 / max(s, 1e-3), interpolation=cv2.INTER_AREA)
            if s > 1
            else bg
        )
        self.bg = bg
        h, w = bg.shape[:2]
        self.bg_center = np.array([w / 2, h / 2]) + rng.uniform(-0.15, 0.15, 2) * np.array([w, h])
        speed = float(np.exp(rng.uniform(np.log(0.3), np.log(max_shift))))
        direction = rng.uniform(0, 2 * np.pi)
        self.v = speed * np.array([np.cos(direction), np.sin(direction)])
        self.acc = rng.normal(0, 0.15 * speed, 2) * (rng.random() < 0.5)
        self.omega = rng.normal(0, 0.02) * (rng.random() < 0.4)
        self.zoom = rng.normal(0, 0.04) * (rng.random() < 0.4)
        self.sprites = []
        for _ in range(rng.integers(0, 4)):
            src = photos[rng.integers(len(photos))]
            ph, pw = (int(x) for x in rng.integers(size // 6, size // 2, 2))
            y0, x0 = rng.integers(0, src.shape[0] - ph), rng.integers(0, src.shape[1] - pw)
            patch = src[y0 : y0 + ph, x0 : x0 + pw]
            mask = np.zeros((ph, pw), np.float32)
            if rng.random() < 0.5:
                cv2.ellipse(mask, (pw // 2, ph // 2), (pw // 2 - 1, ph // 2 - 1), 0, 0, 360, 1.0, -1)
            else:
                pts = np.stack([rng.integers(0, pw, 6), rng.integers(0, ph, 6)], 1).astype(np.int32)
                cv2.fillConvexPoly(mask, cv2.convexHull(pts), 1.0)
            sp = float(np.exp(rng.uniform(np.log(0.5), np.log(max_shift * 1.5))))
            d = rng.uniform(0, 2 * np.pi)
            self.sprites.append(
                {
                    "patch": patch,
                    "mask": mask,
                    "pos": rng.uniform(0.1, 0.9, 2) * size,
                    "v": sp * np.array([np.cos(d), np.sin(d)]),
                    "omega": rng.normal(0, 0.05),
                    "zoom": rng.normal(0, 0.03),
                }
            )

    def render(self, tau: float) -> np.ndarray:
        """The RGB uint8 frame (size, size, 3) at time τ."""
        size = self.size
        cam = self.bg_center + self.v * tau + 0.5 * self.acc * tau**2
        # map view pixels to background pixels: view centre -> cam, with rotation and zoom
        m = _affine(
            np.array([size / 2, size / 2]), cam - size / 2, self.omega * tau, float(np.exp(self.zoom * tau))
        )
        inv = cv2.invertAffineTransform(m)
        frame = cv2.warpAffine(
            self.bg,
            inv,
            (size, size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        frame = frame.astype(np.float32)
        for sp in self.sprites:
            ph, pw = sp["mask"].shape
            pos = sp["pos"] + sp["v"] * tau
            ms = _affine(
                np.array([pw / 2, ph / 2]),
                pos - np.array([pw / 2, ph / 2]),
                sp["omega"] * tau,
                float(np.exp(sp["zoom"] * tau)),
            )
            img = cv2.warpAffine(sp["patch"], ms, (size, size), flags=cv2.INTER_LINEAR).astype(np.float32)
            alpha = cv2.warpAffine(sp["mask"], ms, (size, size), flags=cv2.INTER_LINEAR)[..., None]
            frame = frame * (1 - alpha) + img * alpha
        return np.clip(frame + 0.5, 0, 255).astype(np.uint8)
