"""The defect report on content that is hard for it (`defect_battery`): each content names only its own
events (a cut, a fade, its cadence repeats), and each injected defect is named, at its frames, and
nothing else. The whole grid (every content x every defect) is marked slow; the default run takes the
clean contents, one injection of each kind and pairs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from defect_battery import (
    CONTENT,
    FPS,
    content,
    dip_gains,
    found,
    gained,
    inject,
    natural,
    phone,
    position,
    verdict,
)

from vidiff.metrics.clip import analyze_clip
from vidiff.metrics.defects import DefectFinder
from vidiff.metrics.fades import FADE_STEP
from vidiff.metrics.report import clip_text, plot_clip

INJECTED = ("black", "frozen", "flicker", "corrupt", "swap", "skip")
# carphone's first frames: a head that barely moves; 3 frames dropped at frame 10 change the picture no
# more than its own nod does (benchmarks/results/defects_heldout: most of the skips still missed are
# carphone's 3-frame ones). Known misses, not names wrong: strict, so a fix shows here
CARPHONE_BASED = {
    "carphone",
    "cut",
    "dip_to_black",
    "dip_to_white",
    "slow_fade",
    "dark_stretch",
    "doubled",
    "gif_loop",
}
# no motion: no order to see; in 2:3, 3 frames dropped at 11 are a showing of one frame and two of the next
UNSEEABLE = {"static_noise": {"swap", "skip"}, "dark_noisy": {"swap", "skip"}, "pulldown_23": {"skip"}}


def _check(name: str, frames: list[np.ndarray], want: list[tuple[str, list[int]]]) -> None:
    got = found(frames, FPS.get(name, 25))
    missed, wrong = verdict(got, want, natural(name, frames))
    assert not missed and not wrong, (name, want, got)


@pytest.mark.parametrize("name", CONTENT)
def test_content_names_only_its_own_events(name: str) -> None:
    """No false name on clean content: a static noisy shot, a slow pan, a dip to black or white (a fade,
    once named flicker and black), a dark stretch (the light off and on: once named a cut twice, then
    flicker), a repeat cadence, a GIF's dithering."""
    _check(name, content(name), [])


def _case(name: str, kind: str):
    marks = []
    if kind == "skip" and name in CARPHONE_BASED:
        marks.append(pytest.mark.xfail(strict=True, reason="a 3-frame skip in carphone's opening frames"))
    return pytest.param(name, kind, marks=marks, id=f"{name}-{kind}")


GRID = [_case(n, k) for n in CONTENT for k in INJECTED if k not in UNSEEABLE.get(n, set())]
QUICK = [  # one of each kind, on content where it is hard
    _case("dip_to_white", "black"),
    _case("pulldown", "frozen"),
    _case("pulldown_23", "frozen"),  # a freeze off the 2:3 rhythm is still one
    _case("slow_pan", "flicker"),
    _case("gif_loop", "corrupt"),
    _case("bikes", "swap"),  # at 240x102 the swapped pair was named corrupt twice
    _case("slow_pan", "skip"),
]


@pytest.mark.parametrize(("name", "kind"), QUICK)
def test_each_defect_is_named_at_its_frames(name: str, kind: str) -> None:
    frames, want = inject(content(name), kind, position(name))
    _check(name, frames, [want])


@pytest.mark.slow
@pytest.mark.parametrize(("name", "kind"), GRID)
def test_every_defect_on_every_content(name: str, kind: str) -> None:
    frames, want = inject(content(name), kind, position(name))
    _check(name, frames, [want])


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        ("bikes", "black", "flicker"),
        ("bigbuckbunny", "frozen", "swap"),
        ("dip_to_black", "corrupt", "flicker"),
    ],
)
def test_two_defects_are_named_each_at_its_frames(name: str, first: str, second: str) -> None:
    """Two defects in one clip, apart: both named, each at its own frames (in the dip's clip, one before
    the fade and one after it)."""
    frames = content(name)
    at = (8, 40) if name == "dip_to_black" else (8, 26)
    frames, a = inject(frames, first, at[0])
    frames, b = inject(frames, second, at[1])
    _check(name, frames, [a, b])


