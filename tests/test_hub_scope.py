"""A hub id's weights: offline is scoped to the one load (no process-wide switch a web app's other requests
would see), and a hub that answers 5xx is said at once in one line, as a hub that cannot be reached.

The hub is a local HTTP server (it counts the requests it gets); the cache a tiny Wan pipeline
(tests/tiny_pipes.py) laid out as huggingface_hub lays out a download.
"""

from __future__ import annotations

import json
import logging
import shutil
import time

import pytest
from tiny_pipes import failing_hub as serve_failing_hub
from tiny_pipes import wan_dir

from vidiff.cli import main
from vidiff.io.probe import probe

pytest.importorskip("transformers")

FAST = ["--steps", "2", "--interpolate", "dis", "--preset", "ultrafast"]
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    return wan_dir(tmp_path_factory.mktemp("wan"))


def _hub_cache(root, repo: str, folder) -> None:
    """`folder` as hub id `repo` in a Hugging Face cache at `root`."""
    d = root / f"models--{repo.replace('/', '--')}"
    (d / "refs").mkdir(parents=True)
    (d / "refs" / "main").write_text(SHA)
    shutil.copytree(folder, d / "snapshots" / SHA)


@pytest.fixture
def failing_hub(tmp_path, monkeypatch, request):
    """The hub at a local server that answers every request 503 (or the status the test's `status`
    parameter names), and an empty cache at tmp/hub; yields the list of the requests it got."""

    with serve_failing_hub(monkeypatch, tmp_path / "hub", getattr(request, "param", 503)) as hub:
        yield hub


@pytest.mark.parametrize(
    ("failing_hub", "answer"),
    [(503, "503 Service Unavailable"), (500, "500 Internal Server Error"), (429, "429 Too Many Requests")],
    indirect=["failing_hub"],
)
def test_a_hub_answering_503_is_one_line_at_once(tmp_path, capfd, failing_hub, answer):
    """A hub that answers 503 was retried by huggingface_hub (7 requests, 30 s on this machine) before a
    line that blamed the user's connection: one request now, and one line naming the answer (500 and a
    rate limit's 429, which huggingface_hub retries too, the same)."""
    url, got = failing_hub
    out = tmp_path / "o.mp4"
    t0 = time.perf_counter()
    code = main(["generate", "-o", str(out), "--prompt", "a cat", "--weights", "someone/video-model"])
    took = time.perf_counter() - t0
    assert code == 2 and took < 10, took
    assert got == ["HEAD /someone/video-model/resolve/main/model_index.json"]
    assert capfd.readouterr().err.splitlines() == [
        "looking up someone/video-model on the hub ...",
        f"vidiff: error: weights someone/video-model: cannot reach the hub ({url}: it answers HTTP {answer}), "
        "and it is not in the local Hugging Face cache: fetch it once where the hub can be reached (hf "
        "download someone/video-model), or give a local folder",
    ]
    assert not out.exists()


def test_a_cached_hub_id_runs_from_the_cache_when_the_hub_answers_503(tmp_path, capfd, failing_hub, wan):
    url, got = failing_hub
    _hub_cache(tmp_path / "hub", "someone/tiny-wan", wan)
    out = tmp_path / "o.mp4"
    args = ["generate", "-o", str(out), "--prompt", "a cat", "--weights", "someone/tiny-wan"]
    assert main([*args, "--seconds", "0.3", "--keyframe-size", "32x32", *FAST, "--quiet"]) == 0
    assert capfd.readouterr().err.splitlines() == [
        f"note: cannot reach the hub ({url}: it answers HTTP 503 Service Unavailable); using someone/tiny-wan "
        "from the local Hugging Face cache"
    ]
    assert len(got) == 1 and probe(out).n_frames == 10


def test_offline_is_scoped_to_the_load_not_switched_on_for_the_process(tmp_path, monkeypatch, wan):
    """An offline load of a cached hub id set huggingface_hub's HF_HUB_OFFLINE for the whole process while
    it ran (another web request's hub id then failed 'offline'), and two overlapping loads left it on for
    good. Now nothing process-wide changes: the cached snapshot folder is loaded as a local folder."""
    from huggingface_hub import constants

    from vidiff.generate import make_clip
    from vidiff.generate.backends.base import Backend

    _hub_cache(tmp_path / "hub", "someone/tiny-wan", wan)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    seen = []
    real = Backend.load

    def spy(self, *a, **k):
        seen.append((constants.HF_HUB_OFFLINE, self.weights, self.source))
        return real(self, *a, **k)

    monkeypatch.setattr(Backend, "load", spy)
    kw = dict(prompt="a cat", seconds=0.3, keyframe_size="32x32", steps=2, interpolate="dis")
    kw |= dict(preset="ultrafast", progress=False)
    rep = make_clip(tmp_path / "o.mp4", weights="someone/tiny-wan", offline=True, **kw)
    snapshot = str(tmp_path / "hub" / "models--someone--tiny-wan" / "snapshots" / SHA)
    assert seen == [(False, "someone/tiny-wan", snapshot)]
    assert constants.HF_HUB_OFFLINE is False and rep["weights"] == "someone/tiny-wan"


def test_overlapping_quiet_scopes_restore_the_hubs_log_level():
    """Two loads on threads whose scopes overlap (A in, B in, A out, B out) leave the level as it was."""
    from vidiff.generate.backends import hub_quiet

    hub = logging.getLogger("huggingface_hub")
    before = hub.level
    a, b = hub_quiet(), hub_quiet()
    a.__enter__()
    b.__enter__()
    assert hub.level == logging.ERROR
    a.__exit__(None, None, None)
    assert hub.level == logging.ERROR  # B still loading
    b.__exit__(None, None, None)
    assert hub.level == before


def test_offline_with_an_empty_cache_says_how_to_fetch(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from vidiff.errors import InputError
    from vidiff.generate.backends import pipeline_class

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(InputError, match=r"no model_index.json in the local Hugging Face cache \(offline\)"):
        pipeline_class("someone/absent", offline=True)
    part = tmp_path / "part"  # a cache holding the index but not every part: one line before loading
    part.mkdir()
    (part / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline", "vae": ["a", "B"]}))
    _hub_cache(tmp_path / "hub", "someone/part", part)
    with pytest.raises(InputError, match=r"the WanPipeline is missing its vae/"):
        pipeline_class("someone/part", offline=True)


def test_overlapping_load_scopes_restore_the_warning_filters():
    """A model's load ignored warnings with warnings.catch_warnings, which saves and restores the whole
    filter list: two loads on the web app's threads (A in, B in, A out, B out) left every warning in
    the process ignored for good. The shared scope restores the filters after the last one."""
    import warnings

    from vidiff.quiet import no_warnings

    before = warnings.filters[:]
    a, b = no_warnings(), no_warnings()
    a.__enter__()
    b.__enter__()
    assert warnings.filters[0][0] == "ignore"
    a.__exit__(None, None, None)
    assert warnings.filters[0][0] == "ignore"  # B still loading
    b.__exit__(None, None, None)
    assert warnings.filters == before
