"""The clips users bring from phones, editors and downloads, made small with PyAV: a portrait phone clip
(landscape frames with a display rotation), colour-tagged, 10-bit and HDR input, odd structure."""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from clip_kinds import frame_image

from vidiff.generate.social import reframe
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames
from vidiff.runner.upscale import upscale_file


def phone_clip(
    path: Path,
    n: int = 6,
    w: int = 48,
    h: int = 32,
    fps: int = 30,
    rotation: int = 0,
    audio: bool = False,
) -> Path:
    """An H.264 clip of `n` distinct, lopsided frames (so a turn or a mirror shows), as a phone writes
    it: a portrait clip is landscape frames with a display `rotation`; `audio`: AAC of the video's length."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        if rotation:
            s.set_display_rotation(rotation)
        a = c.add_stream("aac", rate=48000) if audio else None
        for i in range(n):
            f = av.VideoFrame.from_ndarray(frame_image(i, w, h), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, fps)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
        if a is not None:
            a.layout = "mono"
            tone = np.sin(np.arange(n * 48000 // fps) / 20).astype(np.float32)[None]
            af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            af.sample_rate, af.pts = 48000, 0
            c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def _nearest_turn(got: np.ndarray, stored: np.ndarray, size: tuple[int, int]) -> list[float]:
    """How far `got` is from `stored` reframed to `size` after 0-3 counter-clockwise quarter turns."""
    return [
        float(np.abs(got.astype(int) - reframe(np.ascontiguousarray(np.rot90(stored, k)), size)).mean())
        for k in range(4)
    ]


@pytest.mark.parametrize("rotation, turns", [(90, 1), (-90, 3)])
def test_a_reframe_of_a_rotated_phone_clip_crops_the_upright_picture(tmp_path, rotation, turns):
    """A phone's portrait clip (landscape frames, display rotation 90 or -90) reframed to 9:16 by a recipe
    was the 9:16 middle of the stored, sideways picture, written with the rotation on top: shown on its
    side, 1920 wide. The reframe now gets the frames upright, and the output is upright with no rotation,
    in one process or in workers."""
    src = phone_clip(tmp_path / "portrait.mp4", rotation=rotation)
    assert probe(src).rotation == rotation % 360
    stored = read_frames(src, 1)[0]
    size = (18, 32)
    for workers in (1, 2):
        out = tmp_path / f"vertical{workers}.mp4"
        upscale_file(
            src, out, factor=2, method="blend", transform=functools.partial(reframe, size=size),
            out_size=size, progress=False, workers=workers, crf=0, pix_fmt="yuv444p",
        )  # fmt: skip
        info = probe(out)
        assert (info.width, info.height, info.rotation, info.n_frames) == (18, 32, 0, 12)
        errs = _nearest_turn(read_frames(out, 1)[0], stored, size)
        assert int(np.argmin(errs)) == turns and errs[turns] < 3, errs


def test_a_rotated_clip_without_a_reframe_keeps_its_frames_and_rotation(tmp_path):
    """Without a transform the frames are interpolated as stored and the rotation is written (lossless);
    an identity transform (the web app's progress hook) changes neither."""
    src = phone_clip(tmp_path / "portrait.mp4", rotation=90)
    stored = read_frames(src)

    def tick(image: np.ndarray) -> np.ndarray:
        return image

    tick.key = "identity"
    for name, transform in (("plain", None), ("tick", tick)):
        out = tmp_path / f"{name}.mp4"
        upscale_file(src, out, factor=2, method="blend", transform=transform, progress=False, crf=0)
        info = probe(out)
        assert (info.width, info.height, info.rotation) == (48, 32, 90)
        assert np.abs(read_frames(out)[2].astype(int) - stored[1]).mean() < 2


def test_a_social_clip_from_a_phone_portrait_clip_is_upright(tmp_path):
    """`make_clip` (social_clip, `vidiff generate --clip`, the web app) reframed a rotated clip's stored
    frames: a portrait phone clip came out as a sideways crop. Its frames are now turned upright first."""
    from vidiff.generate.clip import make_clip

    src = phone_clip(tmp_path / "portrait.mp4", n=4, rotation=90)
    stored = read_frames(src, 1)[0]
    out = tmp_path / "social.mp4"
    make_clip(out, clip=str(src), extend=0.0, fps=30, progress=False)
    info = probe(out)
    assert (info.width, info.height, info.rotation) == (1080, 1920, 0)
    errs = _nearest_turn(read_frames(out, 1)[0], stored, (1080, 1920))
    assert int(np.argmin(errs)) == 1 and errs[1] < 3, errs
