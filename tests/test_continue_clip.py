"""A real clip continued by a video diffusion model (`vidiff generate --clip --weights --prompt`,
`vidiff.generate.continue_clip`), with tiny random pipelines (tests/tiny_pipes.py) on carphone's first 12
frames (cut to a 30 fps clip with a 440 Hz tone): the conditioning frames that reach the pipeline's
`prepare_latents` are the clip's last ones, the clip comes through unchanged, its sound stays under its
part, the same seed gives the same bytes, and each option that does not apply is one line, through the
CLI, the API, the social_clip recipe and the web app."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import sha256
from tiny_pipes import generate_json, ltx_condition_dir, ltx_dir, one_line_refusal, wan_dir

from vidiff.cli import main
from vidiff.generate.social import reframe
from vidiff.io.samples import sample_clip

pytest.importorskip("transformers")

N_CLIP = 12
TONE_HZ = 440
# 1 step, 32x32 keyframes, 17 a window (LTX: 8k+1), DIS between them; the output at the clip's own size
# and rate (no --aspect, no --fps)
TINY = ["--steps", "1", "--keyframe-size", "32x32", "--frames", "17", "--interpolate", "dis"]
TINY += ["--preset", "ultrafast", "--prompt", "a cat", "--quiet"]


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _cut(path: Path, n: int = N_CLIP, tone: bool = True, fps: int = 30) -> Path:
    """carphone's first `n` frames at `fps`, lossless, with `n` / `fps` s of a tone (`tone`)."""
    with av.open(str(sample_clip("carphone_pristine"))) as c:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(n), c.decode(video=0), strict=False)]
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 176, 144, "yuv420p"
        s.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        a = c.add_stream("aac", rate=48000) if tone else None
        if a is not None:
            a.layout = "stereo"
        for im in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(im, format="rgb24")))
        c.mux(s.encode(None))
        if a is not None:
            x = (0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(48000 * n // fps) / 48000)).astype(np.float32)
            for k in range(0, len(x), 1024):
                fr = av.AudioFrame.from_ndarray(
                    np.stack([x[k : k + 1024]] * 2), format="fltp", layout="stereo"
                )
                fr.sample_rate, fr.pts = 48000, k
                c.mux(a.encode(fr))
            c.mux(a.encode(None))
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return _cut(tmp_path_factory.mktemp("clip") / "cut.mp4")


@pytest.fixture(scope="module")
def ltx_cond(tmp_path_factory) -> Path:
    """A tiny LTX-Video folder saved as LTXConditionPipeline (the same parts: a video condition)."""
    return ltx_condition_dir(tmp_path_factory.mktemp("ltxc") / "w")


@pytest.fixture(scope="module")
def ltx(tmp_path_factory) -> Path:
    """A tiny LTXPipeline: a window starts from a frame through LTXImageToVideoPipeline (image to video)."""
    return ltx_dir(tmp_path_factory.mktemp("ltx") / "w")


def _spy(monkeypatch, cls: type) -> list[dict]:
    """The keyword arguments of each `cls.prepare_latents` call (the real one runs)."""
    calls: list[dict] = []
    real = cls.prepare_latents

    def spy(self, *args, **kwargs):
        calls.append(kwargs | {"_args": args})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "prepare_latents", spy)
    return calls


def _as_frames(t) -> np.ndarray:
    """A pipeline's preprocessed (1, 3, F, H, W) tensor in [-1, 1] as F RGB uint8 frames."""
    x = ((t[0].float().permute(1, 2, 3, 0).numpy() + 1) * 127.5).round().clip(0, 255)
    return x.astype(np.uint8)


def test_the_clips_last_frames_condition_ltx_and_the_clip_comes_through(
    tmp_path, capsys, monkeypatch, clip, ltx_cond
):
    """LTXConditionPipeline gets 9 of the clip's frames as one video condition (its last frame last, the
    frames nearest 24 fps times before it: 1.25 clip frames apart), its first 9 keyframes are dropped, the
    8 new ones filled in to 30 fps; the output, at the clip's own 176x144 and 30 fps, holds the clip's 12
    frames unchanged (within the encoder's loss), then 11 new ones, and the tone under the clip's part only."""
    from diffusers import LTXConditionPipeline

    calls = _spy(monkeypatch, LTXConditionPipeline)
    out = tmp_path / "o.mp4"
    rc, rep = generate_json(capsys, out, ltx_cond, "--clip", str(clip), *TINY, "--crf", "0")
    assert rc == 0, rep
    assert (rep["pipeline"], rep["conditioning"], rep["conditioning_frames"]) == (
        "LTXConditionPipeline",
        "video",
        9,
    )
    assert (rep["frames_kept"], rep["keyframes_made"], rep["frames_made"], rep["frames"]) == (12, 8, 11, 23)
    assert rep["keyframe_size"] == [32, 32] and rep["audio"] == "the clip's"
    assert (rep["size"], rep["fps"]) == ([176, 144], 30)
    assert isinstance(rep["join_flicker"], float) and rep["join_flicker"] > 0
    (cond,) = calls[0]["_args"][0]  # `conditions`: the preprocessed video condition the VAE encodes
    got = _as_frames(cond)
    src = _frames(clip)
    picks = [N_CLIP - 1 - round((8 - j) * 1.25) for j in range(9)]
    want = np.stack([reframe(src[i], (32, 32)) for i in picks])
    assert got.shape == want.shape and np.abs(got.astype(int) - want).mean() < 2.0  # 8-bit rounding
    small = [reframe(f, (32, 32)).astype(int) for f in src]
    nearest = [int(np.argmin([np.abs(g - f).mean() for f in small])) for g in got]
    assert nearest == picks  # each is that clip frame, not a neighbour
    assert picks[-1] == N_CLIP - 1 and picks[0] == 1
    made = _frames(out)
    assert len(made) == 23
    assert made[0].shape == (144, 176, 3)
    for a, b in zip(made[:N_CLIP], src, strict=False):  # the clip's own frames, not remade
        assert np.abs(a.astype(float) - b).mean() < 1.0  # crf 0: the YUV round trip's rounding only
    with av.open(str(out)) as c:
        assert float(c.streams.video[0].average_rate) == 30
        sound = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    split = 48000 * N_CLIP // 30
    assert np.abs(sound[2000 : split - 3000]).mean() > 0.1  # the tone under the clip
    assert np.abs(sound[split + 2000 :]).max() < 0.01  # silence under the continuation


def test_image_to_video_takes_the_last_frame_and_the_same_seed_gives_the_same_bytes(
    tmp_path, capsys, monkeypatch, clip, ltx
):
    """LTXPipeline's windows start from a frame through LTXImageToVideoPipeline: its image is the clip's
    last frame reframed to the keyframes (the `--image` rule); --extend 0.5 s is 12 keyframes at 24 fps
    past it (2 windows of 9); run twice, one file."""
    from diffusers import LTXImageToVideoPipeline

    calls = _spy(monkeypatch, LTXImageToVideoPipeline)
    outs = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    args = ["--clip", str(clip), *TINY, "--frames", "9", "--extend", "0.5", "--seed", "3"]
    for out in outs:
        rc, rep = generate_json(capsys, out, ltx, *args)
        assert rc == 0, rep
    assert (rep["conditioning"], rep["conditioning_frames"], rep["keyframes_made"], rep["windows"]) == (
        "image",
        1,
        12,
        2,
    )
    assert sha256(outs[0]) == sha256(outs[1])
    image = _as_frames(calls[0]["_args"][0].unsqueeze(2))[0]  # `image`: the preprocessed still
    last = reframe(_frames(clip)[-1], (32, 32))
    assert np.abs(image.astype(int) - last).mean() < 2.0  # 8-bit rounding


def test_a_text_to_video_model_that_takes_no_image_is_one_line(tmp_path, capsys, clip):
    wan = wan_dir(tmp_path / "wan")
    err = one_line_refusal(capsys, tmp_path / "o.mp4", wan, "--clip", str(clip), *TINY[:2], "--prompt", "x")
    assert "cannot continue a clip" in err and "WanImageToVideoPipeline, WanVACEPipeline" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--loop"], "loop with a clip and a model"),
        (["--last-image", "LAST"], "last_image ends a clip made from image"),
        (["--seconds", "2"], "seconds does not apply to a clip continued by a video diffusion model"),
        (["--scheme", "hierarchical"], "scheme does not apply"),
        (["--method", "diffusion"], "method applies to a clip"),
        (["--extend", "0"], "extend 0: a model continues a clip by more than 0 seconds"),
        (["--extend", "3"], "a clip is continued by 4 windows at most"),
        # was one keyframe made; at 24 fps 0.042 s is the shortest (`ClipTail.fit`)
        (
            ["--extend", "1e-9"],
            "extend 1e-09 s is shorter than one keyframe interval at 24 fps: give extend 0.042",
        ),
        (["--extend", "1e308"], "a clip is continued by 4 windows at most"),  # was an OverflowError
        (["--loop", "--transition", "1"], "loop with a clip and a model"),
    ],
)
def test_options_that_do_not_apply_are_one_line(tmp_path, capsys, clip, ltx, args, says):
    args = [str(clip) if a == "LAST" else a for a in args]
    err = one_line_refusal(
        capsys, tmp_path / "o.mp4", ltx, "--clip", str(clip), *TINY, "--frames", "9", *args
    )
    assert says in err, err


