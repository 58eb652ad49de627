"""Image sequences in and out: a folder of images or a %05d pattern wherever a clip is read, and a folder of
PNG (or JPEG) frames as an output of upscale, infill and run. Every sequence is written by the test."""

from __future__ import annotations

import hashlib
import json
import random
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import write_clip

from vidiff.cli import main
from vidiff.errors import ConfigError, InputError, OutputError
from vidiff.io import probe as probe_mod
from vidiff.io import sequence as sequence_mod
from vidiff.io.probe import probe
from vidiff.io.reader import VideoReader, read_frames
from vidiff.io.sequence import DEFAULT_INPUT_FPS, natural_key, split_pattern
from vidiff.io.sequence_out import FrameWriter, frames_output
from vidiff.runner import upscale_file
from vidiff.runner.infill import infill_file

DIS = ["--method", "dis"]
FAST = {"method": "dis", "progress": False}
W, H = 64, 48


def square(i: int, w: int = W, h: int = H) -> np.ndarray:
    """Frame i of a square moving right over a gradient (RGB uint8)."""
    im = np.zeros((h, w, 3), np.uint8)
    im[:] = np.linspace(20, 120, w, dtype=np.uint8)[None, :, None]
    im[12:28, 4 + 3 * i : 20 + 3 * i] = (230, 80, 30)
    return im


def write_images(folder: Path, frames: list[np.ndarray], name: str = "frame{}.png", start: int = 1) -> Path:
    """`frames` as images `name`.format(start + k) in `folder` (RGB in, written in a shuffled order)."""
    folder.mkdir(parents=True, exist_ok=True)
    order = list(range(len(frames)))
    random.Random(0).shuffle(order)
    for k in order:
        assert cv2.imwrite(str(folder / name.format(start + k)), cv2.cvtColor(frames[k], cv2.COLOR_RGB2BGR))
    return folder


def read_images(folder: Path) -> list[np.ndarray]:
    """The images of an output folder, by name, as RGB."""
    return [cv2.imread(str(p))[..., ::-1] for p in sorted(folder.iterdir())]


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.name.encode() + (p.read_bytes() if p.is_file() else b"/"))
    return h.hexdigest()


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    probe_mod._WARNED.clear()  # each run may give its damaged-input warning
    sequence_mod._NOTED.clear()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def leftovers(folder: Path) -> list[str]:
    """Temporary folders, parts and locks a run left beside its output."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture
def frames() -> list[np.ndarray]:
    return [square(i) for i in range(12)]


@pytest.fixture
def seq(tmp_path, frames) -> Path:
    """12 PNG frames named frame1.png ... frame12.png (natural order differs from the names' order)."""
    return write_images(tmp_path / "seq", frames)


# -- input -----------------------------------------------------------------------------------------------
def test_natural_order_and_patterns():
    names = ["frame10.png", "frame2.png", "Frame1.png", "frame02b.png", "frame2a.png"]
    assert sorted(names, key=natural_key) == ["Frame1.png", "frame2.png", "frame2a.png", "frame02b.png", "frame10.png"]  # fmt: skip
    assert split_pattern("f_%05d.png") == ("f_", 5, ".png")
    assert split_pattern("100%%_%d.png") == ("100%_", 0, ".png")
    for bad in ("a%s.png", "%d_%d.png", "plain.png"):
        with pytest.raises(ConfigError):
            split_pattern(bad)


def test_a_folder_reads_in_natural_order_at_the_input_rate(seq, frames):
    got = list(VideoReader(seq, input_fps=Fraction(24000, 1001)))
    assert len(got) == 12 and all(np.array_equal(f.image, frames[k]) for k, f in enumerate(got))
    assert [f.time for f in got] == [Fraction(1001 * k, 24000) for k in range(12)]
    info = probe(seq)
    assert (info.width, info.height, info.n_frames, info.fps) == (W, H, 12, DEFAULT_INPUT_FPS)
    assert info.container == "image sequence" and info.codec == "png" and not info.audio
    assert info.duration == pytest.approx(12 / 24)


def test_a_pattern_takes_the_files_its_number_matches(tmp_path, frames):
    folder = write_images(tmp_path / "p", frames, "shot_{:04d}.png", start=7)
    (folder / "shot_7.png").write_bytes((folder / "shot_0007.png").read_bytes())  # not %04d's: left out
    (folder / "other_0001.png").write_bytes((folder / "shot_0007.png").read_bytes())
    got = read_frames(str(folder / "shot_%04d.png"))
    assert len(got) == 12 and all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))
    # %d matches numbers written without padding only: shot_7.png, not shot_0007.png
    with pytest.raises(InputError, match="single image"):
        probe(str(folder / "shot_%d.png"))


