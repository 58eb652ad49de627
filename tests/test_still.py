"""A hostile pass over the stills `generate` takes (`--image`, `--last-image`: `vidiff.generate.still`):
each file that is not one still is one line before the weights load; odd stills that are one (a pixel,
a 4000x1 strip, 16-bit, transparent, the first still again) make the clip. Tiny media made here."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from tiny_pipes import TINY_GENERATE, generate_json, one_line_refusal, wan_i2v_dir

from vidiff.errors import InputError
from vidiff.generate.still import load_still

pytest.importorskip("transformers")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _media(folder: Path) -> dict[str, Path]:
    """The files of the pass, a few bytes each."""
    from PIL import Image

    f = {
        k: folder / v for k, v in dict(red="red.png", one="one.png", wide="wide.png", rgba="rgba.png").items()
    }
    cv2.imwrite(str(f["red"]), np.full((40, 60, 3), (0, 0, 255), np.uint8))
    cv2.imwrite(str(f["one"]), np.zeros((1, 1, 3), np.uint8))
    cv2.imwrite(str(f["wide"]), np.zeros((1, 4000, 3), np.uint8))
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:10, :10, 3] = 0  # a transparent corner
    cv2.imwrite(str(f["rgba"]), rgba)
    f["deep"] = folder / "deep.png"
    cv2.imwrite(str(f["deep"]), np.full((30, 40, 3), 40000, np.uint16))
    gif = [Image.new("RGB", (40, 30), c) for c in ("red", "blue")]
    for name, ext in (("gif", "gif"), ("webp", "webp"), ("apng", "png")):
        f[name] = folder / f"anim_{name}.{ext}"
        gif[0].save(f[name], save_all=True, append_images=gif[1:], duration=100)
    for name, ext in (("tiff", "tiff"), ("mpo", "mpo")):  # a second page / picture: not an animation
        f[name] = folder / f"pages.{ext}"
        gif[0].save(f[name], format=name.upper(), save_all=True, append_images=gif[1:])
    f["mp4"] = folder / "v.mp4"
    with av.open(str(f["mp4"]), "w") as c:
        s = c.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            c.mux(s.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")))
        c.mux(s.encode())
    f["text"] = folder / "text.png"
    f["text"].write_text("not an image")
    f["bomb"] = folder / "bomb.png"  # a header declaring 30000x30000, no pixels
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    f["bomb"].write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b""))
    f["folder"] = folder / "stills"
    f["folder"].mkdir()
    f["missing"] = folder / "nope.png"
    return f


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    return _media(tmp_path_factory.mktemp("stills"))


@pytest.fixture(scope="module")
def flf(tmp_path_factory) -> Path:
    return wan_i2v_dir(tmp_path_factory.mktemp("flf") / "w", flf2v=True)


@pytest.mark.parametrize(
    ("flag", "name", "line"),
    [
        ("--last-image", "folder", "is a folder, not an image file"),
        ("--last-image", "missing", "no such file"),
        ("--last-image", "gif", "an animated image (2 frames), not a still: give last_image one frame"),
        ("--last-image", "webp", "an animated image (2 frames), not a still"),
        ("--last-image", "apng", "an animated image (2 frames), not a still"),
        ("--image", "gif", "give image one frame as a PNG or JPEG (or the animation as clip)"),
        ("--last-image", "mp4", "not a readable image"),
        ("--last-image", "text", "not a readable image"),
        ("--last-image", "bomb", "image 30000x30000 is over the 16384-pixel limit per side"),
    ],
)
def test_what_is_not_one_still_is_one_line_before_the_weights_load(
    tmp_path, capsys, monkeypatch, media, flf, flag, name, line
):
    from vidiff.generate.backends.base import Backend

    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("the weights loaded"))
    stills = {"--image": media["red"], "--last-image": media["red"], flag: media[name]}
    args = [x for k, v in stills.items() for x in (k, str(v))]
    assert line in one_line_refusal(capsys, tmp_path / "a.mp4", flf, *TINY_GENERATE, *args)


@pytest.mark.parametrize("name", ["one", "red"])
def test_odd_stills_that_are_one_still_make_the_clip(tmp_path, capsys, media, flf, name):
    """A pixel (reframed to the keyframes), the first still again (first and last frame the same: a loop
    through FLF2V weights)."""
    args = ["--image", str(media["red"]), "--last-image", str(media[name])]
    rc, rep = generate_json(capsys, tmp_path / "a.mp4", flf, *TINY_GENERATE, *args)
    assert rc == 0, rep
    assert rep["last_image"] == str(media[name])


@pytest.mark.parametrize(
    ("name", "shape", "pixel"),
    [
        ("wide", (1, 4000, 3), (0, 0, 0)),
        ("deep", (30, 40, 3), (156, 156, 156)),  # 16-bit 40000 rounded to 8 bits: 40000 / 65535 of 255
        ("rgba", (30, 40, 3), (0, 0, 0)),  # the colour under the transparent corner
        ("tiff", (30, 40, 3), (255, 0, 0)),  # a two-page TIFF: its first page
        ("mpo", (30, 40, 3), (255, 0, 0)),  # a two-picture MPO (a phone's JPEG): its first picture
    ],
)
def test_odd_stills_read_as_one_rgb_still(media, name, shape, pixel):
    still = load_still(str(media[name]), "last_image")
    assert still.shape == shape and still.dtype == np.uint8
    assert np.abs(still[0, 0].astype(int) - pixel).max() <= 2  # a JPEG's rounding


def test_alpha_is_noted_once(tmp_path, capsys, media):
    """A transparent still: the alpha note, once per file (a copy not read before in this process); an
    opaque alpha plane loses nothing: no note."""
    import shutil

    rgba = shutil.copy(media["rgba"], tmp_path / "rgba.png")
    opaque = tmp_path / "opaque.png"
    cv2.imwrite(str(opaque), np.full((4, 4, 4), 255, np.uint8))
    capsys.readouterr()
    load_still(str(rgba))
    load_still(str(rgba))
    load_still(str(opaque))
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"note: {rgba}: its alpha channel (transparency) is dropped: frames are RGB, transparent areas "
                   "show the colour stored under them"]  # fmt: skip
    with pytest.raises(InputError, match="not a readable image"):
        load_still(str(media["mp4"]), "last_image")
