"""`vidiff generate`: extension beats repeating the last frame, loops are seamless, presets are right."""

import json

import av
import cv2
import numpy as np
import pytest
import skimage.data
import torch
from conftest import TINY_MODEL, write_clip

from vidiff.cli import main
from vidiff.generate.schemes import extend_frames, loop_frames, mean_step
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames


def psnr(a, b):
    return 10 * np.log10(255**2 / np.mean((a.astype(float) - b) ** 2))


@pytest.mark.parametrize("scheme", ["autoregressive", "hierarchical"])
def test_extension_beats_repeating_last_frame_and_moves_like_the_clip(bikes, scheme):
    frames = read_frames(bikes)
    gen, rep, flicker = [], [], []
    for s in (40, 100, 150, 200):  # inside shots (cuts at 30, 76, 137, 187, 242)
        new = extend_frames(frames[s - 3 : s], 4, scheme=scheme)
        gen += [psnr(g, t) for g, t in zip(new, frames[s : s + 4], strict=True)]
        rep += [psnr(frames[s - 1], t) for t in frames[s : s + 4]]
        flicker.append(np.mean(mean_step([frames[s - 1], *new])) / np.mean(mean_step(frames[s - 1 : s + 4])))
    assert np.mean(gen) > np.mean(rep) + 0.5, (np.mean(gen), np.mean(rep))
    assert 0.8 <= np.mean(flicker) <= 1.2, flicker  # generated segments move like the real clip