@pytest.mark.parametrize("kind", ["png16", "rgba", "gray", "jpeg", "tiff", "bmp", "webp"])
def test_every_image_kind_reads_as_8_bit_rgb(tmp_path, frames, kind, capsys):
    folder = tmp_path / kind
    folder.mkdir()
    for k, im in enumerate(frames[:3]):
        bgr = cv2.cvtColor(im, cv2.COLOR_RGB2BGR)
        if kind == "png16":
            data, name = bgr.astype(np.uint16) * 257 + 100, f"{k}.png"  # +100/257 of a level: rounds back
        elif kind == "rgba":
            data, name = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA), f"{k}.png"
            data[..., 3] = 7
        elif kind == "gray":
            data, name = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), f"{k}.png"
        else:
            data, name = bgr, f"{k}.{ {'jpeg': 'jpg', 'tiff': 'tif'}.get(kind, kind) }"
        params = [cv2.IMWRITE_WEBP_QUALITY, 101] if kind == "webp" else []  # 101: lossless
        assert cv2.imwrite(str(folder / name), data, params)
    sequence_mod._NOTED.clear()
    got = read_frames(folder)
    err = capsys.readouterr().err
    assert len(got) == 3 and all(g.dtype == np.uint8 and g.shape == (H, W, 3) for g in got)
    want = [cv2.cvtColor(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB) for f in frames[:3]]
    want = want if kind == "gray" else frames[:3]
    if kind == "jpeg":
        assert all(np.abs(g.astype(int) - f).mean() < 3 for g, f in zip(got, want, strict=True))
    else:
        assert all(np.array_equal(g, f) for g, f in zip(got, want, strict=True)), kind
    assert ("alpha channel is dropped" in err) == (kind == "rgba") and err.count("\n") == (
        kind in ("rgba", "png16")
    )
    assert ("16-bit images are read as 8-bit RGB" in err) == (kind == "png16")  # one note: precision dropped
    if kind == "png16":
        assert probe(folder).bit_depth == 16


def bad_sequences(tmp_path: Path, frames: list[np.ndarray]) -> dict[str, tuple[str, str]]:
    """Each bad sequence input (a path) with the words its error line must hold."""
    cases = {}
    (tmp_path / "empty").mkdir()
    cases["empty"] = (str(tmp_path / "empty"), "holds no images")
    cases["single"] = (str(write_images(tmp_path / "single", frames[:1])), "single image")
    mixed = write_images(tmp_path / "mixed", frames[:4])
    cv2.imwrite(str(mixed / "frame5.png"), np.zeros((H, W + 2, 3), np.uint8))
    cases["mixed"] = (str(mixed), "differ in size: 64x48 (frame1.png and 3 more), 66x48 (frame5.png)")
    other = write_images(tmp_path / "other", frames[:4])
    (other / "notes.txt").write_text("shot list\n")
    cases["non_image"] = (str(other), "notes.txt is not an image")
    cases["no_match"] = (str(other / "img_%05d.png"), "no file in")
    broken = write_images(tmp_path / "broken", frames[:3])
    for p in list(broken.iterdir())[:2]:
        p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    cases["one_readable"] = (str(broken), "at least 2 must")
    return cases


def test_bad_sequences_are_one_line_exit_2_nothing_written(tmp_path, frames, capsys):
    for name, (path, words) in bad_sequences(tmp_path, frames).items():
        folder = Path(path) if Path(path).is_dir() else Path(path).parent
        before = tree_hash(folder)
        out = tmp_path / f"out_{name}.mp4"
        code, _, err = run_cli(capsys, "upscale", path, "-o", out, "--factor", "2", "-q", *DIS)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("vidiff: error:"), (name, err)
        assert words in lines[0], (name, lines[0])
        assert not out.exists() and tree_hash(folder) == before, name
        code, _, err = run_cli(capsys, "probe", path)
        assert code == 2 and words in err, (name, err)


def test_input_fps_is_checked_like_fps_and_only_for_sequences(tmp_path, seq, frames, capsys):
    clip = write_clip(tmp_path / "c.mp4", frames)
    for args, words in [
        ([seq, "--input-fps", "abc"], "input fps: invalid frame rate 'abc'"),
        ([seq, "--input-fps", "0"], "out of range"),
        ([clip, "--input-fps", "30"], "applies to an image sequence"),
    ]:
        code, _, err = run_cli(capsys, "upscale", *args, "-o", tmp_path / "o.mp4", "--factor", "2", "-q")
        assert code == 2 and words in err and err.count("\n") == 1, err
    with pytest.raises(ConfigError, match="input fps"):
        upscale_file(seq, tmp_path / "o.mp4", factor=2, input_fps="x", **FAST)


