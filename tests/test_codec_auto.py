"""The default codec follows the output's container (`auto`: VP9 for .webm, H.264 elsewhere), at every door.

`-o out.webm` was refused with 'use codec vp9' by `vidiff infill`, `vidiff run` and `vidiff generate`,
none of which has a --codec option, and by `vidiff upscale` unless --codec was given."""

import av
import numpy as np
import pytest
from conftest import write_clip

from vidiff import upscale_file
from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.io.encode import EncodeOptions
from vidiff.runner.infill import infill_file


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (36, 56, 3), np.uint8)
    frames = [np.roll(base, 2 * k, axis=1) for k in range(6)]
    return write_clip(tmp_path_factory.mktemp("auto") / "in.mp4", frames)


def _codec(path) -> tuple[str, int]:
    with av.open(str(path)) as c:
        return c.streams.video[0].codec_context.name, sum(1 for _ in c.decode(video=0))


def test_auto_stands_for_the_container_codec():
    opts = EncodeOptions()
    assert opts.codec == "auto"
    assert opts.for_output("a.webm").encoder == "libvpx-vp9"
    assert opts.for_output("a.mp4").encoder == opts.for_output("a.mkv").encoder == "libx264"
    assert EncodeOptions("h265").for_output("a.webm").codec == "h265"  # a named codec stays
    with pytest.raises(ConfigError, match="unknown preset 'slow' for vp9"):
        EncodeOptions(preset="slow").for_output("a.webm")  # checked again for the codec it stands for


def test_upscale_and_infill_write_webm_by_default(clip, tmp_path):
    upscale_file(clip, tmp_path / "x2.webm", factor=2, method="dis", progress=False)
    assert _codec(tmp_path / "x2.webm") == ("vp9", 12)
    infill_file(clip, tmp_path / "fill.webm", frames="2", method="blend", progress=False)
    assert _codec(tmp_path / "fill.webm") == ("vp9", 6)
    upscale_file(clip, tmp_path / "x2.mp4", factor=2, method="dis", progress=False)
    assert _codec(tmp_path / "x2.mp4") == ("h264", 12)


def test_cli_and_recipe_write_webm_and_a_named_codec_is_still_checked(clip, tmp_path, capsys):
    assert main(["infill", str(clip), "-o", str(tmp_path / "i.webm"), "--frames", "3", "--quiet"]) == 0
    assert _codec(tmp_path / "i.webm")[0] == "vp9"
    assert main(["run", "fps_x2", "-i", str(clip), "-o", str(tmp_path / "r.webm"), "--quiet"]) == 0
    assert _codec(tmp_path / "r.webm")[0] == "vp9"
    out = tmp_path / "h.webm"
    assert main(["upscale", str(clip), "-o", str(out), "--factor", "2", "--codec", "h264"]) == 2
    assert "holds only vp9 or av1 video" in capsys.readouterr().err and not out.exists()
