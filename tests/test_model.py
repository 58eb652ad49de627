"""The model layer: codecs, VideoUNet3D, residual diffusion infilling (tiny configs, seconds each)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from conftest import TINY_MODEL

from vidiff.codecs import PixelUnshuffleCodec, frames_to_tensor, get_codec, tensor_to_frames
from vidiff.diffusion.model import VidiffModel
from vidiff.diffusion.prior import window_prior
from vidiff.diffusion.sampling import infill, infill_batch, training_loss
from vidiff.errors import ConfigError, InputError
from vidiff.flow import DISFlow, carry_forward
from vidiff.io.reader import read_frames


@pytest.fixture(scope="module")
def clip(carphone):
    return read_frames(carphone, max_frames=8)


def _trained_ish(seed: int = 0, cfg: dict | None = None) -> VidiffModel:
    """A tiny model whose output layer is random (as after training), so outputs depend on the inputs."""
    torch.manual_seed(seed)
    m = VidiffModel.from_config(cfg or TINY_MODEL)
    torch.nn.init.normal_(m.unet.conv_out.weight, std=0.05)
    return m.eval()


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_pixel_unshuffle_round_trip_exact_with_odd_size(factor):
    codec = PixelUnshuffleCodec(factor)
    x = torch.rand(2, 3, 3, 37, 53) * 2 - 1
    z = codec.encode(x)
    assert z.shape[-3] == 3 * factor**2 and z.shape[-2:] == codec.latent_size(37, 53)
    assert torch.equal(codec.decode(z, (37, 53)), x)
    # the same layout as torch's own space-to-depth (the shipped weights were trained on it)
    padded = torch.nn.functional.pad(
        x.reshape(6, 3, 37, 53),
        (0, z.shape[-1] * factor - 53, 0, z.shape[-2] * factor - 37),
        mode="replicate",
    )
    assert torch.equal(z.reshape(6, *z.shape[-3:]), torch.nn.functional.pixel_unshuffle(padded, factor))
    assert torch.equal(
        codec.decode(z).reshape(6, 3, *padded.shape[-2:]),
        torch.nn.functional.pixel_shuffle(z.reshape(6, *z.shape[-3:]), factor),
    )


def test_uint8_tensor_conversion_is_exact(clip):
    assert np.array_equal(tensor_to_frames(frames_to_tensor(clip[:3])), np.stack(clip[:3]))


def test_unknown_codec_is_config_error():
    with pytest.raises(ConfigError, match="unknown codec"):
        get_codec({"type": "jpeg"})
    with pytest.raises(ConfigError):
        get_codec({"type": "pixel_unshuffle", "factor": 3})


def test_tiny_vae_codec_shapes():
    codec = get_codec({"type": "tiny_vae", "levels": 2, "latent_channels": 8, "width": 8})
    x = torch.rand(1, 2, 3, 30, 41) * 2 - 1
    z = codec.encode(x)
    assert z.shape == (1, 2, 8, 8, 11)
    assert codec.decode(z, (30, 41)).shape == x.shape


@pytest.mark.parametrize("sampler, steps", [("ddim", 1), ("ddim", 4), ("dpm++", 2)])
def test_untrained_model_returns_prior_exactly(clip, sampler, steps):
    m = VidiffModel.from_config(TINY_MODEL).eval()
    frames = [clip[0], None, None, clip[3]]
    times = [0.0, 1 / 3, 2 / 3, 1.0]
    obs = [True, False, False, True]
    out = infill(
        m, frames, times, obs, steps=steps, sampler=sampler, generator=torch.Generator().manual_seed(1)
    )
    mu = DISFlow().interpolate(clip[0], clip[3], [1 / 3, 2 / 3])
    assert np.abs(out[1].astype(int) - mu[0]).max() == 0
    assert np.abs(out[2].astype(int) - mu[1]).max() == 0
    assert out[0] is clip[0] or np.array_equal(out[0], clip[0])
    assert np.array_equal(out[3], clip[3])


def test_untrained_flow_matching_model_returns_prior(clip):
    m = VidiffModel.from_config({**TINY_MODEL, "diffusion": {"process": "flow", "priors": "dis"}}).eval()
    out = infill(m, [clip[0], None, clip[2]], [0, 0.5, 1], [True, False, True], steps=3)
    assert np.array_equal(out[1], DISFlow().interpolate(clip[0], clip[2], [0.5])[0])


def test_save_load_round_trip_and_same_seed_same_bytes(clip, tmp_path):
    m = _trained_ish()
    args = ([clip[0], None, clip[2]], [0.0, 0.5, 1.0], [True, False, True])
    a = infill(m, *args, steps=2, generator=torch.Generator().manual_seed(7))
    b = infill(m, *args, steps=2, generator=torch.Generator().manual_seed(7))
    assert a[1].tobytes() == b[1].tobytes()
    m.save(tmp_path / "m")
    m2 = VidiffModel.load(tmp_path / "m")
    c = infill(m2, *args, steps=2, generator=torch.Generator().manual_seed(7))
    assert a[1].tobytes() == c[1].tobytes()
    mu = DISFlow().interpolate(clip[0], clip[2], [0.5])[0]
    assert not np.array_equal(a[1], mu)  # the random output layer really changes the frame


def test_interpolator_reuses_its_noise_and_buffer_exactly(clip, tmp_path):
    """The interpolator's workspace keeps the starting noise of the last window shape (each window's
    generator is seeded afresh) and the condition buffer: outputs equal a fresh instance's, frame after
    frame, the kept noise is not changed by the multistep sampler that reads it, and one buffer serves
    every window of a shape."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator

    _trained_ish().save(tmp_path / "m")
    opts = dict(weights=str(tmp_path / "m"), steps=3, sampler="dpm++", engine="torch")
    kept = DiffusionInterpolator(**opts)
    runs = [kept.interpolate(clip[k], clip[k + 2], [0.25, 0.5]) for k in (0, 2, 0)]
    key, noise = kept.workspace._noise
    buf = kept.workspace._cond
    before = noise.clone()
    kept.interpolate(clip[0], clip[2], [0.25, 0.5])
    assert torch.equal(kept.workspace._noise[1], before) and kept.workspace._noise[0] == key
    assert kept.workspace._cond is buf and buf is not None
    for k, got in zip((0, 2, 0), runs, strict=True):
        fresh = DiffusionInterpolator(**opts).interpolate(clip[k], clip[k + 2], [0.25, 0.5])
        assert all(np.array_equal(a, b) for a, b in zip(got, fresh, strict=True))
    mu = DISFlow().interpolate(clip[0], clip[2], [0.5])[0]
    assert not np.array_equal(runs[0][1], mu)  # the noise and the model really move the frame