def test_unreadable_images_are_left_out_with_one_warning_and_keep_their_slot(seq, tmp_path, capsys):
    (seq / "frame4.png").write_bytes((seq / "frame4.png").read_bytes()[:300])  # truncated: fails to decode
    (seq / "frame9.png").write_bytes(b"not an image")  # no header
    probe_mod._WARNED.clear()
    got = list(VideoReader(seq))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {seq}: 2 of 12 images cannot be read"), err
    assert "frame4.png" in err[0] and "frame9.png" in err[0] and err[0].endswith("using 10")
    slots = [0, 1, 2, 4, 5, 6, 7, 9, 10, 11]  # the frames around a lost one keep their times
    assert [f.time for f in got] == [Fraction(k, 24) for k in slots]
    code, out, err = run_cli(
        capsys, "upscale", seq, "-o", tmp_path / "o.mp4", "--factor", "2", "-q", "--json", *DIS
    )
    assert code == 0 and json.loads(out)["out_frames"] == 24 and err.count("warning:") == 1  # the gap filled
    code, _, err = run_cli(
        capsys, "upscale", seq, "-o", tmp_path / "s.mp4", "--factor", "2", "--strict", "-q"
    )
    assert code == 2 and "refused: strict input" in err and not (tmp_path / "s.mp4").exists()


# -- output ----------------------------------------------------------------------------------------------
def test_png_frames_are_the_frames_of_a_lossless_video_of_the_same_run(seq, tmp_path, capsys):
    ffv1 = tmp_path / "ref.mkv"
    code, _, _ = run_cli(capsys, "upscale", seq, "-o", ffv1, "--fps", "60", "--codec", "ffv1", "--pix-fmt", "bgr0", "-q", *DIS)  # fmt: skip
    assert code == 0
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "upscale", seq, "-o", f"{out}/", "--fps", "60", "-q", "--json", *DIS)
    assert code == 0 and err == "", err
    report = json.loads(stdout)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{k:06d}.png" for k in range(30)] and report["out_frames"] == 30  # 12 at 24 -> 60 fps
    ref = read_frames(ffv1)
    assert len(ref) == 30 and all(np.array_equal(a, b) for a, b in zip(read_images(out), ref, strict=True))
    assert leftovers(tmp_path) == [] and report["audio"] == "none"
    # the frames read back as a sequence at 60 fps: the same clip again
    again = probe(out, Fraction(60))
    assert again.n_frames == 30 and again.duration == pytest.approx(0.5)


def test_pattern_output_png_and_jpeg_numbered_from_0(seq, tmp_path, frames):
    r = upscale_file(seq, tmp_path / "a" / "f_%04d.png", factor=2, **FAST)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [f"f_{k:04d}.png" for k in range(24)]
    assert r["out_frames"] == 24 and np.array_equal(read_images(tmp_path / "a")[0], frames[0])
    upscale_file(seq, tmp_path / "j" / "%d.jpg", factor=2, **FAST)
    jpgs = sorted((tmp_path / "j").iterdir(), key=lambda p: int(p.stem))
    assert [p.name for p in jpgs][:3] == ["0.jpg", "1.jpg", "2.jpg"] and len(jpgs) == 24
    assert np.abs(cv2.imread(str(jpgs[0]))[..., ::-1].astype(int) - frames[0]).mean() < 3


def test_output_refusals_before_any_work(seq, tmp_path, capsys):
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    (tmp_path / "afile").write_text("x")
    before = tree_hash(seq)
    for out, extra, words in [
        (full, [], "exists and is not empty"),
        (tmp_path / "afile" / "%d.png", [], "afile"),
        (seq / "out.mp4", [], "inside the input's folder"),
        (f"{seq}/sub/", [], "inside the input's folder"),
        (tmp_path / "o" / "%d.gif", [], "PNG (.png) or JPEG (.jpg)"),
        (tmp_path / "o" / "%d_%d.png", [], "holds two frame numbers"),
        (tmp_path / "no" / "such" / "%d.png", [], "does not exist"),
        (f"{tmp_path}/o/", ["--codec", "h265", "--crf", "20"], "codec, crf do not apply to image frames"),
        (f"{tmp_path}/o/", ["--pix-fmt", "yuv444p"], "pix_fmt does not apply"),
        (tmp_path / "o", [], "or DIR/ (PNG frames"),
    ]:
        code, _, err = run_cli(capsys, "upscale", seq, "-o", out, "--factor", "2", "-q", *DIS, *extra)
        assert code == 2 and words in err and err.count("\n") == 1, (out, err)
    assert (full / "keep.txt").read_text() == "mine" and sorted(p.name for p in full.iterdir()) == [
        "keep.txt"
    ]
    assert not (tmp_path / "o").exists() and tree_hash(seq) == before