def test_a_fade_is_named_a_fade_on_the_frames_it_changes() -> None:
    """The dip: gains 1 to 0 over frames 15-22, black 23-24, back to 1 over 25-32: frames 15-31 are off
    the shot's level, and the report says what it is."""
    finder = DefectFinder(25)
    for f in content("dip_to_black"):
        finder.push(f)
    (fade,) = finder.defects()
    assert fade.kind == "fade" and fade.frames == list(range(15, 32)) and fade.repair == ""
    assert fade.detail.startswith("dip to black")
    assert abs(fade.start - 15 / 25) < 1e-9 and abs(fade.end - 31 / 25) < 1e-9
    white = DefectFinder(25)
    for f in content("dip_to_white"):
        white.push(f)
    assert [d.detail.partition(":")[0] for d in white.defects()] == ["dip to white"]


@pytest.mark.parametrize("ramp", [8, 45])
def test_a_dip_is_one_fade_however_slow(ramp: int) -> None:
    """carphone dipped to black over `ramp` frames each way at 30 fps (45: 1.5 s, whose steps fall under
    FADE_STEP near black and where the picture is dark): one fade on exactly the frames changed (it was
    five fades, cut where a step fell under FADE_STEP)."""
    frames = [*phone(60), *phone(60)[::-1]][: 2 * ramp + 22]
    got = found(gained(frames, dip_gains(len(frames), 10, ramp, 2)), 30)
    assert got == [("fade", list(range(10, 10 + 2 * ramp + 1)))]


def test_a_one_second_fade_steps_over_the_threshold() -> None:
    """The slow fade (to black over 30 frames at 30 fps) steps about 3 levels a frame, over FADE_STEP
    until its last dark frames, which are blank and join the fade."""
    finder = DefectFinder(30)
    for f in content("slow_fade"):
        finder.push(f)
    steps = [abs(s) for s in finder.glevel[21:40]]
    assert min(steps) > FADE_STEP and 2.5 < float(np.median(steps)) < 4.5
    (fade,) = finder.defects()
    assert fade.frames == list(range(20, 56)) and fade.detail.startswith("fade to black")


def test_the_report_lists_a_fade_apart_from_the_defects(tmp_path) -> None:
    """`vidiff metrics`' JSON has the fade under `fades`, not `defects`; its text says 'fades'; the fade's
    transitions are left out of the means as a cut's are."""
    from conftest import write_clip

    clip = write_clip(tmp_path / "dip.mkv", content("dip_to_black"), codec="ffv1", pix_fmt="bgr0")
    report = analyze_clip(clip)
    s = report["summary"]
    assert s["defects"] == [] and [d["frames"] for d in s["fades"]] == [list(range(15, 32))]
    assert all(r.get("fade") for r in report["frames"][15:33]) and not report["frames"][14].get("fade")
    assert "fades          dip to black, frames 15-31 at 0.60-1.24s" in clip_text(report)
    plot_clip(report, tmp_path / "dip.png")  # the fade shaded on the plot
    assert (tmp_path / "dip.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("damage", "want"),
    [("flash", "flicker"), ("noise", "corrupt"), ("noise_top", "corrupt"), ("mosaic", "corrupt")],
)
def test_a_flash_is_flicker_and_a_garbled_frame_is_corrupt_alone(damage: str, want: str) -> None:
    """One frame of carphone doubled in brightness (a flash: its clipped highlights change its texture) was
    named corrupt; a frame of noise over all or 60% of the picture was named corrupt and the transition
    out of it a cut (a one-frame shot: the cut test skipped the transition in, not the one out)."""
    frames = phone(40)
    rng = np.random.default_rng(0)
    f = frames[20].copy()
    if damage == "flash":
        f = np.clip(f.astype(np.float32) * 2, 0, 255).astype(np.uint8)
    elif damage == "noise":
        f = rng.integers(0, 256, f.shape, np.uint8)
    elif damage == "noise_top":
        f[:86] = rng.integers(0, 256, (86, 176, 3), np.uint8)
    else:
        f = cv2.resize(
            rng.integers(0, 256, (18, 22, 3), np.uint8), (176, 144), interpolation=cv2.INTER_NEAREST
        )
    frames[20] = f
    assert found(frames) == [(want, [20])]


