"""First and last frame to video (ComfyUI's "FLF2V"): the clip starts on a still and ends on another.

Which pipelines take an end frame is the backend's to say (`Backend.end_frame_refusal`, checked before the
weights load); how it is passed is the backend's too (`Backend.with_end_frame`). Here: the refusals that
hold for every backend (`check_request`, `check_backend`, `check_windows`), the rule of Wan-shaped image
embeddings, and the plan whose last window ends on the clip's last keyframe (`fit`), so the still is the
clip's last frame and not cut off with the frames past `seconds`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vidiff.errors import ConfigError

if TYPE_CHECKING:
    from vidiff.generate.backends.base import Backend
    from vidiff.generate.keyframes import Plan

# keyframes added at most past the asked-for count to land the last one on a frame the model ends on
MAX_EXTRA_KEYFRAMES = 64


def image_embeddings(transformer: Any) -> int:
    """Images a Wan-shaped transformer's config embeds with CLIP beside the text: 0 (none: Wan 2.2),
    1 (Wan 2.1 I2V), 2 (`pos_embed_seq_len`: Wan 2.1 FLF2V). Given a last still, diffusers embeds both:
    a one-image transformer fails deep in its image embedder, and a two-image one fails without it."""
    if not transformer or transformer.get("image_dim") is None:
        return 0
    return 2 if transformer.get("pos_embed_seq_len") else 1


class ImageEmbeds:
    """For Wan-shaped backends (Wan, SkyReels V2): how many stills the transformer embeds, from the loaded
    pipeline's config or, before loading, the saved one; a two-image transformer needs an end frame."""

    pipe: Any
    configs: dict[str, Any]

    @property
    def needs_end_frame(self) -> bool:
        """A transformer that embeds two images (Wan 2.1 FLF2V) fails on one: every window ends on a still."""
        return self._image_embeds() == 2

    def _image_embeds(self) -> int:
        config = self.pipe.transformer.config if self.pipe is not None else self.configs.get("transformer")
        return image_embeddings(config)


ONE_IMAGE = "its transformer embeds one image (no pos_embed_seq_len: not first-last-frame weights)"


def check_request(image: object, loop: bool) -> None:
    """A one-line ConfigError when a last frame is asked for without a first frame (`image`) or with a
    loop (its end leads back to its start), before the weights are looked up."""
    if image is None:
        raise ConfigError("last_image is the clip's last frame after image, its first: give image too")
    if loop:
        raise ConfigError("last_image ends the clip on that still and loop ends it on its start: give one")


def check_backend(backend: Backend) -> None:
    """A one-line ConfigError for weights whose pipeline takes no end frame (before they load)."""
    why = backend.end_frame_refusal()
    if why is not None:
        raise ConfigError(f"last_image: these {backend.kind} weights cannot end a clip on a frame: {why}")


def check_windows(backend: Backend, p: Plan, last: bool) -> None:
    """A one-line ConfigError where weights that end every window on a still (`needs_end_frame`) are
    given none (`last`), or a clip longer than one window: only the last window has one."""
    if not backend.needs_end_frame:
        return
    if not last:
        raise ConfigError(
            f"these {backend.kind} weights make a clip from a first and a last frame: give last_image"
        )
    if p.windows > 1:
        most = (p.window - 1) / float(p.gen_rate)
        raise ConfigError(
            f"these {backend.kind} weights end every window on a last frame, and this clip needs "
            f"{p.windows} windows of {p.window} frames: use seconds {most:.2f} or less"
        )


def fit(backend: Backend, p: Plan) -> Plan:
    """`p` with its last keyframe on the last frame the model makes: the keyframe count raised (by the
    fewest) until the last one falls on a frame count the model takes, and the last window made only as
    long as that needs (so nothing past it is cut off). A clip runs at most a window's frame step longer.
    The frames a later window carries (`p.carry`, k·m+1) keep its count one the model takes."""
    from vidiff.generate.keyframes import picked, windows_for

    for total in range(p.total, p.total + MAX_EXTRA_KEYFRAMES):
        pick = None if p.pick is None else picked(p.gen_rate / p.rate, total, p.lead)
        last = total - 1 if pick is None else pick[-1]
        if last % backend.frame_step == 0:
            break
    else:  # no rate the plan allows comes here (frame_step frames at most between fits)
        raise ConfigError(
            f"last_image: no keyframe count near {p.total} ends on a frame {backend.name} makes; "
            "give another seconds or keyframe_fps"
        )
    need = last + 1
    window = min(p.window, need)
    windows = windows_for(need, window, p.carry)
    return replace(
        p,
        total=total,
        need=need,
        window=window,
        windows=windows,
        pick=pick,
        last_window=need - (windows - 1) * (window - p.carry),  # each later window adds window - carry
    )
