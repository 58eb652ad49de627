"""Encoding options at the doors of `--codec auto` (hostile pass): what the codec auto stands for takes
its own crf and preset, NumPy values are plain ones, and a codec named for image frames is refused."""

import numpy as np
import pytest
from conftest import write_clip

from vidiff import upscale_file
from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.generate.clip import make_clip
from vidiff.io.encode import EncodeOptions
from vidiff.runner.infill import infill_file


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (32, 48, 3), np.uint8)
    return write_clip(tmp_path_factory.mktemp("enc") / "in.mp4", [np.roll(base, 2 * k, 1) for k in range(5)])


@pytest.mark.parametrize("kw", [{"preset": "4"}, {"crf": 60}])
def test_auto_takes_vp9s_crf_and_preset_for_webm(kw):
    # auto was checked as h264 alone: `-o out.webm --preset 4` was "unknown preset '4' for auto"
    opts = EncodeOptions(**kw)
    assert opts.for_output("a.webm").encoder == "libvpx-vp9"
    with pytest.raises(ConfigError, match=r"for h264[:;] .*\(codec auto writes h264 into \.mp4\)"):
        opts.for_output("a.mp4")  # checked again for the codec auto becomes, and says so


@pytest.mark.parametrize(
    "kw, match",
    [({"crf": 70}, "codec auto .*0-51.*0-63"), ({"preset": "fastest"}, "codec auto"), ({"crf": 18.5}, "crf")],
)
def test_auto_refuses_what_no_codec_takes(kw, match):
    with pytest.raises(ConfigError, match=match):
        EncodeOptions(**kw)


def test_numpy_values_are_plain():
    # a numpy.str_ preset was a Cython TypeError from PyAV; an np.int64 crf "out of range for auto: 0-51"
    opts = EncodeOptions(crf=np.int64(20), preset=np.str_("fast"), pix_fmt=np.str_("yuv420p"))
    assert (type(opts.crf), type(opts.preset), type(opts.pix_fmt)) == (int, str, str)
    assert EncodeOptions(crf=18.0).crf == 18


def test_webm_with_vp9_preset_and_crf_through_the_cli(clip, tmp_path):
    out = tmp_path / "o.webm"
    args = ["upscale", str(clip), "-o", str(out), "--factor", "2", "--method", "dis", "-q"]
    assert main([*args, "--preset", "4", "--crf", "60"]) == 0 and out.exists()


def test_a_named_codec_into_image_frames_is_refused(clip, tmp_path, capsys):
    # h264 named into a GIF or PNG frames was taken for auto's stand-in and silently ignored
    still = tmp_path / "s.png"
    import cv2

    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    for out, call in [
        (
            tmp_path / "u.gif",
            lambda o: upscale_file(clip, o, factor=2, method="dis", codec="h264", progress=False),
        ),
        (tmp_path / "f", lambda o: upscale_file(clip, f"{o}/", factor=2, method="dis", codec="libx264")),
        (tmp_path / "i.gif", lambda o: infill_file(clip, o, frames="2", codec="h264", progress=False)),
        (
            tmp_path / "g.gif",
            lambda o: make_clip(o, image=str(still), seconds=0.3, codec="h264", progress=False),
        ),
    ]:
        with pytest.raises(ConfigError, match="codec does not apply to image frames"):
            call(out)
        assert not out.exists()
    assert main(["run", "fps_x2", "-i", str(clip), "-o", str(tmp_path / "r.gif"), "encode.codec=h264"]) == 2
    assert "codec does not apply" in capsys.readouterr().err


def test_an_audio_codec_with_the_audio_dropped_is_refused(clip, tmp_path, capsys):
    # --no-audio --audio-codec aac (or a recipe's encode.audio=drop with encode.audio_codec) ran, the codec ignored
    out = tmp_path / "a.mp4"
    args = ["upscale", str(clip), "-o", str(out), "--factor", "2", "--method", "dis", "-q"]
    assert main([*args, "--no-audio", "--audio-codec", "aac"]) == 2
    assert "the audio is dropped" in capsys.readouterr().err and not out.exists()
    run = ["run", "fps_x2", "-i", str(clip), "-o", str(out), "encode.audio=drop", "encode.audio_codec=copy"]
    assert main(run) == 2 and "the audio is dropped" in capsys.readouterr().err and not out.exists()
    with pytest.raises(ConfigError, match="the audio is dropped"):
        infill_file(clip, out, frames="2", audio=False, audio_codec="aac", progress=False)
    assert not out.exists()


def test_av1_is_quiet_on_stderr(clip, tmp_path):
    # SVT-AV1 printed a 20-line info banner on stderr for each encoder it opened, past --quiet
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SVT_LOG"}
    out = tmp_path / "a.mp4"
    cmd = [sys.executable, "-m", "vidiff", "upscale", str(clip), "-o", str(out), "--factor", "2"]
    run = subprocess.run(
        [*cmd, "--method", "dis", "--codec", "av1", "-q"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0 and out.exists() and "Svt[" not in run.stderr, run.stderr
