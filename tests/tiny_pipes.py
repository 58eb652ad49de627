"""Tiny randomly initialised diffusers video pipelines built from configs, saved with `save_pretrained`.

Nothing is downloaded: the T5 text encoder is a one-layer model of width 32 and its tokenizer a word-level
`tokenizers` model over a few words. The sizes follow the real models' rules (Wan: 4k+1 frames, sides in
multiples of 16; LTX-Video: 8k+1 frames, multiples of 32) so vidiff's backends treat them as the real ones.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

# `vidiff generate` from a tiny pipeline in a second or so: 2 steps, 32x32 keyframes, 0.3 s at 24 fps, DIS
TINY_GENERATE = [
    "--steps",
    "2",
    "--interpolate",
    "dis",
    "--preset",
    "ultrafast",
    "--quiet",
    "--aspect",
    "1:1",
]
TINY_GENERATE += ["--seconds", "0.3", "--keyframe-size", "32x32", "--fps", "24", "--prompt", "a cat"]
# the same through the social_clip recipe's overrides (with generate.weights and generate.prompt)
TINY_RECIPE = ["generate.steps=2", "generate.seconds=0.3", "generate.keyframe_size=32x32"]
TINY_RECIPE += [
    "interpolate.method=dis",
    "interpolate.fps=24",
    "reframe.aspect=1:1",
    "encode.preset=ultrafast",
]


def generate_json(capsys, out: Path, weights: Path, *args: str) -> tuple[int, dict | str]:
    """`vidiff generate -o out --weights weights ARGS --json`: (exit code, the report, or the error line)."""
    from vidiff.cli import main

    capsys.readouterr()  # what building the tiny pipeline printed (diffusers' "Writing model shards" bar)
    rc = main(["generate", "-o", str(out), "--weights", str(weights), *args, "--json"])
    cap = capsys.readouterr()
    return rc, json.loads(cap.out) if rc == 0 else cap.err.strip()


def one_line_refusal(capsys, out: Path, weights: Path, *args: str) -> str:
    """The error of a `generate_json` run that must be refused: exit 2, one line, `out` not written."""
    rc, err = generate_json(capsys, out, weights, *args)
    assert rc == 2 and isinstance(err, str) and len(err.splitlines()) == 1, err
    assert not out.exists()
    return err


def original_layout(
    part: Path,
    rename: Callable[[str], str],
    convert: Callable[[dict], dict],
    out: Path,
    noise: float,
    drop: int,
) -> Path:
    """The tensors of the diffusers folder `part` (a transformer's, a VAE's) as one file in the original
    release's key layout (`rename`: a diffusers key's original name, checked against diffusers' own
    `convert`er); `noise`: seeded noise added to every tensor; `drop`: that many tensors left out."""
    from safetensors.torch import load_file, save_file

    ours = load_file(next(part.glob("*.safetensors")))
    theirs = {rename(k): v.clone() for k, v in ours.items()}
    assert set(convert(dict(theirs))) == set(ours)  # the renaming is right
    g = torch.Generator().manual_seed(1)
    theirs = {k: v + noise * torch.randn(v.shape, generator=g) for k, v in theirs.items()}
    for k in sorted(theirs)[:drop]:
        del theirs[k]
    save_file(theirs, str(out))
    return out


WORDS = ["a", "cat", "dog", "walks", "on", "the", "beach", "at", "sunset", "blurry", "red", "car"]


def tiny_t5(width: int = 32):
    """A one-layer T5 encoder of `width` and a word-level fast tokenizer over WORDS (built here)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=len(vocab), d_model=width, d_kv=8, d_ff=37, num_layers=1, num_heads=4,
        relative_attention_num_buckets=8, decoder_start_token_id=0,
    )  # fmt: skip
    return T5EncoderModel(config), tokenizer


