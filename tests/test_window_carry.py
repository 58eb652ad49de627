"""A clip longer than one model window keeps its motion across the joins (`vidiff.generate.keyframes`):
where the pipeline takes a video condition (LTXConditionPipeline, Wan VACE) a later window starts on the
last frames of the one before, each its own, as a clip's continuation starts on the clip's
(`continue_clip`, the same rule: `keyframes.carried`); other pipelines start from the last frame. With tiny
random pipelines (tests/tiny_pipes.py): what reaches the pipeline (`prepare_latents`,
`preprocess_conditions`), the frame counts, the report's joins, same seed same bytes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import sha256
from test_continue_clip import _as_frames, _frames
from tiny_pipes import generate_json, ltx_condition_dir, wan_vace_dir

from vidiff.generate.social import reframe

pytest.importorskip("transformers")

# 1 step, 32x32 keyframes, windows of 17 (8k+1 and 4k+1), DIS between them, the output at 24 fps
TINY = ["--steps", "1", "--keyframe-size", "32x32", "--frames", "17", "--interpolate", "dis"]
TINY += ["--preset", "ultrafast", "--quiet", "--aspect", "1:1", "--fps", "24", "--prompt", "a cat"]


@pytest.fixture(scope="module")
def ltx_cond(tmp_path_factory) -> Path:
    """A tiny LTX-Video folder saved as LTXConditionPipeline (the same parts: a video condition)."""
    return ltx_condition_dir(tmp_path_factory.mktemp("ltxc") / "w")


@pytest.fixture(scope="module")
def vace(tmp_path_factory) -> Path:
    pytest.importorskip("ftfy")  # diffusers' VACE prompt cleaning calls it
    return wan_vace_dir(tmp_path_factory.mktemp("vace") / "w")


def _windows(monkeypatch) -> list[list[np.ndarray]]:
    """Each window's frames as the backend gives them (the real call runs)."""
    from vidiff.generate.backends.base import Backend

    made: list[list[np.ndarray]] = []
    real = Backend.keyframes

    def spy(self, *args, **kwargs):
        made.append(real(self, *args, **kwargs))
        return made[-1]

    monkeypatch.setattr(Backend, "keyframes", spy)
    return made


def _each_its_own(got: np.ndarray, window: list[np.ndarray], carry: int) -> None:
    """`got` (the frames a window started on, as the pipeline read them) are `window`'s last `carry`, in
    order: each nearest its own frame of the window (8-bit rounding apart), not a neighbour's."""
    assert len(got) == carry
    mine = [f.astype(int) for f in window]
    for j, g in enumerate(got):
        dist = [np.abs(g.astype(int) - f).mean() for f in mine]
        assert int(np.argmin(dist)) == len(window) - carry + j and dist[len(window) - carry + j] < 2.0, dist


def _carried_join(rep: dict, keyframe: int, carry: int, conditioning: str = "video") -> None:
    (join,) = rep["window_joins"]
    assert (join["keyframe"], join["conditioning"], join["frames_carried"]) == (keyframe, conditioning, carry)
    assert join["flicker"] == rep["join_flicker_ratios"][0] and join["flicker"] > 0


def test_ltx_condition_window_2_starts_on_window_1s_last_9_frames(tmp_path, capsys, monkeypatch, ltx_cond):
    """1 s at 24 fps (24 keyframes) in windows of 17: window 2 gets window 1's last 9 frames as one
    `LTXVideoCondition(video=...)` (what the VAE encodes, `prepare_latents`' conditions), its 9 remakes
    are dropped, so 17 + 8 frames make the 24 asked for (one past them cut), no frame twice; the output
    has exactly the frames asked for."""
    from diffusers import LTXConditionPipeline
    from test_continue_clip import _spy

    calls = _spy(monkeypatch, LTXConditionPipeline)
    made = _windows(monkeypatch)
    out = tmp_path / "a.mp4"
    rc, rep = generate_json(capsys, out, ltx_cond, *TINY, "--seconds", "1")
    assert rc == 0, rep
    assert (rep["windows"], rep["window_frames"], rep["keyframes"]) == (2, 17, 24)
    assert [len(w) for w in made] == [17, 17]
    assert calls[0]["_args"][0] == []  # window 1: a prompt alone, no condition
    (cond,) = calls[1]["_args"][0]  # window 2: one video condition
    _each_its_own(_as_frames(cond), made[0], 9)
    _carried_join(rep, 17, 9)
    assert len(_frames(out)) == rep["frames"] == 24  # 1 s at 24 fps