def test_auto_repair_leaves_a_fade_and_repairs_a_black_frame_before_it(tmp_path) -> None:
    """`infill --auto` on a dip to black with a black frame dropped in before it: the black frame is rebuilt,
    the fade is listed and left, every frame of it bit-exact (its frames were level-matched as flicker and
    its black ones rebuilt, a real fade undone)."""
    from conftest import write_clip

    from vidiff.io.reader import read_frames
    from vidiff.runner.infill import infill_file

    frames, _ = inject(content("dip_to_black"), "black", 6)
    src = write_clip(tmp_path / "in.mkv", frames, codec="ffv1", pix_fmt="bgr0")
    rep = infill_file(
        src,
        tmp_path / "out.mkv",
        auto=True,
        method="dis",
        progress=False,
        codec="ffv1",
        crf=None,
        pix_fmt="bgr0",
    )
    assert [(d["kind"], d["frames"]) for d in rep["defects"]] == [
        ("black", [6]),
        ("fade", list(range(15, 32))),
    ]
    assert rep["defects"][1]["action"] == "left as is: a fade is content"
    assert [r["frame"] for r in rep["replaced"]] == [6]
    out, decoded = read_frames(tmp_path / "out.mkv"), read_frames(src)
    assert all(np.array_equal(out[i], decoded[i]) for i in range(len(out)) if i != 6)


def test_a_2_3_cadence_is_one_event_per_showing_not_frozen_runs() -> None:
    """24 fps content at 60 (frames shown twice and three times in turn) was named frozen every 5 frames,
    with a rebuild repair: now the rhythm is named once per showing length, reported only."""
    finder = DefectFinder(60)
    for f in content("pulldown_23"):
        finder.push(f)
    got = finder.defects()
    assert [d.kind for d in got] == ["duplicate", "duplicate"] and not any(d.repair for d in got)
    doubles, singles = got
    assert doubles.frames[:4] == [3, 4, 8, 9] and singles.frames[:2] == [6, 11]
    assert all(d.detail.startswith("cadence:") and "every 5 frames" in d.detail for d in got)


def test_cadence_runs_allow_missed_beats_and_keep_off_beat_runs_out() -> None:
    from vidiff.metrics.cadence import cadence_runs

    runs = [(1, 2), (6, 7), (11, 14), (16, 17), (21, 22), (26, 27)]  # a freeze over the beat at 11
    ((chain, period),) = cadence_runs(runs)
    assert period == 5 and chain == [(1, 2), (6, 7), (16, 17), (21, 22), (26, 27)]
    assert (
        cadence_runs([(3, 4), (28, 29)]) == []
    )  # two repeats are no rhythm (bigbuckbunny's 36-frame trials)


def test_a_doubled_clip_keeps_its_figures_and_lists_one_cadence(tmp_path) -> None:
    """15 fps content at 30: every other frame a repeat. Each repeat left its transition and the next out
    of the means, so the summary came from 3 transitions (warping error median 0.00) and the text listed
    22 duplicate lines; now the motion transitions are measured and the cadence is one line."""
    from conftest import write_clip

    clip = write_clip(tmp_path / "d.mkv", content("doubled"), codec="ffv1", pix_fmt="bgr0")
    report = analyze_clip(clip)
    s = report["summary"]
    assert len(s["defects"]) == 1 and s["defects"][0]["frames"] == list(range(3, 47, 2))
    measured = [r for r in report["frames"][1:] if r["warp_err"] is not None and not r.get("near_defect")]
    assert len(measured) >= 20 and s["warp_err_median"] > 1.0
    assert clip_text(report).count("duplicate ") == 1