def test_missing_weights_is_clear_error(tmp_path):
    with pytest.raises(InputError, match="model weights not found"):
        VidiffModel.load(tmp_path / "nothing")


def test_bad_model_paths_and_damaged_folders_are_one_vidiff_error(tmp_path):
    """VidiffModel.load(None) was pathlib's TypeError; a vidiff.json that is not JSON, a folder without
    unet/ and a cut-short weights file were diffusers' OSErrors (one of them about huggingface.co)."""
    for bad in (None, 3, b"default", ["default"]):
        with pytest.raises(ConfigError, match="model .*: give a file path"):
            VidiffModel.load(bad)
    VidiffModel.from_config(TINY_MODEL).save(tmp_path / "ok")
    damaged = {
        "notjson": ("vidiff.json", b"{not json", "not a vidiff model's settings"),
        "list": ("vidiff.json", b"[1, 2]", "not a JSON object"),
        "nounet": ("unet/config.json", None, "no unet/config.json"),
        "cut": ("unet/diffusion_pytorch_model.safetensors", b"\0" * 100, "weights do not load"),
    }
    for name, (file, data, words) in damaged.items():
        folder = tmp_path / name
        shutil.copytree(tmp_path / "ok", folder)
        if data is None:
            (folder / file).unlink()
        else:
            (folder / file).write_bytes(data)
        with pytest.raises(InputError, match=words) as e:
            VidiffModel.load(folder)
        assert "\n" not in str(e.value) and "huggingface" not in str(e.value)


