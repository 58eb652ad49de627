"""Animated WebP (and GIF) clips for training (`vidiff.io.webp_frames`): FFmpeg reads still WebP only, so
one in `data.clips` stopped the run ("1 frame(s)") and one in a footage folder was passed over silently."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from test_sequences import square

from vidiff.io.random_access import list_clips, open_frames
from vidiff.io.reader import VideoReader
from vidiff.train.data import ClipPool


def animation(path: Path, n: int = 6, fmt: str | None = None) -> Path:
    from PIL import Image

    ims = [Image.fromarray(square(i)) for i in range(n)]
    ims[0].save(
        path, format=fmt, save_all=True, append_images=ims[1:], duration=[40, 80] * (n // 2), lossless=True
    )
    return path


def test_a_footage_folder_takes_animated_webps_by_their_bytes(tmp_path: Path):
    """An animated WebP is listed (a still one is not; a WebP named .gif is read by its bytes)."""
    from PIL import Image

    animation(tmp_path / "sticker.webp")
    animation(tmp_path / "named.gif", fmt="WEBP")
    Image.fromarray(square(0)).save(tmp_path / "still.webp", lossless=True)
    assert sorted(Path(p).name for p in list_clips([str(tmp_path)])) == ["named.gif", "sticker.webp"]


def test_random_access_gives_the_readers_frames_at_its_times(tmp_path: Path):
    path = animation(tmp_path / "sticker.webp")
    r = open_frames(path)
    seq = list(VideoReader(path))
    assert len(r) == 6 and r.size == (seq[0].image.shape[1], seq[0].image.shape[0])
    assert list(r.seconds()) == [float(f.time) for f in seq] == [0, 0.04, 0.12, 0.16, 0.24, 0.28]
    got = r.get([4, 1, 4, 5, 0])  # out of order, repeated: decoding starts again where it must
    assert all(np.array_equal(g, seq[i].image) for g, i in zip(got, [4, 1, 4, 5, 0], strict=True))
    r.close()
    assert seq[2].time == Fraction(12, 100)


def test_the_training_pool_counts_a_webp_and_a_gif_in_a_folder(tmp_path: Path):
    animation(tmp_path / "a.webp")
    animation(tmp_path / "b.gif", fmt="GIF")
    pool = ClipPool([str(tmp_path)], min_frames=3)
    assert [Path(p).name for p in pool.paths] == ["a.webp", "b.gif"] and pool.lengths == [6, 6]
    frames = pool.span(0, 1, 3)  # a data worker's span of the WebP: its frames 1-3, decoded
    want = [f.image for f in VideoReader(tmp_path / "a.webp")][1:4]
    assert all(np.array_equal(a, b) for a, b in zip(frames, want, strict=True))