def test_a_flat_shot_is_not_a_black_frame(tmp_path) -> None:
    """A nearly flat clip (the media battery's orange field with a small moving patch, MJPEG) had frame 5
    named 'black ... blank (std 3.9) between pictured frames 4 and 6 (std 4)': every frame of it is that
    flat. A blank frame must be flatter than its neighbours by BLANK_CONTRAST, not just under BLANK_STD;
    the battery's injected black frames (test_one_defect_*) are still named."""
    import av
    from media_kinds import write_clip

    clip = write_clip(tmp_path / "flat.avi", "mjpeg", "yuvj420p")
    with av.open(str(clip)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 8 and not [k for k, _ in found(frames) if k == "black"], found(frames)


def test_field_telecine_is_one_cadence_of_combed_frames_not_duplicates() -> None:
    """3:2 field telecine (A, B, C/B, D/C, D): the repeat test sampled even rows only, so D after D/C looked
    a repeat (a duplicate every 5 frames); now both fields are compared and the combed frames are one
    telecine cadence, reported only."""
    finder = DefectFinder(30)
    for f in content("telecine"):
        finder.push(f)
    (event,) = finder.defects()
    assert event.kind == "duplicate" and event.repair == ""
    assert event.frames == [f for k in range(0, 40, 5) for f in (k + 2, k + 3)]
    assert event.detail.startswith("cadence: telecine (combed frames)") and "every 5 frames" in event.detail


def test_a_field_mixed_frame_is_no_repeat_but_a_true_repeat_still_is() -> None:
    """`field_diff` sees both fields: a frame whose even rows repeat its neighbour's while its odd rows
    move on differs; in progressive content one frame shown twice is still named a duplicate."""
    from defect_battery import field_mix

    from vidiff.metrics.defects import SAME_DIFF
    from vidiff.timeline import field_diff as repeat_diff

    frames = content("bikes")
    c, d = frames[12], frames[13]
    assert repeat_diff(field_mix(d, c), d) > 10 * SAME_DIFF
    assert repeat_diff(d, d.copy()) == 0.0
    frames[20] = frames[19].copy()  # one repeat inside motion
    assert found(frames) == [("duplicate", [20])]


def test_quiet_telecine_is_named_and_its_combed_frames_are_no_skips() -> None:
    """carphone (a head that barely moves) as 3:2 field telecine: the combed frames score only 1.05-1.8x
    their neighbours', still one telecine cadence; the steps into and out of them (half a source frame's
    motion, fields of two moments) were named skips at 18, 23 and 38, and are no longer tested."""
    from defect_battery import telecine

    got = found(telecine(phone(48)), 30)
    cadence = [f for k, f in got if k == "duplicate"]
    assert len(cadence) == 1 and cadence[0][:6] == [2, 3, 7, 8, 12, 13]
    jumps = [f[0] for k, f in got if k == "jump"]
    assert not {18, 23, 38} & set(jumps)


def test_quiet_telecine_has_no_false_skip() -> None:
    """Its whole steps (D -> A) were named skips at 45 and 50: the skip test compared them with the half
    steps into and out of combed frames (one field moves), and the beat at 47-48 combs too little to be
    seen. Now half steps are no context and a cadence's missed beats between its runs count as combed."""
    from defect_battery import telecine

    finder = DefectFinder(30)
    for f in telecine(phone(48)):
        finder.push(f)
    assert [d.kind for d in finder.defects()] == ["duplicate"]
    assert {47, 48} <= finder.telecined


def test_beat_frames_fill_the_missed_beats_between_runs_only() -> None:
    from vidiff.metrics.cadence import beat_frames

    assert beat_frames([(2, 4), (7, 9), (17, 19)], 5) == {2, 3, 7, 8, 12, 13, 17, 18}


def _faded(gains: list[float], scale: float = 1.0) -> list[np.ndarray]:
    return gained([(f * scale).astype(np.uint8) for f in phone(len(gains))], gains)


def test_a_three_second_fade_is_one_fade() -> None:
    """A fade over 90 frames at 30 fps steps about 1 level a frame, under FADE_STEP: it was named nothing.
    Now a slow ramp (the median step over a second) names it, to black and, reversed, from black."""
    gains = [1.0] * 5 + [1 - (i + 1) / 90 for i in range(90)] + [0.0] * 5
    for frames, what, span in (
        (_faded(gains), "fade to black", (5, 99)),
        (_faded(gains)[::-1], "fade from black", (0, 94)),
    ):
        finder = DefectFinder(30)
        for f in frames:
            finder.push(f)
        (fade,) = finder.defects()
        assert fade.kind == "fade" and fade.detail.startswith(what), fade
        assert abs(fade.frames[0] - span[0]) <= 1 and abs(fade.frames[-1] - span[1]) <= 1, fade.frames


def test_a_dark_slow_fade_names_no_swap_in_its_black_frames() -> None:
    """A dark clip (mean 38) fading over 90 frames: its last near-black frames (blank, noise only) were
    named swapped; a blank frame has no order. The fade is named (from where its steps are large enough)."""
    gains = [1.0] * 5 + [1 - (i + 1) / 90 for i in range(90)] + [0.0] * 5
    got = found(_faded(gains, 0.4), 30)
    assert [k for k, _ in got] == ["fade"] and got[0][1][-1] == 99


def _tiny_move(n: int = 14) -> list[np.ndarray]:
    """A 32x18 clip: a 3-pixel square moving 2 pixels a frame on grey."""
    out = []
    for i in range(n):
        im = np.full((18, 32, 3), 90, np.uint8)
        im[7:10, 2 * i : 2 * i + 3] = 230
        out.append(im)
    return out


def test_a_tiny_clip_moving_two_pixels_is_no_repeat_and_a_real_repeat_is() -> None:
    """Every 4th pixel of a 32x18 frame missed the square every other frame: the clip was named a cadence
    of duplicates. Tiny frames are compared at every pixel; a repeat and a freeze there are still named."""
    assert found(_tiny_move()) == []
    moving = _tiny_move()
    assert found(moving[:7] + [moving[6].copy()] + moving[7:]) == [("duplicate", [7])]
    assert found(moving[:6] + [moving[5].copy() for _ in range(3)] + moving[6:]) == [("frozen", [6, 7, 8])]


@pytest.mark.parametrize("name", ["bikes", "slow_pan", "static_noise"])
def test_a_flash_with_a_damaged_patch_is_named_both(name: str) -> None:
    """A frame 30 levels brighter with a grey patch of a ninth of it (a damaged decode in a flicker) was
    named flicker only: the corrupt test left flashes out (a frame at twice the brightness was named
    corrupt). Its levels are matched first now (`metrics.flash`): both are named, and the frame is
    rebuilt whole; a flash alone, even at twice the brightness, is still flicker only."""
    from vidiff.metrics.defects import repair_plan

    frames, _ = inject(content(name), "flicker", 10)
    h, w = frames[10].shape[:2]
    frames[10][h // 4 : h // 4 + h // 3, w // 4 : w // 4 + w // 3] = 128
    finder = DefectFinder(25)
    for f in frames:
        finder.push(f)
    got = finder.defects()
    assert [(d.kind, d.frames) for d in got] == [("corrupt", [10]), ("flicker", [10])]
    repair, why = repair_plan(got)[10]
    assert repair == "rebuild" and why.kind == "corrupt" and "region" not in why.extra
    brighter = [f.copy() for f in content(name)]
    brighter[10] = np.clip(brighter[10].astype(np.float32) * 2, 0, 255).astype(np.uint8)
    assert found(brighter) == [("flicker", [10])]


@pytest.mark.parametrize("i", [10, 30])
def test_a_grey_patch_on_a_small_frame_is_corrupt_not_two_jumps(i: int) -> None:
    """A grey patch of a ninth of carphone (176x144) scored over the corrupt bar at one block only, its
    region 1.4% of the frame (under `CORRUPT_MIN_AREA`): the skip test named the frame's two transitions
    jumps. Its flat inside (no texture where both neighbours have some, `metrics.fill`) counts towards the
    region now: one corrupt frame, its region over the patch's inside, rebuilt."""
    frames = [f.copy() for f in content("carphone")]  # the contents are cached: never changed in place
    h, w = frames[i].shape[:2]
    frames[i][h // 4 : h // 4 + h // 3, w // 4 : w // 4 + w // 3] = 128
    finder = DefectFinder(25)
    for f in frames:
        finder.push(f)
    got = finder.defects()
    assert [(d.kind, d.frames, d.repair) for d in got] == [("corrupt", [i], "rebuild")]
    region = got[0].extra["region"]
    assert region[4:6, 4:6].all() and region.mean() < 0.1  # the patch's inside, not the frame


def test_a_filled_block_needs_texture_around_and_no_clipping() -> None:
    """`filled_blocks`: flat where both neighbours have texture; a flat wall, or a block the frame clipped
    (a blown highlight), is no fill."""
    from vidiff.metrics.fill import filled_blocks

    mine = np.array([[0.0, 0.0, 0.0, 3.0]])
    before = np.array([[5.0, 0.5, 5.0, 5.0]])
    clipped = np.array([[False, False, True, False]])
    assert filled_blocks(before, mine, before.copy(), clipped).tolist() == [[True, False, False, False]]


@pytest.mark.parametrize(("name", "gain", "add"), [("bigbuckbunny", 2.0, 0), ("carphone", 1.0, -40)])
def test_a_flash_with_a_grey_patch_under_the_flash_bar_is_named_both(
    name: str, gain: float, add: int
) -> None:
    """A grey patch in bigbuckbunny at twice the brightness (score 5.4) and in carphone 40 levels darker
    (1.3) stayed under FLASH_CORRUPT_SCORE: flicker only. The patch's flat inside, which no gain makes
    (`metrics.fill`), names it now; the same flash without the patch is still flicker only."""
    frames = [f.copy() for f in content(name)]
    flash = np.clip(frames[10].astype(np.float32) * gain + add, 0, 255).astype(np.uint8)
    frames[10] = flash.copy()
    assert [k for k in found(frames) if k[0] in ("corrupt", "flicker")] == [("flicker", [10])]
    h, w = flash.shape[:2]
    frames[10][h // 4 : h // 4 + h // 3, w // 4 : w // 4 + w // 3] = 128
    got = [k for k in found(frames) if k[0] in ("corrupt", "flicker")]
    assert got == [("corrupt", [10]), ("flicker", [10])]
