from fractions import Fraction

import pytest

from vidiff.errors import ConfigError
from vidiff.io.reader import Frame
from vidiff.timeline import Plan, frames_differ, keyframes, output_rate, parse_fps, plan


def keyframe_mask(images, max_run=3):
    """Which of `images` the one dedupe (`timeline.keyframes`, what the runner streams) keeps."""
    frames = [Frame(i, Fraction(i, 25), im) for i, im in enumerate(images)]
    kept = {kf.frame.index for kf in keyframes(iter(frames), max_run=max_run)}
    return [i in kept for i in range(len(images))]


def cfr(n: int, fps: Fraction) -> list[Fraction]:
    return [Fraction(i) / fps for i in range(n)]


@pytest.mark.parametrize(
    "src, dst, n_src, n_out",
    [
        (Fraction(24), Fraction(60), 24, 60),
        (Fraction(25), Fraction(30), 50, 60),
        (Fraction(30000, 1001), Fraction(60), 30000, 60060),  # 1001 s of NTSC: exact, no drift
        (Fraction(25), Fraction(50), 250, 500),
    ],
)
def test_plan_counts_exact(src, dst, n_src, n_out):
    times = cfr(n_src, src)
    targets = plan(times, times[-1] + 1 / src, dst)
    assert len(targets) == n_out
    assert all(0.0 <= tg.t < 1.0 for tg in targets)
    # every target lies between its two source frames, at its real t
    for tg in targets[:500]:
        if tg.b != tg.a:
            assert times[tg.a] + Fraction(tg.t).limit_denominator(10**9) * (
                times[tg.b] - times[tg.a]
            ) == pytest.approx(float(tg.time), abs=1e-9)


def test_24_to_60_has_non_half_times():
    times = cfr(24, Fraction(24))
    ts = sorted({round(tg.t, 6) for tg in plan(times, Fraction(1), Fraction(60))})
    assert ts == [0.0, 0.2, 0.4, 0.6, 0.8]


def test_vfr_planned_by_timestamps():
    # frames at irregular times: targets are placed by time, not by index
    times = [Fraction(0), Fraction(1, 10), Fraction(3, 10), Fraction(4, 10)]
    targets = plan(times, Fraction(5, 10), Fraction(20))
    assert len(targets) == 10
    tg = targets[4]  # 0.2 s: halfway between the frames at 0.1 and 0.3
    assert (tg.a, tg.b, tg.t) == (1, 2, 0.5)


def test_parse_fps():
    assert parse_fps("30000/1001") == Fraction(30000, 1001)
    assert parse_fps("59.94") == Fraction(60000, 1001)
    assert parse_fps("60") == Fraction(60)
    assert parse_fps(12.5) == Fraction(25, 2)
    for bad in ("abc", "0", "-5", "1/0"):
        with pytest.raises(ConfigError):
            parse_fps(bad)


def test_output_rate():
    assert output_rate(Fraction(25), factor=2) == 50
    assert output_rate(Fraction(25), fps=Fraction(60)) == 60
    with pytest.raises(ConfigError):
        output_rate(Fraction(25))
    with pytest.raises(ConfigError):
        output_rate(Fraction(25), factor=2, fps=Fraction(60))


def test_duplicates_collapsed_like_animation_on_twos(carphone):
    from vidiff.io.reader import read_frames

    real = read_frames(carphone, 6)
    on_twos = [real[0], real[0], real[2], real[2], real[4], real[4]]
    assert keyframe_mask(on_twos) == [True, False, True, False, True, False]
    # a long hold keeps its last frame, so motion starts where it really starts
    hold = [real[0]] * 6 + [real[4]]
    assert keyframe_mask(hold) == [True, False, False, False, False, True, True]
    assert frames_differ(real[0], real[2]) and not frames_differ(real[0], real[0].copy())


def test_pulldown_duplicates_found_in_real_clip(bbb):
    """bigbuckbunny is a 24 fps render at 25 fps: one frame a second is a duplicate, and only those."""
    from vidiff.io.reader import read_frames

    frames = read_frames(bbb)
    dropped = [i for i, keep in enumerate(keyframe_mask(frames)) if not keep]
    assert dropped == [7, 32, 57, 82, 107]


def test_plan_streams_pair_by_pair_exactly_like_the_batch_plan():
    """The runner feeds `Plan` one pair at a time (as its windows arrive) and then the tail hold: the same
    targets as the whole-clip plan, none twice; a frame at a keyframe's time is that keyframe (t = 0)."""
    times = [Fraction(0), Fraction(1, 10), Fraction(3, 10), Fraction(4, 10)]  # VFR
    p = Plan.for_rate(Fraction(10), fps="20")
    streamed = [tg for k in range(3) for tg in p.pair(k, times[k], times[k + 1])]
    assert p.pair(2, times[2], times[3]) == []  # planned already
    streamed += p.hold(3, Fraction(1, 2))
    assert streamed == plan(times, Fraction(1, 2), Fraction(20)) and p.planned == 10
    assert [tg.t for tg in streamed if tg.a == 1] == [0.0, 0.25, 0.5, 0.75]
    assert [(tg.a, tg.b, tg.t) for tg in streamed[-2:]] == [(3, 3, 0.0), (3, 3, 0.0)]
    slow = Plan.for_rate(Fraction(25), factor=4, speed="1/4")
    assert (slow.fps, slow.write_fps, slow.expected(4.8)) == (100, 25, 480)
    for bad in ({"factor": 4, "speed": 0}, {"factor": 65}, {"fps": 60, "factor": 2}):
        with pytest.raises(ConfigError):
            Plan.for_rate(Fraction(25), **bad)


def test_one_dedupe_streams_with_scene_cuts_and_counts(carphone):
    """`keyframes` is the runner's dedupe: a scene cut ends a run of duplicates (the frame after it is kept
    whatever it looks like), and `stats` counts what was dropped."""
    from vidiff.io.reader import read_frames

    real = read_frames(carphone, 5)
    images = [real[0], real[0], real[0], real[0], real[2], real[2]]
    seen = iter(range(len(images)))
    stats: dict = {}
    kfs = list(keyframes((Frame(i, Fraction(i, 25), im) for i, im in enumerate(images)),
                         is_cut=lambda _im: next(seen) == 2, stats=stats))  # fmt: skip
    assert [(kf.frame.index, kf.cut) for kf in kfs] == [(0, False), (2, True), (4, False)]
    assert stats == {"duplicates": 3, "cuts": [0.08], "last_time": Fraction(5, 25)}


def test_dedupe_sees_both_fields_of_a_telecined_frame(bikes):
    """3:2 field telecine shows D after mix(D, C) (even rows of D, odd rows of C): the dedupe sampled even
    rows only, so D was taken for a repeat of the combed frame and dropped. Both fields are compared now
    (`field_diff`); a frame shown twice is still a duplicate."""
    from vidiff.io.reader import read_frames

    c, d = read_frames(bikes, 14)[12:14]
    mixed = d.copy()
    mixed[1::2] = c[1::2]
    assert frames_differ(mixed, d) and not frames_differ(d, d.copy())
    assert keyframe_mask([c, mixed, d]) == [True, True, True]
