"""How a video diffusion pipeline fits a smaller GPU: offload levels (`--offload [LEVEL]`) and the
transformer's weights stored in fp8 (`--weight-dtype`), each diffusers' own.

- `model` (`--offload` alone; True in the API and recipes): diffusers' model CPU offload, one whole part
  (text encoder, transformer, VAE) on the GPU at a time, with the VAE's tiling and slicing.
- `group`: diffusers' group offloading of every part, block by block (`block_level`, one block per group),
  the next block's weights copied on a CUDA stream while the current one runs (ComfyUI's block swap).
- `sequential`: diffusers' sequential CPU offload (accelerate), one layer's weights at a time on the GPU:
  the least memory, the slowest.
- `--weight-dtype fp8_e4m3fn` / `fp8_e5m2`: diffusers' layerwise casting on the denoiser (its transformers,
  or SVD's UNet): weights kept in float8 and cast to the run's dtype one layer at a time for compute
  (ComfyUI's weight_dtype), about half a bf16 transformer's memory; the layers diffusers keeps in full
  precision (patch embedding, norms, output projection) stay as they are.

This module imports nothing heavy at load time (the CLI reads its constants for `--help`).
"""

from __future__ import annotations

from typing import Any

from vidiff.errors import ConfigError

OFFLOAD_LEVELS = ("model", "group", "sequential")
WEIGHT_DTYPES = {"fp8_e4m3fn": "float8_e4m3fn", "fp8_e5m2": "float8_e5m2"}  # ComfyUI's names: torch's
DENOISER_PARTS = ("transformer", "transformer_2", "unet")


def parse_offload(value: object) -> str | None:
    """The offload level: None (off) for False/None, "model" for True, a level's name as it is; one
    ConfigError line for anything else."""
    if value is None or value is False:
        return None
    if value is True:
        return "model"
    if isinstance(value, str) and value in OFFLOAD_LEVELS:
        return value
    raise ConfigError(f"offload {value!r}: give true (model) or one of: {', '.join(OFFLOAD_LEVELS)}")


def check_weight_dtype(value: object) -> str | None:
    """`weight_dtype` checked: None or one of WEIGHT_DTYPES' names."""
    if value is None or value in WEIGHT_DTYPES:
        return value  # type: ignore[return-value]
    raise ConfigError(f"unknown weight_dtype {value!r}; choose one of: {', '.join(WEIGHT_DTYPES)}")


def store_weights(pipe: Any, weight_dtype: str | None, compute: Any) -> None:
    """The denoiser's weights stored in `weight_dtype` (fp8), cast to `compute` layer by layer (before
    the parts are placed: diffusers applies casting before group offloading)."""
    if weight_dtype is None:
        return
    import torch

    for name in DENOISER_PARTS:
        part = getattr(pipe, name, None)
        if part is not None:
            part.enable_layerwise_casting(
                storage_dtype=getattr(torch, WEIGHT_DTYPES[weight_dtype]), compute_dtype=compute
            )


def place(pipe: Any, device: str, level: str | None) -> None:
    """The pipeline's parts on `device`, or offloaded at `level` (`OFFLOAD_LEVELS`; cuda only: checked
    before loading), the VAE tiled and sliced when offloaded."""
    if level is None:
        pipe.to(device)
        return
    if level == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif level == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        import torch

        pipe.enable_group_offload(
            onload_device=torch.device(device),
            offload_device=torch.device("cpu"),
            offload_type="block_level",
            num_blocks_per_group=1,
            use_stream=torch.device(device).type == "cuda",
        )
    vae = getattr(pipe, "vae", None)
    for part in ("enable_tiling", "enable_slicing"):
        if hasattr(vae, part):
            getattr(vae, part)()
