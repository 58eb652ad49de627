"""Training's random access (`open_frames`) of a clip cut inside its last frame gives the reader's frames
and its ONE damage line (`vidiff.io.access_tail`): a cut .m2v's or .ts recording's concealed B-frame was
served, and a cut .mkv's 7 frames came without a word; `--strict` refuses it as the reader does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_cut_tail import cut_clip, ts_cut
from test_mkv_cut import clip, cut_at

from vidiff.errors import InputError
from vidiff.io import probe as probe_module
from vidiff.io.probe import input_policy
from vidiff.io.random_access import open_frames
from vidiff.io.reader import VideoReader


def cut_file(tmp_path: Path, kind: str) -> Path:
    if kind == "ts":
        return ts_cut(tmp_path)
    if kind == "mkv":
        end, size = clip(tmp_path / "whole.mkv", "libx264")
        return cut_at(tmp_path / "whole.mkv", tmp_path / "cut.mkv", end - size // 2)
    return cut_clip(tmp_path, kind)[1]


@pytest.mark.parametrize("kind", ["m2v-bframes", "ts", "mkv", "m4v-bframes", "hevc", "vp9-ivf"])
def test_random_access_serves_the_readers_frames_and_line(tmp_path: Path, capsys, kind: str):
    cut = cut_file(tmp_path, kind)
    ref = list(VideoReader(cut))
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1 and "last frame is cut short" in line[0]
    for engine in ("pyav", "decord"):  # (decord gives way to PyAV for such a file)
        probe_module._WARNED.clear()  # (the line is said once a process: said again by a fresh one)
        r = open_frames(cut, engine)
        assert len(r) == len(ref) and np.allclose(r.seconds(), [float(f.time) for f in ref])
        idx = list(range(len(ref)))[::-1]
        assert all(np.array_equal(a, ref[i].image) for a, i in zip(r.get(idx), idx, strict=True))
        r.close()
        assert capsys.readouterr().err.strip().splitlines() == line
    with input_policy(True), pytest.raises(InputError, match="last frame is cut short"):
        open_frames(cut)


def test_a_whole_clip_opens_without_a_word(tmp_path: Path, capsys):
    end, _ = clip(tmp_path / "whole.mkv", "libx264")
    r = open_frames(tmp_path / "whole.mkv")
    assert len(r) == 8 and capsys.readouterr().err == ""
    r.close()
