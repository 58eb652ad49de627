"""`vidiff upscale` and `vidiff probe` end to end, with real decoding of what they write."""

import json
import os
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import sha256, write_clip

from vidiff.cli import main
from vidiff.io.probe import probe
from vidiff.io.reader import read_frames

DIS = ["--method", "dis"]  # tests not about the method: the default (auto) is the slow learned model


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def bikes_half(bikes, tmp_path_factory):
    """bikes (10 s, 250 frames, five hard cuts) at 320x136: its scene cuts are found at the same times as
    at 640x272 (the detector compares 64x36 thumbnails), for a quarter of the flow and encode work."""
    import cv2

    frames = [cv2.resize(f, (320, 136), interpolation=cv2.INTER_AREA) for f in read_frames(bikes)]
    return write_clip(tmp_path_factory.mktemp("bikes") / "bikes_half.mkv", frames, fps=Fraction(25))


def test_bikes_x2_doubles_frames_and_fps(tmp_path, capsys, bikes_half):
    out = tmp_path / "bikes_x2.mp4"
    code, stdout, _ = run_cli(
        capsys,
        "upscale",
        bikes_half,
        "-o",
        out,
        "--factor",
        "2",
        "--json",
        "--quiet",
        "--preset",
        "ultrafast",
        *DIS,
    )
    assert code == 0
    report = json.loads(stdout)
    info = probe(out)
    assert info.fps == 50 and abs(info.n_frames - 500) <= 1
    assert abs(sum(1 for _ in av.open(str(out)).decode(video=0)) - 500) <= 1
    assert report["scene_cuts_s"] == [1.2, 3.04, 5.48, 7.48, 9.68]
    assert info.duration == pytest.approx(10.0, abs=1 / 50)


def test_fps_60_from_ntsc_and_kept_frames(tmp_path, capsys, carphone):
    out = tmp_path / "c60.mp4"
    code, _, _ = run_cli(
        capsys,
        "upscale",
        carphone,
        "-o",
        out,
        "--fps",
        "60",
        "--quiet",
        "--crf",
        "0",
        "--preset",
        "ultrafast",
        *DIS,
    )
    assert code == 0
    src, info = probe(carphone), probe(out)
    assert info.fps == 60
    assert abs(info.n_frames - round(src.duration * 60)) <= 1
    assert info.duration == pytest.approx(src.duration, abs=1 / 30)
    # output frame 0 is source frame 0 (t = 0), untouched by interpolation
    a, b = read_frames(carphone, 1)[0].astype(float), read_frames(out, 1)[0].astype(float)
    assert 10 * np.log10(255**2 / np.mean((a - b) ** 2)) > 40


def test_audio_kept_with_same_duration(tmp_path, capsys, bbb_short):
    out = tmp_path / "bbb60.mp4"
    code, _, _ = run_cli(
        capsys,
        "upscale",
        bbb_short,
        "-o",
        out,
        "--fps",
        "60",
        "--method",
        "blend",
        "--quiet",
        "--preset",
        "ultrafast",
    )
    assert code == 0
    src, info = probe(bbb_short), probe(out)
    assert info.fps == 60 and abs(info.n_frames - round(src.duration * 60)) <= 1
    assert len(info.audio) == 1 and info.audio[0].codec == "aac"
    assert abs(info.audio[0].duration - src.audio[0].duration) <= 0.05


def test_no_blend_across_scene_cut(tmp_path, capsys, carphone, bikes):
    a = read_frames(carphone, 6)
    b = [np.ascontiguousarray(f[:144, 200:376]) for f in read_frames(bikes, 6)]
    clip = write_clip(tmp_path / "cut.mkv", a + b)
    out = tmp_path / "cut_x2.mkv"
    code, stdout, _ = run_cli(
        capsys, "upscale", clip, "-o", out, "--factor", "2", "--json", "--quiet", "--crf", "0", *DIS
    )
    assert code == 0 and json.loads(stdout)["scene_cuts_s"] == [0.24]
    frames = read_frames(out)

    # the frame at t = 0.5 between the last frame of scene A and the first of B is a copy, not a mix
    def psnr(x, y):
        return 10 * np.log10(255**2 / max(np.mean((x.astype(float) - y) ** 2), 1e-9))

    assert psnr(frames[10], a[5]) > 40
    assert psnr(frames[11], b[0]) > 40 and psnr(frames[12], b[0]) > 40


