"""Residual diffusion over the flow prior: loss, few-step samplers, infilling, the `diffusion` method."""
