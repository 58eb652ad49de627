"""`mkdir o.mp4; vidiff upscale in.mp4 -o o.mp4` wrote PNG frames into the folder o.mp4: a name with a video
file's extension means a video. Refused with one line at every door; o.mp4/ (the slash) still writes frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_clip
from test_sequences import square

from vidiff.cli import main
from vidiff.errors import OutputError
from vidiff.runner import upscale_file
from vidiff.runner.infill import infill_file
from vidiff.runner.recipe import run_recipe


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "in.mp4", [square(i) for i in range(4)])


@pytest.mark.parametrize(
    "args",
    [
        ["upscale", "{clip}", "-o", "{out}", "--factor", "2", "--method", "blend"],
        ["infill", "{clip}", "-o", "{out}", "--frames", "1"],
        ["run", "fps_x2", "-i", "{clip}", "-o", "{out}"],
    ],
    ids=["upscale", "infill", "run"],
)
def test_the_cli_refuses_a_folder_named_as_a_video(clip: Path, tmp_path: Path, capsys, args):
    out = tmp_path / "o.mp4"
    out.mkdir()
    code = main([a.format(clip=clip, out=out) for a in args] + ["--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "is a folder, but its name ends in .mp4" in err[0]
    assert f"give {out}/" in err[0] and list(out.iterdir()) == []


def test_the_api_and_a_recipe_refuse_it_and_a_slash_writes_frames(clip: Path, tmp_path: Path):
    out = tmp_path / "o.MKV"
    out.mkdir()
    with pytest.raises(OutputError, match="name ends in .mkv"):
        upscale_file(clip, out, factor=2, method="blend", progress=False)
    with pytest.raises(OutputError, match="name ends in .mkv"):
        infill_file(clip, str(out), frames="1", progress=False)
    with pytest.raises(OutputError, match="name ends in .mkv"):
        run_recipe("fps_x2", str(clip), str(out), progress=False)
    assert list(out.iterdir()) == []
    upscale_file(clip, f"{out}/", factor=2, method="blend", progress=False, workers=1)
    assert len(list(out.glob("*.png"))) == 8
