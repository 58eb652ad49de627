"""Tiny randomly initialised LTX-2 pipelines (LTX2Pipeline, LTX2ImageToVideoPipeline) and a SkyReels V2
one (`skyreels_dir`) built from configs, saved with `save_pretrained`.

Nothing is downloaded. The Gemma 3 text encoder is a 2-layer `Gemma3ForConditionalGeneration` of width 32
(its SigLIP vision tower one layer) with a word-level `tokenizers` tokenizer over a few words; the video
VAE compresses space and time 4x (its config leaves the ratios out: the class works them out, as the
backend does); the audio VAE reads 16 kHz mel frames of 160 samples and the vocoder upsamples them 160x, so
its stereo waveform is 16 kHz and lasts the frames' time, as a real pipeline's (24 kHz) does.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tiny_pipes import WORDS


def tiny_gemma3(width: int = 32):
    """A 2-layer Gemma 3 (text and a one-layer vision tower) and a word-level fast tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        PreTrainedTokenizerFast,
        SiglipVisionConfig,
    )

    specials = ["<pad>", "<eos>", "<bos>"]
    vocab = {w: i for i, w in enumerate([*specials, "<unk>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>",
        model_max_length=64,
    )  # fmt: skip
    torch.manual_seed(0)
    text = Gemma3TextConfig(
        vocab_size=len(vocab) + 8, hidden_size=width, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=256,
        sliding_window=16,
    )  # fmt: skip
    vision = SiglipVisionConfig(
        hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2, image_size=16,
        patch_size=4,
    )  # fmt: skip
    config = Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4, image_token_index=3)
    return Gemma3ForConditionalGeneration(config), tokenizer


def ltx2_dir(out: Path, kind: str = "t2v") -> Path:
    """An LTX2Pipeline (`t2v`) or LTX2ImageToVideoPipeline (`i2v`) folder."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2ImageToVideoPipeline,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    text_encoder, tokenizer = tiny_gemma3()
    width, layers = (
        text_encoder.config.text_config.hidden_size,
        text_encoder.config.text_config.num_hidden_layers,
    )
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2,
        attention_head_dim=8, cross_attention_dim=16, audio_in_channels=4, audio_out_channels=4,
        audio_num_attention_heads=2, audio_attention_head_dim=4, audio_cross_attention_dim=8, num_layers=1,
        qk_norm="rms_norm_across_heads", caption_channels=width, rope_double_precision=False,
        rope_type="split",
    )  # fmt: skip
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=width, text_proj_in_factor=layers + 1, video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8, video_connector_num_layers=1,
        video_connector_num_learnable_registers=None, audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8, audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None, connector_rope_base_seq_len=32, rope_theta=10000.0,
        rope_double_precision=False, causal_temporal_positioning=False, rope_type="split",
    )  # fmt: skip
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8), layers_per_block=(1, 1), decoder_layers_per_block=(1, 1, 1),
        spatio_temporal_scaling=(True, True), decoder_spatio_temporal_scaling=(True, True),
        decoder_inject_noise=(False, False, False), downsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_residual=(False, False), upsample_factor=(1, 1), timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )  # fmt: skip
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1, attn_resolutions=None,
        in_channels=2, resolution=32, latent_channels=2, norm_type="pixel", causality_axis="height",
        dropout=0.0, mid_block_add_attention=False, sample_rate=16000, mel_hop_length=160, is_causal=True,
        mel_bins=8,
    )  # fmt: skip
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=2 * 8, hidden_channels=32, out_channels=2, upsample_kernel_sizes=[20, 32],
        upsample_factors=[10, 16], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1, output_sampling_rate=16000,
    )  # fmt: skip
    cls = LTX2ImageToVideoPipeline if kind == "i2v" else LTX2Pipeline
    pipe = cls(
        scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, audio_vae=audio_vae, text_encoder=text_encoder,
        tokenizer=tokenizer, connectors=connectors, transformer=transformer, vocoder=vocoder,
    )  # fmt: skip
    pipe.save_pretrained(out)
    return out


def skyreels_dir(out: Path) -> Path:
    """A SkyReelsV2Pipeline (text to video) folder: Wan-shaped, a 1-layer transformer with 2x2 patches and
    a VAE of 4 stages (8x space, 4x time), as tiny_pipes.wan_dir's."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        SkyReelsV2Pipeline,
        SkyReelsV2Transformer3DModel,
    )
    from tiny_pipes import tiny_t5

    text_encoder, tokenizer = tiny_t5(32)
    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    torch.manual_seed(0)
    transformer = SkyReelsV2Transformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=32, freq_dim=256, ffn_dim=32, num_layers=1, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
    )  # fmt: skip
    pipe = SkyReelsV2Pipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=8.0),
    )  # fmt: skip
    pipe.save_pretrained(out)
    return out
