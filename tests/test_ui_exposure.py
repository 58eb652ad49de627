"""`vidiff ui --share` (or a --host others can reach) is safe by default: uploads capped, weights only
from the folders given at launch, hub ids only with --allow-hub; checked without a network or a browser."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from social_fields import SOCIAL_UNTOUCHED

from vidiff.cli import main
from vidiff.errors import ConfigError
from vidiff.ui.exposure import Exposure, parse_size

try:
    import gradio  # noqa: F401

    HAVE_UI = True
except ImportError:
    HAVE_UI = False


@pytest.mark.parametrize(
    ("host", "share", "public", "cap"),
    [
        ("127.0.0.1", False, False, None),
        ("localhost", False, False, None),
        ("127.0.0.1", True, True, 200 * 10**6),
        ("0.0.0.0", False, True, 200 * 10**6),
    ],
)
def test_shared_or_reachable_is_public_with_an_upload_cap(host, share, public, cap) -> None:
    e = Exposure.from_options(host, share)
    assert (e.public, e.max_upload) == (public, cap)
    assert e.launch_kwargs() == ({} if cap is None else {"max_file_size": cap})
    assert (e.line() is not None) == public


def test_max_upload_sizes() -> None:
    assert parse_size("500MB") == 500 * 10**6
    assert parse_size("1.5gb") == 1_500_000_000
    assert parse_size("64KiB") == 65536
    assert parse_size("none") is None
    for bad in ("", "abc", "-5MB", "0", "5 parsecs", "1e9", None, "1_0MB", "\u0661\u0660MB", "\uff15MB"):
        with pytest.raises(ConfigError, match="--max-upload"):
            parse_size(bad)
    assert Exposure.from_options("127.0.0.1", True, "none").launch_kwargs() == {}
    assert Exposure.from_options("127.0.0.1", False, "1GB").max_upload == 10**9  # a cap at home too


def test_a_public_app_loads_only_the_launch_folders_and_no_hub_id(tmp_path: Path) -> None:
    allowed = tmp_path / "models"
    (allowed / "wan").mkdir(parents=True)
    other = tmp_path / "other"
    other.mkdir()
    shared = Exposure.from_options("127.0.0.1", True, weights_dirs=[str(allowed)])
    shared.check_weights(str(allowed / "wan"))  # inside: loaded
    for bad in (str(other), "/", str(allowed / ".." / "other"), "~"):
        with pytest.raises(ConfigError, match="only from the folders given at launch"):
            shared.check_weights(bad)
    with pytest.raises(ConfigError, match="loads no hub id"):
        shared.check_weights("Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    Exposure.from_options("127.0.0.1", True, allow_hub=True).check_weights("Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    with pytest.raises(ConfigError, match="none were given at launch"):
        Exposure.from_options("0.0.0.0", False).check_weights(str(allowed))
    # on this machine only, as before: any folder, any hub id
    home = Exposure.from_options("127.0.0.1", False)
    home.check_weights(str(other))
    home.check_weights("Wan-AI/Wan2.1-T2V-1.3B-Diffusers")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--share", "--max-upload", "lots"], "vidiff: error: --max-upload 'lots': give a size"),
        (
            ["--weights-dir", "/no/such/folder"],
            "vidiff: error: --weights-dir '/no/such/folder': not a folder",
        ),
    ],
)
def test_bad_share_options_are_one_line_before_the_server(capsys, argv, line) -> None:
    assert main(["ui", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(line), err


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_share_launches_with_the_cap_and_says_what_it_allows(tmp_path: Path, monkeypatch, capsys) -> None:
    """serve(share=True) hands Gradio its max_file_size and prints what visitors may do (launch is
    replaced: no server, no network)."""
    import gradio as gr

    from vidiff.ui.app import serve

    seen = {}

    def launch(self, css=None, **kw):
        seen.update(kw)
        self.local_url = "http://127.0.0.1:1/"
        return None

    monkeypatch.setattr(gr.Blocks, "launch", launch)
    monkeypatch.setattr("time.sleep", lambda s: (_ for _ in ()).throw(KeyboardInterrupt))
    serve("127.0.0.1", None, True, False, tmp_path / "work")
    assert seen["share"] is True and seen["max_file_size"] == 200 * 10**6
    err = capsys.readouterr().err
    assert "vidiff ui: public: uploads up to 200 MB; weights folders: none" in err
    assert "hub ids: refused" in err


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_the_social_tab_of_a_shared_app_refuses_other_weights(tmp_path: Path) -> None:
    """A visitor typing a local folder (or a hub id) into Weights gets one line and no job folder; the
    model is never loaded."""
    import cv2

    from vidiff.ui import social
    from vidiff.ui.core import App

    app = App(tmp_path / "work", Exposure.from_options("127.0.0.1", True))
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    kw = dict(aspect="9:16", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
    kw |= dict(music=None, prompt="a fox", negative="", weights=str(tmp_path), backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED
    for weights, words in ((str(tmp_path), "only from the folders given at launch"), ("a/b", "no hub id")):
        kw["weights"] = weights
        outs = list(
            social._run_social(app)(
                str(still), None, *kw.values(), SimpleNamespace(session_hash="t"), lambda *a, **k: None
            )
        )
        assert outs[-1][0].startswith("vidiff: error: weights ") and words in outs[-1][0], outs[-1][0]
    assert list(app.workdir.iterdir()) == []
    # LoRA and transformer files: from the launch's folders only, a hub file only with --allow-hub
    models = tmp_path / "models"
    (models / "w").mkdir(parents=True)
    app = App(tmp_path / "work2", Exposure.from_options("127.0.0.1", True, weights_dirs=[str(models)]))
    kw["weights"] = str(models / "w")
    for field, value, words in (
        (
            "lora",
            f"{tmp_path}/x.safetensors:0.5",
            "lora '" + str(tmp_path) + "/x.safetensors': this app reads",
        ),
        ("lora", "a/b/c.safetensors", "lora 'a/b/c.safetensors': this shared app fetches no hub file"),
        ("transformer", f"low={tmp_path}/t.safetensors", "transformer '" + str(tmp_path) + "/t.safetensors'"),
    ):
        run = social._run_social(app)(
            str(still),
            None,
            *(kw | {field: value}).values(),
            SimpleNamespace(session_hash="t"),
            lambda *a, **k: None,
        )
        line = list(run)[-1][0]
        assert line.startswith("vidiff: error: ") and words in line, line
    assert list(app.workdir.iterdir()) == []


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
@pytest.mark.parametrize("fps", [0, -5, -0.0, float("nan"), float("inf"), 1e30])
def test_the_target_fps_field_gets_the_command_lines_line(tmp_path: Path, capsys, fps) -> None:
    """The Frame rate tab's target fps said 'give a rate above 0' for 0, -5 or NaN but the CLI's
    'invalid frame rate' for inf: every value now goes through the one check `--fps` goes through
    (`parse_fps`), so the page and the command line say the same line."""
    from conftest import write_clip

    from vidiff.ui import rate
    from vidiff.ui.core import App

    rng = np.random.default_rng(0)
    src = str(write_clip(tmp_path / "in.mp4", list(rng.integers(0, 255, (8, 32, 48, 3), np.uint8))))
    app = App(tmp_path / "work")
    handler = rate._run_rate(app)(src, None, "target fps", fps, "auto", "blend", "h264", 18,
                                  SimpleNamespace(session_hash="t"), lambda *a, **k: None)  # fmt: skip
    page = list(handler)[-1][0]
    text = str(fps).removesuffix(".0")
    assert main(["upscale", src, "-o", str(tmp_path / "o.mp4"), "--fps", text]) == 2
    assert page == capsys.readouterr().err.strip()
    assert list(app.workdir.iterdir()) == []


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("gif", "yes", "vidiff: error: gif 'yes': must be True or False"),  # was an MP4
        ("music", 3, "vidiff: error: audio 3: must be an uploaded file (or None)"),  # was no music
        ("extend", "x", "vidiff: error: extend 'x': must be a number"),  # checked before the job
        ("seed", "x", "vidiff: error: seed 'x': must be a number"),  # no model: read as --seed
        ("motion", 3, "vidiff: error: motion 3: must be a string (or None)"),
    ],
)
def test_the_social_tab_checks_the_fields_it_does_not_send(tmp_path: Path, field, value, line) -> None:
    """A crafted value in a field the run does not use (a still's extension, the seed without a model) or
    reads itself (music, GIF) was dropped without a word; it is refused in one line, no job folder."""
    import cv2

    from vidiff.ui import social
    from vidiff.ui.core import App

    app = App(tmp_path / "work")
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    kw = dict(aspect="9:16", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
    kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED
    kw[field] = value
    outs = list(social._run_social(app)(str(still), None, *kw.values(), SimpleNamespace(session_hash="t"), lambda *a, **k: None))  # fmt: skip
    assert outs[-1][0] == line
    assert list(app.workdir.iterdir()) == []


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_gradio_refuses_an_upload_over_the_cap(tmp_path: Path) -> None:
    """The cap is Gradio's own check: a real server on 127.0.0.1 (no share link, no network) answers 413
    to an upload over --max-upload, before storing it."""
    import socket
    import urllib.error
    import urllib.request

    from vidiff.ui.app import build_app

    exposure = Exposure.from_options("127.0.0.1", False, "1KB")
    demo = build_app(tmp_path / "work", exposure)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **exposure.launch_kwargs())  # fmt: skip
    try:
        body = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.mp4"\r\n\r\n'
        body += b"x" * 5000 + b"\r\n--b--\r\n"
        req = urllib.request.Request(
            demo.local_url.rstrip("/") + "/gradio_api/upload",
            data=body,
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=20)
        assert e.value.code == 413
    finally:
        demo.close()


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_the_compare_tab_of_a_shared_app_loads_no_other_model_folder(tmp_path: Path, monkeypatch) -> None:
    """bench's `diffusion@DIR` names a model folder: a crafted Compare request of a shared app could make
    the server load any folder (Gradio checks the choices; this is the app's own check)."""
    from conftest import write_clip

    from vidiff.ui import compare
    from vidiff.ui.core import App

    rng = np.random.default_rng(0)
    (tmp_path / "uploads").mkdir()  # an upload of this app (GRADIO_TEMP_DIR), as a shared app takes
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    src = str(
        write_clip(tmp_path / "uploads" / "in.mp4", list(rng.integers(0, 255, (8, 32, 48, 3), np.uint8)))
    )
    app = App(tmp_path / "work", Exposure.from_options("127.0.0.1", True))
    methods = ["dup", f"diffusion@{tmp_path}"]
    outs = list(compare._run_compare(app)(src, None, methods, "2", 8, SimpleNamespace(session_hash="t"), lambda *a, **k: None))  # fmt: skip
    assert "only from the folders given at launch" in outs[-1][0]
    assert list(app.workdir.iterdir()) == []


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_a_shared_app_reads_only_uploaded_files(tmp_path: Path) -> None:
    """A crafted request naming a file of the server as the upload (Gradio refuses it; the app does too)."""
    from vidiff.errors import InputError
    from vidiff.ui.core import App

    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"x")
    shared = App(tmp_path / "work", Exposure.from_options("127.0.0.1", True))
    with pytest.raises(InputError, match="not a file uploaded to this app"):
        shared.resolve_input(str(outside), None)
    inside = tmp_path / "work" / "uploads" / "a.mp4"
    inside.parent.mkdir()
    inside.write_bytes(b"x")
    assert shared.resolve_input(str(inside), None) == str(inside)
    assert App(tmp_path / "home").resolve_input(str(outside), None) == str(outside)  # on this machine only


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_a_shared_apps_social_tab_reads_no_server_file_as_music(tmp_path: Path, monkeypatch) -> None:
    import cv2

    from vidiff.ui import social
    from vidiff.ui.core import App

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    (tmp_path / "uploads").mkdir()
    still = tmp_path / "uploads" / "still.png"
    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    app = App(tmp_path / "work", Exposure.from_options("127.0.0.1", True))
    kw = dict(aspect="9:16", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
    kw |= dict(music=str(tmp_path / "server.mp3"), prompt="", negative="", weights="", backend="auto", seed=0)
    kw |= SOCIAL_UNTOUCHED
    outs = list(social._run_social(app)(str(still), None, *kw.values(), SimpleNamespace(session_hash="t"), lambda *a, **k: None))  # fmt: skip
    assert outs[-1][0] == "vidiff: error: server.mp3: not a file uploaded to this app; upload it"
    assert list(app.workdir.iterdir()) == []