def test_the_summary_says_the_join(tmp_path, capsys, clip, ltx):
    """Without --json the run ends with the join's line (the change across it over the median change)."""
    out = tmp_path / "o.mp4"
    assert main(["generate", "-o", str(out), "--weights", str(ltx), "--clip", str(clip), *TINY[:-1]]) == 0
    err = capsys.readouterr().err
    assert "clip to continuation: flicker " in err and "(1 of the clip's frames conditioned the model)" in err


def test_no_audio_drops_the_clips_sound(tmp_path, capsys, clip, ltx):
    out = tmp_path / "o.mp4"
    rc, rep = generate_json(capsys, out, ltx, "--clip", str(clip), *TINY, "--frames", "9", "--no-audio")
    assert rc == 0, rep
    with av.open(str(out)) as c:
        assert not c.streams.audio and len(_frames(out)) == rep["frames"] == N_CLIP + rep["frames_made"]


def test_a_damaged_clip_is_continued_from_what_decodes(tmp_path, capsys, ltx):
    """carphone's first 12 frames as MPEG-TS (every frame a keyframe), its last 30% of bytes cut off: the
    frames that decode are kept and continued (the reader's damaged-input rule); with --strict one line and
    no output."""
    with av.open(str(sample_clip("carphone_pristine"))) as c:
        frames = [
            f.to_ndarray(format="rgb24") for _, f in zip(range(N_CLIP), c.decode(video=0), strict=False)
        ]
    whole = tmp_path / "whole.ts"
    with av.open(str(whole), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 176, 144, "yuv420p"
        s.codec_context.options = {"crf": "0", "preset": "ultrafast", "g": "1"}
        for im in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(im, format="rgb24")))
        c.mux(s.encode(None))
    cut = tmp_path / "cut.ts"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.7)])
    out = tmp_path / "o.mp4"
    rc, rep = generate_json(capsys, out, ltx, "--clip", str(cut), *TINY, "--frames", "9")
    assert rc == 0, rep
    kept = rep["frames_kept"]
    assert 2 <= kept < N_CLIP and len(_frames(out)) == kept + rep["frames_made"]
    err = one_line_refusal(capsys, tmp_path / "s.mp4", ltx, "--clip", str(cut), *TINY, "--strict")
    assert "damaged" in err and "strict" in err


