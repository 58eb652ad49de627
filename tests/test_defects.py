"""Defect detectors (`vidiff.metrics.defects`) and `infill --auto` repair, on real clips with injected defects."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import write_clip

from vidiff.io.reader import read_frames
from vidiff.metrics.defects import (
    CUT_VALID,
    SKIP_MIN_DIFF,
    SKIP_SCORE,
    SKIP_SIDE,
    SKIP_SPREAD,
    SWAP_MIN_DIFF,
    DefectFinder,
    _anchor_bursts,
    skip_score,
)
from vidiff.metrics.quality import psnr
from vidiff.runner.infill import infill_file

LOSSLESS = {"codec": "ffv1", "crf": None, "pix_fmt": "bgr0"}  # decoded RGB comes back bit-exact


@pytest.fixture(scope="module")
def phone(carphone) -> list[np.ndarray]:
    return read_frames(carphone, max_frames=32)


@pytest.fixture(scope="module")
def bike_frames(bikes) -> list[np.ndarray]:
    return read_frames(bikes, max_frames=100)[60:100]  # a cut at frame 76 of the clip: 16 here


def found(frames: list[np.ndarray]) -> list[tuple[str, list[int]]]:
    finder = DefectFinder(25)
    for f in frames:
        finder.push(f)
    return [(d.kind, d.frames) for d in finder.defects()]


def test_clean_snippet_has_no_defect(phone):
    assert found(phone) == []


@pytest.mark.parametrize("value", [0, 200])
def test_black_or_blank_frame(phone, value):
    bad = list(phone)
    bad[12] = np.full_like(phone[12], value)
    assert found(bad) == [("black", [12])]


def test_frozen_run_inside_motion(phone):
    bad = list(phone)
    bad[15:20] = [phone[14]] * 5  # one frame shown 6 times
    assert found(bad) == [("frozen", [15, 16, 17, 18, 19])]


def test_a_held_shot_after_a_real_cut_is_not_frozen(bike_frames):
    held = bike_frames[:17] + [bike_frames[16]] * 6 + bike_frames[17:]
    assert found(held) == [("cut", [16])]
    assert found(bike_frames) == [("cut", [16])]


def test_corrupt_region(phone):
    bad = list(phone)
    img = phone[20].copy()
    img[30:102, 40:128] = np.random.default_rng(0).integers(0, 256, (72, 88, 3), dtype=np.uint8)
    bad[20] = img
    assert found(bad) == [("corrupt", [20])]


def test_local_flicker_is_flicker_not_corrupt(phone):
    h, w = phone[0].shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    blob = 35 * np.exp(-((yy - h / 2) ** 2 + (xx - w / 3) ** 2) / (2 * 40.0**2))[..., None]
    bad = list(phone)
    for i in (20, 21):
        bad[i] = np.clip(phone[i] + blob, 0, 255).astype(np.uint8)
    assert found(bad) == [("flicker", [20, 21])]


def test_frames_out_of_order(phone):
    bad = list(phone)
    bad[10], bad[11] = phone[11], phone[10]
    assert found(bad) == [("jump", [10, 11])]


@pytest.fixture(scope="module")
def walkers(bikes) -> list[np.ndarray]:
    return read_frames(bikes, max_frames=141)[95:141]  # people walking steadily; a cut at frame 137: 42 here


def test_a_skip_is_a_jump_a_steady_stretch_is_not(walkers):
    """Three frames missing in steady motion: the picture changes more than around it, before and after
    motion compensation; the untouched stretch (its own cut apart) has no jump."""
    assert found(walkers[:40]) == []
    skipped = walkers[:20] + walkers[23:]
    assert found(skipped[:38]) == [("jump", [20])]


def test_a_skip_in_fast_motion_is_a_jump_not_a_cut(bikes):
    """bikes' frames 102 -> 106 (three missing, riders passing close): the scene detector fires and under
    CUT_VALID of the thumbnail's pixels follow the flow, but at half the size most do: a jump, not a cut."""
    frames = read_frames(bikes, max_frames=120)
    skipped = frames[81:103] + frames[106:120]
    finder = _finder(skipped)
    assert finder.scene[22] and finder.valid[22] >= CUT_VALID
    assert found(skipped) == [("jump", [22])]


