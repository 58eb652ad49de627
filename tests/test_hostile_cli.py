"""Hostile command lines: a device, a named pipe or a contradiction is one `vidiff: error:` line and exit
code 2, never a hang, a read without end or an option silently dropped."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from conftest import write_clip

from vidiff.cli import main


@pytest.fixture()
def fifo(tmp_path: Path) -> str:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return str(path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("cli")
    return str(write_clip(d / "in.mp4", list(rng.integers(0, 255, (8, 32, 48, 3), np.uint8))))


def _one_line(capsys, argv: list[str], seconds: int = 20) -> str:
    """`vidiff argv` must end within `seconds` with exit code 2 and one error line; returns it."""

    def stuck(*_):
        raise AssertionError(f"vidiff {' '.join(argv)} did not end in {seconds} s")

    old = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(seconds)
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert code == 2 and len(err) == 1 and err[0].startswith("vidiff: error: "), (code, err)
    return err[0]


@pytest.mark.parametrize("command", ["run", "train"])
@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_a_recipe_or_config_that_is_a_device_or_pipe_is_refused(
    capsys, tmp_path: Path, fifo: str, clip: str, command: str, source: str
) -> None:
    """`vidiff run /dev/zero` read without end (4 GB of memory in seconds) and a named pipe waited
    forever for a writer; now the file is checked to be a regular file before it is read."""
    path = fifo if source == "fifo" else source
    argv = [command, path] + (["-i", clip, "-o", str(tmp_path / "o.mp4")] if command == "run" else [])
    line = _one_line(capsys, argv)
    assert "not a regular file" in line
    assert not (tmp_path / "o.mp4").exists()


def test_a_recipe_too_big_to_be_one_is_refused(capsys, tmp_path: Path, clip: str) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 1_000_001 + "\n")
    assert "too big for a recipe" in _one_line(
        capsys, ["run", str(big), "-i", clip, "-o", str(tmp_path / "o.mp4")]
    )


def test_repair_recipe_frames_with_auto_is_refused_not_ignored(capsys, tmp_path: Path, clip: str) -> None:
    """The repair recipe has `infill: {auto: true}`: `infill.frames=3` ran the auto repair and rebuilt
    nothing it listed, without a word."""
    out = tmp_path / "o.mp4"
    line = _one_line(capsys, ["run", "repair", "-i", clip, "-o", str(out), "infill.frames=3"])
    assert "gives auto and frames 3: keep one (infill.auto=false" in line
    assert not out.exists()
    assert (
        main(["run", "repair", "-i", clip, "-o", str(out), "infill.frames=3", "infill.auto=false", "-q"]) == 0
    )
    assert out.stat().st_size > 0


@pytest.mark.parametrize("flag", ["--image", "--audio"])
def test_generate_names_a_device_for_what_it_is(
    capsys, tmp_path: Path, fifo: str, clip: str, flag: str
) -> None:
    """`generate --image /dev/zero` (or a pipe, or --audio so) said 'no such file' of a file that is there."""
    src = ["--image", fifo] if flag == "--image" else ["--clip", clip, "--extend", "0.3", "--audio", fifo]
    line = _one_line(capsys, ["generate", *src, "-o", str(tmp_path / "o.mp4")])
    assert line.endswith(
        "not a regular file (a device, pipe or socket); give an "
        + ("image file" if flag == "--image" else "audio file")
    )
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("interpolate.factor=*a", "not a YAML value (found undefined alias 'a')"),
        ("interpolate.factor=[1", "not a YAML value (while parsing a flow sequence)"),
        ("encode.crf=a: b: c", "not a YAML value"),
        ("interpolate.method=*a", "unknown method '*a'"),  # a text key takes the text
    ],
)
def test_an_override_yaml_cannot_parse_is_one_line(
    capsys, tmp_path: Path, clip: str, override, words
) -> None:
    """An override value the YAML parser refuses (`*a`, `[1`) was a yaml ComposerError traceback."""
    line = _one_line(capsys, ["run", "fps_x2", "-i", clip, "-o", str(tmp_path / "o.mp4"), override])
    assert words in line


def test_a_text_override_keeps_its_text() -> None:
    """A prompt that is not valid YAML (`*dramatic* fox`, an alias to YAML) is the text."""
    from vidiff.recipes import load_recipe

    r = load_recipe("social_clip").with_overrides(["generate.prompt=*dramatic* fox"])
    assert r.stage("generate")["prompt"] == "*dramatic* fox"


def test_an_empty_infill_method_is_refused_as_the_interpolate_stages_is(
    capsys, tmp_path: Path, clip: str
) -> None:
    """`interpolate.method=` and `--method ''` are refused; the repair recipe's `infill.method=` ran as auto."""
    line = _one_line(capsys, ["run", "repair", "-i", clip, "-o", str(tmp_path / "o.mp4"), "infill.method="])
    assert "unknown method ''" in line
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize("name", ["%0300d.png", "%s.png", "f_%.jpg"])
def test_a_misspelt_frame_pattern_is_named_so(capsys, tmp_path: Path, clip: str, name: str) -> None:
    """`-o out/%0300d.png` said "unknown output extension '.png'" in a line that lists .png patterns."""
    line = _one_line(capsys, ["upscale", clip, "-o", str(tmp_path / name), "--factor", "2"])
    assert line.endswith("a frame number is written %d or %05d (%% for a %)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("flag", "value", "line"), [
    ("--max-frames", "1", "vidiff: error: max_frames must be a whole number, at least 2 (not 1)"),
    ("--top", "-1", "vidiff: error: top -1: must be a whole number, 0 or more"),
])  # fmt: skip
def test_metrics_limits_are_the_apis_and_the_pages_line(capsys, clip: str, flag, value, line) -> None:
    """`vidiff metrics` had its own lines ('--top must be 0 or more') and analyze_clip(max_frames=0 or 1)
    returned a report of nulls where the CLI refused: one check (`check_measure_limits`) for all doors."""
    from vidiff.errors import ConfigError
    from vidiff.metrics.clip import analyze_clip

    assert _one_line(capsys, ["metrics", clip, flag, value]) == line
    with pytest.raises(ConfigError) as e:
        analyze_clip(clip, **{flag[2:].replace("-", "_"): int(value)})
    assert f"vidiff: error: {e.value}" == line