def test_batch_of_two_equals_each_alone(clip):
    m = _trained_ish()
    wins = [
        ([clip[0], None, clip[2]], [0.0, 0.5, 1.0], [True, False, True]),
        ([clip[3], None, clip[7]], [0.0, 0.25, 1.0], [True, False, True]),
    ]
    gens = lambda: [torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)]  # noqa: E731
    both = infill_batch(
        m, [w[0] for w in wins], [w[1] for w in wins], [w[2] for w in wins], steps=2, generators=gens()
    )
    for k, w in enumerate(wins):
        alone = infill(m, *w, steps=2, generator=torch.Generator().manual_seed(3))
        assert np.abs(both[k][1].astype(int) - alone[1]).max() <= 1
        assert np.mean(both[k][1] != alone[1]) < 1e-3


@pytest.mark.parametrize("n", [2, 3, 7, 16])
def test_any_window_length_and_real_times(n):
    m = _trained_ish()
    rng = np.random.default_rng(n)
    times = np.sort(rng.uniform(0, 5, n))
    observed = np.zeros(n, bool)
    observed[[0, -1]] = True
    h, w = 21, 30  # odd latent sizes are padded inside the model
    x = torch.randn(1, n, 48, h, w)
    cond = torch.randn(1, n, m.unet.config.cond_channels, h, w)
    out = m.unet(
        x,
        torch.tensor([500]),
        torch.tensor(times[None], dtype=torch.float32),
        torch.tensor(observed[None]),
        cond,
    )
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_shuffling_frames_with_their_times_leaves_result_unchanged():
    m = _trained_ish()
    n = 6
    torch.manual_seed(0)
    x = torch.randn(1, n, 48, 12, 16)
    cond = torch.randn(1, n, m.unet.config.cond_channels, 12, 16)
    times = torch.tensor([[0.0, 0.4, 1.0, 1.5, 2.0, 3.7]])
    obs = torch.tensor([[True, False, True, False, True, True]])
    with torch.no_grad():
        ref = m.unet(x, torch.tensor([300]), times, obs, cond)
        perm = torch.tensor([4, 1, 5, 0, 3, 2])
        out = m.unet(x[:, perm], torch.tensor([300]), times[:, perm], obs[:, perm], cond[:, perm])
    torch.testing.assert_close(out, ref[:, perm], atol=1e-5, rtol=1e-4)
    # and the times matter: the same frames at other times give another result
    with torch.no_grad():
        other = m.unet(x, torch.tensor([300]), times * 3, obs, cond)
    assert (other - ref).abs().max() > 1e-4


def test_prior_matches_dis_and_observed_frames(clip):
    pri = window_prior([clip[0], None, clip[2]], [0.0, 0.5, 1.0], [True, False, True])
    assert pri.shape == (3, 3, *clip[0].shape)
    assert np.array_equal(pri[1, 0], DISFlow().interpolate(clip[0], clip[2], [0.5])[0])
    assert np.array_equal(pri[0, 0], clip[0]) and np.array_equal(pri[2, 2], clip[2])


def test_prior_past_the_observed_frames_carries_their_motion_forward(clip):
    fwd = window_prior([clip[0], clip[1], None], [0.0, 1.0, 2.5], [True, True, False])
    assert np.array_equal(fwd[2, 0], carry_forward(clip[0], clip[1], [1.5])[0])
    assert np.array_equal(fwd[2, 2], clip[1])  # the nearest frame is kept as evidence
    back = window_prior([None, clip[3], clip[4]], [1.0, 2.0, 4.0], [False, True, True])
    assert np.array_equal(back[0, 0], carry_forward(clip[4], clip[3], [0.5])[0])
    one = window_prior([clip[0], None], [0.0, 1.0], [True, False])
    assert np.array_equal(one[1, 0], clip[0])  # one frame: no motion to carry


