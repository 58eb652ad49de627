"""Hostile pass 5 over the Python API's doors: what the earlier rounds did not cover (a number too long to
print, an option dict keyed by a number, NumPy counts, an output onto a named pipe, a lazy factory that does
not import, infill's frames as bytes or an iterator, VideoReader under `with`). Each is one `VidiffError`
line before any work, or works as its plain-Python twin does; nothing is left beside the output."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import count_frames, sha256, write_clip

import vidiff
from vidiff.errors import ConfigError, OutputError, VidiffError

HUGE = (
    10**5000
)  # Python refuses str() of an int of over 4300 digits: every line that quoted it was a ValueError


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 frames of 48x32 noise."""
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("hostile5")
    return write_clip(d / "in.mp4", list(rng.integers(0, 255, (8, 32, 48, 3), np.uint8)))


def _refused(call, kind: type[VidiffError], words: str, folder: Path, keep: set[str] | None = None) -> None:
    """`call()` raises `kind` with `words` in one line, and `folder` holds only `keep` afterwards."""
    with pytest.raises(kind) as e:
        call()
    assert words in str(e.value) and "\n" not in str(e.value), str(e.value)
    assert {p.name for p in folder.iterdir()} == (keep or set())


@pytest.mark.parametrize(
    "kw",
    [
        {"factor": HUGE},
        {"fps": HUGE},
        {"fps": Fraction(1, HUGE)},
        {"factor": 2, "crf": HUGE},
        {"factor": 2, "workers": HUGE},
        {"factor": 2, "window": HUGE},
        {"factor": 2, "speed": HUGE},
        {"factor": 2, "out_size": (HUGE, 32)},
        {"factor": 2, "method": "dis", "method_options": {"preset": HUGE}},
    ],
    ids=lambda kw: "-".join(kw)[:40],
)
def test_a_number_too_long_to_print_is_one_config_error(clip: Path, tmp_path: Path, kw: dict) -> None:
    """Every such argument was a ValueError ('Exceeds the limit (4300 digits) for integer string
    conversion') from the f-string of the line meant to refuse it; the API's door refuses it by name."""
    name = list(kw)[-1]  # the huge one

    def call() -> None:
        vidiff.upscale_file(clip, tmp_path / "o.mp4", **{"method": "blend", "progress": False, **kw})

    _refused(call, ConfigError, f"upscale_file: {name} holds a number of over 3900 digits", tmp_path)


def test_a_number_too_long_to_print_at_the_other_doors(clip: Path, tmp_path: Path) -> None:
    from vidiff.generate import make_clip
    from vidiff.metrics.clip import analyze_clip
    from vidiff.runner.infill import infill_file
    from vidiff.validate import check_int, show

    out = tmp_path / "o.mp4"
    _refused(lambda: vidiff.VideoWriter(out, HUGE, 16, 25), ConfigError, "VideoWriter: width holds", tmp_path)
    _refused(
        lambda: infill_file(clip, out, frames=[HUGE]), ConfigError, "infill_file: frames holds", tmp_path
    )
    _refused(lambda: analyze_clip(clip, top=HUGE), ConfigError, "analyze_clip: top holds", tmp_path)
    _refused(lambda: make_clip(out, image="x.png", seed=HUGE), ConfigError, "make_clip: seed holds", tmp_path)
    # a check called directly (not through a public door) says it in a bounded line
    assert show(HUGE) == show([HUGE]) == "<a number too long to print>"
    with pytest.raises(ConfigError, match="^n <a number too long to print>: must be a whole number"):
        check_int(HUGE, "n", 0, 10)


def test_a_large_number_is_shown_in_a_bounded_line(clip: Path, tmp_path: Path) -> None:
    """A crafted crf of 1e300 (the web app's number box) was quoted as all 301 digits of int(1e300)."""
    with pytest.raises(ConfigError) as e:
        vidiff.upscale_file(clip, tmp_path / "o.mp4", factor=2, method="blend", crf=int(1e300))
    assert len(str(e.value)) < 300 and "..." in str(e.value), str(e.value)
    with pytest.raises(ConfigError, match=r"^factor 1000000000.*\.\.\. out of range \[1, 64\]$"):
        vidiff.upscale_file(clip, tmp_path / "o.mp4", factor=10**400, method="blend")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["upscale_file", "infill_file", "make_clip", "interpolator"])