def test_a_skip_the_thumbnail_flow_cannot_follow_is_still_tested(bikes):
    """bikes' frames 102 -> 106 (three missing) with no scene change: under CUT_VALID of the thumbnail's
    pixels pass the flow check, at half the size most do, so the skip test runs and finds it."""
    frames = read_frames(bikes, max_frames=130)
    skipped = frames[95:103] + frames[106:130]
    finder = _finder(skipped)
    assert not finder.scene[8] and finder.valid[8] >= CUT_VALID
    assert found(skipped) == [("jump", [8])]


def test_a_skip_right_after_a_duplicate_is_a_jump(walkers):
    """A cadence repeat (a duplicate, reported only) is a real frame: the skip out of it is still tested."""
    seq = walkers[:20] + [walkers[19]] + walkers[23:40]
    assert found(seq) == [("duplicate", [20]), ("jump", [21])]


def test_a_skip_in_a_slow_pan_is_a_jump(bbb):
    """bigbuckbunny's frames 81 -> 85 (three missing) in a slow pan: the change (0.97, level-free) is under
    the old 1.0 floor but over SKIP_MIN_DIFF, and scores well over SKIP_SCORE; nothing else but the
    clip's own cadence repeats is named."""
    frames = [
        cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in read_frames(bbb, max_frames=108)
    ]
    skipped = frames[69:82] + frames[85:108]
    assert SKIP_MIN_DIFF < _finder(skipped).tdiff[13] < 1.0
    got = found(skipped)
    assert ("jump", [13]) in got and {k for k, _ in got} <= {"jump", "duplicate"}
    assert [f for k, f in got if k == "jump"] == [[13]]


def test_a_swap_in_a_slow_pan_is_a_jump(bbb):
    """bigbuckbunny's frames 92 and 93 swapped in a slow pan: the three transitions' path is under the
    old floor (3 x 0.5) but over 3 x SWAP_MIN_DIFF, and the swap shortens it well past SWAP_RATIO."""
    frames = read_frames(bbb, max_frames=111)[75:111]
    seg = [cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in frames]
    seg[17], seg[18] = seg[18], seg[17]
    d = _finder(seg).tdiff
    assert 3 * SWAP_MIN_DIFF < d[17] + d[18] + d[19] < 1.5
    got = found(seg)
    assert ("jump", [17, 18]) in got and {k for k, _ in got} <= {"jump", "duplicate"}


def test_a_very_wide_clip_is_analysed_at_every_size(phone):
    """An 8:1 clip: its thumbnails (144x18) and their half size for the cut and skip tests' coarse flow check
    (72x9) are under the rows OpenCV's DIS handles (padded, `dis_calc`; main's code crashed here); the
    cut is found. (A strip this thin holds too little for the skip test: it names a jump in the clean
    stretch at 8, as the old skip score did too: 1.9 x 1.8 over 3.4.)"""
    wide = [np.ascontiguousarray(np.tile(f[40:84], (1, 2, 1))) for f in phone[:12]]  # 352x44
    other = [np.ascontiguousarray(np.rot90(f, 2)) for f in wide]
    assert ("cut", [12]) in found(wide + other)


def _finder(frames: list[np.ndarray]) -> DefectFinder:
    finder = DefectFinder(25)
    for f in frames:
        finder.push(f)
    finder.defects()  # sets the cuts the skip test stops at
    return finder


def test_skip_score_grows_with_the_frames_missing(walkers):
    """Across a gap the change is above both sides' and the three-ratio score (motion-compensated residual
    times the geometric mean of the change and the midpoint-interpolation error, each over the neighbours')
    grows with the frames missing, the change and the midpoint error well over 1 (the walkers move rigidly
    enough for flow to explain much of the larger motion: the residual grows less); the residual's spread
    only ever raises it, so both skips score over SKIP_SCORE; in the steady stretch the same transition is
    no test (not above both sides) or scores under it."""
    base, full = [], []
    for missing in (0, 2, 5):
        seq = walkers[:20] + walkers[20 + missing : 38 + missing]
        ratios = _finder(seq).skip_ratios(20, len(seq))
        if missing:
            assert ratios is not None and ratios[0] > 1.5 and ratios[2] > 1.5
        base.append(0.0 if ratios is None else skip_score(*ratios[:3], 0.0))
        full.append(0.0 if ratios is None else skip_score(*ratios))
    assert base[0] < base[1] < base[2]
    assert full[0] < SKIP_SCORE < min(full[1:])


@pytest.fixture(scope="module")
def phone60(carphone) -> list[np.ndarray]:
    return read_frames(carphone, max_frames=60)