@pytest.mark.slow
def test_carried_windows_same_seed_same_bytes(tmp_path, capsys, ltx_cond):
    """Two windows, the second on the first's last 9 frames, twice with one seed: the same bytes; another
    seed, other bytes."""
    outs = []
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        rc, rep = generate_json(
            capsys, tmp_path / f"{name}.mp4", ltx_cond, *TINY, "--seconds", "1", "--seed", seed
        )
        assert rc == 0 and rep["window_joins"][0]["frames_carried"] == 9, rep
        outs.append(sha256(tmp_path / f"{name}.mp4"))
    assert outs[0] == outs[1] != outs[2]


def test_vace_window_2_keeps_window_1s_last_9_frames(tmp_path, capsys, monkeypatch, vace):
    """Wan VACE from a prompt, 1.5 s at 16 fps (24 keyframes) in windows of 17: window 1 makes every
    frame (no video), window 2 keeps window 1's last 9 (mask 0) and makes 8 (mask 1, mid gray); the
    keyframes are 17 + 8 less the one past 24; the output 36 frames at 24 fps."""
    from test_wan_vace import _kept
    from test_wan_vace import _spy as _spy_vace

    calls = _spy_vace(monkeypatch)
    made = _windows(monkeypatch)
    out = tmp_path / "v.mp4"
    rc, rep = generate_json(capsys, out, vace, *TINY, "--seconds", "1.5")
    assert rc == 0, rep
    assert (rep["windows"], rep["keyframes"], rep["keyframe_fps"]) == (2, 24, 16)
    (v1, m1), (v2, m2) = calls
    assert v1 is None and m1 is None
    assert _kept(m2) == [0] * 9 + [1] * 8
    got = _as_frames(v2)
    _each_its_own(got[:9], made[0], 9)
    assert np.abs(got[9:].astype(int) - 128).max() <= 1  # to be made: mid gray
    _carried_join(rep, 17, 9)
    assert len(_frames(out)) == rep["frames"] == 36


def test_vace_a_still_and_a_last_still_over_two_windows(tmp_path, capsys, monkeypatch, vace):
    """--image and --last-image over two windows: window 1 keeps the still as its first frame, window 2
    keeps window 1's last 9 frames and the last still as its last frame, made only as long as ending
    on it needs."""
    from PIL import Image
    from test_wan_vace import _kept
    from test_wan_vace import _spy as _spy_vace

    red, blue = tmp_path / "red.png", tmp_path / "blue.png"
    Image.new("RGB", (64, 64), (255, 0, 0)).save(red)
    Image.new("RGB", (64, 64), (0, 0, 255)).save(blue)
    calls = _spy_vace(monkeypatch)
    made = _windows(monkeypatch)
    args = [*TINY, "--seconds", "1.5", "--image", str(red), "--last-image", str(blue)]
    rc, rep = generate_json(capsys, tmp_path / "s.mp4", vace, *args)
    assert rc == 0, rep
    assert (rep["windows"], rep["keyframes"]) == (2, 25)  # 24 asked for: 25 end on a frame it makes
    (v1, m1), (v2, m2) = calls
    assert _kept(m1) == [0] + [1] * 16
    assert _kept(m2) == [0] * 9 + [1] * 7 + [0]  # 17 + 8 = 25: the last window is 17 frames long
    got = _as_frames(v2)
    _each_its_own(got[:9], made[0], 9)
    assert np.abs(got[-1].astype(int) - [0, 0, 255]).max() <= 2  # the blue still