def test_option_dicts_keyed_by_a_number_are_one_config_error(clip: Path, tmp_path: Path, where: str) -> None:
    """method_options={1: 2} (and make_clip's interpolate_options) was Python's 'keywords must be
    strings' TypeError where the options were passed on as **options."""
    from vidiff.flow import check_method_options
    from vidiff.generate import make_clip
    from vidiff.runner.infill import infill_file

    out = tmp_path / "o.mp4"
    calls = {
        "upscale_file": lambda: vidiff.upscale_file(clip, out, factor=2, method="dis", method_options={1: 2}),
        "infill_file": lambda: infill_file(clip, out, frames="3", method="dis", method_options={1: 2}),
        "make_clip": lambda: make_clip(out, clip=str(clip), extend=0.5, interpolate_options={1: 2}),
        "interpolator": lambda: check_method_options("dis", {("preset",): 1}),
    }
    _refused(calls[where], ConfigError, "key ", tmp_path)


def test_numpy_counts_are_taken_as_ints(clip: Path, tmp_path: Path) -> None:
    """window and max_run refused a NumPy integer (`isinstance(x, int)`) with a line saying the value was
    out of range; DIS's preset did so too ('DIS preset np.int64(1): use 0, 1 or 2')."""
    opts = vidiff.UpscaleOptions(factor=2, method="dis", window=np.int64(4), max_run=np.int32(2), workers=1)
    assert (opts.window, opts.max_run) == (4, 2) and type(opts.window) is int and type(opts.max_run) is int
    assert vidiff.UpscaleOptions(factor=2, method="dis", window=4.0).window == 4  # a whole float, as counts
    assert vidiff.get_interpolator("dis", preset=np.int64(1)).preset == 1
    for bad in (0, 1025, 2.5, np.float64("nan"), True, "4", None):
        with pytest.raises(ConfigError, match=r"^window .*(a window is 1 to 1024 pairs|must be a number)"):
            vidiff.UpscaleOptions(factor=2, method="dis", window=bad)
    with pytest.raises(ConfigError, match="DIS preset True"):
        vidiff.get_interpolator("dis", preset=True)
    r = vidiff.upscale_file(clip, tmp_path / "o.mp4", factor=np.int64(2), method="dis", window=np.int64(2),
                            max_run=np.int64(3), crf=np.int64(20), progress=False)  # fmt: skip
    assert r["out_frames"] == count_frames(tmp_path / "o.mp4") == 16


def test_out_size_is_a_size_or_refused_before_any_work(clip: Path, tmp_path: Path) -> None:
    """out_size as a NumPy array passed the check (a list-like of two) and was a ValueError ('truth value
    of an array is ambiguous') later; another size than the frames' without a transform failed mid-run
    ('frame: shape (32, 48, 3) != the expected (48, 64, 3)')."""
    out = tmp_path / "o.mp4"
    assert vidiff.UpscaleOptions(factor=2, method="dis", out_size=np.array([64, 48])).out_size == (64, 48)
    _refused(
        lambda: vidiff.upscale_file(clip, out, factor=2, method="blend", out_size=np.array([64, 48])),
        ConfigError,
        "out_size 64x48: the frames are 48x32 (no transform resizes them)",
        tmp_path,
    )
    r = vidiff.upscale_file(clip, out, factor=2, method="blend", out_size=np.array([48, 32]), progress=False)
    assert r["out_frames"] == 16


def test_a_lazy_factory_that_does_not_load_is_one_config_error(monkeypatch) -> None:
    """register_interpolator('x', 'no.such:Thing') then get_interpolator('x') was ModuleNotFoundError, and
    'os:sep' (not callable) a TypeError from inspect.signature."""
    import vidiff.flow as flow

    monkeypatch.setattr(flow, "_REGISTRY", dict(flow._REGISTRY))
    vidiff.register_interpolator("h5_missing", "no_such_module_h5:Thing")
    vidiff.register_interpolator("h5_noattr", "vidiff.flow:NoSuchThing")
    vidiff.register_interpolator("h5_notcallable", "os:sep")
    for name, words in [
        ("h5_missing", "cannot load its factory 'no_such_module_h5:Thing' (No module named"),
        ("h5_noattr", "cannot load its factory 'vidiff.flow:NoSuchThing' (module 'vidiff.flow' has no"),
        ("h5_notcallable", "its factory 'os:sep' is not callable"),
    ]:
        with pytest.raises(ConfigError, match=f"^method '{name}': " + words.replace("(", r"\(")):
            vidiff.get_interpolator(name)


