"""Hostile pass 5 over the web app's handlers, called directly (no browser): an upload gone by the time a
run ends, a job cancelled twice, two jobs of one tab at once, two sessions at once. The handler ends on a
status line (it never raises), and nothing of a cancelled run is kept."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import count_frames, write_clip

pytest.importorskip("gradio")


def _clip(path: Path, n: int = 8, w: int = 47, h: int = 33) -> str:
    """n frames of a gradient sliding 2 px a frame (motion, no scene cut: every pair is interpolated),
    odd-sided by default (so the run's pad note has something to say)."""
    y, x = np.mgrid[0:h, 0:w]
    frames = [
        np.stack([(x + 2 * i) * 5 % 256, y * 7 % 256, (x + y + i) % 256], -1).astype(np.uint8)
        for i in range(n)
    ]
    return str(write_clip(path, frames, pix_fmt="yuv444p"))


def _outs(handler, *args, session: str = "t") -> list[tuple]:
    return list(handler(*args, SimpleNamespace(session_hash=session), lambda *a, **k: None))


@pytest.mark.parametrize("tab", ["rate", "repair"])
def test_an_upload_gone_when_the_run_ends_still_gives_the_result(
    tmp_path: Path, monkeypatch, tab: str
) -> None:
    """Gradio's temporary upload removed while the job ran (its cache cleaned, the file deleted): the
    run had its input open and finished, then the handler probed the upload again for its pad note and
    raised InputError ('no such file') out of the page's event; the note comes from the probe taken
    before the run now."""
    from vidiff.ui import rate, repair
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    upload = Path(_clip(tmp_path / "upload.mp4"))
    if tab == "rate":
        import vidiff.ui.media as media

        real = media.preview

        def preview_then_gone(path, folder):
            shown = real(path, folder)
            upload.unlink()
            return shown

        monkeypatch.setattr(media, "preview", preview_then_gone)
        outs = _outs(rate._run_rate(app), str(upload), None, "x2", 60, "auto", "blend", "h264", 18)
    else:
        real = repair._repair

        def repair_then_gone(*args):
            done = real(*args)
            upload.unlink()
            return done

        monkeypatch.setattr(repair, "_repair", repair_then_gone)
        outs = _outs(repair._run_repair(app), str(upload), None, "auto", "blend")
    assert not upload.exists()
    status, out = outs[-1][0], outs[-1][1]
    assert status.startswith(("Done: 16 frames written.", "No frame replaced")), status
    assert "note: upload_" in status and "47x33 is written as 48x34" in status, status
    assert count_frames(out) == (16 if tab == "rate" else 8)


def test_repair_refuses_a_bad_input_before_a_job(tmp_path: Path) -> None:
    """Repair checks its input before it makes a job, as the other tabs do (it probed nothing first: a
    text file as the clip made a job folder, removed when the job failed): one line, no job folder."""
    from vidiff.ui import repair
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n")
    outs = _outs(repair._run_repair(app), str(bad), None, "auto", "blend")
    assert len(outs) == 1 and outs[0][0].startswith(f"vidiff: error: {bad}: "), outs
    assert list(app.workdir.iterdir()) == []


def _slow_rate(app, src: str, session: str, started: threading.Event, go: threading.Event):
    """The rate handler on `src` whose interpolator waits for `go` after its first frame (so a test
    acts while the job is surely running), its outputs collected into a list returned at once."""
    from vidiff.flow import Blend, register_interpolator

    class Held:  # (not a Blend subclass: the runner takes a blend's frames by its own fast path)
        name = "held"

        def interpolate(self, a, b, ts):
            started.set()
            go.wait(30)
            return Blend().interpolate(a, b, ts)

    register_interpolator(f"held_{session}", lambda: Held())
    outs: list = []

    def run() -> None:
        outs.extend(_outs(rate_handler(app), src, None, "x2", 60, "auto", f"held_{session}", "h264", 18,
                          session=session))  # fmt: skip

    th = threading.Thread(target=run)
    th.start()
    return th, outs


def rate_handler(app):
    from vidiff.ui import rate

    return rate._run_rate(app)


def test_cancel_twice_and_a_second_run_of_the_tab(tmp_path: Path, monkeypatch) -> None:
    """Cancel pressed twice is one cancel (nothing kept, the second press harmless); a second Run of the
    same tab while one runs cancels the first and waits for it, then runs: one output, the first's
    folder removed; another session's run at the same time is its own."""
    import vidiff.flow as flow
    from vidiff.ui.core import App

    monkeypatch.setattr(flow, "_REGISTRY", dict(flow._REGISTRY))
    app = App(tmp_path / "work")
    src = _clip(tmp_path / "in.mp4", w=48, h=32)

    started, go = threading.Event(), threading.Event()
    th, outs = _slow_rate(app, src, "a", started, go)
    assert started.wait(30)
    assert app.cancel(("a", "rate")) and app.cancel(("a", "rate"))  # twice: still one job, still running
    go.set()
    th.join(60)
    assert outs[-1][0] == "Cancelled; nothing was kept." and list(app.workdir.iterdir()) == []
    assert not app.cancel(("a", "rate"))  # nothing left to cancel

    started, go = threading.Event(), threading.Event()
    first, first_outs = _slow_rate(app, src, "a", started, go)
    assert started.wait(30)
    other_started, other_go = threading.Event(), threading.Event()
    other, other_outs = _slow_rate(app, src, "b", other_started, other_go)  # another session, same tab
    assert other_started.wait(30)
    second: list = []
    th = threading.Thread(
        target=lambda: second.extend(
            _outs(rate_handler(app), src, None, "x2", 60, "auto", "blend", "h264", 18, session="a")
        )
    )
    th.start()
    for _ in range(600):  # the second run waits for the first (cancelled, held in its frame) to stop
        job = app.jobs.get(("a", "rate"))
        if job is not None and job.stage.startswith("waiting for the previous run"):
            break
        threading.Event().wait(0.05)
    else:
        raise AssertionError("the second run did not wait for the first")
    go.set(), other_go.set()
    for t in (first, other, th):
        t.join(60)
    assert first_outs[-1][0] == "Cancelled; nothing was kept."
    assert second[-1][0].startswith("Done: 16 frames written."), second[-1][0]
    assert other_outs[-1][0].startswith("Done: 16 frames written."), other_outs[-1][0]
    assert len(list(app.workdir.iterdir())) == 2  # the second run's folder and the other session's
    assert count_frames(second[-1][1]) == count_frames(other_outs[-1][1]) == 16
    assert app.jobs == {}


@pytest.mark.parametrize(
    ("mode", "fps", "crf"), [("x2", 60, 1e300), ("target fps", 1e308, 18), ("x2", 60, -1e300)]
)
def test_a_huge_number_box_value_is_one_short_line(tmp_path: Path, mode: str, fps: float, crf: float) -> None:
    """A crafted number box of 1e300 for crf was quoted as all 301 digits of int(1e300) in the page's
    error line; it is cut to a readable length, and no job is made."""
    from vidiff.ui import rate
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    src = _clip(tmp_path / "in.mp4", w=48, h=32)
    outs = _outs(rate._run_rate(app), src, None, mode, fps, "auto", "blend", "h264", crf)
    line = outs[-1][0]
    assert len(outs) == 1 and line.startswith("vidiff: error: ") and len(line) < 300, line
    assert list(app.workdir.iterdir()) == []


def _still(tmp_path: Path) -> str:
    import cv2

    path = tmp_path / "still.png"
    cv2.imwrite(str(path), np.zeros((32, 48, 3), np.uint8))
    return str(path)


def _social(app, src: str, **fields) -> list[tuple]:
    from social_fields import SOCIAL_UNTOUCHED

    from vidiff.ui import social

    kw = dict(aspect="9:16", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
    kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED
    kw |= fields
    return _outs(social._run_social(app), src, None, *kw.values())


@pytest.mark.parametrize("model", [False, True])
def test_a_stills_extension_is_refused_as_the_api_refuses_it(tmp_path: Path, model: bool) -> None:
    """The Social tab dropped an extension typed for a still without a word (make_clip refuses it): it is
    sent, and the run is make_clip's one line, with no job folder."""
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    more = {"prompt": "a cat", "weights": str(tmp_path / "no-such-weights")} if model else {}
    outs = _social(app, _still(tmp_path), extend=0.5, **more)
    source = "a video diffusion model's clip" if model else "a still"
    assert (
        outs[-1][0]
        == f"vidiff: error: extend does not apply to {source}: it is the seconds a clip is continued past its end"
    )
    assert list(app.workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("cache", "FIRST-BLOCK", "unknown cache 'FIRST-BLOCK'"),
        ("cache", "first-block:0", "the threshold must be above 0"),
        ("cache", "first-block:" + "9" * 5000, "the threshold must be above 0"),
        ("offload", "Model", "offload 'Model': give true (model)"),
        ("offload", 1, "offload 1: must be True or False"),
        ("offload", 0, "offload 0: must be True or False"),  # was off (0 == False), as the API refuses it
        ("weight_dtype", "fp8", "unknown weight_dtype 'fp8'"),
        ("weight_dtype", ["fp8_e5m2"], "weight_dtype ['fp8_e5m2']"),
    ],
)
def test_odd_model_fields_are_one_short_line(tmp_path: Path, field: str, value, says: str) -> None:
    """Crafted values of the step cache, offload and fp8 fields: make_clip's one line, before the weights
    are read (they do not exist here), no job folder."""
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    outs = _social(app, _still(tmp_path), prompt="a cat", weights=str(tmp_path / "none"), **{field: value})
    line = outs[-1][0]
    assert line.startswith("vidiff: error: ") and says in line and len(line) < 200, line
    assert list(app.workdir.iterdir()) == []