# the tiny Wan transformer's shape (WanTransformer3DModel, WanVACETransformer3DModel): 2 layers of 2 heads
WAN_TRANSFORMER = dict(
    patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, out_channels=16, text_dim=32,
    freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
    rope_max_seq_len=32,
)  # fmt: skip


def wan_vae():
    """Wan 2.1's VAE, tiny and seeded: 4 stages (8x space, 4x time), 16 latent channels."""
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )


def wan_dir(out: Path, layers: int = 2, head_dim: int = 12, ffn_dim: int = 32) -> Path:
    """A WanPipeline (text to video) folder: a `layers`-layer transformer of 2 heads of `head_dim`,
    4 VAE stages (8x space, 4x time); larger ones for benchmarks/generate_cache.py."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel

    text_encoder, tokenizer = tiny_t5(32)
    vae = wan_vae()
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        in_channels=16,
        **{**WAN_TRANSFORMER, "attention_head_dim": head_dim, "ffn_dim": ffn_dim, "num_layers": layers},
    )
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
    )
    pipe.save_pretrained(out)
    return out


def ltx_dir(out: Path) -> Path:
    """An LTXPipeline (text to video; vidiff chains its windows through LTXImageToVideoPipeline on the same
    parts) folder: one-layer transformer, a VAE with LTX-Video's 32x space and 8x time compression."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    text_encoder, tokenizer = tiny_t5(32)
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=32,
    )  # fmt: skip
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8, block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False), patch_size=4, patch_size_t=1,
    )  # fmt: skip
    pipe = LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )
    pipe.save_pretrained(out)
    return out


def ltx_condition_dir(out: Path) -> Path:
    """A tiny LTX-Video folder (`ltx_dir`) saved as LTXConditionPipeline: the same parts, which take
    conditions (a first or last frame at any index, a video)."""
    folder = ltx_dir(out)
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": "LTXConditionPipeline"}))
    return folder


def cogvideox_dir(out: Path) -> Path:
    """A CogVideoXPipeline (text to video) folder: one-layer transformer, a 4-stage VAE (8x space, 4x time)."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    text_encoder, tokenizer = tiny_t5(32)
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=226,
    )  # fmt: skip
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        down_block_types=("CogVideoXDownBlock3D",) * 4, up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8), latent_channels=4, layers_per_block=1, norm_num_groups=2,
        temporal_compression_ratio=4,
    )  # fmt: skip
    pipe = CogVideoXPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    pipe.save_pretrained(out)
    return out


def hub_at(monkeypatch, url: str, cache: Path) -> None:
    """Point huggingface_hub at a test hub (`url`) with an empty cache (`cache`), online and with its own
    quick-check timeout, for one test."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_ETAG_TIMEOUT", raising=False)


