"""The Social tab's generator settings as the page sends them when the user changes nothing, in the order
its handler takes them after the clip's fields (vidiff.ui.social_model.model_fields, then the GIF box):
one list for every test that calls the handler (test_ui_social_model checks it against the page)."""

SOCIAL_UNTOUCHED = dict(
    steps=None, frames=None, keyframe_fps=None, keyframe_size="", guidance=None, device="cpu", dtype="auto",
    offload="off", offline=False, lora="", transformer="", shift=None, guidance_2=None, gif=False,
    vae="", no_audio=False, last_image=None, audio_guidance=None, cache="",
    weight_dtype="default",
)  # fmt: skip
