"""`vidiff generate --prompt/--image --weights`: tiny randomly initialised Wan and LTX-Video pipelines
(tests/tiny_pipes.py, built once per module, nothing downloaded) end to end through the CLI; the
backends' rules and every refusal before any work. SVD (image to video) is tests/test_svd.py.

Random weights make every frame a fresh draw, so what these tests show about a window join is only that
the join adds no jump of its own (its change is within 1.5x of the median step); that a real model's
windows continue each other's motion cannot be shown without real weights.
"""

from __future__ import annotations

import json
import shutil
from fractions import Fraction

import cv2
import numpy as np
import pytest
import skimage.data
from social_fields import SOCIAL_UNTOUCHED
from tiny_pipes import cogvideox_dir, hub_at, ltx_dir, wan_dir

from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.generate.backends import BACKENDS, resolve
from vidiff.generate.keyframes import plan
from vidiff.io.probe import probe

pytest.importorskip("transformers")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast", "--quiet"]


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


@pytest.fixture(scope="module")
def ltx(tmp_path_factory):
    return ltx_dir(tmp_path_factory.mktemp("ltx"))


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


def _generate(capsys, out, *args) -> dict:
    assert main(["generate", "-o", str(out), *args, *FAST, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_wan_prompt_to_clip_at_the_output_rate_same_seed_same_bytes(tmp_path, capsys, wan):
    args = ["--prompt", "a cat walks on the beach", "--weights", str(wan), "--seconds", "0.5"]
    args += ["--keyframe-size", "32x32", "--aspect", "1:1", "--fps", "30", "--seed", "4"]
    rep = _generate(capsys, tmp_path / "a.mp4", *args)
    assert (rep["backend"], rep["pipeline"], rep["source"]) == ("wan", "WanPipeline", "prompt")
    # 0.5 s at Wan's 16 fps: 8 keyframes from one window of 9 (4k+1), filled in to 15 frames at 30 fps
    assert (rep["keyframes"], rep["keyframe_fps"], rep["window_frames"], rep["windows"]) == (8, 16.0, 9, 1)
    info = probe(tmp_path / "a.mp4")
    assert (info.width, info.height, info.fps, info.n_frames) == (1080, 1080, 30, 15)
    assert rep["consistency"]["transitions"] == 14 and rep["consistency"]["flicker"] > 0
    _generate(capsys, tmp_path / "b.mp4", *args)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    _generate(capsys, tmp_path / "c.mp4", *args[:-1], "5")
    assert (tmp_path / "a.mp4").read_bytes() != (tmp_path / "c.mp4").read_bytes()


def test_ltx_longer_than_a_window_continues_from_the_last_frame(tmp_path, capsys, ltx, monkeypatch):
    """1.5 s at 24 fps = 36 keyframes from windows of 17: three windows, the 2nd and 3rd each started
    from the frame the one before ended on (LTXImageToVideoPipeline on the same parts), joins measured."""
    from vidiff.generate.backends.base import Backend

    starts = []
    made = []
    real = Backend.keyframes

    def spy(self, prompt, image, *a, **k):
        starts.append(None if image is None else image.copy())
        made.append(real(self, prompt, image, *a, **k))
        return made[-1]

    monkeypatch.setattr(Backend, "keyframes", spy)
    args = ["--prompt", "a red car", "--weights", str(ltx), "--seconds", "1.5", "--frames", "17"]
    rep = _generate(
        capsys, tmp_path / "l.mp4", *args, "--keyframe-size", "64x32", "--aspect", "16:9", "--fps", "24"
    )
    assert (rep["backend"], rep["windows"], rep["window_frames"], rep["keyframes"]) == ("ltx", 3, 17, 36)
    assert (
        starts[0] is None
        and np.array_equal(starts[1], made[0][-1])
        and np.array_equal(starts[2], made[1][-1])
    )
    info = probe(tmp_path / "l.mp4")
    assert (info.width, info.height, info.fps, info.n_frames) == (1920, 1080, 24, 36)
    ratios = rep["join_flicker_ratios"]
    assert len(ratios) == 2 and all(0 < r < 1.5 for r in ratios), ratios


def test_progress_shows_loading_each_windows_steps_and_the_vae_decode(tmp_path, capsys, ltx):
    """A CPU user waits minutes in each phase: a line while the weights load, a step bar per window that
    names it, then a line while the VAE decodes (after the last step, where the bar used to sit at 100%)."""
    args = ["generate", "-o", str(tmp_path / "p.mp4"), "--prompt", "a cat", "--weights", str(ltx)]
    args += ["--seconds", "0.5", "--frames", "9", "--keyframe-size", "32x32", "--steps", "2"]
    assert main([*args, "--interpolate", "dis", "--preset", "ultrafast"]) == 0
    err = capsys.readouterr().err.replace("\r", "\n")
    lines = [x.strip() for x in err.splitlines() if x.strip()]
    assert lines[:2] == [f"loading the LTXPipeline ({ltx}) on cpu ...", lines[1]]
    assert lines[1].startswith(f"loading the LTXPipeline ({ltx}) on cpu: done in ")
    for k in (1, 2):  # 12 keyframes at 24 fps: windows of 9, the 2nd from the 1st's last frame
        bars = [x for x in lines if x.startswith(f"ltx keyframes (window {k} of 2):")]
        assert any("encoding the prompt" in x for x in bars) and any("2/2" in x and "step" in x for x in bars)
    decode = [i for i, x in enumerate(lines) if x.startswith("decoding 9 frames (VAE)")]
    assert len(decode) == 4 and lines[decode[1]].startswith("decoding 9 frames (VAE): done in ")
    window2 = next(i for i, x in enumerate(lines) if "(window 2 of 2)" in x)
    wrote = next(i for i, x in enumerate(lines) if x.startswith("wrote "))
    assert decode[0] < decode[1] < window2 < decode[2] < decode[3] < wrote


def test_ltx_animates_a_still_through_the_social_clip_recipe(tmp_path, ltx, photo):
    """The recipe's generate stage takes the model keywords: an image-to-video window from the still."""
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    keys = [f"generate.weights={ltx}", "generate.prompt=a cat", "generate.steps=2", "generate.seconds=0.5"]
    keys += ["generate.keyframe_size=32x64", "encode.preset=ultrafast"]
    rep = run_recipe(
        load_recipe("social_clip").with_overrides(keys), str(photo), str(tmp_path / "r.mp4"), False
    )
    assert (rep["source"], rep["backend"], rep["keyframes"], rep["window_frames"]) == ("image", "ltx", 12, 17)
    info = probe(tmp_path / "r.mp4")
    assert (info.width, info.height, info.fps, info.n_frames) == (1080, 1920, 30, 15)


def test_social_clip_recipe_makes_a_clip_from_a_prompt_without_an_input(tmp_path, capsys, wan):
    """`vidiff run social_clip -o out.mp4 generate.prompt=... generate.weights=...` (no -i) was refused:
    it now runs text to video, and makes the same bytes as `vidiff generate` with the same options (the
    keyframes filled in by the same default method, auto: the recipe named dis)."""
    keys = ["generate.prompt=a cat walks", f"generate.weights={wan}", "generate.steps=2"]
    keys += ["generate.seconds=0.5", "generate.keyframe_size=32x64", "encode.preset=ultrafast"]
    out = tmp_path / "r.mp4"
    assert main(["run", "social_clip", "-o", str(out), *keys, "--json", "--quiet"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert (rep["recipe"], rep["source"], rep["backend"], rep["keyframes"]) == (
        "social_clip",
        "prompt",
        "wan",
        8,
    )
    info = probe(out)
    assert (info.width, info.height, info.fps, info.n_frames) == (1080, 1920, 30, 15)
    args = ["--prompt", "a cat walks", "--weights", str(wan), "--seconds", "0.5", "--keyframe-size", "32x64"]
    args += ["--steps", "2", "--preset", "ultrafast", "--json", "--quiet"]
    assert main(["generate", "-o", str(tmp_path / "g.mp4"), *args]) == 0
    assert json.loads(capsys.readouterr().out)["interpolate"] == rep["interpolate"]
    assert out.read_bytes() == (tmp_path / "g.mp4").read_bytes()


def test_weights_under_the_home_folder_as_a_recipe_writes_them(tmp_path, monkeypatch, wan):
    """`weights: ~/models/wan` in a recipe's YAML (no shell expands it; nor in the web app or the API):
    the index was read from the folder, then diffusers was given '~/models/wan' and refused it as a
    malformed hub id. It loads from the folder now."""
    from vidiff.recipes import load_recipe
    from vidiff.runner.recipe import run_recipe

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "wan").symlink_to(wan, target_is_directory=True)
    yaml = tmp_path / "t2v.yaml"
    yaml.write_text(
        "stages:\n  - generate: {prompt: a cat, weights: ~/models/wan, steps: 2, seconds: 0.3, "
        "keyframe_size: 32x32}\n  - interpolate: {method: dis, fps: 24}\n  - reframe: {aspect: '1:1'}\n"
        "  - encode: {preset: ultrafast}\n"
    )
    rep = run_recipe(load_recipe(str(yaml)), None, str(tmp_path / "o.mp4"), progress=False)
    assert (rep["backend"], rep["weights"], rep["keyframes"]) == ("wan", "~/models/wan", 5)
    assert probe(tmp_path / "o.mp4").n_frames == rep["frames"] == 8


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--weights", "{tmp}/nothing", "--prompt", "a"], "no such folder"),
        (["--weights", "{tmp}", "--prompt", "a"], "no model_index.json"),
        (["--weights", "{sd}", "--prompt", "a"], "holds a StableDiffusionPipeline, not a video pipeline"),
        (["--weights", "{part}", "--prompt", "a"], "is missing its"),
        (["--weights", "{numbered}", "--prompt", "a"], "model_index.json is not a diffusers pipeline index"),
        (["--weights", "{grown}", "--prompt", "a"], "its vae/ holds no weights for 60 of"),
        (["--weights", "{wan}"], "give a prompt"),
        (
            ["--weights", "{wan}", "--prompt", "a", "--image", "{photo}"],
            "start from a frame (WanImageToVideoPipeline, WanVACEPipeline)",
        ),
        (["--weights", "{wan}", "--prompt", "a", "--backend", "ltx"], "not backend ltx"),
        (["--weights", "{wan}", "--prompt", "a", "--frames", "10"], "takes 4k+1 frames"),
        (["--weights", "{wan}", "--prompt", "a", "--keyframe-size", "30x30"], "multiples of 16"),
        (
            ["--weights", "{wan}", "--prompt", "a", "--seconds", "10"],
            "weights that start from a frame (WanImageToVideoPipeline, WanVACEPipeline)",
        ),
        (["--weights", "{wan}", "--prompt", "a", "--keyframe-fps", "20"], "at most that"),
        (["--weights", "{wan}", "--prompt", "a", "--keyframe-fps", "1e-9"], "too low; give at least 0.001"),
        (  # was a 4 s clip (2 keyframes at 0.5 fps) for the 0.3 s asked, without a word
            ["--weights", "{wan}", "--prompt", "a", "--seconds", "0.3", "--keyframe-fps", "0.5"],
            "keyframe_fps 0.5 gives fewer than 2 keyframes in 0.3 s (a clip needs 2, which at this rate last "
            "4 s): give keyframe_fps 5 or more, or more seconds",
        ),
        (["--weights", "{wan}", "--prompt", "a", "--offload"], "use it with device cuda"),
        (["--weights", "{wan}", "--prompt", "a", "--device", "gpu0"], "unknown device"),
        (
            ["--weights", "nobody/not-cached", "--prompt", "a", "--offline"],
            "not in the local Hugging Face cache, and offline (--offline or HF_HUB_OFFLINE) nothing is "
            "downloaded: fetch it once where the hub can be reached (hf download nobody/not-cached)",
        ),
        (
            ["--weights", "{wan}", "--prompt", "a", "--audio", "{tmp}/sd/model_index.json"],
            "not a readable audio",
        ),
        (["--prompt", "a"], "a prompt needs weights"),
        (["--backend", "wan", "--prompt", "a"], "backend wan needs weights"),
        (["--image", "{photo}", "--guidance", "3"], "guidance applies to a video diffusion model"),
        ([], "give exactly one of"),
    ],
)
def test_bad_model_options_are_one_line_before_any_work(
    tmp_path, capsys, monkeypatch, wan, photo, extra, message
):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache: the hub id is not in it
    sd = tmp_path / "sd"
    sd.mkdir()
    (sd / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    part = tmp_path / "part"
    shutil.copytree(wan, part, ignore=shutil.ignore_patterns("vae"))
    grown = tmp_path / "grown"  # a VAE config with more blocks than its checkpoint: tensors left empty
    shutil.copytree(wan, grown)
    vae_config = json.loads((grown / "vae" / "config.json").read_text())
    (grown / "vae" / "config.json").write_text(json.dumps({**vae_config, "num_res_blocks": 2}))
    numbered = tmp_path / "numbered"  # a _class_name that is not a name: was 'holds a 5'
    numbered.mkdir()
    (numbered / "model_index.json").write_text(json.dumps({"_class_name": 5}))
    fill = {"tmp": tmp_path, "sd": sd, "part": part, "grown": grown, "numbered": numbered}
    fill.update(wan=wan, photo=photo)
    out = tmp_path / "o.mp4"
    code = main(["generate", "-o", str(out), "--quiet", *(x.format(**fill) for x in extra)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("vidiff: error:") and message in err and len(err.splitlines()) == 1, (
        err
    )
    assert not out.exists()


def test_a_part_without_its_checkpoint_is_one_line_in_a_fresh_process(tmp_path, wan):
    """diffusers logs its own error line for a vae/ without its checkpoint before raising: the user sees
    only vidiff's line (a subprocess: the library's log handler holds the real stderr, not pytest's)."""
    import os
    import subprocess
    import sys

    unweighted = tmp_path / "unweighted"
    shutil.copytree(wan, unweighted, ignore=shutil.ignore_patterns("*.safetensors"))
    out = tmp_path / "o.mp4"
    args = ["generate", "-o", str(out), "--prompt", "a cat", "--weights", str(unweighted), "--quiet"]
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith(f"vidiff: error: weights {unweighted}: cannot load the WanPipeline: ")
    assert not out.exists()


def _closed_port() -> int:
    """A local port nothing listens on: a connection to it is refused at once, as with no network."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hub_cache(root, repo: str, folder) -> None:
    """`folder` as hub id `repo` in a Hugging Face cache at `root` (the layout huggingface_hub writes)."""
    sha = "0123456789abcdef0123456789abcdef01234567"
    d = root / f"models--{repo.replace('/', '--')}"
    (d / "refs").mkdir(parents=True)
    (d / "refs" / "main").write_text(sha)
    shutil.copytree(folder, d / "snapshots" / sha)


@pytest.fixture
def no_hub(tmp_path, monkeypatch):
    """The hub at a local port that refuses connections, and an empty cache: huggingface_hub's calls get
    'connection refused' and retry it with backoff (~25 s) as they do without a network."""
    url = f"http://127.0.0.1:{_closed_port()}"
    hub_at(monkeypatch, url, tmp_path / "hub")
    return url


def test_a_hub_id_without_a_network_fails_at_once_in_one_line(tmp_path, capfd, no_hub):
    """Without a network a hub id waited ~25 s (huggingface_hub's five retries) before its error: one quick
    check now says at once that the hub cannot be reached, the id is not cached, and how to fetch it."""
    import logging
    import time

    class Shown(logging.Handler):  # what reached the library's handlers (its own goes to stderr)
        def emit(self, record: logging.LogRecord) -> None:
            shown.append(record.getMessage())

    shown: list[str] = []
    out = tmp_path / "o.mp4"
    handler = Shown()
    logging.getLogger("huggingface_hub").addHandler(handler)
    t0 = time.perf_counter()
    try:
        code = main(["generate", "-o", str(out), "--prompt", "a cat", "--weights", "someone/video-model"])
    finally:
        logging.getLogger("huggingface_hub").removeHandler(handler)
    took = time.perf_counter() - t0
    assert code == 2 and took < 10, took  # was 25 s and more (1.6 s on the busy 2-core machine)
    assert shown == []
    assert capfd.readouterr().err.splitlines() == [
        "looking up someone/video-model on the hub ...",
        f"vidiff: error: weights someone/video-model: cannot reach the hub ({no_hub}: [Errno 111] Connection "
        "refused), and it is not in the local Hugging Face cache: fetch it once where the hub can be reached "
        "(hf download someone/video-model), or give a local folder",
    ]
    assert not out.exists()


def test_a_cached_hub_id_runs_from_the_cache_when_the_hub_cannot_be_reached(
    tmp_path, capfd, monkeypatch, no_hub, wan
):
    """A hub id in the cache runs without the hub (a note says so), as fast as offline, and makes the
    same clip as the folder itself; offline (HF_HUB_OFFLINE) it runs with no note."""
    import time

    _hub_cache(tmp_path / "hub", "someone/tiny-wan", wan)
    args = ["--prompt", "a cat", "--seconds", "0.3", "--keyframe-size", "32x32"]
    t0 = time.perf_counter()
    hub = ["generate", "-o", str(tmp_path / "hub.mp4"), *args, "--weights", "someone/tiny-wan", *FAST]
    assert main([*hub, "--json"]) == 0
    assert time.perf_counter() - t0 < 15
    said = [
        f"note: cannot reach the hub ({no_hub}: [Errno 111] Connection refused); using someone/tiny-wan "
        "from the local Hugging Face cache"
    ]
    out, err = capfd.readouterr()
    assert (
        err.splitlines() == said and json.loads(out)["notes"] == said
    )  # the report too: the web app shows it
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert (
        main(["generate", "-o", str(tmp_path / "off.mp4"), *args, "--weights", "someone/tiny-wan", *FAST])
        == 0
    )
    assert capfd.readouterr().err == ""  # not even huggingface_hub's 'Could not reach the Hub' line
    _generate(capfd, tmp_path / "folder.mp4", *args, "--weights", str(wan))
    made = {(tmp_path / f"{k}.mp4").read_bytes() for k in ("hub", "off", "folder")}
    assert len(made) == 1


def test_offline_a_cached_hub_id_runs_without_trying_the_network(tmp_path, wan):
    """--offline tries no network at all (huggingface_hub looked its 'agent' list up on the hub even with
    local_files_only): a fresh process, the hub a local port that counts the connections made to it."""
    import os
    import socket
    import subprocess
    import sys
    import threading

    _hub_cache(tmp_path / "hub", "someone/tiny-wan", wan)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    tries = []

    def count() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            tries.append(1)
            conn.close()

    threading.Thread(target=count, daemon=True).start()
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "PYTHONWARNINGS": "ignore"}
    env["HF_ENDPOINT"] = f"http://127.0.0.1:{server.getsockname()[1]}"
    env.pop("HF_HUB_OFFLINE", None)
    out = tmp_path / "o.mp4"
    args = ["generate", "-o", str(out), "--prompt", "a cat", "--weights", "someone/tiny-wan", "--offline"]
    args += ["--seconds", "0.3", "--keyframe-size", "32x32", *FAST]
    try:
        r = subprocess.run([sys.executable, "-m", "vidiff", *args], capture_output=True, text=True, env=env)
    finally:
        server.close()
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert tries == [] and probe(out).n_frames == 10


def test_wan_image_to_video_without_ftfy_is_one_line_before_loading(
    tmp_path, capsys, monkeypatch, wan, photo
):
    """diffusers' WanImageToVideoPipeline cleans the prompt with ftfy without checking it is installed (a
    NameError traceback mid-call): refused in one line naming the package, before the model loads."""
    import sys

    from vidiff.generate.backends.base import Backend

    i2v = tmp_path / "wan_i2v"
    shutil.copytree(wan, i2v)
    index = json.loads((i2v / "model_index.json").read_text())
    (i2v / "model_index.json").write_text(json.dumps({**index, "_class_name": "WanImageToVideoPipeline"}))
    monkeypatch.setitem(sys.modules, "ftfy", None)  # not installed
    monkeypatch.setattr(Backend, "load", lambda *a, **k: pytest.fail("loaded the model"))
    out = tmp_path / "o.mp4"
    args = ["generate", "-o", str(out), "--image", str(photo), "--prompt", "a cat", "--weights", str(i2v)]
    assert main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "vidiff: error: the WanImageToVideoPipeline needs the ftfy package to read the prompt: pip install ftfy"
    )
    assert not out.exists()


def test_backend_rules_plan_windows_before_loading():
    """The models' own rules: rate, frame-count rule, windows; a text-only model refuses a second window."""
    wan = BACKENDS["wan"]("WanPipeline", "w")
    p = plan(wan, 5.0, None, None)
    assert (p.rate, p.total, p.window, p.windows, p.pick) == (16, 80, 81, 1, None)
    p = plan(wan, 2.0, 8, None)  # 8 keyframes/s from Wan's 16: every other frame of one window
    assert (p.rate, p.total, p.window, p.pick) == (8, 16, 33, tuple(range(0, 32, 2)))
    with pytest.raises(ConfigError, match="5.06 or less"):
        plan(wan, 6.0, None, None)
    i2v = BACKENDS["wan"]("WanImageToVideoPipeline", "w")
    assert plan(i2v, 10.0, None, None).windows == 2  # 160 frames: 81, then 80 more from its last
    ltx = BACKENDS["ltx"]("LTXPipeline", "w")
    p = plan(ltx, 10.0, 12, None)  # told the rate: 120 keyframes made at 12 fps, not picked from 240
    assert (p.gen_rate, p.total, p.window, p.windows) == (Fraction(12), 120, 121, 1)
    assert ltx.size(9 / 16) == (448, 768) and ltx.valid_frames(30) == 33
    with pytest.raises(ConfigError, match=r"from 9 to 257 \(e.g. 257\)$"):  # was 'e.g. 305', over the top
        plan(ltx, 10.0, None, 300)
    cog = BACKENDS["cogvideox"]("CogVideoXPipeline", "w")
    assert plan(cog, 6.0, None, None).window == 49 and cog.size(9 / 16) == (720, 480)  # its one size


@pytest.mark.slow
def test_cogvideox_prompt_to_clip(tmp_path, capsys):
    cog = cogvideox_dir(tmp_path / "cog")
    args = ["--prompt", "a dog", "--weights", str(cog), "--seconds", "1", "--frames", "9"]
    rep = _generate(capsys, tmp_path / "c.mp4", *args, "--keyframe-size", "32x32", "--aspect", "1:1")
    assert (rep["backend"], rep["keyframes"], rep["keyframe_fps"], rep["windows"]) == ("cogvideox", 8, 8.0, 1)
    info = probe(tmp_path / "c.mp4")
    assert (info.width, info.height, info.fps, info.n_frames) == (1080, 1080, 30, 30)


def test_auto_reads_the_pipeline_class_from_the_index(wan, ltx):
    assert (resolve("auto", str(wan)).name, resolve("auto", str(ltx)).name) == ("wan", "ltx")
    assert (
        resolve("auto", str(ltx)).can_condition_on_image
        and not resolve("wan", str(wan)).can_condition_on_image
    )


def test_web_app_social_tab_model_fields_reach_make_clip(tmp_path, wan):
    """The Social clip tab's prompt / weights / backend / seed fields are `make_clip`'s keywords (no
    fields: no model); a clip from them equals the command line's with the same options."""
    pytest.importorskip("gradio")
    from vidiff.generate import make_clip
    from vidiff.ui.social import _model_options

    assert _model_options("", " ", "", "auto", 3) == {}
    opts = _model_options(" a cat ", "", str(wan), "auto", 4.0)
    assert opts == {
        "prompt": "a cat",
        "negative_prompt": None,
        "weights": str(wan),
        "backend": "auto",
        "seed": 4,
    }
    common = dict(seconds=0.3, fps=24, aspect="1:1", steps=2, interpolate="dis", preset="ultrafast")
    rep = make_clip(tmp_path / "ui.mp4", keyframe_size="32x32", progress=False, **common, **opts)
    assert rep["backend"] == "wan" and probe(tmp_path / "ui.mp4").n_frames == rep["frames"]
    args = ["generate", "-o", str(tmp_path / "cli.mp4"), "--prompt", "a cat", "--weights", str(wan)]
    args += ["--seed", "4", "--seconds", "0.3", "--fps", "24", "--aspect", "1:1", "--steps", "2"]
    args += ["--interpolate", "dis", "--preset", "ultrafast", "--keyframe-size", "32x32", "--quiet"]
    assert main(args) == 0
    assert (tmp_path / "ui.mp4").read_bytes() == (tmp_path / "cli.mp4").read_bytes()


def test_web_app_social_tab_shows_and_cancels_the_model_steps(tmp_path, ltx, photo, monkeypatch):
    """The page said only 'generating keyframes' for the minutes a model samples, and Cancel waited for
    every step and the VAE (its only cancel point was after a frame was written): now each step is shown
    and is a cancel point; nothing is kept."""
    pytest.importorskip("gradio")
    import time
    from types import SimpleNamespace

    from vidiff.generate.backends import base
    from vidiff.ui.core import App
    from vidiff.ui.social import _run_social

    steps = []
    real = base._StepProgress.step
    # a step of a real model takes seconds: 50 ms each here, so the page sees steps past the first
    monkeypatch.setattr(
        base._StepProgress, "step", lambda self, *a: steps.append(time.sleep(0.05)) or real(self, *a)
    )
    app = App(tmp_path / "work")
    fields = [None, None, "1:1", "auto", 0.25, 0.2, None, 24, False, None, "a cat", "", str(ltx), "auto", 0]
    fields += SOCIAL_UNTOUCHED.values()  # settings untouched, no GIF
    shown = []
    for out in _run_social(app)(*fields, SimpleNamespace(session_hash="t"), lambda *a, **k: None):
        shown.append(out[0])
        if "model step" in out[0] and "model step 0 " not in out[0]:  # 0: loaded, before the first step
            app.cancel(("t", "social"))
    running = [x for x in shown if x.startswith("Running: generating keyframes, model step ")]
    assert running and running[0].endswith(" of 50… (Cancel stops it)"), shown  # LTX's 50 steps, one window
    # the count moves (it read a disabled bar's count: 'step 0 of 50' all along in the page)
    assert any(" step 0 of " not in x for x in running), shown
    assert shown[-1] == "Cancelled; nothing was kept." and 0 < len(steps) < 50
    assert list((tmp_path / "work").iterdir()) == []
    from vidiff.generate import make_clip

    with pytest.raises(ConfigError, match="^on_step applies to a video diffusion model"):  # never ignored
        make_clip(tmp_path / "o.mp4", image=str(photo), on_step=print)


def test_whole_numbers_given_as_floats_are_used_as_ints(tmp_path, wan):
    """make_clip accepted seed 3.0, steps 2.0, frames 9.0 (its check takes a whole float, as a web form's
    number or a YAML value) but passed the floats on: a RuntimeError traceback from torch's manual_seed,
    or a failed model call. They are used as ints: the clip is the one the ints make."""
    from vidiff.generate import make_clip

    common = dict(prompt="a cat", weights=str(wan), seconds=0.3, keyframe_size="32x32", interpolate="dis")
    common |= dict(preset="ultrafast", progress=False)
    rep = make_clip(tmp_path / "f.mp4", seed=3.0, steps=2.0, frames=9.0, crf=18.0, **common)
    assert (rep["seed"], rep["steps"], rep["window_frames"]) == (3, 2, 9)
    make_clip(tmp_path / "i.mp4", seed=3, steps=2, frames=9, crf=18, **common)
    assert (tmp_path / "f.mp4").read_bytes() == (tmp_path / "i.mp4").read_bytes()


def test_a_keyframe_rate_that_rounds_to_zero_or_is_infinite_is_one_line():
    """keyframe_fps 1e-9 rounded to 0 (a ZeroDivisionError traceback) and SVD's inf raised OverflowError:
    each is one ConfigError line, for every backend."""
    svd = BACKENDS["svd"]("StableVideoDiffusionPipeline", "w")
    wan = BACKENDS["wan"]("WanPipeline", "w")
    for b in (svd, wan):
        with pytest.raises(ConfigError, match="too low; give at least 0.001 keyframes per second$"):
            b.rate(1.0, 1e-9, 25)
        assert b.rate(1.0, 0.5, 25) == Fraction(1, 2)
    with pytest.raises(ConfigError, match="^keyframe_fps inf: give a finite rate$"):
        svd.rate(1.0, float("inf"), 25)
