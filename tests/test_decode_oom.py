"""A VAE decode out of GPU memory is done again in tiles (`vidiff.generate.decode_oom`), with a tiny
random Wan pipeline (tests/tiny_pipes.py) whose VAE decode is made to run out of memory untiled. At
32x32, below the VAE's tile size, tiling changes nothing: the same bytes as a decode that fits."""

from __future__ import annotations

import pytest
from tiny_pipes import TINY_GENERATE, generate_json, wan_dir

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan") / "w")


def _oom_untiled(monkeypatch, always: bool = False) -> list:
    """AutoencoderKLWan.decode raises torch.OutOfMemoryError while untiled (or `always`); returns
    (the VAE, its use_tiling) for each decode tried."""
    import torch
    from diffusers import AutoencoderKLWan

    tried: list = []
    real = AutoencoderKLWan.decode

    def decode(self, *args, **kwargs):
        tried.append((self, self.use_tiling))
        if always or not self.use_tiling:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AutoencoderKLWan, "decode", decode)
    return tried


def test_a_decode_out_of_memory_is_done_again_in_tiles(tmp_path, capsys, monkeypatch, wan):
    """It was one 'out of memory' line after every step had run; now one warning line, the frames
    decoded tiled (the same bytes here), and the kept pipeline's VAE untiled again for the next run."""
    assert generate_json(capsys, tmp_path / "a.mp4", wan, *TINY_GENERATE)[0] == 0
    from vidiff.cli import main

    tried = _oom_untiled(monkeypatch)
    rc = main(["generate", "-o", str(tmp_path / "b.mp4"), "--weights", str(wan), *TINY_GENERATE])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert [t for _, t in tried] == [False, True]
    assert tried[0][0].use_tiling is False and tried[0][0].use_slicing is False
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    assert err.splitlines()[0].startswith(
        "warning: out of GPU memory decoding 5 frames (VAE): decoding them again"
    )


def test_out_of_memory_tiled_too_is_the_warning_and_one_error_line(tmp_path, capsys, monkeypatch, wan):
    """Tiled and still out of memory: the warning, then vidiff's one error line; nothing written."""
    tried = _oom_untiled(monkeypatch, always=True)
    rc, err = generate_json(capsys, tmp_path / "a.mp4", wan, *TINY_GENERATE)
    assert rc == 2 and not (tmp_path / "a.mp4").exists()
    warning, error = err.splitlines()
    assert warning.startswith("warning: out of GPU memory decoding 5 frames (VAE)")
    assert error.startswith("vidiff: error: out of cpu memory making 5 frames at 32x32: try offload")
    assert [t for _, t in tried] == [False, True] and tried[0][0].use_tiling is False
