"""A Matroska or WebM file cut inside its last video block: FFmpeg's demuxer dropped that block without a
word, so the frame was lost silently. It gives the one damage line, and --strict refuses it
(`vidiff.io.ebml_tail`); a whole file, or one cut after its last frame (in its index), gives none."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vidiff.cli import main
from vidiff.io.reader import read_frames


def clip(path: Path, codec: str, n: int = 8) -> tuple[int, int]:
    """`n` noise frames (64x48) by `codec` into `path`; (where the last video block's frame ends, size)."""
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(0)
        for i in range(n):
            f = av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    with av.open(str(path)) as c:
        last = [(p.pos, p.size) for p in c.demux(video=0) if p.size][-1]
    return last[0] + last[1], last[1]


def cut_at(src: Path, dst: Path, size: int) -> Path:
    dst.write_bytes(src.read_bytes()[:size])
    return dst


@pytest.mark.parametrize("codec, ext", [("libx264", "mkv"), ("libvpx-vp9", "webm")])
def test_a_cut_last_block_is_one_line_and_strict_refuses(tmp_path: Path, capsys, codec: str, ext: str):
    whole = tmp_path / f"whole.{ext}"
    end, size = clip(whole, codec)
    assert len(read_frames(whole)) == 8 and capsys.readouterr().err == ""
    cut = cut_at(whole, tmp_path / f"cut.{ext}", end - size // 2)
    assert len(read_frames(cut)) == 7
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {cut}: file holds 8 frames, 7 decoded")
    assert "last frame is cut short" in err[0] and err[0].endswith("using 7")
    out = tmp_path / "x2.mp4"
    assert (
        main(["upscale", str(cut), "-o", str(out), "--factor", "2", "--method", "blend", "-q", "--strict"])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidiff: error:") and "last frame is cut short" in err[0]
    assert not out.exists()
    after = cut_at(whole, tmp_path / f"index.{ext}", whole.stat().st_size - 4)  # inside what follows
    assert len(read_frames(after)) == 8 and capsys.readouterr().err == ""