def test_a_nodding_head_is_not_a_skip(phone60):
    """carphone's frames 30-60 hold the clip's largest clean skip score (its head nods and the car
    shakes at frame 40, 10 here): the change and the midpoint error are well above the neighbours', the
    motion-compensated residual less (rigid motion, flow explains it) and over only part of the picture
    (its spread under SKIP_SPREAD: no boost); under SKIP_SCORE, so no jump."""
    nodding = phone60[30:60]
    finder = _finder(nodding)
    change, resid, interp, spread = finder.skip_ratios(10, len(nodding))
    assert change > 1.5 and interp > 1.3 and resid < 1.6 and spread < SKIP_SPREAD
    assert 2.0 < skip_score(change, resid, interp, spread) < SKIP_SCORE
    assert [d.kind for d in finder.defects()] == []


def test_a_skip_in_a_nodding_shaking_shot_is_a_jump(phone60):
    """carphone's frames 20-24 left out (benchmarks/defects.py's seed 41 trial): the change, residual and
    midpoint error rise no more than at the clip's own nod (the three-ratio score under SKIP_SCORE), but
    the residual is over its usual in most of the picture (spread over SKIP_SPREAD), which the nod's is
    not: a jump, and nothing else named."""
    skipped = phone60[5:20] + phone60[25:46]
    finder = _finder(skipped)
    change, resid, interp, spread = finder.skip_ratios(15, len(skipped))
    assert skip_score(change, resid, interp, 0.0) < SKIP_SCORE < skip_score(change, resid, interp, spread)
    assert spread > SKIP_SPREAD
    assert [(d.kind, d.frames) for d in finder.defects()] == [("jump", [15])]


def test_no_skip_test_across_a_cut_or_at_a_change_of_pace(bike_frames, walkers):
    """The skip test compares a transition with its own shot's only: next to the cut (frame 16) a side
    with fewer than SKIP_SIDE transitions gives no test. A transition between a fast and a slow stretch
    (a pan slowing down) is above the slow side only: no test either."""
    finder = _finder(bike_frames)
    assert 16 in finder.cuts
    for k in range(17, 17 + SKIP_SIDE):
        assert finder.skip_ratios(k, len(bike_frames)) is None, k
    assert finder.skip_ratios(17 + SKIP_SIDE, len(bike_frames)) is not None
    slowing = walkers[:20:2] + walkers[19:30]  # every other frame (twice the pace), then every frame
    assert _finder(slowing).skip_ratios(10, len(slowing)) is None
    assert [d.kind for d in _finder(slowing).defects()] == []


def test_flicker_burst_repaired_by_levels_and_nothing_else_touched(phone, tmp_path):
    """The issue's case: +30 on every other frame for 10 frames; only those 5 are named (as flicker) and
    repaired (levels matched, content kept); every other frame comes back bit-exact from a lossless file."""
    flickered = [10, 12, 14, 16, 18]
    bad = list(phone)
    for i in flickered:
        bad[i] = np.clip(phone[i].astype(np.int16) + 30, 0, 255).astype(np.uint8)
    src = write_clip(tmp_path / "in.mkv", bad, codec="ffv1", pix_fmt="bgr0")
    decoded = read_frames(src)
    assert all(np.array_equal(a, b) for a, b in zip(decoded, bad, strict=True))  # the input is lossless too
    rep = infill_file(src, tmp_path / "out.mkv", auto=True, method="dis", progress=False, **LOSSLESS)
    assert [(d["kind"], d["frames"], d["action"]) for d in rep["defects"]] == [
        ("flicker", flickered, "levels matched")
    ]
    assert [x["frame"] for x in rep["replaced"]] == flickered
    out = read_frames(tmp_path / "out.mkv")
    assert len(out) == len(bad)
    for i, (o, d) in enumerate(zip(out, decoded, strict=True)):
        if i in flickered:
            before, after = psnr(d, phone[i]), psnr(o, phone[i])
            assert after > before + 8, (i, before, after)
            assert abs(float(o.mean()) - float(phone[i].mean())) < 2  # the level is back
        else:
            assert np.array_equal(o, d), f"clean frame {i} changed"


