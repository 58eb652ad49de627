"""The web app's preview of a clip a browser cannot play (HEVC, ProRes: a phone's or an editor's) is shown
as a player shows the clip: its display rotation and mirror applied and its pixels made square. It was the
stored frames: a phone's portrait HEVC clip was previewed sideways, a 16:9 DVD squeezed to 3:2."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from media_kinds import write_clip

from vidiff.io.orient import display_matrix, upright
from vidiff.io.probe import probe
from vidiff.ui.media import preview


def _first(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)


@pytest.mark.parametrize("rotation, flip", [(90, False), (270, False), (0, True)])
def test_a_turned_or_mirrored_clip_is_previewed_as_shown(tmp_path, rotation, flip):
    src = write_clip(tmp_path / "phone.mov", "libx265", n=4, matrix=display_matrix(rotation, flip))
    out = preview(src, tmp_path)
    assert out.endswith("_preview.mp4")
    info = probe(out)
    shown = upright(_first(src), rotation, flip)
    assert (info.height, info.width, info.rotation, info.flip) == (*shown.shape[:2], 0, False)
    assert np.abs(_first(out) - shown).mean() < 4


def test_a_dvd_clip_is_previewed_at_its_shown_width(tmp_path):
    src = write_clip(tmp_path / "dvd.mov", "libx265", size=(720, 480), n=4, sar=Fraction(32, 27))
    info = probe(preview(src, tmp_path))
    assert (info.width, info.height, info.sar) == (852, 480, None)  # 853x480, made even
