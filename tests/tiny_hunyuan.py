"""Tiny randomly initialised HunyuanVideo 1.5 and 1.0 pipelines built from configs, saved with
`save_pretrained`.

Nothing is downloaded. 1.5: the Qwen2.5-VL text encoder is a 3-layer model of width 32 with a word-level
`tokenizers` tokenizer over a few words and a chat template whose system part is 108 tokens (the pipeline
formats its prompt through `apply_chat_template` and crops the first 108 tokens); the glyph encoder a
one-layer T5 with ByT5's byte tokenizer (it needs no files); the image encoder a one-layer SigLIP. The VAE
compresses space 16x and time 4x, as the real one; the transformer's `target_size` is 64, so its buckets
are small. 1.0 (`hv10_dir`): a Llama and a CLIP text model, each with a word-level tokenizer.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tiny_pipes import WORDS, tiny_t5

# the system message as 108 tokens, as Qwen's template makes it: the pipeline crops exactly that many, so
# the prompt's own tokens are what is left (a template of another length would crop them, or keep some)
TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'system' %}{{ '<|im_start|> ' * 108 }}"
    "{% else %}{{ m['content'] }} {% endif %}{% endfor %}"
)


def tiny_qwen(width: int = 32):
    """A 3-layer Qwen2.5-VL text model of `width` and a word-level fast tokenizer with a chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab = {w: i for i, w in enumerate([*specials, "<unk>", "system", "user", "assistant", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<|endoftext|>", eos_token="<|im_end|>", unk_token="<unk>",
        model_max_length=2048, chat_template=TEMPLATE,
    )  # fmt: skip
    tokenizer.add_special_tokens({"additional_special_tokens": specials[1:]})
    torch.manual_seed(0)
    config = Qwen2_5_VLTextConfig(
        vocab_size=len(vocab), hidden_size=width, intermediate_size=37, num_hidden_layers=3,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
        rope_scaling={"type": "mrope", "mrope_section": [4, 2, 2]},
    )  # fmt: skip
    return Qwen2_5_VLTextModel(config), tokenizer


def hv15_dir(out: Path, kind: str = "t2v", guidance: float = 6.0, meanflow: bool = False) -> Path:
    """A HunyuanVideo15Pipeline (`t2v`) or HunyuanVideo15ImageToVideoPipeline (`i2v`) folder; `meanflow`:
    a transformer as the step-distilled weights' (`use_meanflow`)."""
    from diffusers import (
        AutoencoderKLHunyuanVideo15,
        ClassifierFreeGuidance,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideo15ImageToVideoPipeline,
        HunyuanVideo15Pipeline,
        HunyuanVideo15Transformer3DModel,
    )
    from transformers import ByT5Tokenizer

    text_encoder, tokenizer = tiny_qwen(32)
    text_encoder_2, _ = tiny_t5(16)
    torch.manual_seed(0)
    vae = AutoencoderKLHunyuanVideo15(
        latent_channels=4, block_out_channels=(8, 8, 8, 8, 8), layers_per_block=1,
        spatial_compression_ratio=16, temporal_compression_ratio=4,
    )  # fmt: skip
    torch.manual_seed(0)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9, out_channels=4, num_attention_heads=2, attention_head_dim=8, num_layers=1,
        num_refiner_layers=1, mlp_ratio=2.0, text_embed_dim=32, text_embed_2_dim=16, image_embed_dim=8,
        rope_axes_dim=(2, 2, 4), target_size=64, task_type=kind, use_meanflow=meanflow,
    )  # fmt: skip
    parts = dict(
        text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer, vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0), text_encoder_2=text_encoder_2,
        tokenizer_2=ByT5Tokenizer(), guider=ClassifierFreeGuidance(guidance_scale=guidance),
    )  # fmt: skip
    if kind == "i2v":
        from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel

        torch.manual_seed(0)
        encoder = SiglipVisionModel(
            SiglipVisionConfig(
                hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                image_size=32, patch_size=8,
            )
        )  # fmt: skip
        processor = SiglipImageProcessor(size={"height": 32, "width": 32})
        pipe = HunyuanVideo15ImageToVideoPipeline(**parts, image_encoder=encoder, feature_extractor=processor)
    else:
        pipe = HunyuanVideo15Pipeline(**parts)
    pipe.save_pretrained(out)
    return out


def _word_tokenizer(specials: list[str], max_length: int):
    """A word-level fast tokenizer over WORDS with `specials` (pad, eos, then others) that splits words
    into pieces of at most 4 characters: HunyuanVideo 1.0's prompt template then runs past the 95 tokens
    the pipeline crops, so the prompt's own tokens stay."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate([*specials, "<unk>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"\w{1,4}|[^\w\s]"), behavior="isolated")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=specials[0], eos_token=specials[1], unk_token="<unk>",
        model_max_length=max_length,
    )  # fmt: skip
    tokenizer.add_special_tokens({"additional_special_tokens": specials[2:]})
    return tokenizer, len(vocab)


def hv10_dir(out: Path) -> Path:
    """A HunyuanVideoPipeline (1.0, text to video) folder: a 3-layer Llama text model, a one-layer CLIP
    text model, a VAE that compresses space 8x and time 4x, a transformer with 2x2 patches."""
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoPipeline,
        HunyuanVideoTransformer3DModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaModel

    specials = ["<pad>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"]
    tokenizer, n = _word_tokenizer(specials, 1024)
    torch.manual_seed(0)
    text_encoder = LlamaModel(
        LlamaConfig(
            vocab_size=n, hidden_size=16, intermediate_size=37, num_hidden_layers=3, num_attention_heads=2,
            num_key_value_heads=2, max_position_embeddings=1024,
        )
    )  # fmt: skip
    tokenizer_2, n2 = _word_tokenizer(["<pad>", "</s>"], 77)
    torch.manual_seed(0)
    text_encoder_2 = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=n2, hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
            max_position_embeddings=77, projection_dim=8, eos_token_id=1, pad_token_id=0, bos_token_id=0,
        )
    )  # fmt: skip
    torch.manual_seed(0)
    vae = AutoencoderKLHunyuanVideo(
        latent_channels=4, block_out_channels=(8, 8, 8, 8), layers_per_block=1, norm_num_groups=4,
        spatial_compression_ratio=8, temporal_compression_ratio=4,
    )  # fmt: skip
    torch.manual_seed(0)
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=8, num_layers=1,
        num_single_layers=1, num_refiner_layers=1, patch_size=2, patch_size_t=1, text_embed_dim=16,
        pooled_projection_dim=8, rope_axes_dim=(2, 2, 4),
    )  # fmt: skip
    pipe = HunyuanVideoPipeline(
        text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer, vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
    )  # fmt: skip
    pipe.save_pretrained(out)
    return out
