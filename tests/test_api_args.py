"""The Python API on bad arguments and in odd hosts: a `VidiffError` sentence before any work, never a
traceback or a crash; a plain script, stdin and tiny frames work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import TINY_MODEL, count_frames

from vidiff.errors import ConfigError, UnsupportedError, VidiffError

ROOT = Path(__file__).resolve().parent.parent


def moving(n: int, w: int, h: int) -> list[np.ndarray]:
    """n frames of a gradient sliding 2 px a frame (real motion for optical flow)."""
    y, x = np.mgrid[0:h, 0:w]
    out = []
    for i in range(n):
        v = ((x + 2 * i) * 7 + y * 3) % 256
        out.append(np.stack([v, 255 - v, (v * 2) % 256], -1).astype(np.uint8))
    return out


def write_mkv(path: Path, frames: list[np.ndarray]) -> Path:
    """Lossless ffv1 4:4:4 in .mkv: any frame size, odd or tiny."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = w, h, "yuv444p"
        for i, im in enumerate(frames):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def python(code: str, cwd: Path, stdin: bool = False, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter, as a script file without a main guard or piped to `python -`."""
    code = textwrap.dedent(code)
    if stdin:
        return subprocess.run(
            [sys.executable, "-"], input=code, cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
    script = cwd / "plain_script.py"
    script.write_text(code)
    return subprocess.run(
        [sys.executable, str(script)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


# -- crashes ------------------------------------------------------------------------------------------


def test_dis_on_small_frames_never_crashes_the_process():
    """OpenCV's DIS segfaulted on 96x8 (and 80x16, 200x24 ...): every size it can take now gives a flow
    and the others are one `UnsupportedError`, in a child process so that a crash is seen as one."""
    code = """
        import numpy as np
        from vidiff.errors import UnsupportedError
        from vidiff.flow import dis_flow, get_interpolator
        from vidiff.timeline import check_flow_size
        dis = get_interpolator("dis")
        for w, h in [(96, 8), (8, 96), (80, 16), (200, 24), (40, 8), (640, 16), (12, 8), (8, 12), (16, 16),
                     (1000, 9), (2000, 31), (35, 27)]:
            check_flow_size(w, h)
            a = np.random.default_rng(w * h).integers(0, 255, (h, w, 3), dtype=np.uint8)
            b = np.roll(a, 2, axis=1)
            for preset in (0, 1, 2):
                assert dis_flow(a, b, preset).shape == (h, w, 2)
            assert dis.interpolate(a, b, [0.5])[0].shape == (h, w, 3)
        for w, h in [(2, 2), (11, 11), (7, 96), (96, 7), (1, 64), (4, 4)]:
            try:
                check_flow_size(w, h)
            except UnsupportedError:
                pass
            else:
                raise AssertionError((w, h))
            a = np.zeros((h, w, 3), np.uint8)
            try:
                dis.interpolate(a, a, [0.5])
            except UnsupportedError:
                pass
            else:
                raise AssertionError((w, h))
        print("ok")
    """
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


@pytest.mark.parametrize("size, code", [((96, 8), 0), ((8, 96), 0), ((16, 16), 0), ((2, 2), 2)])
def test_tiny_clips_through_the_cli(tmp_path, capsys, size, code):
    """`vidiff upscale` of a tiny clip with DIS: made (96x8 was a segfault: the child-process test above
    guards the crash itself), or one error line."""
    from vidiff.cli import main

    w, h = size
    src = write_mkv(tmp_path / "x.mkv", moving(20, w, h))
    out = tmp_path / "o.mp4"
    assert main(["upscale", str(src), "-o", str(out), "--factor", "2", "--method", "dis", "-q"]) == code
    err = capsys.readouterr().err
    if code == 0:
        assert count_frames(out) == 40
    else:
        assert err.count("\n") == 1 and "too small for optical flow" in err, err
        assert not out.exists()


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """130 frames: x2 gives more than two segments, so a parallel default would spawn workers."""
    return write_mkv(tmp_path_factory.mktemp("api") / "in.mkv", moving(130, 32, 24))


@pytest.mark.parametrize("stdin", [False, True], ids=["script", "stdin"])
def test_upscale_file_from_a_plain_script_and_stdin(long_clip, tmp_path, stdin):
    """No `if __name__ == "__main__":` guard, or piped to `python -`: the API's default is one process
    (spawned workers would re-run the caller: 'worker processes died 4 times')."""
    out = tmp_path / "out.mp4"
    r = python(
        f"""
        from vidiff import upscale_file
        r = upscale_file({str(long_clip)!r}, {str(out)!r}, factor=2, method="dis", progress=False)
        print("workers", r["workers"], r["out_frames"])
        """,
        tmp_path,
        stdin=stdin,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["workers", "1", "260"]
    assert count_frames(out) == 260


def test_the_cli_keeps_every_core_by_default():
    from vidiff.runner.jobs import cpu_count
    from vidiff.runner.parallel import cli_workers, workers_for

    assert cli_workers(None) == "auto" and cli_workers("2") == 2
    assert workers_for(None, 10_000) == 1  # the API's default
    assert workers_for(cli_workers(None), 10_000) == min(cpu_count(), workers_for(64, 10_000))


def test_writer_takes_a_float_rate(tmp_path):
    """A float rate such as 29.97 was a Fraction with a 2**48 denominator: PyAV's OverflowError (a
    traceback) from `VideoWriter(..., 29.97)`; a vanishing one (1e-300) is one refusal."""
    import av

    from vidiff import VideoWriter

    with VideoWriter(tmp_path / "w.mp4", 16, 16, 29.97) as w:
        w.write(np.zeros((16, 16, 3), np.uint8))
    with av.open(str(tmp_path / "w.mp4")) as c:
        assert c.streams.video[0].average_rate == Fraction(2997, 100)
    with pytest.raises(VidiffError, match="at least 1/100000"):
        VideoWriter(tmp_path / "v.mp4", 16, 16, 1e-300)
    assert not (tmp_path / "v.mp4").exists()


# -- bad arguments: a VidiffError sentence, before any work --------------------------------------------


def test_named_bad_arguments_are_one_vidiff_error(long_clip, tmp_path):
    """The cases the issue names, each a `VidiffError` with one clear line."""
    from vidiff import VideoWriter, get_interpolator, upscale_file

    a = np.zeros((16, 16, 3), np.uint8)
    cases = [
        (lambda: upscale_file(None, tmp_path / "o.mp4", factor=2, method="dis"), "input None"),
        (lambda: VideoWriter(tmp_path / "w.mp4", 0, 16, 25), "width 0"),
        (lambda: VideoWriter(tmp_path / "w.mp4", 16, 16, 0), "fps 0"),
        (lambda: get_interpolator("dis").interpolate(a, np.zeros((16, 18, 3), np.uint8), [0.5]), "differ"),
        (lambda: get_interpolator("dis").interpolate(a.astype(np.float32), a, [0.5]), "uint8"),
        (lambda: get_interpolator("blend").interpolate(a, a, [1.5]), "from 0 to 1"),
        (lambda: get_interpolator("dup").interpolate(a, a, [float("nan")]), "finite"),
    ]
    for call, words in cases:
        with pytest.raises(VidiffError) as e:
            call()
        assert words in str(e.value) and "\n" not in str(e.value), str(e.value)
    w = VideoWriter(tmp_path / "w.mp4", 16, 16, Fraction(25))
    with pytest.raises(VidiffError, match="expected"):
        w.write(np.zeros((16, 18, 3), np.uint8))
    with pytest.raises(VidiffError, match="no frame"):
        w.close()
    w = VideoWriter(tmp_path / "w.mp4", 16, 16, Fraction(25))
    w.write(a)
    w.close()
    with pytest.raises(VidiffError, match="closed"):
        w.write(a)
    assert count_frames(tmp_path / "w.mp4") == 1
    assert not list(tmp_path.glob(".*")), list(tmp_path.glob(".*"))  # no lock or partial file left


def test_infill_with_lists_of_different_lengths(tmp_path):
    from vidiff.diffusion.model import VidiffModel
    from vidiff.diffusion.sampling import infill

    model = VidiffModel.from_config(TINY_MODEL).eval()
    a = np.zeros((16, 16, 3), np.uint8)
    for frames, times, observed, words in [
        ([a, None, a], [0.0, 1.0], [True, False, True], "frames 3, times 2, observed 3"),
        ([a, None, a], [0.0, 0.5, 1.0], [True, False], "observed 2"),
        ([a, None, a], [0.0, 0.5, 1.0], [False, False, False], "no frame is observed"),
        ([a, None, a[:8]], [0.0, 0.5, 1.0], [True, False, True], "shape"),
        ([a, None, a], [0.0, float("inf"), 1.0], [True, False, True], "finite"),
    ]:
        with pytest.raises(VidiffError, match=words):
            infill(model, frames, times, observed, steps=1)
    with pytest.raises(VidiffError, match="VidiffModel"):
        infill(None, [a, None, a], [0.0, 0.5, 1.0], [True, False, True])
    # a prior of another window's shape was a torch RuntimeError deep in the U-Net, a generator that is
    # not one a TypeError from torch.randn, frames too small for the DIS prior an OpenCV error
    args = ([a, None, a], [0.0, 0.5, 1.0], [True, False, True])
    for prior in (np.zeros((3, 1, 16, 16, 3), np.uint8), np.zeros((2, 3, 16, 16, 3), np.uint8)):
        with pytest.raises(ConfigError, match=r"infill prior uint8 .*: give the \(3, 3, 16, 16, 3\)"):
            infill(model, *args, prior=prior)
    with pytest.raises(ConfigError, match="infill generator int"):
        infill(model, *args, generator=3)
    tiny = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(UnsupportedError, match="too small for infill's optical-flow prior"):
        infill(model, [tiny, None, tiny], *args[1:])
    assert infill(model, [tiny, None, tiny], *args[1:], prior=np.zeros((3, 3, 2, 2, 3), np.uint8))[
        1
    ].shape == (2, 2, 3)
    # steps past the samplers' 50 passed the window check (its bound was 1000) and failed after the prior
    # was made; sampler "" fell back to the default sampler, 3 or a sampler of the other process failed late
    for kw, words in (
        ({"steps": 51}, "infill steps must be between 1 and 50, not 51"),
        ({"sampler": ""}, "unknown sampler ''"),
        ({"sampler": 3}, "unknown sampler 3"),
        ({"sampler": "euler"}, "sampler 'euler' does not fit"),
    ):
        with pytest.raises(ConfigError, match=words):
            infill(model, *args, prior=np.zeros((3, 3, 16, 16, 3), np.uint8), **kw)
    # (a well-formed call is tests/test_model.py's)


@pytest.fixture(scope="module")
def fuzz_media(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("fuzz")
    (d / "text.txt").write_text("not a video")
    (d / "folder").mkdir()
    (d / "seq").mkdir()
    for k, im in enumerate(moving(3, 32, 24)):
        cv2.imwrite(str(d / "seq" / f"{k}.png"), im)
    return {
        "clip": write_mkv(d / "clip.mkv", moving(12, 32, 24)),
        "seq": d / "seq",
        "dir": d / "folder",
        "text": d / "text.txt",
        "missing": d / "missing.mp4",
        "out": d / "out",
    }


def bad_values(media: dict[str, Path]):
    """Arguments a new user might pass by mistake: wrong types, bad numbers, empty or odd containers,
    arrays of the wrong shape or type, paths that are missing, folders or not videos."""
    from hypothesis import strategies as st

    odd = [
        media["missing"],
        str(media["dir"]),
        media["text"],
        Fraction(0),
        Fraction(-1, 3),
        object(),
        np.zeros((0,), np.uint8),
        np.zeros((4, 4), np.uint8),
        np.zeros((16, 16, 3), np.float32),
        np.zeros((16, 16, 4), np.uint8),
        np.zeros((2, 2, 3), np.uint8),
        np.full((16, 16, 3), np.nan, np.float64),
        (0, 0),
        (-16, 16),
    ]
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=6),
        st.binary(max_size=3),
        st.lists(st.none() | st.integers(-2, 2), max_size=3),
        st.dictionaries(st.text(max_size=3), st.none(), max_size=2),
        st.sampled_from(odd),
    )


def public_calls(media: dict[str, Path]) -> dict[str, tuple]:
    """Every public function of `vidiff.__all__` (and `infill`, which README shows): the call and valid
    keyword arguments, each of which the fuzzer replaces in turn. Good values are tiny, so a call that
    does real work on a replaced-but-valid argument takes a fraction of a second."""
    import vidiff

    a = np.zeros((16, 16, 3), np.uint8)
    out = media["out"]

    def writer(frame=a, **kw):
        with vidiff.VideoWriter(**kw) as w:
            w.write(frame)

    def interp(method, a, b, ts):
        return vidiff.get_interpolator(method).interpolate(a, b, ts)

    def reader(source, info, input_fps):
        return sum(1 for _ in vidiff.VideoReader(source, info, input_fps))

    return {
        "upscale_file": (
            vidiff.upscale_file,
            dict(
                input=media["clip"],
                output=out / "u.mp4",
                factor=2,
                method="dis",
                progress=False,
                crf=30,
                preset="ultrafast",
                window=2,
                max_run=3,
                speed=1,
                audio=True,
                dedupe=True,
                scene_cuts=True,
                transform=None,
                out_size=None,
                workers=None,
                pool=None,
                method_options=None,
                quality=None,
                codec="h264",
                pix_fmt="yuv420p",
                audio_mode=None,
                input_fps=None,
            ),
        ),  # fmt: skip
        "VideoWriter": (
            writer,
            dict(
                path=out / "w.mp4",
                width=16,
                height=16,
                fps=Fraction(25),
                codec="libx264",
                crf=30,
                preset="ultrafast",
                pix_fmt="yuv420p",
                rotation=0,
                color=None,
                inputs=(),
                faststart=True,
                profile=None,
                audio_from=None,
                audio=None,
                lock=True,
            ),
        ),  # fmt: skip
        "VideoWriter.write": (
            lambda frame: writer(path=out / "f.mp4", width=16, height=16, fps=25, frame=frame),
            dict(frame=a),
        ),  # fmt: skip
        "interpolate": (interp, dict(method="dis", a=a, b=a, ts=[0.5])),
        "get_interpolator": (
            lambda name, preset: vidiff.get_interpolator(name, preset=preset),
            dict(name="dis", preset=2),
        ),  # fmt: skip
        "interpolator_names": (vidiff.interpolator_names, {}),
        "register_interpolator": (
            vidiff.register_interpolator,
            dict(name="fuzzed", factory="vidiff.flow:Blend"),
        ),
        "probe": (vidiff.probe, dict(path=media["clip"], input_fps=None)),
        "VideoFile": (lambda path: vidiff.VideoFile(path).close(), dict(path=media["clip"])),
        "ImageSequence": (
            lambda path, input_fps: vidiff.ImageSequence(path, input_fps).close(),
            dict(path=media["seq"], input_fps=30),
        ),
        "VideoReader": (reader, dict(source=media["seq"], info=None, input_fps=Fraction(30000, 1001))),
        "read_frames": (vidiff.read_frames, dict(path=media["clip"], max_frames=3)),
        "sample_clip": (vidiff.sample_clip, dict(name="carphone_pristine")),
        "UpscaleOptions": (
            vidiff.UpscaleOptions,
            dict(factor=2, method="dis", crf=18, window=8, max_run=3, workers=1, out_size=(64, 48)),
        ),
    }


# public names that are records, not calls: the error classes, a frame, probe's result, the Protocol
RECORDS = {"ConfigError", "InputError", "OutputError", "UnsupportedError", "VidiffError", "Frame", "VideoInfo",
           "Interpolator"}  # fmt: skip


def test_every_public_name_is_fuzzed(fuzz_media):
    import vidiff

    covered = {name.split(".")[0] for name in public_calls(fuzz_media)} | {"interpolator_names"}
    covered |= {"get_interpolator"}  # interpolate is reached through it
    assert set(vidiff.__all__) - RECORDS <= covered, set(vidiff.__all__) - RECORDS - covered


def test_fuzzed_bad_arguments_raise_only_vidiff_errors(fuzz_media):
    """A property test (hypothesis): any one argument of any public call replaced by a bad value gives a
    result or a `VidiffError`, never another exception (a TypeError, a NumPy or PyAV error, a crash)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import vidiff.flow as flow

    calls = public_calls(fuzz_media)
    slots = [(name, arg) for name, (_, good) in calls.items() for arg in good]
    registry = dict(flow._REGISTRY)

    @settings(
        max_examples=160,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(slot=st.sampled_from(slots), value=bad_values(fuzz_media))
    def check(slot, value):
        name, arg = slot
        fn, good = calls[name]
        out = fuzz_media["out"]
        out.mkdir(exist_ok=True)
        try:
            fn(**{**good, arg: value})
        except VidiffError as e:
            assert str(e).strip() and "\n" not in str(e), (name, arg, value, str(e))
        finally:
            flow._REGISTRY.clear()
            flow._REGISTRY.update(registry)
            for p in out.iterdir():  # no lock, partial or parts file is left, whatever happened
                assert not p.name.startswith("."), (name, arg, value, p)
                p.unlink()

    check()


def test_extend_and_loop_frames_refuse_bad_arguments():
    """extend_frames and loop_frames had no argument checks: context=1 was an IndexError, context=None a
    TypeError, refiner=3 an AttributeError, a None or differently sized frame an OpenCV error, loop_frames'
    n=1.5 a TypeError and n=10**9 or max_n=nan ran until memory ran out; each is one ConfigError now."""
    from vidiff.generate import extend_frames, loop_frames

    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, 255, (32, 48, 3), np.uint8) for _ in range(2))
    frames = [a, b, a]
    cases = [
        (lambda: extend_frames(frames, 2, context=1), "context 1"),
        (lambda: extend_frames(frames, 2, context=None), "context None"),
        (lambda: extend_frames(frames, 2, scheme="hierarchical", stride=0), "stride 0"),
        (lambda: extend_frames(frames, 2, refiner=3), "refiner 3"),
        (lambda: extend_frames(None, 2), "give a list"),
        (lambda: extend_frames(iter(frames), 2), "give a list"),
        (lambda: extend_frames([a, None], 2), "entry 1"),
        (lambda: extend_frames([a, a[:, :40]], 2), "entry 1: shape"),
        (lambda: extend_frames([a, a.astype(np.float32)], 2), "float32"),
        (lambda: loop_frames(a, b, 1.5), "loop n 1.5"),
        (lambda: loop_frames(a, b, 10**9), "loop n 1000000000"),
        (lambda: loop_frames(a, b, -1), "loop n -1"),
        (lambda: loop_frames(a, b, max_step=0.0, max_n=float("nan")), "loop max_n nan"),
        (lambda: loop_frames(a, b, max_step="1"), "loop max_step '1'"),
        (lambda: loop_frames(a, b, 2, refiner=3), "refiner 3"),
        (lambda: loop_frames(a.astype(np.float32), b, 2), "loop first"),
    ]
    for call, words in cases:
        with pytest.raises(ConfigError) as e:
            call()
        assert words in str(e.value) and "\n" not in str(e.value), (words, str(e.value))
    tiny = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(UnsupportedError, match="too small for extension"):
        extend_frames([tiny, tiny], 2)
    assert len(extend_frames(tuple(frames), 2, context=2)) == 2  # good arguments still work
    assert len(loop_frames(a, b, max_step=0.0, max_n=1)) == 1


