"""Training loss and few-step infilling of a window (flexible conditioning, residual over the prior).

A window is T frames at real times; `observed` frames enter clean, the others are generated. The network
predicts the clean residual r = (x − μ)·scale in latent space; samplers run on diffusers schedulers, and the
result is μ + decode-difference of the residual, so r = 0 gives μ exactly, whatever the codec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from vidiff.codecs import frames_to_tensor, tensor_to_frames
from vidiff.diffusion.model import VidiffModel
from vidiff.diffusion.prior import prior_images, window_prior
from vidiff.diffusion.schedule import TRAIN_STEPS, check_sampler, make_scheduler, noise_coefficients
from vidiff.errors import ConfigError
from vidiff.timeline import check_flow_size
from vidiff.validate import check_flag, check_image, check_number, check_same_length, check_steps

LOSS_TARGETS = ("sample", "epsilon", "v", "flow")


def encode_condition(
    model: VidiffModel,
    mu_pix: torch.Tensor,
    candidates: torch.Tensor,
    observed: torch.Tensor,
    buffer: Callable[[tuple[int, ...]], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(μ latents (B, T, C, h, w), cond (B, T, KC + 1, h, w)) from μ images (B, T, 3, H, W) and the
    generated frames' other candidates (G, K − 1, 3, H, W) in B·T order, all in [-1, 1].

    cond holds μ, then each candidate (the one-sided warps, and RIFE's frame for a `fuse` model) minus μ at
    the residual's scale (where the two warps disagree, μ is likely wrong: occlusions and flow failures),
    then the observed mask. An observed frame's candidates are the frame itself (window_prior), so only
    the generated frames' candidates are given, encoded and written: an observed frame's candidate
    channels are left unwritten, because the U-Net reads only μ and the mask of an observed frame
    (VideoUNet3D._embed; tests/test_model.py checks that other values there change nothing). At 720p
    each such row is 33 MB that no one reads. `buffer(shape)`, when given, supplies the tensor written
    instead of a new one (`Workspace.cond`).
    """
    b, t = mu_pix.shape[:2]
    mu = model.codec.encode(mu_pix)
    c, (h, w) = mu.shape[2], mu.shape[-2:]
    k = 1 + candidates.shape[1]
    # each value written once, one frame row at a time (B·T is small), the differences computed in place
    shape = (b * t, k * c + 1, h, w)
    cond = buffer(shape) if buffer is not None else mu.new_empty(shape)
    mu_rows = mu.reshape(b * t, c, h, w)
    cond[:, :c] = mu_rows
    seen = observed.to(torch.bool).reshape(-1).tolist()
    cond[:, -1] = torch.tensor(seen, dtype=mu.dtype, device=mu.device)[:, None, None]
    zg = model.codec.encode(candidates) if k > 1 and len(candidates) else None
    g = 0
    for j, obs in enumerate(seen):
        if obs or zg is None:
            continue
        rest = cond[j, c:-1].view(k - 1, c, h, w)
        torch.sub(zg[g], mu_rows[j], out=rest).mul_(model.residual_scale)
        g += 1
    return mu, cond.reshape(b, t, -1, h, w)


