"""The web app's Social tab with a video diffusion model (a tiny random Wan pipeline, tests/tiny_pipes.py),
its handler driven directly (no browser): the generator settings `vidiff generate` offers (steps,
keyframes per window, keyframe rate and size, guidance, device...) reach `make_clip`, with the CLI's
defaults and its one-line refusals; Cancel while the model loads is said at once and stops the run
before its first step."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from social_fields import SOCIAL_UNTOUCHED
from tiny_pipes import wan_dir

pytest.importorskip("gradio")
pytest.importorskip("transformers")

UNTOUCHED = SOCIAL_UNTOUCHED  # the page's values when the user changes nothing
REQUEST = SimpleNamespace(session_hash="t")


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


def _fields(weights: str, prompt: str = "a cat", **settings) -> list:
    """The tab's values in the handler's order: a 0.3 s 1:1 clip at 24 fps from `prompt` and `weights`."""
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.3, extend=None, fps=24, loop=False)
    kw |= dict(music=None, prompt=prompt, negative="", weights=weights, backend="auto", seed=0)
    return [*kw.values(), *(UNTOUCHED | settings).values()]


def _run(app, *values) -> list[tuple]:
    from vidiff.ui import social

    return list(social._run_social(app)(None, None, *values, REQUEST, lambda *a, **k: None))


def test_generator_settings_reach_the_model(tmp_path: Path, wan: Path) -> None:
    """Steps, keyframes per window, keyframe size and guidance set in the page are what the model used
    (the report says so: 9 keyframes a window where the model's own would be 5 for 0.3 s); a whole
    number typed as 9.0 is 9 (the optional numbers are text fields: the page sends what was typed)."""
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    outs = _run(app, *_fields(str(wan), steps="2", frames=" 9.0", keyframe_size=" 32x48 ", guidance="3.5"))
    status, _, out, report = outs[-1]
    assert status.startswith("Done: 8 frames, 0.333 s at 1080x1080."), status
    assert "| keyframe size | 32x48 |" in report and "| model windows | 1 (9 frames each) |" in report
    assert "| sampler steps | 2 |" in report and "| guidance | 3.5 |" in report
    assert Path(out).is_file()


@pytest.mark.parametrize(
    ("settings", "cli"),
    [
        (dict(frames="10"), ["--frames", "10"]),
        (dict(frames="4.5"), None),  # argparse refuses a non-whole --frames itself
        (dict(steps="0"), ["--steps", "0"]),
        (dict(steps=0), ["--steps", "0"]),  # a crafted number, as Gradio's number field would send
        (dict(steps="2.5"), None),  # argparse refuses a non-whole --steps itself
        (dict(steps="many"), None),  # argparse's own line for --steps many
        (dict(keyframe_size="30x30"), ["--keyframe-size", "30x30"]),
        (dict(keyframe_size="big"), ["--keyframe-size", "big"]),
        (dict(keyframe_fps="20"), ["--keyframe-fps", "20"]),
        (dict(guidance="99"), ["--guidance", "99"]),
        (dict(shift="-1"), ["--shift", "-1"]),
        (dict(dtype="fp8"), None),  # a menu value a crafted request can send; --dtype has choices
        (dict(offload=True), ["--offload"]),
        (dict(device="tpu"), ["--device", "tpu"]),
    ],
)
def test_a_bad_setting_is_the_clis_line(tmp_path: Path, capsys, wan: Path, settings, cli) -> None:
    """The page refuses what the CLI refuses, with the same line, before any work, and leaves nothing."""
    from vidiff.cli import main
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    got = _run(app, *_fields(str(wan), **settings))[-1][0]
    assert got.startswith("vidiff: error: ") and "\n" not in got, got
    assert list(app.workdir.iterdir()) == [], "a refused run leaves no job folder"
    if cli is not None:
        out = tmp_path / "o.mp4"
        args = ["generate", "-o", str(out), "--prompt", "a cat", "--weights", str(wan), "--quiet"]
        args += ["--seconds", "0.3", "--aspect", "1:1", "--fps", "24", *cli]
        assert main([*args, "--keyframe-size", "32x32"] if "--keyframe-size" not in cli else args) == 2
        assert capsys.readouterr().err.strip() == got
        assert not out.exists()


def test_a_setting_without_a_model_is_refused_not_ignored(tmp_path: Path, capsys) -> None:
    """Steps set for a still with no weights: the CLI refuses --steps for --image; the page did not
    offer it, and now refuses it the same way rather than animating the still without a word."""
    import cv2
    import numpy as np

    from vidiff.cli import main
    from vidiff.ui import social
    from vidiff.ui.core import App

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    app = App(tmp_path / "work")
    values = _fields("", prompt="", steps=4)
    got = list(social._run_social(app)(str(still), None, *values, REQUEST, lambda *a, **k: None))[-1][0]
    assert main(["generate", "-o", str(tmp_path / "o.mp4"), "--image", str(still), "--steps", "4"]) == 2
    assert got == capsys.readouterr().err.strip()
    assert got == "vidiff: error: steps applies to method diffusion or a video diffusion model (weights)"


@pytest.mark.parametrize(
    ("page", "cli", "line"),
    [
        (dict(negative="blurry"), ["--negative-prompt", "blurry"], "negative_prompt applies to a video"),
        (dict(backend="wan"), ["--backend", "wan"], "backend wan needs weights"),
        (dict(backend=" wan "), ["--backend", "wan"], "backend wan needs weights"),  # as typed in a form
    ],
)
def test_a_model_field_without_weights_is_refused_not_dropped(tmp_path: Path, capsys, page, cli, line):
    """A negative prompt or a model backend with a still and no weights was dropped without a word (the
    still animated by camera motion); the CLI refuses both: so does the page now, with its line."""
    import cv2
    import numpy as np

    from vidiff.cli import main
    from vidiff.ui import social
    from vidiff.ui.core import App

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.3, extend=None, fps=24, loop=False)
    kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0) | page
    app = App(tmp_path / "work")
    values = [*kw.values(), *UNTOUCHED.values()]
    got = list(social._run_social(app)(str(still), None, *values, REQUEST, lambda *a, **k: None))[-1][0]
    assert main(["generate", "-o", str(tmp_path / "o.mp4"), "--image", str(still), *cli]) == 2
    assert got == capsys.readouterr().err.strip() and got.startswith(f"vidiff: error: {line}"), got
    assert [p.name for p in app.workdir.iterdir()] == []


def test_cancel_while_the_model_loads_is_said_at_once_and_runs_no_step(tmp_path: Path, monkeypatch, wan):
    """Cancel pressed during a long from_pretrained: the status said 'Running' until the load ended and
    the first sampler step ran (minutes on a CPU). Now it says at once that it waits for the load (which
    cannot be interrupted) and stops right after it, before any step; nothing is kept."""
    from vidiff.generate.backends.base import Backend
    from vidiff.ui import social
    from vidiff.ui.core import App

    loading, release = threading.Event(), threading.Event()
    real_load = Backend.load
    steps = []

    def slow_load(self, *a, **k):
        loading.set()
        assert release.wait(30), "the test never let the load end"
        return real_load(self, *a, **k)

    def spy_keyframes(self, *a, **k):
        steps.append(1)
        pytest.fail("a sampler step ran after Cancel")

    monkeypatch.setattr(Backend, "load", slow_load)
    monkeypatch.setattr(Backend, "keyframes", spy_keyframes)
    app = App(tmp_path / "work")
    run = social._run_social(app)(None, None, *_fields(str(wan)), REQUEST, lambda *a, **k: None)
    seen, cancelled = [], False
    for status, *_ in run:
        seen.append(status)
        if loading.is_set() and not cancelled:
            assert status == "Running: loading the model… (Cancel stops it)", status
            cancelled = app.cancel(("t", "social"))
        elif status.startswith("Cancelling"):
            release.set()
    assert (
        "Cancelling… loading the model, which cannot be interrupted: it stops when that ends; nothing will "
        "be kept." in seen
    ), seen
    assert seen[-1] == "Cancelled; nothing was kept." and steps == []
    assert [p.name for p in app.workdir.iterdir()] == [], "the job's folder is removed"


def test_no_number_field_starts_empty(tmp_path: Path) -> None:
    """Gradio's page has no empty number field: it shows 0 for None and sends 0 (its Number sets
    `value ??= 0`). The extension field sent 0 for every still, refused as "extend does not apply to a
    still", and the model's settings, once their accordion was opened, sent steps 0 and guidance 0. The
    numbers one may leave empty are one-line text fields now; every number field has a value."""
    import gradio as gr

    from vidiff.ui.app import build_app

    demo = build_app(tmp_path / "app")
    empty = [
        b.label for b in demo.blocks.values() if isinstance(b, gr.Number) and b.value is None and b.visible
    ]
    assert empty == []


def test_no_number_field_takes_a_fraction(tmp_path: Path) -> None:
    """The browser drops a comma typed in a number field (Chromium's input type=number: 12,5 was sent as
    125, the target fps 30000/1001 as 300001001, a social clip's 2,5 s as 25 s) and the page ran what it
    made of it. A value one may write with a fraction is a one-line text field, read as the CLI reads it;
    no number field is left, and no slider but the preview's time."""
    import gradio as gr

    from vidiff.ui.app import build_app

    demo = build_app(tmp_path / "app")
    numbers = [b.label for b in demo.blocks.values() if isinstance(b, gr.Number) and b.visible]
    assert numbers == [], numbers
    # a slider's number box is the same input (2,5 ran as crf 25, strength 0,3 as 1; emptied: its minimum,
    # crf 0): what a run takes is a text field; the one slider left moves a preview
    sliders = [b.label for b in demo.blocks.values() if isinstance(b, gr.Slider) and b.visible]
    assert sliders == ["Compare at time (s): before | after"], sliders


def test_an_empty_or_mistyped_optional_number(tmp_path: Path) -> None:
    """What the page sends for an optional number: "" (untouched) is the default, spaces too; text that is
    no number is one line naming the field; a whole number typed as 25.0 is the int 25."""
    from vidiff.errors import ConfigError
    from vidiff.ui.widgets import typed_number

    assert typed_number("", "steps") is None and typed_number("  ", "steps") is None
    assert typed_number(" 25.0 ", "steps") == 25 and type(typed_number("25.0", "steps")) is int
    assert typed_number("0.5", "extend") == 0.5 and typed_number(None, "extend") is None
    with pytest.raises(ConfigError, match=r"^steps 'ten': must be a number$"):
        typed_number("ten", "steps")


def test_a_still_with_every_optional_number_left_empty(tmp_path: Path) -> None:
    """A still with the extension and every generator setting as the page sends them untouched ("")
    is animated (the extension's 0 made this refused)."""
    import cv2
    import numpy as np

    from vidiff.ui import social
    from vidiff.ui.core import App

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((32, 48, 3), 90, np.uint8))
    app = App(tmp_path / "work")
    values = _fields("", prompt="")  # UNTOUCHED: every optional number ""
    values[3:5] = ["0.3", ""]  # the length typed, the extension untouched
    got = list(social._run_social(app)(str(still), None, *values, REQUEST, lambda *a, **k: None))[-1]
    assert got[0].startswith("Done: "), got[0]


