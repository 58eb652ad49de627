"""Noise processes for training and few-step samplers on diffusers schedulers.

Two processes: "ddpm" (x_t = √ᾱ x0 + √(1−ᾱ) ε, Ho et al. 2020) sampled with DDIM (Song et al. 2021) or
DPM-Solver++ (Lu et al. 2022), and "flow" (rectified flow x_t = (1−σ) x0 + σ ε, Liu et al. 2023) sampled
with flow-matching Euler. The network always predicts the clean residual x0; each sampler gets the
quantity its scheduler expects, derived from that prediction.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from vidiff.errors import ConfigError

TRAIN_STEPS = 1000
SAMPLERS = {"ddim": "ddpm", "dpm++": "ddpm", "euler": "flow"}


def check_sampler(sampler: object, process: str) -> None:
    """One ConfigError unless `sampler` is a sampler name that fits a model trained with `process`."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ConfigError(f"unknown sampler {sampler!r}; choose one of: {', '.join(SAMPLERS)}")
    if SAMPLERS[sampler] != process:
        raise ConfigError(f"sampler {sampler!r} does not fit a model trained with the {process!r} process")


def make_scheduler(sampler: str, process: str = "ddpm"):
    """A diffusers scheduler for `sampler` ("ddim", "dpm++", "euler") matching the training `process`."""
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler

    check_sampler(sampler, process)
    if sampler == "ddim":
        return DDIMScheduler(
            num_train_timesteps=TRAIN_STEPS,
            prediction_type="sample",
            timestep_spacing="trailing",
            set_alpha_to_one=True,
            clip_sample=False,
            **default_betas(),
        )
    if sampler == "dpm++":
        return DPMSolverMultistepScheduler(
            num_train_timesteps=TRAIN_STEPS,
            prediction_type="sample",
            algorithm_type="dpmsolver++",
            timestep_spacing="trailing",
            final_sigmas_type="zero",
            solver_order=2,
            **default_betas(),
        )
    return FlowMatchEulerDiscreteScheduler(num_train_timesteps=TRAIN_STEPS, shift=1.0)


def default_betas() -> dict:
    """Scheduler kwargs of the "ddpm" process: scaled-linear betas rescaled to zero terminal SNR, so the
    noisiest training step is pure noise, exactly what a 1-step sampler starts from (Lin et al. 2024,
    "Common Diffusion Noise Schedules and Sample Steps are Flawed")."""
    return {
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "rescale_betas_zero_snr": True,
    }


@lru_cache(maxsize=1)
def alphas_cumprod() -> torch.Tensor:
    """ᾱ_t of the "ddpm" process, from the same diffusers scheduler the samplers use."""
    from diffusers import DDIMScheduler

    return DDIMScheduler(num_train_timesteps=TRAIN_STEPS, **default_betas()).alphas_cumprod.float().clone()


def noise_coefficients(process: str, timesteps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(a, s) with x_t = a·x0 + s·ε for integer timesteps in [0, TRAIN_STEPS), shape (B,)."""
    if process == "ddpm":
        ac = alphas_cumprod().to(timesteps.device)[timesteps.long()]
        return ac.sqrt(), (1 - ac).sqrt()
    if process == "flow":
        sigma = (timesteps.float() + 1) / TRAIN_STEPS
        return 1 - sigma, sigma
    raise ConfigError(f"unknown diffusion process {process!r}; choose ddpm or flow")
