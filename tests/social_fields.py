"""The Social tab's generator settings as the page sends them when the user changes nothing, in the order
its handler takes them after the clip's fields (vidiff.ui.social_model.model_fields, then the GIF box):
one list for every test that calls the handler (test_ui_social_model checks it against the page). As a
browser sent them (the handler's arguments logged): an empty text field is "", not None."""

SOCIAL_UNTOUCHED = dict(
    steps="", frames="", keyframe_fps="", keyframe_size="", guidance="", device="cpu", dtype="auto",
    offload="off", offline=False, lora="", transformer="", shift="", guidance_2="", gif=False,
    vae="", no_audio=False, last_image=None, audio_guidance="", cache="",
    weight_dtype="default", reference_image=None,
)  # fmt: skip

# the clip's fields (after the upload and the sample) as the page sends them untouched but for the 1:1
# preset: a 1:1 clip at 30 fps, no model (the length, extension, strength and seed are text fields)
SOCIAL_CLIP = dict(
    aspect="1:1", motion="auto", strength="0.25", seconds="4", extend="", fps=30, loop=False, music=None,
    prompt="", negative="", weights="", backend="auto", seed="0",
)  # fmt: skip


def social_app(tmp_path, clip):
    """A web app working in `tmp_path`/work and `clip` uploaded to it: (the app, the upload)."""
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    upload = app.workdir / clip.name
    upload.write_bytes(clip.read_bytes())
    return app, upload


def run_social(app, upload, fields: dict, settings: dict) -> tuple:
    """The Social tab's Make clip handler on `upload` with the clip's `fields` and the generator's
    `settings` (SOCIAL_CLIP's and SOCIAL_UNTOUCHED's order): its last (status, preview, file, report)."""
    from types import SimpleNamespace

    from vidiff.ui import social

    values = [*fields.values(), *settings.values()]
    handler = social._run_social(app)
    return list(handler(str(upload), None, *values, SimpleNamespace(session_hash="t"), lambda *a, **k: None))[
        -1
    ]