def test_a_length_typed_with_a_comma_is_one_line(tmp_path: Path, monkeypatch) -> None:
    """The length was a number field: the browser dropped a typed comma, so 2,5 made a 25 s clip. It is a
    one-line text field now: 2,5 is refused in one line before any work (as --seconds 2,5 by argparse),
    " 2.5 " is 2.5 and an emptied field is make_clip's default."""
    import vidiff.generate
    from vidiff.ui import social
    from vidiff.ui.core import App

    asked = []

    def fake(out, **kw):
        asked.append(kw["seconds"])
        return {
            "size": [1080, 1080],
            "fps": 24,
            "frames": 12,
            "seconds": 0.5,
            "source": "image",
            "motion": "x",
        }

    monkeypatch.setattr(vidiff.generate, "make_clip", fake)
    app = App(tmp_path / "work")
    still = tmp_path / "still.png"
    still.write_bytes(b"not read: make_clip is faked")
    for typed in ("2,5", " 2.5 ", ""):
        values = _fields("", prompt="")
        values[3] = typed
        got = list(social._run_social(app)(str(still), None, *values, REQUEST, lambda *a, **k: None))[-1][0]
        if typed == "2,5":
            assert got == "vidiff: error: seconds '2,5': must be a number", got
        else:
            assert got.startswith("Done: "), got
    assert asked == [2.5, None]