def test_a_burst_right_after_a_repeated_frame_is_named_on_its_own_frames(phone):
    """A repeat (a cadence duplicate, reported only) just before a burst: the level step out of it still
    starts the burst, so the flickered frames are named, not the clean ones between (bigbuckbunny s29 of
    the 60-seed benchmark, where a pulldown repeat comes just before the burst)."""
    bad = list(phone)
    bad[9] = phone[8]
    for i in (10, 12, 14, 16, 18):
        bad[i] = np.clip(phone[i].astype(np.int16) + 30, 0, 255).astype(np.uint8)
    assert found(bad) == [("duplicate", [9]), ("flicker", [10, 12, 14, 16, 18])]


def test_a_burst_is_placed_by_its_chain_ends():
    """Alternating level steps at transitions 14-17 (frames 14 and 16 up): picked one frame late, (15, 16)
    alone, the run is moved to the frames the chain's unused first and last steps put off the level; with
    the first step missing (no chain start) or already used, it is left."""
    up = np.zeros((6, 6, 3), np.float32)
    up[1:4, 1:4] = 20.0
    steps = {k: up if k % 2 == 0 else -up for k in range(14, 18)}
    picked = [(15, 16, 20.0)]
    assert _anchor_bursts(picked, steps, {15, 16}) == [(14, 15, 20.0), (16, 17, 20.0)]
    assert _anchor_bursts(picked, {k: v for k, v in steps.items() if k != 14}, {15, 16}) == picked
    assert _anchor_bursts(picked, steps, {14, 15, 16}) == picked


@pytest.fixture(scope="module")
def bikes_late(bikes) -> list[np.ndarray]:
    return read_frames(bikes, max_frames=228)[192:228]  # inside bikes' last shot (cut at 187, 242)


def test_weak_local_burst_is_repaired_on_its_own_frames_only(bikes_late, tmp_path):
    """The benchmark's bikes s6 case: +17 on a soft blob every other frame (22, 24, ... 30) while something
    enters the frame's right edge at frame 22, so the burst's first step is not undone closely enough to
    start a run. The burst is still placed by its first and last steps: the flickered frames are named and
    level-matched, and the clean frames between them (23, 25, 27, 29) come back bit-exact."""
    clean = bikes_late
    h, w = clean[0].shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = 0.3 * min(h, w)  # the benchmark's blob, at its centre (153.8, 288.0) in these 640x272 frames
    blob = 16.8 * np.exp(-((yy - 153.8) ** 2 + (xx - 288.0) ** 2) / (2 * r * r))[..., None]
    flickered = [22, 24, 26, 28, 30]
    bad = list(clean)
    for i in flickered:
        bad[i] = np.clip(clean[i] + blob, 0, 255).round().astype(np.uint8)
    src = write_clip(tmp_path / "in.mkv", bad, codec="ffv1", pix_fmt="bgr0")
    rep = infill_file(src, tmp_path / "out.mkv", auto=True, method="dis", progress=False, **LOSSLESS)
    assert [(d["kind"], d["frames"]) for d in rep["defects"]] == [("flicker", flickered)]
    assert [x["frame"] for x in rep["replaced"]] == flickered
    out, decoded = read_frames(tmp_path / "out.mkv"), read_frames(src)
    for i in (23, 25, 27, 29):  # between the flickered frames
        assert np.array_equal(out[i], decoded[i]), f"clean frame {i} changed"
    assert all(np.array_equal(out[i], decoded[i]) for i in range(len(out)) if i not in flickered)
    for i in flickered:
        assert psnr(out[i], clean[i]) > psnr(decoded[i], clean[i]) + 3, i


def test_auto_repairs_each_kind_its_way_and_keeps_the_rest_bit_exact(phone, tmp_path):
    bad = list(phone)
    bad[6] = np.zeros_like(phone[6])  # black: rebuilt
    bad[12:15] = [phone[11]] * 3  # frozen: the repeats rebuilt
    bad[20], bad[21] = phone[21], phone[20]  # out of order: put back
    bad[26] = phone[26].copy()
    bad[26][30:102, 40:128] = np.random.default_rng(0).integers(
        0, 256, (72, 88, 3), dtype=np.uint8
    )  # corrupt
    src = write_clip(tmp_path / "in.mkv", bad, codec="ffv1", pix_fmt="bgr0")
    rep = infill_file(src, tmp_path / "out.mkv", auto=True, method="dis", progress=False, **LOSSLESS)
    assert [(d["kind"], d["frames"], d["action"]) for d in rep["defects"]] == [
        ("black", [6], "rebuilt"),
        ("frozen", [12, 13, 14], "rebuilt"),
        ("jump", [20, 21], "put back in order"),
        ("corrupt", [26], "region rebuilt"),
    ]
    out, decoded = read_frames(tmp_path / "out.mkv"), read_frames(src)
    changed = {6, 12, 13, 14, 20, 21, 26}
    for i in range(len(out)):
        if i not in changed:
            assert np.array_equal(out[i], decoded[i]), f"clean frame {i} changed"
    assert np.array_equal(out[20], phone[20]) and np.array_equal(out[21], phone[21])
    assert psnr(out[6], phone[6]) > psnr(decoded[6], phone[6]) + 15
    assert psnr(out[26], phone[26]) > psnr(decoded[26], phone[26]) + 10
    for i in (12, 13, 14):  # repeats of a slow clip start close to the truth; rebuilt, they come closer
        assert psnr(out[i], phone[i]) > psnr(decoded[i], phone[i]) + 0.5