def test_a_batch_is_not_written_into_its_own_input_folder(capsys, tmp_path: Path, clip: str) -> None:
    """`vidiff run fps_x2 -i clips/ -o clips/` wrote a_fps_x2.mp4 beside a.mp4, and the same command run
    again took it as a clip (a_fps_x2_fps_x2.mp4); the input folder as -o is refused before any work."""
    import shutil

    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(clip, folder / name)
    line = _one_line(capsys, ["run", "fps_x2", "-i", str(folder), "-o", str(folder / ".")])
    assert "holds the input clips" in line
    assert sorted(p.name for p in folder.iterdir()) == ["a.mp4", "b.mp4"]


def _laughs(levels: int = 9) -> str:
    """A 'billion laughs' YAML list: `levels` lists of nine aliases of the one before (9**levels items)."""
    parts = ["&l0 [x, x, x, x, x, x, x, x, x]"]
    parts += [f"&l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            f"x: {_laughs()}\nstages: [decode: {{}}, interpolate: {{factor: 2}}, encode: {{}}]\n",
            "unknown key 'x'",
        ),
        (f"description: {_laughs()}\nstages: [decode: {{}}, encode: {{}}]\n", "description must be text"),
        (
            f"stages: [decode: {{fps: {_laughs()}}}, interpolate: {{factor: 2}}, encode: {{}}]\n",
            "has the wrong type",
        ),
    ],
)
def test_a_yaml_bomb_recipe_is_refused_at_once(
    capsys, tmp_path: Path, clip: str, text: str, words: str
) -> None:
    """Nine levels of nine aliases (387 million items from 400 bytes): the line-number walk visited every
    one (over a minute of CPU), and the wrong-type line printed the list's whole repr."""
    recipe = tmp_path / "bomb.yaml"
    recipe.write_text(text)
    line = _one_line(capsys, ["run", str(recipe), "-i", clip, "-o", str(tmp_path / "o.mp4")], seconds=10)
    assert words in line and len(line) < 300
