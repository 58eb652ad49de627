"""A clip's own sound under a clip that `generate` continues without a model (vidiff's extension schemes),
the same rule as a model's continuation (`vidiff.generate.clip_sound`): the clip's audio under its frames,
silence under the new ones; `--no-audio` drops it, `--audio` puts music under all; a still has no sound to
drop (one line)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from test_continue_clip import N_CLIP, _cut

from vidiff.cli import main

FAST = ["--aspect", "1:1", "--fps", "30", "--preset", "ultrafast", "--quiet", "--json"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return _cut(tmp_path_factory.mktemp("clip") / "cut.mp4")


def _run(capsys, out: Path, *args: str) -> tuple[int, dict | str]:
    rc = main(["generate", "-o", str(out), *args, *FAST])
    cap = capsys.readouterr()
    return rc, json.loads(cap.out) if rc == 0 else cap.err.strip()


def _sound(path: Path) -> np.ndarray | None:
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return None
        return np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])


def test_the_extension_keeps_the_clips_sound_under_its_part(tmp_path, capsys, clip):
    out = tmp_path / "o.mp4"
    rc, rep = _run(capsys, out, "--clip", str(clip), "--extend", "0.3")
    assert rc == 0, rep
    assert (rep["source"], rep["frames_extended"], rep["frames"], rep["audio"]) == (
        "clip",
        9,
        N_CLIP + 9,
        "the clip's",
    )
    sound = _sound(out)
    split = 48000 * N_CLIP // 30
    assert sound is not None and len(sound) >= 48000 * (N_CLIP + 9) // 30 - 1024
    assert np.abs(sound[2000 : split - 3000]).mean() > 0.1  # the tone under the clip
    assert np.abs(sound[split + 2000 :]).max() < 0.01  # silence under the extension


def test_no_audio_drops_it_and_music_replaces_it(tmp_path, capsys, clip):
    out = tmp_path / "n.mp4"
    rc, rep = _run(capsys, out, "--clip", str(clip), "--extend", "0.3", "--no-audio")
    assert rc == 0 and rep["audio"] == "dropped (no_audio)" and _sound(out) is None, rep
    music = _cut(tmp_path / "m.mp4", n=60)  # 2 s of the tone: music longer than the output, trimmed
    out = tmp_path / "m_out.mp4"
    rc, rep = _run(capsys, out, "--clip", str(clip), "--extend", "0.3", "--audio", str(music))
    assert rc == 0, rep
    sound = _sound(out)
    assert np.abs(sound[48000 * N_CLIP // 30 + 2000 : -6000]).mean() > 0.1  # music under the extension too


def test_no_audio_with_a_still_or_with_music_is_one_line(tmp_path, capsys, clip):
    from PIL import Image

    still = tmp_path / "s.png"
    Image.new("RGB", (64, 64), (9, 9, 9)).save(still)
    for args, says in (
        (
            ["--image", str(still), "--no-audio"],
            "no_audio applies to a video diffusion model (weights) or a clip",
        ),
        (
            ["--clip", str(clip), "--no-audio", "--audio", str(clip)],
            "no_audio drops the clip's or the model's",
        ),
    ):
        out = tmp_path / "x.mp4"
        rc, err = _run(capsys, out, *args)
        assert rc == 2 and len(err.splitlines()) == 1 and says in err, err
        assert not out.exists()


def test_the_recipe_and_the_web_app_keep_or_drop_it(tmp_path, clip):
    """`vidiff run social_clip -i CLIP` keeps the clip's sound, `generate.no_audio=true` drops it; the
    Social tab's No audio box drops it for a clip extended without a model."""
    from social_fields import SOCIAL_CLIP, SOCIAL_UNTOUCHED, run_social, social_app

    run = ["run", "social_clip", "-i", str(clip), "-q", "generate.extend=0.3", "reframe.aspect=1:1"]
    run += ["encode.preset=ultrafast"]
    kept, dropped = tmp_path / "k.mp4", tmp_path / "d.mp4"
    assert main([*run, "-o", str(kept)]) == 0
    assert main([*run, "-o", str(dropped), "generate.no_audio=true"]) == 0
    assert _sound(kept) is not None and np.abs(_sound(kept)[2000:12000]).mean() > 0.1
    assert _sound(dropped) is None
    app, upload = social_app(tmp_path, clip)
    fields = SOCIAL_CLIP | dict(extend=0.3)
    status, _, made, _ = run_social(app, upload, fields, SOCIAL_UNTOUCHED | dict(no_audio=True))
    assert status.startswith(f"Done: {N_CLIP + 9} frames"), status
    assert _sound(Path(made)) is None