def test_make_clip_argument_types_are_one_config_error(tmp_path):
    """make_clip compared its numbers without checking their types: seconds=None or strength="0.2" was a
    TypeError, image=3 or audio=3 a TypeError from os.fspath, interpolate_options=3 a TypeError from
    `**`, on_frame=3 a TypeError after the first frame was written, loop="yes" was taken as True and
    seed=1.5 as a seed; each is one ConfigError now, before any work (None is not given: the default)."""
    import cv2

    from vidiff.generate import make_clip

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), moving(1, 64, 64)[0])
    good = dict(image=str(still), seconds=0.2, fps=24, aspect="1:1", progress=False)
    for key, value in [("seconds", "4"), ("strength", "0.2"), ("transition", "1"), ("extend", True),
                       ("image", 3), ("audio", 3), ("strip", 3), ("interpolate_options", 3), ("on_frame", 3),
                       ("loop", "yes"), ("seed", 1.5), ("crf", "18"), ("codec", 3)]:  # fmt: skip
        with pytest.raises(ConfigError, match=f"^{key} ") as e:
            make_clip(tmp_path / "o.mp4", **{**good, key: value})
        assert "\n" not in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["still.png"]
    assert make_clip(tmp_path / "o.mp4", **good)["frames"] > 0
    with pytest.raises(ConfigError, match="^motion does not apply to a video diffusion model's clip: "):
        make_clip(tmp_path / "m.mp4", prompt="a fox", weights="w", motion="zoom-in")  # before the weights
    assert not (tmp_path / "m.mp4").exists()