def test_an_empty_existing_folder_is_filled_and_a_partial_one_never_shows(seq, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert upscale_file(seq, empty, factor=2, **FAST)["out_frames"] == 24 and len(list(empty.iterdir())) == 24
    out = tmp_path / "o"
    w = FrameWriter(f"{out}/", W, H, Fraction(24))
    w.write(square(0))
    assert not out.exists() and (tmp_path / ".o.vidiff-partial").is_dir()
    w._abort()  # an error or Ctrl-C: nothing appears, nothing is left
    assert not out.exists() and leftovers(tmp_path) == []
    with pytest.raises(OutputError, match="no frame was produced"):
        FrameWriter(f"{out}/", W, H, Fraction(24)).close()
    assert frames_output("x.mp4") is None and frames_output("d/%03d.png").folder == "d"


def test_an_image_that_cannot_be_written_stops_the_output_and_leaves_nothing(tmp_path, monkeypatch):
    import vidiff.io.sequence_out as out_mod

    calls, imwrite = [], cv2.imwrite

    def fail_third(name, image, params):  # a disk that fills up at the third image
        calls.append(name)
        return len(calls) < 3 and imwrite(name, image, params)

    monkeypatch.setattr(out_mod.cv2, "imwrite", fail_third)
    w = FrameWriter(f"{tmp_path}/o/", W, H, Fraction(24))
    with pytest.raises(OutputError, match=r"cannot write 00000[2-9]\.png"):
        for i in range(12):
            w.write(square(i))
        w.close()
    assert not (tmp_path / "o").exists() and leftovers(tmp_path) == []


def clip_with_audio(path: Path, frames: list[np.ndarray]) -> Path:
    """`frames` at 25 fps (H.264) with a silent AAC track as long."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        a = c.add_stream("aac", rate=44100)
        a.layout = "stereo"
        for i, im in enumerate(frames):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
        for k in range(44100 * len(frames) // 25 // 1024 + 1):
            af = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 44100, k * 1024
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    return path


def test_a_clip_with_audio_to_frames_notes_the_audio_once(tmp_path, frames, capsys):
    clip = clip_with_audio(tmp_path / "a.mp4", frames)
    out = tmp_path / "f"
    code, stdout, err = run_cli(
        capsys, "upscale", clip, "-o", f"{out}/", "--factor", "2", "-q", "--json", *DIS
    )
    assert (
        code == 0
        and err.strip() == f"note: {out}/: image frames hold no audio; the input's audio is left out"
    )
    report = json.loads(stdout)
    assert report["audio"] == "drop" and report["audio_streams"] == 0
    assert len(list(out.iterdir())) == report["out_frames"] == 24
    code, _, err = run_cli(
        capsys, "upscale", clip, "-o", f"{tmp_path}/g/", "--factor", "2", "-q", "--no-audio", *DIS
    )
    assert code == 0 and err == ""
    code, _, err = run_cli(
        capsys, "upscale", clip, "-o", f"{tmp_path}/h/", "--factor", "2", "--audio-codec", "aac", "-q"
    )
    assert code == 2 and "audio_codec does not apply" in err


def test_a_rotated_clip_gives_upright_frames(tmp_path, frames):
    """The display rotation (counter-clockwise degrees) is applied to the pixels, as a player shows it."""
    clip = write_clip(tmp_path / "r.mkv", frames[:6], codec="ffv1", pix_fmt="bgr0", rotation=90)
    infill_file(clip, f"{tmp_path}/up/", frames="2", **FAST)
    got = read_images(tmp_path / "up")
    assert got[0].shape == (W, H, 3) and np.array_equal(got[0], np.rot90(frames[0]))


def test_workers_and_resume_give_the_same_frames(seq, tmp_path, monkeypatch):
    """Segments of 10 frames: two workers, and a run stopped after its first segments then resumed,
    write the very images one uninterrupted process writes."""
    import vidiff.runner.upscale as up

    monkeypatch.setattr(up, "segment_frames", lambda *a: 10)
    one = upscale_file(seq, f"{tmp_path}/one/", factor=4, workers=1, **FAST)
    two = upscale_file(seq, f"{tmp_path}/two/", factor=4, workers=2, **FAST)
    assert one["workers"] == 1 and two["workers"] == 2 and one["out_frames"] == two["out_frames"] == 48
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")

    class Stop:  # an identity transform that interrupts the run at its 25th frame
        key = "identity"

        def __init__(self, stop_at: int | None) -> None:
            self.n, self.stop_at = 0, stop_at

        def __call__(self, image: np.ndarray) -> np.ndarray:
            self.n += 1
            if self.n == self.stop_at:
                raise KeyboardInterrupt
            return image

    with pytest.raises(KeyboardInterrupt):
        upscale_file(seq, f"{tmp_path}/three/", factor=4, workers=1, transform=Stop(25), **FAST)
    assert not (tmp_path / "three").exists() and (tmp_path / ".three.vidiff-parts").is_dir()
    again = upscale_file(seq, f"{tmp_path}/three/", factor=4, workers=1, transform=Stop(None), **FAST)
    assert again["resumed_frames"] in (10, 20) and again["out_frames"] == 48  # (the last queued may be lost)
    assert tree_hash(tmp_path / "three") == tree_hash(tmp_path / "one") and leftovers(tmp_path) == []
    # another input rate is another run: its segments are not taken
    other = upscale_file(seq, f"{tmp_path}/four/", factor=4, input_fps=30, **FAST)
    assert other["resumed_frames"] == 0 and other["src_fps"] == "30"


def test_infill_sequence_in_and_out_keeps_every_other_frame_exactly(seq, tmp_path, frames, capsys):
    out = tmp_path / "fixed"
    code, stdout, _ = run_cli(capsys, "infill", seq, "-o", f"{out}/", "--frames", "5", "--input-fps", "30", "--json", "-q", *DIS)  # fmt: skip
    r = json.loads(stdout)
    assert (
        code == 0
        and r["frames"] == 12
        and r["fps"] == "30"
        and r["replaced"][0]["time_s"] == round(5 / 30, 3)
    )
    got = read_images(out)
    assert all(np.array_equal(got[k], frames[k]) for k in range(12) if k != 5)
    assert np.abs(got[5].astype(int) - frames[5]).mean() < 10  # rebuilt between frames 4 and 6


def test_metrics_run_and_bench_read_sequences(seq, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "metrics", seq, "--input-fps", "30", "--json", "-q")
    m = json.loads(out)
    assert code == 0 and len(m["frames"]) == 12 and m["summary"]["fps"] == "30"
    assert m["frames"][3]["time"] == pytest.approx(0.1)
    code, out, _ = run_cli(capsys, "metrics", seq, "--reference", f"{seq}/frame%d.png", "--json", "-q")
    assert code == 0 and json.loads(out)["summary"]["psnr"] == 100.0
    before = tree_hash(seq)
    code, _, err = run_cli(capsys, "metrics", seq, "--plot", seq / "plot.png", "-q")
    assert code == 2 and "inside the input's folder" in err and tree_hash(seq) == before
    # vidiff run: a folder of images (no video in it) is one clip, not a batch; --input-fps is decode.fps
    code, out, err = run_cli(capsys, "run", "fps_x2", "-i", seq, "-o", tmp_path / "r.mp4", "--input-fps", "25", "interpolate.method=dis", "--json", "-q")  # fmt: skip
    r = json.loads(out)
    assert code == 0 and r["src_fps"] == "25" and r["out_fps"] == "50" and r["out_frames"] == 24, err
    code, out, _ = run_cli(capsys, "run", "fps_x2", "-i", seq / "frame%d.png", "-o", f"{tmp_path}/rf/", "interpolate.method=dis", "--json", "-q")  # fmt: skip
    assert code == 0 and len(list((tmp_path / "rf").iterdir())) == 24
    clips = tmp_path / "clips"
    clips.mkdir()
    write_clip(clips / "a.mp4", [square(i) for i in range(4)])
    code, _, err = run_cli(
        capsys, "run", "fps_x2", "-i", clips, "-o", tmp_path / "batch", "--input-fps", "25", "-q"
    )
    assert code == 2 and "rate of one image sequence" in err
    code, out, _ = run_cli(capsys, "bench", "-i", seq, "--methods", "dup", "--in-process", "-o", tmp_path / "b", "--json", "-q")  # fmt: skip
    assert code == 0 and json.loads(out)[0]["n_source_frames"] == 12


def test_help_shows_sequence_examples(capsys):
    with pytest.raises(SystemExit):
        main(["upscale", "--help"])
    text = capsys.readouterr().out
    assert "vidiff upscale frames/ -o out.mp4 --fps 60" in text and "-o out_frames/" in text
    assert f"default {DEFAULT_INPUT_FPS}" in text and "--input-fps" in text