def test_the_seed_and_the_strength_are_read_as_the_cli_reads_them(tmp_path: Path, monkeypatch) -> None:
    """The seed was a number field (an emptied one ran seed 0 without a word; with precision=0 a typed 2.5
    ran as 2), the strength a slider (its number box sent 0,3 as 3, run as 1). Both are one-line text
    fields read as --seed and --strength: a comma or a fraction of a seed is one line before any work;
    an emptied seed is 0 and an emptied strength make_clip's default, as the labels say."""
    import vidiff.generate
    from vidiff.ui import social
    from vidiff.ui.core import App

    asked = []

    def fake(out, **kw):
        asked.append((kw.get("seed"), kw.get("strength")))
        return {"size": [8, 8], "fps": 24, "frames": 1, "seconds": 0.1, "source": "image", "motion": "x"}

    monkeypatch.setattr(vidiff.generate, "make_clip", fake)
    app = App(tmp_path / "work")
    still = tmp_path / "still.png"
    still.write_bytes(b"not read: make_clip is faked")
    lines = {}
    for field, typed in ((12, "2,5"), (12, "2.5"), (12, " "), (2, "0,3"), (2, "")):
        values = _fields("a/b" if field == 12 else "", prompt="")
        values[field] = typed
        got = list(social._run_social(app)(str(still), None, *values, REQUEST, lambda *a, **k: None))
        lines[field, typed] = got[-1][0]
    assert lines[12, "2,5"] == "vidiff: error: seed '2,5': must be a number"
    assert lines[12, "2.5"] == "vidiff: error: seed 2.5: must be a whole number from 0 to 4294967295"
    assert lines[2, "0,3"] == "vidiff: error: strength '0,3': must be a number"
    assert all(lines[k].startswith("Done: ") for k in ((12, " "), (2, ""))), lines
    assert asked == [(0, None), (None, None)], asked