def test_api_errors_name_the_parameters_not_the_cli_flags(tmp_path, monkeypatch):
    """An API caller reads its own parameter names: make_clip said '--strength must be ...', '--seed',
    '--strip', 'needs --weights', and upscale_file 'add --codec vp9' or 'give --method or --quality';
    infill_file '--frames' and '--auto', parse_factor '--factor', bench's '--max-frames' and '--methods',
    run_many '--shard' and '--ray'."""
    import cv2

    from vidiff import UpscaleOptions, upscale_file
    from vidiff.generate import make_clip
    from vidiff.metrics import parse_factor
    from vidiff.metrics.bench import check_max_frames, resolve_methods, resolve_qualities
    from vidiff.recipes import load_recipe
    from vidiff.runner.infill import infill_file
    from vidiff.runner.recipe import run_many

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), moving(1, 64, 64)[0])
    clip = write_mkv(tmp_path / "in.mkv", moving(6, 32, 24))
    out = tmp_path / "o.mp4"
    img = dict(image=str(still), seconds=0.2, fps=24, aspect="1:1", progress=False)
    cases = [
        (lambda: make_clip(out, **{**img, "strength": 2.0}), "strength must be between 0 and 1"),
        (lambda: make_clip(out, **{**img, "seconds": 100.0}), "seconds must be between 0.2 and 60"),
        (lambda: make_clip(out, **{**img, "seed": -1}), "seed -1: must be a whole number"),
        (lambda: make_clip(out, **{**img, "strip": str(tmp_path / "s.jpg")}), "strip "),
        (lambda: make_clip(out, **{**img, "steps": 2}), "steps applies to method diffusion"),
        (lambda: make_clip(out, **{**img, "guidance": 3.0}), "guidance applies to a video diffusion"),
        (lambda: make_clip(out, prompt="a fox", progress=False), "a prompt needs weights"),
        (lambda: make_clip(out, clip=str(clip), extend=-1.0, progress=False), "extend must be 0 or more"),
        (lambda: make_clip(out, clip=str(clip), method="diffusion", steps=0), "steps must be between 1"),
        (
            lambda: upscale_file(clip, tmp_path / "o.webm", factor=2, method="dis", codec="h264"),
            "use codec vp9",
        ),
        (lambda: upscale_file(clip, out, factor=2, fps=60, method="dis"), "one of factor or fps"),
        (lambda: UpscaleOptions(factor=2, method="dis", quality="max"), "give method or quality"),
        (lambda: infill_file(clip, out, frames="x"), "invalid frames 'x'"),
        (lambda: infill_file(clip, out, frames="2-9"), "frames: frame 6 is outside the clip"),
        (lambda: infill_file(clip, out, frames=","), "no frame listed"),
        (lambda: infill_file(clip, out), "give either frames to replace (e.g. frames 10-14,30) or auto"),
        (lambda: infill_file(clip, out, frames="0-5"), "frames lists every frame"),
        (lambda: infill_file(clip, out, frames={100}), "frames: frame 100 is outside the clip"),
        (lambda: infill_file(clip, out, frames=[2, -1]), "frames: frame -1 is outside the clip"),
        (lambda: infill_file(clip, out, frames={True}), "give frame indices"),
        (lambda: infill_file(clip, out, frames=[2.5]), "give frame indices"),
        (lambda: infill_file(clip, out, frames=set(range(6))), "frames lists every frame"),
        (lambda: parse_factor("two"), "invalid factor 'two'"),
        (lambda: parse_factor("100"), "factor 100 out of range"),
        (lambda: check_max_frames(1), "max_frames must be a whole number, at least 2"),
        (lambda: resolve_methods(","), "no method given; e.g. methods dup,blend,dis"),
        (lambda: resolve_qualities(","), "no quality given"),
        (
            lambda: run_many(load_recipe("fps_x2"), str(clip), str(tmp_path / "b"), shard="5/2"),
            "invalid shard",
        ),
        (
            lambda: run_many(load_recipe("fps_x2"), str(clip), str(tmp_path / "b"), ray=True),
            "ray: Ray is not",
        ),
    ]
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed: `import ray` fails
    for call, words in cases:
        with pytest.raises(VidiffError) as e:
            call()
        assert words in str(e.value) and "--" not in str(e.value), str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mkv", "still.png"]
