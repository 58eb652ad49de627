"""A display matrix that mirrors the picture (a front camera's, an editor's flip): FFmpeg's rotation of
one is 180 degrees off, so a mirrored clip was taken as turned upside down: `probe` said "rotation 180",
its output was tagged turned 180 (a player showed it upside down) and its image frames were turned, not
mirrored. The mirror is read from the matrix and kept (`vidiff.io.orient`)."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest
from media_kinds import write_clip

from vidiff.cli import main
from vidiff.io.orient import display_matrix, display_orientation, upright
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames

HFLIP = [-(1 << 16), 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30]  # av_display_matrix_flip(hflip) of the identity
VFLIP = [1 << 16, 0, 0, 0, -(1 << 16), 0, 0, 0, 1 << 30]


@pytest.mark.parametrize(
    "matrix, rotation, flip",
    [
        (HFLIP, 0, True),
        (VFLIP, 180, True),
        (display_matrix(90, flip=True), 90, True),
        (display_matrix(270), 270, False),
    ],
)
def test_a_mirrored_clip_is_read_and_written_mirrored(tmp_path, capsys, matrix, rotation, flip):
    src = write_clip(tmp_path / "selfie.mp4", "libx264", n=4, matrix=matrix)
    info = probe(src)
    assert (info.rotation, info.flip) == (rotation, flip)
    assert main(["probe", str(src)]) == 0
    assert f"rotation {rotation} deg" in capsys.readouterr().out
    for out in (tmp_path / "x2.mp4", tmp_path / "x2.mkv"):
        assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "blend", "-q"]) == 0
        got = probe(out)
        assert (got.rotation, got.flip, got.n_frames) == (rotation, flip, 8), out.suffix
    fixed = tmp_path / "fixed.mp4"
    assert main(["infill", str(src), "-o", str(fixed), "--frames", "1", "--method", "blend", "-q"]) == 0
    assert (probe(fixed).rotation, probe(fixed).flip) == (rotation, flip)


def test_image_frames_of_a_mirrored_clip_are_shown_mirrored(tmp_path):
    src = write_clip(tmp_path / "selfie.mp4", "libx264", n=3, matrix=HFLIP, options={"qp": "0"})
    out = tmp_path / "frames"
    assert main(["upscale", str(src), "-o", f"{out}/", "--factor", "2", "--method", "blend", "-q"]) == 0
    stored = read_frames(str(src))[0]
    image = cv2.cvtColor(cv2.imread(str(out / "000000.png")), cv2.COLOR_BGR2RGB).astype(int)
    assert np.abs(image - stored[:, ::-1]).mean() < 2  # the moving patch on the right, as players show it
    assert np.abs(image - stored).mean() > 5  # (as stored: the patch on the left)


def test_the_display_matrix_rules():
    for rotation in (0, 90, 180, 270):
        for flip in (False, True):
            assert display_orientation(display_matrix(rotation, flip)) == (rotation, flip)
    assert display_orientation(np.array(HFLIP, "<i4").tobytes()) == (0, True)
    assert display_orientation(None) == (0, False)
    im = np.arange(6).reshape(2, 3)
    assert (upright(im, 0, flip=True) == im[:, ::-1]).all()
    assert (upright(im, 180, flip=True) == im[::-1]).all()  # a vertical flip
    assert upright(im, 0) is im


def test_metrics_compares_a_mirrored_clip_with_an_unmirrored_reference_as_shown(tmp_path, capsys):
    """A reference a tool unmirrored (its pixels flipped, no matrix) and the mirrored clip are the same
    picture as shown: compared as shown, not as stored (which differ by the flip)."""
    src = write_clip(tmp_path / "selfie.mp4", "libx264", n=4, matrix=HFLIP, options={"qp": "0"})
    import av

    ref = tmp_path / "ref.mkv"
    with av.open(str(src)) as i, av.open(str(ref), "w") as o:
        s = o.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv444p"
        for k, f in enumerate(i.decode(video=0)):
            g = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(f.to_ndarray(format="rgb24")[:, ::-1]), "rgb24"
            )
            g.pts, g.time_base = k, Fraction(1, 25)
            o.mux(s.encode(g))
        o.mux(s.encode(None))
    capsys.readouterr()
    assert main(["metrics", str(src), "--reference", str(ref), "--json"]) == 0
    out = capsys.readouterr().out
    assert "input 0 mirrored, reference 0 deg" in out