def bad_files(tmp_path, bikes, bbb, carphone):
    """Each bad input with the words its error line must contain."""
    files = {}
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n")
    files["not_video"] = (p, "not a readable video")
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    files["empty"] = (p, "empty")
    p = tmp_path / "truncated.mp4"
    p.write_bytes(bikes.read_bytes()[:200_000])
    files["truncated"] = (p, "truncated")
    p = tmp_path / "zero.mkv"
    with av.open(str(p), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        c.start_encoding()
    files["zero_frames"] = (p, "zero.mkv")
    files["one_frame"] = (write_clip(tmp_path / "one.mp4", read_frames(carphone, 1)), "only 1 frame")
    p = tmp_path / "audio_only.m4a"
    with av.open(str(bbb)) as src, av.open(str(p), "w") as dst:
        o = dst.add_stream_from_template(src.streams.audio[0])
        for pkt in src.demux(src.streams.audio[0]):
            if pkt.dts is not None:
                pkt.stream = o
                dst.mux(pkt)
    files["no_video_stream"] = (p, "no video stream")
    return files


def test_bad_inputs_one_line_exit_2_nothing_written(tmp_path, capsys, bikes, bbb, carphone):
    for name, (path, words) in bad_files(tmp_path, bikes, bbb, carphone).items():
        before = sha256(path)
        out = tmp_path / f"out_{name}.mp4"
        code, stdout, err = run_cli(capsys, "upscale", path, "-o", out, "--factor", "2", "--quiet")
        assert code == 2, name
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("vidiff: error:"), (name, err)
        assert words in lines[0], (name, lines[0])
        assert not out.exists() and not any(f.name.startswith(".out_") for f in tmp_path.iterdir()), name
        assert sha256(path) == before


def test_bad_outputs(tmp_path, capsys, carphone):
    before = sha256(carphone)
    for out, words in [
        (carphone, "same file as the input"),
        (tmp_path / "missing" / "o.mp4", "does not exist"),
        (tmp_path / "o.txt", "extension"),
    ]:
        code, _, err = run_cli(capsys, "upscale", carphone, "-o", out, "--factor", "2", "--quiet")
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1
    assert sha256(carphone) == before
    code, _, err = run_cli(
        capsys, "upscale", carphone, "-o", tmp_path / "o.mp4", "--factor", "2", "--method", "nope"
    )
    assert code == 2 and "unknown method" in err
    code, _, err = run_cli(capsys, "upscale", carphone, "-o", tmp_path / "o.mp4", "--fps", "abc")
    assert code == 2 and "invalid frame rate" in err
    assert not (tmp_path / "o.mp4").exists()


def test_no_traceback_in_a_real_process(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    r = subprocess.run(
        [sys.executable, "-m", "vidiff", "upscale", str(bad), "-o", str(tmp_path / "o.mp4"), "--factor", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and not (tmp_path / "o.mp4").exists()


def test_probe_json(capsys, bbb):
    code, out, _ = run_cli(capsys, "probe", bbb, "--json")
    d = json.loads(out)
    assert code == 0 and d["fps"] == "25/1" and d["n_frames"] == 132 and d["audio"][0]["codec"] == "aac"
    assert Fraction(d["fps"]) == 25


@pytest.mark.parametrize(
    "extra, word",
    [(["--method", "dis", "--steps", "4"], "steps"), (["--method", "blend", "--seed", "1"], "seed")],
)
def test_model_options_a_method_does_not_take_are_refused(tmp_path, capsys, carphone, extra, word):
    out = tmp_path / "o.mp4"
    code, _, err = run_cli(capsys, "upscale", carphone, "-o", out, "--factor", "2", "--quiet", *extra)
    assert code == 2 and err.count("\n") == 1 and f"has no option '{word}'" in err, err
    assert not out.exists()


@pytest.mark.parametrize("device", ["mps", "tpu:0", "cuda:7"])
def test_a_device_torch_cannot_use_is_one_line_for_every_learned_method(tmp_path, capsys, carphone, device):
    """rife took any device and failed deep in torch (a traceback for --device mps); every method that
    takes a device is checked the same way before anything loads."""
    import torch

    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    out = tmp_path / "o.mp4"
    for method in ("rife", "fuse", "diffusion"):
        args = (
            "upscale",
            carphone,
            "-o",
            out,
            "--factor",
            "2",
            "--quiet",
            "--method",
            method,
            "--device",
            device,
        )
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and err.count("\n") == 1 and f"device {device!r}" in err, (method, err)
        assert not out.exists()


def test_help_explains_with_examples(capsys):
    with pytest.raises(SystemExit) as e:
        main(["upscale", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "examples:" in out and "--factor" in out and "--fps" in out


def test_rotated_and_vfr_input(tmp_path, capsys, carphone):
    frames = read_frames(carphone, 12)
    rot = write_clip(tmp_path / "rot.mp4", frames, fps=Fraction(25), rotation=90)
    out = tmp_path / "rot_x2.mp4"
    assert main(["upscale", str(rot), "-o", str(out), "--factor", "2", "--quiet", *DIS]) == 0
    assert probe(out).rotation == 90 and probe(out).n_frames == 24
    # VFR: frames at irregular times; the output is constant-rate and keeps the clip's real duration
    times = [Fraction(x, 1000) for x in (0, 40, 80, 200, 240, 280, 400, 440, 480, 600, 640, 680)]
    vfr = write_clip(tmp_path / "vfr.mkv", frames, times=times)
    out = tmp_path / "vfr30.mp4"
    assert main(["upscale", str(vfr), "-o", str(out), "--fps", "50", "--quiet", *DIS]) == 0
    info = probe(out)
    assert info.fps == 50 and not info.is_vfr
    src = probe(vfr)
    assert info.duration == pytest.approx(float(times[-1]) + 1 / float(src.fps), abs=0.021)


def test_an_odd_size_is_padded_to_even_for_4_2_0(tmp_path, capsys, carphone):
    """A 175x143 clip was refused with the default yuv420p output ("needs --pix-fmt yuv444p"). It is
    written at 176x144, its last column and row repeated, with one note line; yuv444p keeps 175x143; and
    the output measures against its input (on the input's 175x143)."""
    frames = [im[:143, :175] for im in read_frames(carphone, 6)]
    src = write_clip(tmp_path / "odd.mkv", frames, pix_fmt="yuv444p")
    before = sha256(src)
    out = tmp_path / "odd_x2.mp4"
    code, _, err = run_cli(capsys, "upscale", src, "-o", out, "--factor", "2", *DIS, "--quiet")
    assert code == 0 and sha256(src) == before
    assert err.strip().splitlines() == [
        f"note: {out}: 175x143 is written as 176x144 (its last column and row repeated: yuv420p needs even "
        "sides; --pix-fmt yuv444p keeps the size)"
    ]
    got = read_frames(out)
    assert len(got) == 12 and got[0].shape == (144, 176, 3)
    first = got[0].astype(int)
    assert np.abs(first[:143, :175] - frames[0]).mean() < 3
    assert np.abs(first[:, 175] - first[:, 174]).mean() < 2 and np.abs(first[143] - first[142]).mean() < 2

    kept = tmp_path / "odd_444.mkv"
    code, _, err = run_cli(
        capsys, "upscale", src, "-o", kept, "--factor", "2", *DIS, "--pix-fmt", "yuv444p", "-q"
    )
    assert code == 0 and err == "" and (probe(kept).width, probe(kept).height) == (175, 143)

    mended = tmp_path / "mended.mp4"
    code, _, _ = run_cli(capsys, "infill", src, "-o", mended, "--frames", "2", *DIS, "--quiet")
    assert code == 0 and (probe(mended).width, probe(mended).height) == (176, 144)
    code, stdout, _ = run_cli(capsys, "metrics", mended, "--reference", src, "--json", "--quiet")
    summary = json.loads(stdout)["summary"]
    assert code == 0 and summary["psnr"] > 35
    assert "compared on 175x143" in " ".join(summary["notes"])
