"""Animated GIF output (`-o NAME.gif`): upscale, infill, run and generate; a palette a frame, delays in
hundredths of a second, no audio, no encoding options, the file only whole. Every clip is written here."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import write_clip
from test_sequences import clip_with_audio, square

from vidiff.cli import main
from vidiff.errors import ConfigError, OutputError
from vidiff.io.gif_out import MAX_FPS, GifWriter
from vidiff.runner import upscale_file
from vidiff.runner.infill import infill_file

DIS = ["--method", "dis"]
W, H = 64, 48


@pytest.fixture
def frames() -> list[np.ndarray]:
    return [square(i) for i in range(12)]


def decode(path: Path) -> tuple[list[np.ndarray], list[int]]:
    """A file's frames (RGB) and their stamps in its time base."""
    with av.open(str(path)) as c:
        got = [(f.to_ndarray(format="rgb24"), f.pts) for f in c.decode(video=0)]
    return [g for g, _ in got], [p for _, p in got]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_upscale_to_a_gif_holds_the_runs_frames_at_their_hundredths(tmp_path, frames, capsys):
    """The GIF's frames are the same run's lossless frames through a palette each (near: 256 colours of a
    gradient and a square), at round(100 k / fps) hundredths of a second."""
    clip = write_clip(tmp_path / "in.mkv", frames, fps=Fraction(20), codec="ffv1", pix_fmt="bgr0")
    ref = tmp_path / "ref.mkv"
    upscale_file(clip, ref, factor=2, method="dis", codec="ffv1", pix_fmt="bgr0", progress=False)
    code, _, err = run_cli(capsys, "upscale", clip, "-o", tmp_path / "o.gif", "--factor", "2", "-q", *DIS)
    assert code == 0 and err == ""
    want, _ = decode(ref)
    got, stamps = decode(tmp_path / "o.gif")
    assert len(got) == len(want) == 24
    assert min(psnr(g, w) for g, w in zip(got, want, strict=True)) > 35
    assert stamps == [round(k * 100 / 40) for k in range(24)]  # 40 fps: 2.5 hundredths a frame
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mkv", "o.gif", "ref.mkv"]  # nothing left over


def test_a_rate_a_gif_cannot_play_is_refused_before_any_work(tmp_path, frames, capsys):
    clip = write_clip(tmp_path / "in.mp4", frames, fps=Fraction(30))
    code, _, err = run_cli(capsys, "upscale", clip, "-o", tmp_path / "o.gif", "--factor", "2", *DIS)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"vidiff: error: {tmp_path / 'o.gif'}: a GIF plays at most {MAX_FPS} fps")
    assert "60 fps would play at about 10; give --fps 50 or lower" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
    code, _, _ = run_cli(capsys, "upscale", clip, "-o", tmp_path / "o.gif", "--fps", "50", "-q", *DIS)
    assert code == 0


def test_encoding_options_are_refused_and_the_audio_noted(tmp_path, frames, capsys):
    clip = clip_with_audio(tmp_path / "a.mp4", frames)
    out = tmp_path / "o.gif"
    code, _, err = run_cli(capsys, "upscale", clip, "-o", out, "--factor", "2", "--crf", "20", *DIS)
    assert code == 2 and "crf does not apply to image frames (written as GIF" in err and not out.exists()
    code, stdout, err = run_cli(capsys, "upscale", clip, "-o", out, "--factor", "2", "-q", "--json", *DIS)
    assert code == 0 and err == f"note: {out}: a GIF holds no audio; the input's audio is left out\n"
    assert json.loads(stdout)["audio_streams"] == 0
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video"]


def test_infill_and_the_repair_recipe_write_gifs(tmp_path, frames, capsys):
    clip = write_clip(tmp_path / "in.mkv", frames, fps=Fraction(25), codec="ffv1", pix_fmt="bgr0")
    infill_file(clip, tmp_path / "i.gif", frames="3-4", method="dis", progress=False)
    got, _ = decode(tmp_path / "i.gif")
    assert len(got) == 12 and psnr(got[0], frames[0]) > 35 and psnr(got[8], frames[8]) > 35
    code, _, _ = run_cli(capsys, "run", "fps_x2", "-i", clip, "-o", tmp_path / "r.gif", "-q")
    assert code == 0 and len(decode(tmp_path / "r.gif")[0]) == 24