@contextlib.contextmanager
def failing_hub(monkeypatch, cache: Path, status: int = 503) -> Iterator[tuple[str, list[str]]]:
    """huggingface_hub pointed (`hub_at`) at a local server that answers every request `status`, with an
    empty cache at `cache`: (its url, the requests it got) while the block runs."""
    import http.server
    import threading

    got: list[str] = []

    class Hub(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            got.append(f"{self.command} {self.path}")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = _answer

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    hub_at(monkeypatch, url, cache)
    try:
        yield url, got
    finally:
        server.shutdown()
        server.server_close()


def wan22_dir(out: Path, kind: str = "ti2v") -> Path:
    """A Wan 2.2-shaped folder. `ti2v` (as Wan2.2-TI2V-5B): a WanPipeline with `expand_timesteps` and a
    VAE of z_dim 48 that compresses space 16x (a 2x2 patchify, residual blocks). `t2v` / `i2v` (as
    Wan2.2-T2V/I2V-A14B): two transformers (`transformer` for high noise, `transformer_2` for low) and a
    `boundary_ratio`, Wan 2.1's VAE; the I2V one a WanImageToVideoPipeline without an image encoder."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanPipeline,
        WanTransformer3DModel,
    )

    text_encoder, tokenizer = tiny_t5(32)
    torch.manual_seed(0)
    if kind == "ti2v":
        z = 48
        vae = AutoencoderKLWan(
            base_dim=4, decoder_base_dim=4, z_dim=z, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
            temperal_downsample=[False, True, True], is_residual=True, in_channels=12, out_channels=12,
            patch_size=2, scale_factor_spatial=16, latents_mean=[0.0] * z, latents_std=[1.0] * z,
        )  # fmt: skip
    else:
        z = 16
        vae = wan_vae()
    channels = z + (z + 4 if kind == "i2v" else 0)  # I2V: the noise, the first frame's latents, its mask

    def transformer(seed: int):
        torch.manual_seed(seed)
        return WanTransformer3DModel(in_channels=channels, **{**WAN_TRANSFORMER, "out_channels": z})

    parts = dict(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer(0))
    parts["scheduler"] = FlowMatchEulerDiscreteScheduler(shift=5.0)
    if kind == "ti2v":
        pipe = WanPipeline(**parts, expand_timesteps=True)
    else:
        two = dict(transformer_2=transformer(1), boundary_ratio=0.875 if kind == "t2v" else 0.9)
        pipe = (WanPipeline if kind == "t2v" else WanImageToVideoPipeline)(**parts, **two)
    pipe.save_pretrained(out)
    return out


def tiny_lora(weights: Path, out: Path, seed: int = 0, targets: tuple[str, ...] = ("to_q", "to_v")) -> Path:
    """A random rank-2 LoRA (peft) on the attention of the transformer in `weights` (a Wan folder), saved
    by the pipeline's `save_lora_weights` as `out` (a .safetensors file): as diffusers' LoRA trainers
    write them."""
    from diffusers import WanPipeline, WanTransformer3DModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    transformer = WanTransformer3DModel.from_pretrained(weights, subfolder="transformer")
    torch.manual_seed(seed)
    transformer.add_adapter(
        LoraConfig(r=2, lora_alpha=2, init_lora_weights=False, target_modules=list(targets))
    )
    layers = {k: v * 20 for k, v in get_peft_model_state_dict(transformer).items()}  # a change frames show
    WanPipeline.save_lora_weights(out.parent, transformer_lora_layers=layers, weight_name=out.name)
    return out


def wan_i2v_dir(out: Path, flf2v: bool = False) -> Path:
    """A Wan 2.1 WanImageToVideoPipeline folder: the first frame's latents and mask beside the noise (36
    channels in), a tiny CLIP vision encoder and its image processor for the image embedding; `flf2v`: a
    transformer that embeds two images (a first and a last frame: Wan 2.1 FLF2V's `pos_embed_seq_len`)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline, WanTransformer3DModel
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    text_encoder, tokenizer = tiny_t5(32)
    vae = wan_vae()
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        in_channels=36, image_dim=4, **WAN_TRANSFORMER,
        pos_embed_seq_len=2 * (32 * 32 + 1) if flf2v else None,  # the CLIP's tokens of both images
    )  # fmt: skip
    torch.manual_seed(0)
    encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=32,
            intermediate_size=16, patch_size=1,
        )
    )  # fmt: skip
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer, image_encoder=encoder, image_processor=CLIPImageProcessor(crop_size=32, size=32),
    )  # fmt: skip
    pipe.save_pretrained(out)
    return out


def wan_vace_dir(out: Path) -> Path:
    """A Wan 2.1 WanVACEPipeline folder: Wan's tiny VAE and a 2-layer VACE transformer whose control stream
    (layer 0) takes the kept and made frames' latents and the mask (2 x 16 + 8 x 8 channels)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanVACEPipeline, WanVACETransformer3DModel

    text_encoder, tokenizer = tiny_t5(32)
    vae = wan_vae()
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(
        in_channels=16, vace_layers=[0], vace_in_channels=96, **WAN_TRANSFORMER
    )
    pipe = WanVACEPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    )  # fmt: skip
    pipe.save_pretrained(out)
    return out