@pytest.mark.parametrize("target", ["sample", "epsilon", "v", "flow"])
def test_training_loss_falls_on_one_window(clip, target):
    """A few optimiser steps on one window lower the loss (the gradient reaches every part)."""
    torch.manual_seed(0)
    m = VidiffModel.from_config(TINY_MODEL)
    frames = [c[:48, :64] for c in clip[:3]]
    pri = window_prior(frames, [0.0, 0.5, 1.0], [True, False, True])
    fr = frames_to_tensor(np.stack(frames))[None]
    pr = frames_to_tensor(pri.reshape(-1, *pri.shape[2:])).reshape(1, 3, 3, 3, 48, 64)
    tm, ob = torch.tensor([[0.0, 0.5, 1.0]]), torch.tensor([[True, False, True]])
    opt = torch.optim.Adam(m.unet.parameters(), 1e-3)

    def loss_at(seed: int) -> torch.Tensor:
        return training_loss(
            m,
            fr,
            pr,
            tm,
            ob,
            torch.Generator().manual_seed(seed),
            loss_target=target,
            p_max_noise=1.0 if target == "sample" else 0.0,
        )

    with torch.no_grad():
        before = loss_at(0).item()
    for i in range(15):
        opt.zero_grad()
        loss_at(i).backward()
        opt.step()
    with torch.no_grad():
        after = loss_at(0).item()
    assert after < before


def test_observed_frames_noisy_latent_and_candidates_are_ignored():
    """Only an observed frame's μ and mask enter the network (its other inputs are zero by construction),
    and its output is zero: changing them leaves every output unchanged."""
    m = _trained_ish()
    torch.manual_seed(1)
    c, cc = 48, m.unet.config.cond_channels
    x, cond = torch.randn(1, 3, c, 12, 16), torch.randn(1, 3, cc, 12, 16)
    obs, times = torch.tensor([[True, False, True]]), torch.tensor([[0.0, 0.4, 1.0]])
    ref = m.unet(x, torch.tensor([999]), times, obs, cond)
    x2, cond2 = x.clone(), cond.clone()
    x2[:, [0, 2]] = torch.randn(1, 2, c, 12, 16)
    cond2[:, [0, 2], c:-1] = torch.randn(1, 2, cc - c - 1, 12, 16)
    out = m.unet(x2, torch.tensor([999]), times, obs, cond2)
    assert torch.equal(out, ref)
    assert torch.count_nonzero(ref[:, [0, 2]]) == 0 and torch.count_nonzero(ref[:, 1]) > 0


def test_lighter_unet_options_build_and_start_at_the_prior(clip):
    """`mid_attention: false` and `temporal_attention_levels` drop attention where it is costly (the
    finest level); the untrained model still returns the DIS prior exactly."""
    cfg = {
        **TINY_MODEL,
        "unet": {**TINY_MODEL["unet"], "mid_attention": False, "temporal_attention_levels": [1]},
    }
    m = VidiffModel.from_config(cfg).eval()
    assert m.unet.mid.spatial is None and m.unet.down[0][0].temporal is None
    assert m.unet.down[1][0].temporal is not None
    out = infill(m, [clip[0], None, clip[2]], [0.0, 0.5, 1.0], [True, False, True])
    mu = window_prior([clip[0], None, clip[2]], [0.0, 0.5, 1.0], [True, False, True])[1, 0]
    assert np.array_equal(out[1], mu)


def test_sampler_is_a_function_over_the_denoiser_with_a_progress_callback(clip):
    """`sample(denoiser, x, scheduler, callback)`: the callback sees every step with the running x0, and
    the result is the same with or without it."""
    from vidiff.diffusion.sampling import encode_condition as enc
    from vidiff.diffusion.sampling import sample_residual, split_prior

    torch.manual_seed(3)
    m = VidiffModel.from_config(TINY_MODEL).eval()
    torch.nn.init.normal_(m.unet.conv_out.weight, std=0.02)  # a model that moves off the prior
    pri = window_prior([clip[0], None, clip[2]], [0, 0.5, 1], [True, False, True])
    pt = frames_to_tensor(pri.reshape(-1, *pri.shape[2:])).reshape(1, 3, 3, 3, *pri.shape[2:4])
    obs, tms = torch.tensor([[True, False, True]]), torch.tensor([[0.0, 0.5, 1.0]])
    _, cond = enc(m, *split_prior(pt, obs), obs)
    seen = []
    args = (m, cond, tms, obs, 3, "dpm++")
    with_cb = sample_residual(
        *args, [torch.Generator().manual_seed(0)], lambda i, n, x0: seen.append((i, n, x0.shape))
    )
    without = sample_residual(*args, [torch.Generator().manual_seed(0)])
    assert [(i, n) for i, n, _ in seen] == [(1, 3), (2, 3), (3, 3)] and seen[0][2] == with_cb.shape
    assert torch.equal(with_cb, without) and with_cb[:, 1].abs().sum() > 0
    assert with_cb[:, 0].abs().sum() == 0 and with_cb[:, 2].abs().sum() == 0  # observed: residual 0