@pytest.mark.parametrize("kind", ["fifo", "fifo-link"])
def test_an_output_onto_a_named_pipe_is_refused(clip: Path, tmp_path: Path, kind: str) -> None:
    """The finished file's rename replaced a named pipe (and a link to one) that stood at the output's
    name, with no word; a reader waiting on that pipe never got anything. A device (/dev/null) has no
    video extension, refused already."""
    from vidiff.generate import make_clip

    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    out = fifo
    if kind == "fifo-link":
        out = tmp_path / "link.mp4"
        out.symlink_to(fifo)
    keep = {p.name for p in tmp_path.iterdir()}
    words = "is not a regular file (a named pipe, device or socket)"
    _refused(
        lambda: vidiff.upscale_file(clip, out, factor=2, method="blend"), OutputError, words, tmp_path, keep
    )
    _refused(lambda: vidiff.VideoWriter(out, 16, 16, 25), OutputError, words, tmp_path, keep)
    _refused(lambda: make_clip(out, clip=str(clip), extend=0.5), OutputError, words, tmp_path, keep)
    assert fifo.is_fifo()


@pytest.mark.parametrize(
    ("frames", "words"),
    [(b"3", "invalid frames b'3'; give frame indices"), (bytearray(b"3"), "invalid frames bytearray")],
)
def test_infill_frames_as_bytes_are_refused(clip: Path, tmp_path: Path, frames, words: str) -> None:
    """b'3' was read as the bytes' values: 'frame 51 is outside the clip'."""
    from vidiff.runner.infill import infill_file

    _refused(
        lambda: infill_file(clip, tmp_path / "o.mp4", frames=frames, method="blend"),
        ConfigError,
        words,
        tmp_path,
    )


@pytest.mark.parametrize(
    "frames", [iter([3, 4]), (i for i in (3, 4)), np.array([3, 4]), [np.int64(3), np.int32(4)], range(3, 5)]
)
def test_infill_frames_as_any_iterable_of_indices(clip: Path, tmp_path: Path, frames) -> None:
    """An iterator or generator was read twice (the bool check, then the join) and refused as 'no frame
    listed'; a NumPy index alone was refused too."""
    from vidiff.runner.infill import infill_file

    r = infill_file(clip, tmp_path / "o.mp4", frames=frames, method="blend", progress=False)
    assert sorted(x["frame"] for x in r["replaced"]) == [3, 4]


def test_infill_one_numpy_index(clip: Path, tmp_path: Path) -> None:
    from vidiff.runner.infill import infill_file

    r = infill_file(clip, tmp_path / "o.mp4", frames=np.int64(3), method="blend", progress=False)
    assert [x["frame"] for x in r["replaced"]] == [3]


def test_video_reader_as_a_context_manager(clip: Path) -> None:
    """`with VideoReader(path) as r:` was a TypeError (no context manager protocol); closing now ends a
    pass left early (its file open until the generator was collected), twice is harmless, and a new
    `for` reads the clip again."""
    with vidiff.VideoReader(clip) as reader:
        it = iter(reader)
        first = next(it)
    assert first.index == 0
    with pytest.raises(StopIteration):  # the pass was ended by the `with`
        next(it)
    reader.close()
    assert [f.index for f in reader] == list(range(8))
    plain = vidiff.VideoReader(clip)
    it = iter(plain)
    next(it)
    plain.close()
    plain.close()
    assert sum(1 for _ in plain) == 8


def test_input_and_paths_kept(clip: Path, tmp_path: Path) -> None:
    """A str subclass and an os.PathLike are paths; bytes, a file object and BytesIO are refused in one
    line naming the path types (the input is never modified)."""
    import io

    class Name(str):
        pass

    class Place:
        def __fspath__(self) -> str:
            return str(clip)

    before = sha256(clip)
    assert vidiff.upscale_file(Name(clip), Name(tmp_path / "a.mp4"), factor=2, method="blend", progress=False)
    assert vidiff.upscale_file(Place(), tmp_path / "b.mp4", factor=2, method="blend", progress=False)
    assert sha256(tmp_path / "a.mp4") == sha256(tmp_path / "b.mp4")
    with open(clip, "rb") as f:
        for bad in (bytes(clip), f, io.BytesIO(clip.read_bytes())):
            with pytest.raises(ConfigError, match=r"give a file path \(str or os.PathLike\)"):
                vidiff.upscale_file(bad, tmp_path / "c.mp4", factor=2, method="blend")
    assert sha256(clip) == before and not (tmp_path / "c.mp4").exists()
