"""vidiff.engine: the learned networks exported to ONNX and run by OpenVINO / ONNX Runtime.

Tiny inputs (an export takes seconds): the engines compute what PyTorch computes, the export is cached
(reused by a second object, rebuilt when the weights change), a missing engine or a failed export falls
back to PyTorch with one note, and a bad --engine is one error line whatever the door.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_MODEL, run_main

import vidiff.engine as engine_mod
from vidiff.diffusion.model import VidiffModel
from vidiff.engine import EngineModule, check_engine, installed, resolve_engine
from vidiff.errors import ConfigError
from vidiff.peers.rife import IFNet

needs_engines = pytest.mark.skipif(
    not (installed("openvino") and installed("onnxruntime")),
    reason='the engine extra is not installed (pip install "vidiff[engine]")',
)


def _notes() -> tuple[list[str], object]:
    got: list[str] = []
    return got, got.append


@needs_engines
def test_rife_on_both_engines_matches_torch_from_one_export(tmp_path: Path) -> None:
    from vidiff.peers.rife import RIFE

    torch.manual_seed(0)
    weights = tmp_path / "flownet.pkl"  # random weights: the arithmetic, not RIFE's quality, is under test
    torch.save(IFNet().state_dict(), weights)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (40, 56, 3), np.uint8)
    b = np.roll(a, 3, axis=1)
    ref = RIFE(weights, engine="torch").interpolate(a, b, [0.3])[0]
    cache = tmp_path / "engine"
    for name, exports in (("openvino", 1), ("onnxruntime", 0)):  # the second reads the first's export
        rife = RIFE(weights, engine=name)
        rife.run = EngineModule(rife.net, "ifnet", name, static=(3,), cache=cache, note=None)
        y = rife.interpolate(a, b, [0.3])[0]
        assert rife.run.engine == name and rife.run.exports == exports
        assert np.abs(y.astype(int) - ref.astype(int)).max() <= 1, name
    assert len(list(cache.glob("ifnet-*.onnx"))) == 1


@needs_engines
def test_unet_with_its_observed_mask_baked_matches_torch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    m = VidiffModel.from_config(TINY_MODEL).eval()
    for p in m.unet.parameters():  # the output heads start at zero: give every layer something to do
        torch.nn.init.normal_(p, std=0.05)
    c = m.unet.config
    x = torch.randn(2, 3, c.latent_channels, 6, 10)
    cond = torch.randn(2, 3, c.cond_channels, 6, 10)
    ts, times = torch.tensor([999, 999]), torch.tensor([[0.0, 1.0, 0.4], [0.0, 1.0, 0.7]])
    obs = torch.tensor([[True, True, False]] * 2)
    with torch.no_grad():
        ref = m.unet(x, ts, times, obs, cond)
    e = EngineModule(m.unet, "unet", "openvino", static=(3,), cache=tmp_path, note=None)
    y = e(x, ts, times, obs, cond)
    assert e.engine == "openvino" and float(ref.abs().max()) > 0.01
    assert torch.allclose(y, ref, atol=1e-5)
    # the mask is baked in: another mask is another export, the same one is not
    obs2 = torch.tensor([[True, False, True]] * 2)
    assert e._path((x, ts, times, obs2, cond)) != e._path((x, ts, times, obs, cond))
    assert e._path((x, ts, times, obs.clone(), cond)) == e._path((x, ts, times, obs, cond))


@needs_engines
def test_cache_is_reused_and_rebuilt_when_the_weights_change(tmp_path: Path) -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1).eval()
    x = torch.rand(1, 3, 8, 8)
    first = EngineModule(conv, "conv", "onnxruntime", cache=tmp_path, note=None)
    first(x)
    files = sorted(tmp_path.glob("*.onnx"))
    assert first.exports == 1 and len(files) == 1
    mtime = files[0].stat().st_mtime_ns
    again = EngineModule(conv, "conv", "onnxruntime", cache=tmp_path, note=None)
    again(x)
    assert again.exports == 0 and files[0].stat().st_mtime_ns == mtime  # not re-exported
    with torch.no_grad():
        conv.weight.add_(1.0)  # new weights: a new export, and its output is the new network's
    changed = EngineModule(conv, "conv", "onnxruntime", cache=tmp_path, note=None)
    y = changed(x)
    assert changed.exports == 1 and len(list(tmp_path.glob("*.onnx"))) == 2
    with torch.no_grad():
        assert torch.allclose(y, conv(x), atol=1e-5)
    assert not list(tmp_path.glob("*.part"))  # written atomically: no temp file left


def test_missing_engine_falls_back_to_torch_with_one_note(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(engine_mod, "installed", lambda name: name == "torch")
    monkeypatch.setattr(engine_mod, "_noted", set())
    got, note = _notes()
    conv = torch.nn.Conv2d(3, 4, 3, padding=1).eval()
    for _ in range(2):
        e = EngineModule(conv, "conv", "openvino", cache=tmp_path, note=note)
        assert e.engine == "torch"
    assert len(got) == 1 and "openvino is not installed" in got[0]
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(e(x), conv(x))
    assert resolve_engine("auto", "ifnet", note=note) == "torch" and len(got) == 1
    assert not list(tmp_path.iterdir())


def test_failed_export_falls_back_to_torch_with_one_note(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(engine_mod, "installed", lambda name: True)
    monkeypatch.setattr(engine_mod, "_noted", set())

    def broken(*args, **kwargs):
        raise RuntimeError("no exporter for this op")

    monkeypatch.setattr(engine_mod, "export_onnx", broken)
    got, note = _notes()
    conv = torch.nn.Conv2d(3, 4, 3, padding=1).eval()
    e = EngineModule(conv, "conv", "openvino", cache=tmp_path, note=note)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        ref = conv(x)
        assert torch.equal(e(x), ref) and torch.equal(e(x), ref)
    assert e.engine == "torch" and got == [
        "note: openvino cannot run conv (no exporter for this op); using PyTorch"
    ]


def test_engine_choice_and_validation(monkeypatch) -> None:
    assert resolve_engine("openvino", "ifnet", device="cuda") == "torch"  # CUDA: always PyTorch
    assert resolve_engine("torch", "unet") == "torch"
    for bad in ("tpu", "", "OpenVINO"):
        with pytest.raises(ConfigError, match="unknown engine"):
            check_engine(bad)
    monkeypatch.setenv("VIDIFF_ENGINE", "fast")
    with pytest.raises(ConfigError, match="unknown engine 'fast'"):
        resolve_engine(None, "ifnet")


def test_bad_engine_is_one_error_line_whatever_the_door(tmp_path: Path, carphone: Path, capsys) -> None:
    out = str(tmp_path / "out.mp4")
    for args in (
        ("upscale", str(carphone), "-o", out, "--factor", "2", "--engine", "tpu"),
        ("upscale", str(carphone), "-o", out, "--factor", "2", "--method", "dis", "--engine", "openvino"),
        ("run", "fps_x2", "-i", str(carphone), "-o", out, "--engine", "tpu"),
        ("run", "fps_x2", "-i", str(carphone), "-o", out, "interpolate.engine=tpu"),
        ("bench", "--input", str(carphone), "--methods", "dis", "--engine", "tpu", "--out", str(tmp_path)),
    ):  # the CLI in this process: the same main() the console script calls, without a Python start each
        r = run_main(capsys, *args)
        code, err = r.returncode, r.stderr
        assert code == 2, (args, err)
        assert err.count("\n") == 1 and err.startswith("vidiff: error:"), (args, err)
        assert "Traceback" not in err
    assert not list(tmp_path.iterdir())
    from vidiff.runner import upscale_file

    with pytest.raises(ConfigError, match="unknown engine"):
        upscale_file(carphone, out, factor=2, method="rife", method_options={"engine": "tpu"})