def test_a_one_frame_clip_is_one_line(tmp_path, capsys, ltx):
    one = _cut(tmp_path / "one.mp4", n=1, tone=False)
    err = one_line_refusal(capsys, tmp_path / "o.mp4", ltx, "--clip", str(one), *TINY)
    assert "continuing it with a model needs at least 2" in err


def test_the_api_refuses_an_image_and_a_clip_together(tmp_path, clip, ltx):
    from vidiff.errors import ConfigError
    from vidiff.generate import make_clip

    with pytest.raises(ConfigError, match="exactly one of an image"):
        make_clip(tmp_path / "o.mp4", image=str(clip), clip=str(clip), weights=str(ltx), prompt="a")
    assert not (tmp_path / "o.mp4").exists()


def test_the_recipe_and_the_web_app_continue_a_clip(tmp_path, clip, ltx):
    """`vidiff run social_clip -i CLIP generate.weights=... generate.extend=...` and the Social tab with
    an uploaded clip and weights make the same continuation as the CLI's (image to video, 7 keyframes: one
    window of 9)."""
    from social_fields import SOCIAL_CLIP, SOCIAL_UNTOUCHED, run_social, social_app

    out = tmp_path / "r.mp4"
    keys = [f"generate.weights={ltx}", "generate.prompt=a cat", "generate.steps=1", "generate.frames=9"]
    keys += [
        "generate.keyframe_size=32x32",
        "generate.extend=0.3",
        "interpolate.method=dis",
        "encode.preset=ultrafast",
    ]
    assert main(["run", "social_clip", "-i", str(clip), "-o", str(out), "-q", *keys]) == 0
    # the clip's last frame and 7 keyframes at 24 fps (8 / 24 s) at 30 fps, the first (the clip's) dropped
    assert len(_frames(out)) == N_CLIP + 9
    app, upload = social_app(tmp_path, clip)
    fields = SOCIAL_CLIP | dict(extend=0.3, prompt="a cat", weights=str(ltx))
    settings = SOCIAL_UNTOUCHED | dict(steps=1, frames=9, keyframe_size="32x32")
    status, _, made, _ = run_social(app, upload, fields, settings)
    assert status.startswith(f"Done: {N_CLIP + 9} frames"), status
    assert len(_frames(Path(made))) == N_CLIP + 9