def test_auto_leaves_a_skip_and_a_cut_and_keeps_every_frame_bit_exact(walkers, tmp_path):
    """A skip (frames missing: nothing to put back) and a real cut are reported and left: the lossless output
    is the decoded input, frame for frame."""
    bad = walkers[:20] + walkers[23:]
    src = write_clip(tmp_path / "in.mkv", bad, codec="ffv1", pix_fmt="bgr0")
    rep = infill_file(src, tmp_path / "out.mkv", auto=True, method="dis", progress=False, **LOSSLESS)
    assert [(d["kind"], d["frames"]) for d in rep["defects"]] == [("jump", [20]), ("cut", [39])]
    assert all(d["action"].startswith("left as is") for d in rep["defects"])
    assert rep["replaced"] == [] and rep["held"] == []
    out, decoded = read_frames(tmp_path / "out.mkv"), read_frames(src)
    assert len(out) == len(decoded) and all(np.array_equal(o, d) for o, d in zip(out, decoded, strict=True))


def test_no_swap_is_named_next_to_a_frozen_run(phone):
    """The frames around a pair say whether it is out of order; a repeat says nothing (held-out seed 85 of
    benchmarks/defects.py: the pair right after a 5-repeat run was named swapped, and `--auto` would have
    reordered two clean frames)."""
    bad = list(phone)
    bad[8:13] = [phone[7]] * 5
    assert found(bad) == [("frozen", [8, 9, 10, 11, 12])]


def test_the_defect_scan_is_a_progress_and_cancel_point(phone, tmp_path):
    """find_defects calls on_frame after each frame, and infill_file(auto) passes its on_scan there: what
    it raises stops the scan before anything is written (the web app's Cancel during Repair's search
    waited for the whole scan). A non-callable is refused before any work."""
    from vidiff.errors import ConfigError
    from vidiff.metrics.defects import find_defects

    clip = write_clip(tmp_path / "c.mp4", phone[:12])
    seen: list[int] = []
    find_defects(clip, on_frame=seen.append)
    assert seen == list(range(12))

    class Stop(Exception):
        pass

    def stop(i: int) -> None:
        if i == 3:
            raise Stop

    out = tmp_path / "o.mp4"
    with pytest.raises(Stop):
        infill_file(clip, out, auto=True, method="dis", progress=False, on_scan=stop)
    assert not out.exists() and list(tmp_path.iterdir()) == [clip]
    for call in (
        lambda: find_defects(clip, on_frame=3),
        lambda: infill_file(clip, out, auto=True, on_scan=3),
    ):
        with pytest.raises(ConfigError, match="on_frame|on_scan"):
            call()


def test_frames_given_as_a_set_of_indices_rebuild_exactly_those(phone, tmp_path):
    """`infill_file(frames={...})` (the API's way to list frames) goes through the same checks as
    'a-b,c' and rebuilds those frames only: every other frame comes back bit-exact."""
    bad = list(phone[:12])
    bad[5] = np.zeros_like(bad[5])
    src = write_clip(tmp_path / "in.mkv", bad, codec="ffv1", pix_fmt="bgr0")
    rep = infill_file(src, tmp_path / "out.mkv", frames={5}, method="dis", progress=False, **LOSSLESS)
    assert [x["frame"] for x in rep["replaced"]] == [5]
    out, decoded = read_frames(tmp_path / "out.mkv"), read_frames(src)
    assert all(np.array_equal(out[i], decoded[i]) for i in range(len(out)) if i != 5)
    assert psnr(out[5], phone[5]) > psnr(decoded[5], phone[5]) + 10