def split_prior(prior: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(μ images (B, T, 3, H, W), the generated frames' other candidates (G, K − 1, 3, H, W)) of a prior
    tensor (B, T, K, 3, H, W): the two inputs of `encode_condition`."""
    return prior[:, :, 0], prior[~observed.to(torch.bool)][:, 1:]


def training_loss(
    model: VidiffModel,
    frames: torch.Tensor,
    prior: torch.Tensor,
    times: torch.Tensor,
    observed: torch.Tensor,
    generator: torch.Generator | None = None,
    loss_target: str = "sample",
    loss: str = "l1",
    p_max_noise: float = 0.5,
) -> torch.Tensor:
    """Diffusion loss on the unobserved frames of a batch of windows.

    frames (B, T, 3, H, W) and prior (B, T, 3, 3, H, W) in [-1, 1]; times (B, T); observed (B, T) bool.
    Timesteps are uniform, with `p_max_noise` of them at the noisiest step (what 1-step sampling sees).
    `loss_target` picks the space the loss is measured in (ε, v or flow-matching velocity, or the clean
    residual itself); the network's output is always the clean residual, converted.
    """
    if loss_target not in LOSS_TARGETS:
        raise ConfigError(f"unknown loss_target {loss_target!r}; choose one of: {', '.join(LOSS_TARGETS)}")
    dev = frames.device
    b = frames.shape[0]
    mu, cond = encode_condition(model, *split_prior(prior, observed), observed)
    x0 = (model.codec.encode(frames) - mu) * model.residual_scale
    ts = torch.randint(0, TRAIN_STEPS, (b,), generator=generator, device=dev)
    top = torch.rand(b, generator=generator, device=dev) < p_max_noise
    ts = torch.where(top, torch.full_like(ts, TRAIN_STEPS - 1), ts)
    eps = torch.randn(x0.shape, generator=generator, device=dev)
    a, s = (c.to(x0.dtype)[:, None, None, None, None] for c in noise_coefficients(model.process, ts))
    xt = a * x0 + s * eps
    obs = observed[:, :, None, None, None]
    xt = torch.where(obs, torch.zeros_like(xt), xt)
    pred = model.unet(xt, ts, times, observed, cond)
    if loss_target == "sample":
        p, y = pred, x0
    else:
        eps_pred = (xt - a * pred) / s
        if loss_target == "epsilon":
            p, y = eps_pred, eps
        elif loss_target == "v":
            p, y = a * eps_pred - s * pred, a * eps - s * x0
        else:
            p, y = eps_pred - pred, eps - x0
    if loss not in ("l1", "l2", "l2_rel"):
        raise ConfigError(f"unknown loss {loss!r}; choose l1, l2 or l2_rel")
    err = (p - y).abs() if loss == "l1" else (p - y) ** 2
    w = (~obs).to(err.dtype).expand_as(err)
    if loss == "l2_rel":
        # each window's squared error relative to its prior's (x0 = 0) error, plus a floor of one grey
        # level: what the mean PSNR over frames rewards (an easy frame is not spoiled to fix a hard one)
        floor = (2 / 255 * model.residual_scale) ** 2
        dims = tuple(range(1, err.ndim))
        base = ((x0**2) * w).sum(dims) / w.sum(dims).clamp(min=1)
        return (((err * w).sum(dims) / w.sum(dims).clamp(min=1)) / (base + floor)).mean()
    return (err * w).sum() / w.sum().clamp(min=1)


class Denoiser:
    """The network as the denoiser of one batch of windows (k-diffusion's shape, Karras et al. 2022):
    called with the noisy residual x and the scheduler's step, it returns the clean residual x0 and the
    quantity that scheduler steps on. The parameterisation lives here, not in the samplers: a "ddpm" model
    gets the scheduler's integer timestep and its x0 is what the schedulers (prediction_type "sample")
    take; a "flow" model gets σ·TRAIN_STEPS − 1 and Euler steps on the velocity (x − x0)/σ.
    """

    def __init__(
        self, model: VidiffModel, cond: torch.Tensor, times: torch.Tensor, observed: torch.Tensor
    ) -> None:
        self.unet, self.process = model.unet, model.process
        self.cond, self.times, self.observed = cond, times, observed

    def __call__(self, x: torch.Tensor, scheduler, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        b = x.shape[0]
        # observed frames enter clean (residual 0) by the U-Net's contract: it never reads their noisy
        # latents (VideoUNet3D._embed), so x goes in as it is, with no masked copy of the window
        if self.process == "flow":
            sigma = scheduler.sigmas[i]
            ts = torch.full((b,), float(sigma) * TRAIN_STEPS - 1, device=x.device)
            x0 = self.unet(x, ts, self.times, self.observed, self.cond)
            return x0, (x - x0) / sigma
        x0 = self.unet(x, scheduler.timesteps[i].expand(b), self.times, self.observed, self.cond)
        return x0, x0


def sample(
    denoiser: Denoiser,
    x: torch.Tensor,
    scheduler,
    callback: Callable[[int, int, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """The clean estimate after the scheduler's steps (set_timesteps done) from the noise `x`;
    `callback(step, total, x0)` after each step (a progress point)."""
    steps = scheduler.timesteps
    x0 = x  # replaced at the first step (there is always one)
    for i, t in enumerate(steps):
        x0, out = denoiser(x, scheduler, i)
        if callback is not None:
            callback(i + 1, len(steps), x0)
        if i < len(steps) - 1:
            x = scheduler.step(out, t, x).prev_sample
    return x0


def window_noise(
    generators: Sequence[torch.Generator | None] | None,
    b: int,
    shape: Sequence[int],
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """The starting noise (B, *shape) of a batch of windows: one standard normal draw per window from its
    own generator (None: the global one), so a window's noise does not depend on its batch."""
    gens = list(generators) if generators is not None else [None] * b
    if len(gens) != b:
        raise ValueError("one generator per window")
    return torch.stack([torch.randn(tuple(shape), generator=g, device=device) for g in gens])


class Workspace:
    """What an interpolator keeps between its windows of one shape: the starting noise and the buffer of
    the condition. A 720p window's condition is 133 MB; glibc maps every allocation above 32 MB afresh
    (vidiff.malloc cannot raise that limit) and the kernel zero-fills each page on first touch, so a new
    buffer a window costs tens of thousands of page faults. Only the last shape is kept, so memory stays
    flat. What this and the rest of the plumbing saved: benchmarks/results/model_speed_workspace.

    The noise is a pure function of (n, shape, seed) because each window's generator is seeded afresh;
    every value of the buffer that is read is written again for each window (`encode_condition`).
    """

    def __init__(self, seed: int = 0, device: str | torch.device = "cpu") -> None:
        self.seed, self.device = seed, torch.device(device)
        self._noise: tuple[tuple[int, ...], torch.Tensor] | None = None
        self._cond: torch.Tensor | None = None

    def noise(self, n: int, shape: tuple[int, ...]) -> torch.Tensor:
        """The starting noise (n, *shape) of n windows, each from a generator seeded with `seed`."""
        key = (n, *shape)
        if self._noise is None or self._noise[0] != key:
            gens = [torch.Generator(self.device).manual_seed(self.seed) for _ in range(n)]
            self._noise = (key, window_noise(gens, n, shape, self.device))
        return self._noise[1]

    def cond(self, shape: tuple[int, ...]) -> torch.Tensor:
        """An uninitialised float32 buffer of `shape`, the same tensor while the shape stays."""
        if self._cond is None or tuple(self._cond.shape) != tuple(shape):
            self._cond = None  # the old buffer goes before the new one is made
            self._cond = torch.empty(tuple(shape), device=self.device)
        return self._cond


@torch.no_grad()
def sample_residual(
    model: VidiffModel,
    cond: torch.Tensor,
    times: torch.Tensor,
    observed: torch.Tensor,
    steps: int = 1,
    sampler: str | None = None,
    generators: Sequence[torch.Generator] | None = None,
    callback: Callable[[int, int, torch.Tensor], None] | None = None,
    noise: Callable[[int, tuple[int, ...]], torch.Tensor] | None = None,
) -> torch.Tensor:
    """The clean residual latents (B, T, C, h, w) of a batch of windows after `steps` sampler steps.

    The starting noise is `noise(B, shape)` when given (a caller's cache of it), else
    `window_noise(generators, ...)`: one generator per window, so a window's result does not depend on
    what it is batched with. The scheduler is made per
    call (a few ms; DPM-Solver++ keeps state between steps, so it is not shared).
    """
    check_steps(steps)
    default = "euler" if model.process == "flow" else "ddim"
    sched = make_scheduler(default if sampler is None else sampler, model.process)
    sched.set_timesteps(steps, device=cond.device)
    b, t = times.shape
    shape = (t, model.codec.channels, *cond.shape[-2:])
    x = window_noise(generators, b, shape, cond.device) if noise is None else noise(b, shape)
    if x.shape != (b, *shape):
        raise ValueError(f"noise of shape {tuple(x.shape)} for windows of shape {(b, *shape)}")
    # x0 is the U-Net's last output, zero on observed frames (it writes the generated frames only)
    return sample(Denoiser(model, cond, times, observed), x, sched, callback)


@torch.no_grad()
def infill(
    model: VidiffModel,
    frames: Sequence[np.ndarray | None],
    times: Sequence[float],
    observed: Sequence[bool],
    prior: np.ndarray | None = None,
    steps: int = 1,
    sampler: str | None = None,
    generator: torch.Generator | None = None,
) -> list[np.ndarray]:
    """Fill the unobserved frames of one window; observed frames come back unchanged.

    frames: RGB uint8 (H, W, 3) where observed (anything, e.g. None, elsewhere); times: real, any order;
    prior: (T, K, H, W, 3) uint8 as `window_prior` makes it (computed when not given), numpy or a tensor.
    Bad arguments (lists of different lengths, no observed frame, frames of other shapes, times that are
    not finite numbers) are one `ConfigError`, before any work.
    """
    check_window(model, frames, times, observed, prior, steps, generator, sampler)
    out = infill_batch(
        model,
        [frames],
        [times],
        [observed],
        None if prior is None else [prior],
        steps,
        sampler,
        None if generator is None else [generator],
    )
    return out[0]


def check_window(
    model: object,
    frames: object,
    times: object,
    observed: object,
    prior: object,
    steps: object,
    generator: object = None,
    sampler: object = None,
) -> None:
    """The arguments of `infill`, checked before any work (one `ConfigError` sentence)."""
    if not isinstance(model, VidiffModel):
        raise ConfigError(f"model {type(model).__name__}: give a VidiffModel (VidiffModel.load('default'))")
    n = check_same_length("infill", frames=frames, times=times, observed=observed)
    flags = [check_flag(o, "observed entry") for o in observed]  # type: ignore[union-attr]
    if not any(flags):
        raise ConfigError("infill: no frame is observed; at least one must be, to rebuild the others from")
    shape = None
    for i in range(n):
        check_number(times[i], "infill time")  # type: ignore[index]
        if flags[i]:
            shape = check_image(frames[i], f"infill frame {i}", shape).shape  # type: ignore[index]
    check_prior(model, prior, (n, prior_images(model.priors), *shape))  # type: ignore[misc]
    check_steps(steps, "infill steps")
    if sampler is not None:
        check_sampler(sampler, model.process)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ConfigError(f"infill generator {type(generator).__name__}: give a torch.Generator (or None)")


def check_prior(model: VidiffModel, prior: object, want: tuple[int, ...]) -> None:
    """`infill`'s prior: None (then its optical flow needs frames DIS can take), or the window's
    (T, K, H, W, 3) uint8 array or tensor, as `window_prior` makes it for this model."""
    if prior is None:
        check_flow_size(want[3], want[2], what="infill's optical-flow prior")
        return
    if (
        not isinstance(prior, (np.ndarray, torch.Tensor))
        or prior.dtype not in (np.uint8, torch.uint8)
        or tuple(prior.shape) != want
    ):
        got = f"{prior.dtype} {tuple(prior.shape)}" if hasattr(prior, "shape") else type(prior).__name__
        raise ConfigError(
            f"infill prior {got}: give the {want} uint8 array (or tensor) window_prior makes, or None"
        )


@torch.no_grad()
def infill_batch(
    model: VidiffModel,
    frames: Sequence[Sequence[np.ndarray | None]],
    times: Sequence[Sequence[float]],
    observed: Sequence[Sequence[bool]],
    priors: Sequence[np.ndarray] | None = None,
    steps: int = 1,
    sampler: str | None = None,
    generators: Sequence[torch.Generator] | None = None,
    workspace: Workspace | None = None,
) -> list[list[np.ndarray]]:
    """`infill` for a batch of windows of equal length and frame size, one generator per window, or
    the noise and buffers of a `workspace` (then `generators` is not used)."""
    dev = model.device
    if priors is None:
        priors = [
            window_prior(f, t, o, model.stack()) for f, t, o in zip(frames, times, observed, strict=True)
        ]
    obs = torch.tensor([list(map(bool, o)) for o in observed], device=dev)
    tms = torch.tensor([[float(x) for x in t] for t in times], device=dev, dtype=torch.float32)
    # convert only what is read: μ of every frame, the other candidates of the generated frames (an
    # observed frame's K images are copies of it)
    t_len = len(times[0])
    # numpy priors, or uint8 tensors already on the device (the GPU stack: no host round trip)
    cat = torch.cat if isinstance(priors[0], torch.Tensor) else np.concatenate
    mu_pix = frames_to_tensor(cat([p[:, 0] for p in priors]), dev)
    mu_pix = mu_pix.reshape(len(priors), t_len, *mu_pix.shape[1:])
    gen_imgs = [p[i, 1:] for p, o in zip(priors, observed, strict=True) for i in range(len(o)) if not o[i]]
    k1, (h, w) = priors[0].shape[1] - 1, tuple(priors[0].shape[2:4])
    cands = (
        frames_to_tensor(cat(gen_imgs), dev).reshape(len(gen_imgs), k1, 3, h, w)
        if gen_imgs and k1
        else mu_pix.new_empty((len(gen_imgs), k1, 3, h, w))
    )
    buffer, noise = (workspace.cond, workspace.noise) if workspace is not None else (None, None)
    mu_lat, cond = encode_condition(model, mu_pix, cands, obs, buffer)
    r = sample_residual(model, cond, tms, obs, steps, sampler, generators, noise=noise) / model.residual_scale
    # decode the generated frames only (an observed frame comes back as given)
    gen = (~obs).reshape(-1).nonzero().flatten()
    flat = (len(frames) * len(times[0]),)
    r_g = r.reshape(*flat, *r.shape[2:]).index_select(0, gen)
    pix_g = mu_pix.reshape(*flat, *mu_pix.shape[2:]).index_select(0, gen)
    if model.codec.linear:  # decode(μ + r) − decode(μ) = decode(r)
        est = pix_g + model.codec.decode(r_g, (h, w))
    else:
        mu_g = mu_lat.reshape(*flat, *mu_lat.shape[2:]).index_select(0, gen)
        est = pix_g + (model.codec.decode(mu_g + r_g, (h, w)) - model.codec.decode(mu_g, (h, w)))
    imgs = iter(tensor_to_frames(est)) if len(gen) else iter(())
    return [
        [frames[bi][i] if observed[bi][i] else next(imgs) for i in range(len(times[bi]))]
        for bi in range(len(frames))
    ]