def test_plans_carry_the_frames_the_pipeline_takes():
    """The rule (`keyframes.carried`): 9 frames (fewer where the window leaves less room: k frames to
    make) for a video condition, 1 for every other pipeline; each later window adds window - carry, so
    the keyframes are exactly those asked for and an end frame's last window is a count the model takes."""
    from vidiff.generate.backends.ltx import LTX
    from vidiff.generate.backends.wan import Wan
    from vidiff.generate.backends.wan_vace import WanVACE
    from vidiff.generate.keyframes import carried, plan

    cond, i2v = LTX("LTXConditionPipeline", "w"), LTX("LTXPipeline", "w")
    vace_b, wan_i2v = WanVACE("WanVACEPipeline", "w"), Wan("WanImageToVideoPipeline", "w")
    for b in (vace_b, wan_i2v):
        b.configure({"model_index": {}})
    assert [carried(cond, n) for n in (9, 17, 121)] == [1, 9, 9]
    assert [carried(vace_b, n) for n in (5, 9, 13, 81)] == [1, 5, 9, 9]
    assert [carried(b, 81) for b in (i2v, wan_i2v)] == [1, 1]
    p = plan(cond, 10, None, None)  # 240 keyframes in windows of 121: 121 + 112 + 112 > 240
    assert (p.carry, p.windows, p.need) == (9, 3, 240)
    assert plan(i2v, 10, None, None).windows == 2  # 121 + 120 >= 240
    e = plan(vace_b, 8, None, None, end=True)  # 128 keyframes at 16 fps: 129 end on a frame Wan makes
    assert (e.carry, e.windows, e.need, e.last_window) == (9, 2, 129, 57)
    assert (e.last_window - 1) % 4 == 0 and e.window + e.last_window - e.carry == e.need
    c = plan(vace_b, 17 / 8, 8, 17, lead=9)  # a continuation below 16 fps: the lead at 16, then every 2nd
    assert c.pick == (*range(9), *range(10, 25, 2)) and (c.need, c.windows, c.carry) == (25, 2, 9)
    assert plan(vace_b, 1, 8, 17).pick == tuple(range(0, 16, 2))  # no lead: every 2nd from the first


def test_ltx2_sound_drops_the_carried_frames_time():
    """Each later window's sound is cut by the time of the frames it started on (`join_windows`)."""
    from vidiff.generate.model_audio import join_windows

    chunks = [(np.full((1, 10), k, np.float32), 10) for k in range(2)]  # 10 samples a window, 1 a frame
    joined, rate = join_windows(chunks, Fraction(10), 10, 14, carry=3)
    assert rate == 10 and joined[0].tolist() == [0] * 10 + [1] * 4


def test_vace_continued_below_its_rate_keeps_its_own_rates_frames(tmp_path, capsys, monkeypatch, vace):
    """--keyframe-fps 8, half Wan VACE's 16: the model still makes its frames 1/16 s apart, so the lead it
    keeps is the clip's last 9 frames at 16 fps (a 16 fps clip: its last 9, each its own), not frames 1/8 s
    apart played at 16; its remakes are dropped (not the first 9 keyframes picked 2 frames apart), and the
    new keyframes are every second frame after the clip's last. --extend 1 s (8 keyframes: 16 frames past
    the lead's 9) takes two windows, the second on the first's last 9 frames at the model's rate."""
    from test_continue_clip import _cut
    from test_wan_vace import _kept
    from test_wan_vace import _spy as _spy_vace

    from vidiff.generate import continue_clip

    clip = _cut(tmp_path / "c.mp4", n=12, tone=False, fps=16)
    calls = _spy_vace(monkeypatch)
    made = _windows(monkeypatch)
    new: list[list[np.ndarray]] = []
    real = continue_clip.ContinuedClip.__init__
    monkeypatch.setattr(
        continue_clip.ContinuedClip, "__init__", lambda s, t, n, i: (new.append(n), real(s, t, n, i))[1]
    )
    args = ["--clip", str(clip), *TINY[:-6], "--keyframe-fps", "8", "--extend", "1", "--prompt", "a cat"]
    rc, rep = generate_json(capsys, tmp_path / "o.mp4", vace, *args)
    assert rc == 0, rep
    assert (rep["conditioning_frames"], rep["keyframes_made"], rep["windows"]) == (9, 8, 2), rep
    (v1, m1), (v2, m2) = calls
    assert _kept(m1) == _kept(m2) == [0] * 9 + [1] * 8
    src = [reframe(f, (32, 32)) for f in _frames(clip)]
    _each_its_own(_as_frames(v1)[:9], src, 9)  # the clip's last 9, 1/16 s apart
    _each_its_own(_as_frames(v2)[:9], made[0], 9)
    seq = made[0] + made[1][9:]  # the model's frames at 16 fps, the lead's 9 remakes first
    assert len(new[0]) == 8 and all(k is seq[8 + 2 * j] for j, k in enumerate(new[0], 1))
    assert rep["window_joins"][0]["frames_carried"] == 9
    assert len(_frames(tmp_path / "o.mp4")) == rep["frames"] == 12 + rep["frames_made"] == 12 + 17