def test_a_rotated_clip_gives_an_upright_gif(tmp_path, frames):
    clip = write_clip(tmp_path / "r.mkv", frames[:6], codec="ffv1", pix_fmt="bgr0", rotation=90)
    infill_file(clip, tmp_path / "r.gif", frames="2", method="dis", progress=False)
    got, _ = decode(tmp_path / "r.gif")
    assert got[0].shape == (W, H, 3) and psnr(got[0], np.rot90(frames[0])) > 35


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), GifWriter(tmp_path / "x.gif", W, H, Fraction(25)) as w:
        w.write(square(0))
        raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="no frame was produced"), GifWriter(tmp_path / "x.gif", W, H, 25):
        pass
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="a GIF plays at most 50 fps"):
        GifWriter(tmp_path / "x.gif", W, H, Fraction(60000, 1001))


def test_generate_writes_a_gif_without_music(tmp_path, capsys):
    import cv2

    still = tmp_path / "s.png"
    assert cv2.imwrite(str(still), np.full((64, 64, 3), 90, np.uint8))
    out = tmp_path / "g.gif"
    args = ["generate", "--image", still, "-o", out, "--aspect", "1:1", "--seconds", "1", "-q"]
    code, _, err = run_cli(capsys, *args, "--audio", still)
    assert code == 2 and "a GIF holds no audio" in err and not out.exists()
    code, _, err = run_cli(capsys, *args, "--fps", "60")
    assert code == 2 and "a GIF plays at most 50 fps" in err
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    got, _ = decode(out)
    assert len(got) == 30 and got[0].shape == (480, 480, 3)  # GIPHY's 480p, not the video preset's 1080
    out.unlink()
    assert run_cli(capsys, *args[:5], "--aspect", "9:16", *args[7:])[0] == 0
    assert decode(out)[0][0].shape == (854, 480, 3)


def test_workers_and_resume_give_the_same_gif(tmp_path, frames, monkeypatch):
    """Segments of 10 frames: two workers, and a run stopped then resumed, write the bytes one process does."""
    import vidiff.runner.upscale as up

    monkeypatch.setattr(up, "segment_frames", lambda *a: 10)
    clip = write_clip(tmp_path / "in.mkv", frames, fps=Fraction(12), codec="ffv1", pix_fmt="bgr0")
    fast = {"factor": 4, "method": "dis", "progress": False}
    one = upscale_file(clip, tmp_path / "one.gif", workers=1, **fast)
    two = upscale_file(clip, tmp_path / "two.gif", workers=2, **fast)
    assert one["workers"] == 1 and two["workers"] == 2 and one["out_frames"] == 48
    assert (tmp_path / "one.gif").read_bytes() == (tmp_path / "two.gif").read_bytes()

    def stop(image: np.ndarray) -> np.ndarray:
        stop.n += 1  # type: ignore[attr-defined]
        if stop.n == 25:  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        return image

    stop.n = 0  # type: ignore[attr-defined]
    stop.key = "identity"  # type: ignore[attr-defined]
    with pytest.raises(KeyboardInterrupt):
        upscale_file(clip, tmp_path / "three.gif", workers=1, transform=stop, **fast)
    assert not (tmp_path / "three.gif").exists() and (tmp_path / ".three.gif.vidiff-parts").is_dir()
    stop.n = -(10**9)  # type: ignore[attr-defined]
    again = upscale_file(clip, tmp_path / "three.gif", workers=1, transform=stop, **fast)
    assert again["resumed_frames"] in (10, 20)
    assert (tmp_path / "three.gif").read_bytes() == (tmp_path / "one.gif").read_bytes()