def test_loop_from_bikes_is_seamless(tmp_path, capsys, bikes):
    shot = read_frames(bikes, max_frames=76)[40:]  # decoded no further than the shot
    clip = write_clip(tmp_path / "shot.mp4", shot)
    out = tmp_path / "loop.mp4"
    code = main(
        [
            "generate",
            "--clip",
            str(clip),
            "-o",
            str(out),
            "--loop",
            "--aspect",
            "16:9",
            "--fps",
            "25",
            "--json",
            "--quiet",
            "--preset",
            "ultrafast",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["frames_loop"] > 0
    frames = read_frames(out)
    clip_median = np.median(mean_step(frames[: len(shot)]))  # the clip's own frames, as output
    jump = mean_step([frames[-1], frames[0]])[0]
    assert jump <= clip_median, (jump, clip_median)


def test_still_zoom_in_really_zooms(tmp_path):
    from vidiff.generate.motion import camera_frames

    frames = camera_frames(skimage.data.astronaut(), 20, (256, 256), "zoom-in", strength=0.3)
    # the last frame is the first one magnified about the centre by 1.3
    a, b = frames[0], frames[-1]
    zoomed = cv2.warpAffine(a, cv2.getRotationMatrix2D((127.5, 127.5), 0, 1.3), (256, 256))
    inner = (slice(40, 216), slice(40, 216))
    assert psnr(zoomed[inner], b[inner]) > 25 > psnr(a[inner], b[inner])


def test_a_stills_frames_are_made_as_they_are_written(tmp_path, monkeypatch):
    """A still's camera frames were all made before the first was written (a list: a minute of 1080x1920
    at 60 fps is 22 GB, 10 s at 30 fps peaked at 1.9 GB): each is now made when the encoder takes it,
    the same frames as `camera_frames`, and a bad motion is still refused before the output is opened."""
    from vidiff.errors import ConfigError
    from vidiff.generate import clip as clip_mod
    from vidiff.generate import make_clip, motion
    from vidiff.io.writer import VideoWriter

    events = []
    made, written = motion._camera_frame, VideoWriter.write
    monkeypatch.setattr(motion, "_camera_frame", lambda *a: events.append("made") or made(*a))
    monkeypatch.setattr(VideoWriter, "write", lambda self, f: events.append("written") or written(self, f))
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    out = tmp_path / "s.mp4"
    rep = make_clip(
        out, image=str(still), seconds=0.25, fps=24, aspect="1:1", preset="ultrafast", progress=False
    )
    made_from = events.index("made")  # the writes before: the encoder's trial of the options
    assert rep["frames"] == 6 and events[made_from:] == ["made", "written"] * 6, events
    want = motion.camera_frames(clip_mod._load_image(str(still)), 6, (1080, 1080), "auto", 0.25)
    got = read_frames(out)
    assert len(got) == 6 and all(psnr(g, w) > 35 for g, w in zip(got, want, strict=True))
    with pytest.raises(ConfigError, match="unknown motion 'spin'"):
        make_clip(tmp_path / "m.mp4", image=str(still), motion="spin", progress=False)
    assert not (tmp_path / "m.mp4").exists()


@pytest.mark.parametrize(
    "aspect, size", [("9:16", (1080, 1920)), ("1:1", (1080, 1080)), ("16:9", (1920, 1080))]
)
def test_presets_pass_probe_check(tmp_path, capsys, bbb, aspect, size):
    img = tmp_path / "coffee.png"
    cv2.imwrite(str(img), cv2.cvtColor(skimage.data.coffee(), cv2.COLOR_RGB2BGR))
    out = tmp_path / f"social_{aspect.replace(':', 'x')}.mp4"
    code = main(
        [
            "generate",
            "--image",
            str(img),
            "-o",
            str(out),
            "--seconds",
            "0.5",
            "--aspect",
            aspect,
            "--fps",
            "30",
            "--audio",
            str(bbb),
            "--quiet",
            "--preset",
            "veryfast",
            "--strip",
            str(tmp_path / "s.png"),
        ]
    )
    assert code == 0
    info = probe(out)
    assert (info.width, info.height) == size and info.fps == 30 and info.n_frames == 15
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.profile == "High"
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # +faststart: the index comes first
    assert info.audio[0].codec == "aac" and info.audio[0].duration == pytest.approx(0.5, abs=0.05)
    assert cv2.imread(str(tmp_path / "s.png")).shape[0] == 240


def test_generate_bad_inputs(tmp_path, capsys):
    bad = tmp_path / "x.png"
    bad.write_text("not an image")
    assert main(["generate", "--image", str(bad), "-o", str(tmp_path / "o.mp4"), "--quiet"]) == 2
    assert main(["generate", "--image", str(bad), "-o", str(tmp_path / "o.mp4"), "--aspect", "3:2"]) == 2
    err = capsys.readouterr().err
    assert "not a readable image" in err and "unknown aspect" in err
    assert not (tmp_path / "o.mp4").exists()


def test_generate_into_webm_writes_vp9(tmp_path):
    """`-o x.webm` was refused ('use codec vp9', an option vidiff generate does not have, then 'use .mp4'):
    the default codec follows the container (`auto`: VP9 for .webm)."""
    still = tmp_path / "s.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    out = tmp_path / "o.webm"
    assert main(["generate", "--image", str(still), "-o", str(out), "--seconds", "0.5", "--quiet"]) == 0
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "vp9"
        assert sum(1 for _ in c.decode(video=0)) > 1


def test_generate_into_a_folder_says_it_writes_a_video_file(tmp_path, capsys):
    """`-o out/` said "unknown output extension '(none)'"; a folder (named with a slash, or one that
    exists) is one line saying a video file is written (generate writes no image frames)."""
    still = tmp_path / "s.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    (tmp_path / "there").mkdir()
    for out in (f"{tmp_path / 'new'}/", str(tmp_path / "there")):
        assert main(["generate", "--image", str(still), "-o", out, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert (
            err.startswith(f"vidiff: error: {out}: is a folder;") and ".mp4" in err and err.count("\n") == 1
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png", "there"] and not any(
        (tmp_path / "there").iterdir()
    )


@pytest.mark.parametrize("source", ["image", "clip"])
def test_bad_music_is_refused_before_any_frame_is_made(tmp_path, capsys, monkeypatch, source):
    """--audio that is no audio was refused after every frame of a still or a clip's extension had been
    made (9 s of a 4 s still here): one line now, before any of them (as with a model)."""
    from vidiff.generate import motion, schemes

    monkeypatch.setattr(motion, "_camera_frame", lambda *a: pytest.fail("a camera frame was made"))
    monkeypatch.setattr(schemes, "iter_extend", lambda *a, **k: pytest.fail("the clip was extended"))
    rng = np.random.default_rng(0)
    frames = list(rng.integers(0, 255, (4, 32, 48, 3), np.uint8))
    src = write_clip(tmp_path / "in.mp4", frames) if source == "clip" else tmp_path / "in.png"
    if source == "image":
        cv2.imwrite(str(src), frames[0])
    music = tmp_path / "music.png"  # not audio
    cv2.imwrite(str(music), frames[0])
    out = tmp_path / "o.mp4"
    assert main(["generate", f"--{source}", str(src), "-o", str(out), "--audio", str(music), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("vidiff: error: ") and "music.png" in err and len(err.splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--weights", "w", "--aspect", "1:1"], "weights w: no such folder"),  # a model continues it
        (["--steps", "2"], "steps applies to"),
        (["--device", "cuda"], "device applies to"),
        (["--method", "diffusion", "--device", "gpu0"], "unknown device"),
        (["--scheme", "hierarchical", "--method", "diffusion", "--steps", "0"], "steps must be between"),
    ],
)
def test_generate_model_options_are_checked(tmp_path, capsys, carphone, extra, message):
    out = tmp_path / "o.mp4"
    assert main(["generate", "--clip", str(carphone), "-o", str(out), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize(
    "source, extra, message",
    [
        ("clip", ["--seconds", "3"], "seconds does not apply to a clip"),
        ("clip", ["--motion", "zoom-in"], "motion does not apply to a clip"),
        ("clip", ["--strength", "0.5"], "strength does not apply to a clip"),
        ("clip", ["--strength", "0.25"], "strength does not apply to a clip"),  # the default's value, given
        ("image", ["--extend", "0.2"], "extend does not apply to a still"),
        ("image", ["--scheme", "hierarchical"], "scheme does not apply to a still"),
    ],
)
def test_an_option_for_another_source_is_refused_not_ignored(tmp_path, capsys, source, extra, message):
    """generate --clip took --seconds, --motion and --strength and ignored them (exit 0, a clip of its own
    length); --image ignored --extend and --scheme. Each is one line now, before any work."""
    rng = np.random.default_rng(0)
    frames = list(rng.integers(0, 255, (4, 32, 48, 3), np.uint8))
    src = write_clip(tmp_path / "in.mp4", frames) if source == "clip" else tmp_path / "in.png"
    if source == "image":
        cv2.imwrite(str(src), frames[0])
    out = tmp_path / "o.mp4"
    assert main(["generate", f"--{source}", str(src), "-o", str(out), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vidiff: error: {message}: it is ") and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


@pytest.fixture(scope="module")
def untrained_dirs(tmp_path_factory):
    """Two tiny untrained models (zero-initialised output: they return their prior exactly)."""
    from vidiff.diffusion.model import VidiffModel

    dirs = []
    for name in ("inner", "outer"):
        torch.manual_seed(0)
        d = tmp_path_factory.mktemp(name)
        m = VidiffModel.from_config(TINY_MODEL)
        if name == "outer":  # an extension model trained for targets up to 8 intervals ahead
            m.info = {"config": {"data": {"task": "extrapolate", "max_tau": 8.0}}}
        m.save(d)
        dirs.append(str(d))
    return dirs


def test_untrained_refiner_leaves_the_classical_frames_unchanged(carphone, untrained_dirs):
    """Both models diffuse the residual over the very prior the schemes use without a refiner."""
    from vidiff.generate.refine import DiffusionRefiner

    frames = read_frames(carphone, max_frames=12)[5:8]
    refiner = DiffusionRefiner(*untrained_dirs)
    for scheme in ("autoregressive", "hierarchical"):
        plain = extend_frames(frames, 4, scheme=scheme)
        refined = extend_frames(frames, 4, scheme=scheme, refiner=refiner)
        assert all(np.array_equal(a, b) for a, b in zip(plain, refined, strict=True)), scheme
    loop = loop_frames(frames[0], frames[-1], 3)
    loop_refined = loop_frames(frames[0], frames[-1], 3, refiner=refiner)
    assert all(np.array_equal(a, b) for a, b in zip(loop, loop_refined, strict=True))


def test_refiner_changes_frames_within_its_reach_only(carphone, untrained_dirs, tmp_path):
    """A model with a non-zero output refines extrapolated frames up to its trained reach, no further."""
    from vidiff.diffusion.model import VidiffModel
    from vidiff.generate.refine import DiffusionRefiner

    m = VidiffModel.load(untrained_dirs[1])
    torch.manual_seed(1)
    torch.nn.init.normal_(m.unet.conv_out.weight, std=0.05)
    m.info = {"config": {"data": {"task": "extrapolate", "max_tau": 2.0}}}
    m.save(tmp_path / "outer")
    frames = read_frames(carphone, max_frames=12)[5:8]
    plain = extend_frames(frames, 4, scheme="hierarchical", stride=1)
    refined = extend_frames(
        frames,
        4,
        scheme="hierarchical",
        stride=1,
        refiner=DiffusionRefiner(untrained_dirs[0], str(tmp_path / "outer")),
    )
    changed = [not np.array_equal(a, b) for a, b in zip(plain, refined, strict=True)]
    assert changed == [True, True, False, False]  # keyframes 1 and 2 intervals ahead; 3 and 4 beyond


def test_generate_with_the_diffusion_method(tmp_path, capsys, carphone_short):
    carphone = carphone_short
    out = tmp_path / "ext.mp4"
    args = ["generate", "--clip", str(carphone), "-o", str(out), "--method", "diffusion", "--extend", "0.2"]
    args += ["--aspect", "1:1", "--fps", "25", "--json", "--quiet", "--preset", "ultrafast"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    src_fps = float(probe(carphone).fps)
    n_new = round(0.2 * src_fps)
    assert report["method"] == "diffusion" and report["frames_extended"] == n_new > 0
    seconds = (report["frames_observed"] + n_new) / src_fps
    assert probe(out).n_frames == report["frames"] and abs(report["frames"] - seconds * 25) <= 1
    code = main(["generate", "--image", str(carphone), "-o", str(out) + "x.mp4", "--method", "diffusion"])
    assert code == 2 and "method applies to a clip" in capsys.readouterr().err