def test_the_recipe_and_the_web_app_keep_the_clips_own_size_and_rate(tmp_path, capsys, ltx):
    """`reframe.aspect=source interpolate.fps=source` and the Social tab's "Clip's own" preset and rate
    continue a 25 fps 176x144 clip at 176x144 and 25 fps, as the CLI does with no --aspect / --fps (and
    `--fps source`); for a source with no own size to keep (a still, a clip extended without a model),
    each door is one line."""
    from social_fields import SOCIAL_CLIP, SOCIAL_UNTOUCHED, run_social, social_app

    from vidiff.ui import social

    clip25 = _cut(tmp_path / "c25.mp4", tone=False, fps=25)
    keys = [f"generate.weights={ltx}", "generate.prompt=a cat", "generate.steps=1", "generate.frames=9"]
    keys += ["generate.keyframe_size=32x32", "interpolate.method=dis", "encode.preset=ultrafast"]
    own = ["reframe.aspect=source", "interpolate.fps=source"]
    out = tmp_path / "r.mp4"
    assert main(["run", "social_clip", "-i", str(clip25), "-o", str(out), "-q", *keys, *own]) == 0
    capsys.readouterr()
    rc, cli = generate_json(
        capsys, tmp_path / "c.mp4", ltx, "--clip", str(clip25), *TINY, "--frames", "9", "--fps", "source"
    )
    assert rc == 0, cli
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height, float(s.average_rate)) == (176, 144, 25) == (*cli["size"], cli["fps"])
    assert len(_frames(out)) == cli["frames"]
    app, upload = social_app(tmp_path, clip25)
    fields = SOCIAL_CLIP | dict(
        aspect=social.OWN_CHOICE, fps=social.OWN_CHOICE, prompt="a cat", weights=str(ltx)
    )
    settings = SOCIAL_UNTOUCHED | dict(steps=1, frames=9, keyframe_size="32x32")
    status, _, made, _ = run_social(app, upload, fields, settings)
    assert status.startswith(f"Done: {cli['frames']} frames") and "176x144" in status, status
    with av.open(made) as c:
        assert float(c.streams.video[0].average_rate) == 25
    # no own size to keep: a clip extended without a model, a still
    err = run_social(app, upload, fields | dict(weights="", prompt="", seed=None), settings)[0]
    # the page's choice by its name in the page (the CLI's "source" is no word the page shows)
    assert "aspect \"Clip's own\" keeps the clip's own frame size" in err and len(err.splitlines()) == 1, err
    still = tmp_path / "s.png"
    from PIL import Image

    Image.fromarray(_frames(clip25)[0]).save(still)
    rc = main(
        ["run", "social_clip", "-i", str(still), "-o", str(tmp_path / "x.mp4"), "-q", "reframe.aspect=source"]
    )
    assert rc == 2 and "aspect source keeps the clip's own frame size" in capsys.readouterr().err
    assert (
        main(["generate", "--clip", str(clip25), "-o", str(tmp_path / "y.mp4"), "--fps", "source", "-q"]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("vidiff: error: fps source keeps the clip's own frame rate") and "\n" not in err, (
        err
    )
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "y.mp4").exists()


def test_an_odd_clips_padding_note_comes_after_every_check(tmp_path, capsys, ltx):
    """A 175x143 clip continued at its own size is written as 176x144 (yuv420p): the note saying so comes
    once every option has passed, so a refusal (4 windows at most) is one stderr line; a run that goes on
    says it once, in its report's notes too."""
    with av.open(str(sample_clip("carphone_pristine"))) as c:
        frames = [
            f.to_ndarray(format="rgb24")[:143, :175]
            for _, f in zip(range(N_CLIP), c.decode(video=0), strict=False)
        ]
    odd = tmp_path / "odd.mkv"
    with av.open(str(odd), "w") as c:
        s = c.add_stream("ffv1", rate=30)
        s.width, s.height, s.pix_fmt = 175, 143, "bgr0"
        for im in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(im, format="rgb24")))
        c.mux(s.encode(None))
    args = ["--clip", str(odd), *TINY, "--frames", "9"]
    err = one_line_refusal(capsys, tmp_path / "o.mp4", ltx, *args, "--extend", "3")
    assert "4 windows at most" in err, err
    out = tmp_path / "p.mp4"
    rc = main(["generate", "-o", str(out), "--weights", str(ltx), *args, "--json"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    rep = json.loads(cap.out)
    said = [x for x in rep["notes"] if "175x143 is written as 176x144" in x]
    assert rep["size"] == [175, 143] and len(said) == 1 and cap.err.count("is written as") == 1, cap.err
    assert said[0].endswith("yuv420p needs even sides; --pix-fmt yuv444p keeps the size)"), said
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (176, 144)
    # the Social tab says it without the --pix-fmt hint: the page has no pixel-format choice
    from social_fields import SOCIAL_CLIP, SOCIAL_UNTOUCHED, run_social, social_app

    from vidiff.ui import social

    app, upload = social_app(tmp_path, odd)
    fields = SOCIAL_CLIP | dict(
        aspect=social.OWN_CHOICE, fps=social.OWN_CHOICE, prompt="a cat", weights=str(ltx)
    )
    status = run_social(
        app, upload, fields, SOCIAL_UNTOUCHED | dict(steps=1, frames=9, keyframe_size="32x32")
    )[0]
    assert "175x143 is written as 176x144" in status and status.endswith("yuv420p needs even sides)"), status


def test_a_still_given_as_the_clip_says_to_give_it_as_image(tmp_path, capsys, ltx):
    """A PNG as --clip said "has only 1 frame" (extension, or a model's continuation) without saying what
    to do: one line pointing to --image, with or without weights."""
    from PIL import Image

    still = tmp_path / "s.png"
    Image.new("RGB", (32, 32), (200, 40, 40)).save(still)
    err = one_line_refusal(capsys, tmp_path / "o.mp4", ltx, "--clip", str(still), *TINY)
    assert err == f"vidiff: error: {still}: a still: give it as --image", err
    assert main(["generate", "--clip", str(still), "-o", str(tmp_path / "e.mp4"), "-q"]) == 2
    assert capsys.readouterr().err.strip() == f"vidiff: error: {still}: a still: give it as --image"


def test_the_clip_is_probed_once(tmp_path, capsys, clip, ltx, monkeypatch):
    """Its own size and rate (no --aspect / --fps) and its tail come from one probe (were two)."""
    import vidiff.io.probe as probe_module

    real, probed = probe_module.probe, []

    def counted(path, *args, **kwargs):
        probed.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(probe_module, "probe", counted)
    err = one_line_refusal(capsys, tmp_path / "o.mp4", ltx, "--clip", str(clip), *TINY, "--extend", "3")
    assert "4 windows at most" in err and probed.count(str(clip)) == 1, probed