def test_clips_own_with_a_still_names_the_pages_choice(tmp_path: Path) -> None:
    """A still with "Clip's own" (a clip continued by a model keeps its size and rate) is make_clip's
    one line, naming the page's choice, not the CLI's word ("aspect source" is nothing the page shows)."""
    import cv2
    import numpy as np

    from vidiff.ui import social
    from vidiff.ui.core import App

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((32, 48, 3), 90, np.uint8))
    app = App(tmp_path / "work")
    for field, what in (
        (0, "aspect \"Clip's own\" keeps the clip's own frame size"),
        (5, 'fps "Clip\'s own" keeps'),
    ):
        values = _fields("", prompt="")
        values[field] = social.OWN_CHOICE
        got = list(social._run_social(app)(str(still), None, *values, REQUEST, lambda *a, **k: None))[-1][0]
        assert got.startswith(f"vidiff: error: {what}") and "source" not in got, got
        assert "\n" not in got and list(app.workdir.glob("social*/*")) == [], got


def test_a_new_run_waits_for_the_cancelled_one_to_stop(tmp_path: Path) -> None:
    """Make clip pressed again while a cancelled run's model still loads (it cannot be interrupted)
    started a second run beside it: two models in memory at once. The new run now says it waits, and
    starts when the old one has stopped; the old one keeps nothing."""
    import time

    from vidiff.ui.core import App, Cancelled

    app = App(tmp_path / "work")
    release, order = threading.Event(), []

    def old_work(job):  # a load: no cancel point until it ends
        assert release.wait(30)
        order.append("old ended")
        return "old"

    def new_work(job):
        order.append("new started")
        return "new"

    old_folder, new_folder = app.new_folder("social"), app.new_folder("social")
    old_run = app.run_job(("s", "social"), old_folder, old_work)
    next(old_run)
    new_run = app.run_job(("s", "social"), new_folder, new_work)  # cancels the old one
    stages = [next(new_run).stage for _ in range(3)]
    assert stages == ["waiting for the previous run (cancelled) to stop"] * 3 and order == []
    release.set()
    time.sleep(0.1)
    assert isinstance(list(old_run)[-1].error, Cancelled) and not old_folder.exists()
    job = list(new_run)[-1]
    assert job.result == "new" and order == ["old ended", "new started"] and new_folder.exists()


