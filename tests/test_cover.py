"""Cover art (an attached picture) carried from a source to an .mp4 or .mkv output, as it is."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from av.stream import Disposition

from vidiff.cli import main
from vidiff.io.probe import probe


def png_bytes() -> bytes:
    from PIL import Image

    b = io.BytesIO()
    Image.fromarray(np.full((32, 32, 3), (200, 60, 20), np.uint8)).save(b, "PNG")
    return b.getvalue()


def with_cover(path: Path) -> Path:
    """6 frames of H.264 and a PNG cover (an .mp4 attached picture, or a .mkv image attachment)."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        cover = None
        if path.suffix == ".mkv":
            c.add_attachment("cover.png", "image/png", png_bytes())
        else:
            cover = c.add_stream("png")
            cover.width = cover.height = 32
            cover.pix_fmt, cover.disposition = "rgb24", Disposition.attached_pic
        for i in range(6):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, 4 * i : 4 * i + 16] = 220
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
        if cover is not None:
            p = av.Packet(png_bytes())
            p.stream, p.pts, p.dts = cover, 0, 0
            c.mux(p)
    return path


def cover_of(path: Path) -> bytes | None:
    with av.open(str(path)) as c:
        pics = [s for s in c.streams.video if s.disposition & Disposition.attached_pic]
        if not pics:
            return None
        return next(bytes(p) for p in c.demux(pics[0]) if p.size)


@pytest.mark.parametrize(("src_ext", "out_ext"), [(".mp4", ".mp4"), (".mp4", ".mkv"), (".mkv", ".mp4")])
def test_the_cover_is_kept(tmp_path: Path, src_ext: str, out_ext: str):
    src = with_cover(tmp_path / f"in{src_ext}")
    assert cover_of(src) == png_bytes()
    out = tmp_path / f"x2{out_ext}"
    args = ["--factor", "2", "--method", "blend", "--workers", "1", "--quiet"]
    assert main(["upscale", str(src), "-o", str(out), *args]) == 0
    assert cover_of(out) == png_bytes()  # copied as it is
    info = probe(out)
    assert (info.n_frames, info.notes) == (12, [])  # the cover is not taken for the clip


def test_a_mov_output_goes_without(tmp_path: Path):
    src = with_cover(tmp_path / "in.mp4")
    out = tmp_path / "x.mov"
    assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "--quiet"]) == 0
    assert cover_of(out) is None and probe(out).n_frames == 12