def _attention_outputs(device: str, modes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    torch.manual_seed(4)
    cfg = {**TINY_MODEL, "unet": {**TINY_MODEL["unet"], "temporal_attention_levels": None}}
    m = VidiffModel.from_config(cfg).to(device).eval()
    torch.nn.init.normal_(m.unet.conv_out.weight, std=0.02)
    x = torch.randn(2, 3, 48, 8, 12, device=device)
    cond = torch.randn(2, 3, m.unet.config.cond_channels, 8, 12, device=device)
    obs = torch.tensor([[True, False, True]] * 2, device=device)
    tms = torch.tensor([[0.0, 0.4, 1.0], [0.0, 0.5, 2.0]], device=device)
    out = {}
    with torch.no_grad():
        for mode in modes:
            m.unet.set_attention(mode)
            out[mode] = m.unet(x, torch.tensor([999, 500], device=device), tms, obs, cond)
    return out


def test_attention_kernels_give_the_same_model_and_unknown_ones_are_refused():
    """sdpa, math and xformers (SDPA off CUDA or without the extra) compute one function."""
    out = _attention_outputs("cpu", ("sdpa", "math", "xformers"))
    assert out["sdpa"].abs().sum() > 0
    assert torch.allclose(out["sdpa"], out["math"], atol=1e-5)
    assert torch.equal(out["sdpa"], out["xformers"])  # the fallback is SDPA itself
    with pytest.raises(ConfigError, match="unknown attention 'flash3'"):
        VidiffModel.from_config({**TINY_MODEL, "unet": {**TINY_MODEL["unet"], "attention": "flash3"}})


def _xformers_ready() -> bool:
    from vidiff.models.layers import xformers_ops

    return torch.cuda.is_available() and xformers_ops() is not None


@pytest.mark.skipif(not _xformers_ready(), reason="xformers runs on CUDA with the xformers extra installed")
def test_xformers_attention_is_used_on_cuda_and_matches_sdpa(monkeypatch):
    from vidiff.models import layers

    calls = []
    real = layers._attend_xformers
    monkeypatch.setattr(layers, "_attend_xformers", lambda *a: calls.append(1) or real(*a))
    out = _attention_outputs("cuda", ("sdpa", "xformers"))
    assert calls and torch.allclose(out["sdpa"], out["xformers"], atol=1e-4)


def test_ensemble_averages_the_reversed_and_mirrored_views_and_is_symmetric_in_time(clip, tmp_path):
    """`ensemble=2` is the mean of the window and the window played backwards: asking for (b, a, 1 − t)
    gives the same frame as (a, b, t), up to rounding; `ensemble=4` adds the mirrored views; a pass count
    other than 1, 2 or 4 is one ConfigError."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator

    _trained_ish().save(tmp_path / "m")
    opts = dict(weights=str(tmp_path / "m"), engine="torch")
    one = DiffusionInterpolator(**opts)
    a, b = clip[0], clip[2]
    fwd, back = one.interpolate(a, b, [0.25])[0], one.interpolate(b, a, [0.75])[0]
    two = DiffusionInterpolator(ensemble=2, **opts)
    both = two.interpolate(a, b, [0.25])[0]
    mean = (fwd.astype(np.float32) + back.astype(np.float32)) / 2
    assert np.abs(both - mean).max() <= 1.0  # the mean of the two passes, rounded
    assert np.abs(both.astype(int) - two.interpolate(b, a, [0.75])[0]).max() <= 1
    four = DiffusionInterpolator(ensemble=4, **opts).interpolate(a, b, [0.25])[0]
    assert four.shape == a.shape and not np.array_equal(four, both)
    with pytest.raises(ConfigError, match="ensemble 3"):
        DiffusionInterpolator(ensemble=3, **opts)