def test_a_page_that_leaves_during_a_load_does_not_freeze_the_app(tmp_path: Path) -> None:
    """Gradio closes a run's generator on its event loop when the page goes away or the event is
    cancelled; closing waited for the work's thread, so a model loading (minutes, no cancel point) froze
    the whole app for every user (4.5 s of a 5 s load here). Now closing returns at once; the work stops
    at its next cancel point, removes its folder and frees the tab."""
    import time

    from vidiff.ui.core import App, drive

    app = App(tmp_path / "work")
    release = threading.Event()

    def work(job):  # a from_pretrained: no cancel point until it ends
        job.stage = job.busy = "loading the model"
        assert release.wait(30)
        return "loaded"

    folder = app.new_folder("social")
    run = drive(app, REQUEST, "social", folder, work, lambda *a, **k: None, (None,))
    next(run)
    job = app.jobs[("t", "social")]
    t0 = time.perf_counter()
    run.close()
    assert time.perf_counter() - t0 < 0.5
    assert job.cancel.is_set() and job.thread.is_alive() and folder.exists()
    release.set()
    job.thread.join(5)
    assert not folder.exists() and ("t", "social") not in app.jobs, "nothing kept; the tab is free"


def test_the_pages_settings_reach_the_handler_in_its_order(tmp_path: Path) -> None:
    """The Make clip event's last inputs are the generator settings in the handler's parameter order
    (ids so-<name>), and what each sends untouched is what UNTOUCHED says (Gradio's preprocess), exactly:
    the tests drive the handler with what the page sends (an empty text field is "", not None)."""
    import inspect

    import gradio as gr

    from vidiff.ui.app import build_app

    demo = build_app(tmp_path / "app")
    fn = next(f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "run_social")
    names = [p for p in inspect.signature(fn.fn).parameters if p not in ("request", "progress")]
    assert len(fn.inputs) == len(names)
    settings = fn.inputs[-len(UNTOUCHED) :]
    assert names[-len(UNTOUCHED) :] == list(UNTOUCHED)
    assert [c.elem_id for c in settings] == [f"so-{n.replace('_', '-')}" for n in UNTOUCHED]
    # the browser sends "" for a text field Gradio holds as None (its frontend's empty string; logged)
    sent = [c.preprocess("" if isinstance(c, gr.Textbox) and c.value is None else c.value) for c in settings]
    assert sent == list(UNTOUCHED.values())


def test_the_progress_bar_moves_over_the_model_steps(tmp_path: Path, monkeypatch, wan: Path) -> None:
    """The page's progress bar stood at 'starting' for the minutes a model samples (it counted frames
    only, which come after): it now counts the sampler's steps."""
    import time

    from vidiff.generate.backends import base
    from vidiff.ui import social
    from vidiff.ui.core import App

    real = base._StepProgress.step
    monkeypatch.setattr(base._StepProgress, "step", lambda self, *a: time.sleep(0.3) or real(self, *a))
    bars = []

    def progress(value, desc=None, unit=None):
        bars.append((value, desc))

    app = App(tmp_path / "work")
    outs = list(
        social._run_social(app)(
            None, None, *_fields(str(wan), steps=3, keyframe_size="32x32"), REQUEST, progress
        )
    )
    assert outs[-1][0].startswith("Done:"), outs[-1][0]
    steps = [v for v, d in bars if d == "model steps"]
    assert steps and all(total == 3 for _, total in steps) and steps == sorted(steps), bars
    assert any(done > 0 for done, _ in steps), bars
