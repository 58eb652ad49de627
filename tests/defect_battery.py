"""A battery for the defect report (`vidiff.metrics.defects`): content that is hard for it, real and
synthetic, and each defect the report names injected at known frames, one at a time and in pairs.

Content (`content(name)`, RGB uint8 frames, small: a battery case is well under a second of analysis):
real stretches of the sample clips (carphone, bikes inside one shot, bigbuckbunny with its own 24 -> 25
fps repeats), and synthetic ones: a static shot with sensor noise, a slow pan, two shots joined by a cut,
a dip to black, a fade to white, a slow one-second fade, a dark stretch (the light off for 0.6 s), a
dark noisy clip, a 24 -> 30 fps repeat cadence (every 4th frame shown twice), 24 -> 60 (2:3: frames
shown twice and three times in turn, once named frozen every 5 frames), a 15 fps upload at 30 fps
(every frame twice), a looping animated GIF (palette-dithered, played twice), and 3:2 field telecine
(24p at 29.97i: 2 frames of 5 combed, fields of two frames; once named duplicate every 5 frames). `natural` gives the
events each holds by itself (a cut, a fade, its cadence repeats): what the report may name there.

Injections (`inject`): black, frozen (3 repeats), flicker (+30 levels on one frame), corrupt (a noise
block), jump (two frames swapped, or 3 frames dropped). Each returns the frames and what the report must
name: (kind, frames).

What drove a fix and what is held out: the dip to black and to white (named flicker and black: fades),
the dark stretch (named a cut twice, then flicker: a light change), the swap in bikes (named corrupt
twice) and the black frame next to bikes' flicker (the frame before it named corrupt) are the cases the
fixes were made on. No threshold was set on any case here (FADE_STEP comes from the sample clips' own
transitions: benchmarks/fade_steps.py). `HELD_OUT`: contents no fix was made or checked on (the static
noisy shot, the slow pan, the slow fade, the dark noisy clip, the repeat cadences: clean from the first
run, and still); the GIF's loop seam is allowed as a jump or a cut (it is one: the content jumps back).
"""

from __future__ import annotations

import functools
import io

import cv2
import numpy as np
from PIL import Image

from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.defects import DefectFinder

FPS = {
    "pulldown": 30,
    "pulldown_23": 60,
    "doubled": 30,
    "slow_fade": 30,
    "telecine": 30,
}  # content made at another rate than 25


@functools.cache
def _real(name: str, start: int, n: int, width: int) -> tuple[np.ndarray, ...]:
    frames = read_frames(sample_clip(name), max_frames=start + n)[start:]
    h = int(round(frames[0].shape[0] * width / frames[0].shape[1] / 2)) * 2
    return tuple(cv2.resize(f, (width, h), interpolation=cv2.INTER_AREA) for f in frames)


def phone(n: int = 48) -> list[np.ndarray]:
    return list(_real("carphone_pristine", 0, n, 176))


def gained(frames: list[np.ndarray], gains: list[float], add: float = 0.0) -> list[np.ndarray]:
    """Each frame times its gain, plus `add` times (1 - gain) (0: towards black, 255: towards white)."""
    return [
        np.clip(f.astype(np.float32) * g + add * (1 - g), 0, 255).round().astype(np.uint8)
        for f, g in zip(frames, gains, strict=True)
    ]


def dip_gains(n: int, start: int, ramp: int, hold: int) -> list[float]:
    """Gains of a dip: 1, then down over `ramp` frames to 0, held `hold` frames, back up over `ramp`."""
    g = [1.0] * n
    for i in range(ramp):
        g[start + i] = 1 - (i + 1) / ramp
        g[start + ramp + hold + i] = (i + 1) / ramp
    for i in range(hold):
        g[start + ramp + i] = 0.0
    return g


def _gif_loop(frames: list[np.ndarray], loops: int = 2) -> list[np.ndarray]:
    """`frames` written as an animated GIF (palette, dithered) by Pillow and read back, `loops` times."""
    buf = io.BytesIO()
    ims = [Image.fromarray(f) for f in frames]
    ims[0].save(buf, "GIF", save_all=True, append_images=ims[1:], duration=40, loop=0)
    buf.seek(0)
    gif = Image.open(buf)
    one = []
    for k in range(gif.n_frames):
        gif.seek(k)
        one.append(np.asarray(gif.convert("RGB")))
    return one * loops


def field_mix(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """One interlaced frame of two moments: even rows (top field) from `top`, odd rows from `bottom`."""
    out = top.copy()
    out[1::2] = bottom[1::2]
    return out


def telecine(frames: list[np.ndarray]) -> list[np.ndarray]:
    """24p frames as 3:2 field telecine at 30 (29.97i): each 4 frames A B C D shown as A, B, mix(C, B),
    mix(D, C), D, where mix(top, bottom) takes its odd rows from `bottom` (2 combed frames in 5)."""
    out = []
    for i in range(0, len(frames) - 3, 4):
        a, b, c, d = frames[i : i + 4]
        out += [a, b, field_mix(c, b), field_mix(d, c), d]
    return out


def content(name: str) -> list[np.ndarray]:
    """The frames of one battery content (see the module docstring)."""
    rng = np.random.default_rng(0)
    if name == "carphone":
        return phone(40)
    if name == "bikes":
        return list(_real("bikes", 31, 40, 240))  # inside one shot (cuts at 30 and 76)
    if name == "bigbuckbunny":
        return list(_real("bigbuckbunny", 0, 40, 240))
    if name == "static_noise":
        base = phone(1)[0].astype(np.float32)
        return [np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8) for _ in range(40)]
    if name == "slow_pan":
        wide = cv2.resize(_real("bigbuckbunny", 0, 1, 480)[0], (480, 270))
        return [wide[60:204, 40 + i : 216 + i].copy() for i in range(40)]
    if name == "cut":
        return phone(20) + [cv2.resize(f, (176, 144)) for f in _real("bikes", 40, 20, 240)]
    if name == "dip_to_black":
        return gained(phone(48), dip_gains(48, 15, 8, 2))
    if name == "dip_to_white":
        return gained(phone(48), dip_gains(48, 15, 8, 2), add=255.0)
    if name == "slow_fade":  # to black over one second at 30 fps, then black
        return gained(phone(56), [1.0] * 20 + [1 - (i + 1) / 30 for i in range(30)] + [0.0] * 6)
    if name == "dark_stretch":  # the light off for 15 frames (0.6 s) and on again
        return gained(phone(45), [0.12 if 15 <= i < 30 else 1.0 for i in range(45)])
    if name == "dark_noisy":
        dark = gained(phone(40), [0.1] * 40)
        return [np.clip(f + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8) for f in dark]
    if name == "pulldown":  # 24 -> 30 fps by repeats: every 4th frame shown twice
        out = []
        for i, f in enumerate(_real("bikes", 31, 36, 240)):
            out += [f, f] if i % 4 == 3 else [f]
        return out
    if name == "pulldown_23":  # 24 -> 60 fps by repeats: frames shown twice and three times in turn
        return [f for i, f in enumerate(_real("bikes", 31, 20, 240)) for _ in range(2 if i % 2 == 0 else 3)]
    if name == "doubled":  # 15 fps content uploaded at 30: every frame twice
        return [f for f in phone(24) for _ in range(2)]
    if name == "gif_loop":
        return _gif_loop(phone(20))
    if name == "telecine":  # 3:2 field telecine: 4 frames A B C D as A, B, C/B, D/C, D (top/bottom field)
        return telecine(list(_real("bikes", 31, 32, 240)))
    raise KeyError(name)


CONTENT = (
    "carphone", "bikes", "bigbuckbunny", "static_noise", "slow_pan", "cut", "dip_to_black", "dip_to_white",
    "slow_fade", "dark_stretch", "dark_noisy", "pulldown", "pulldown_23", "doubled", "gif_loop",
    "telecine",
)  # fmt: skip
HELD_OUT = {"static_noise", "slow_pan", "slow_fade", "dark_noisy", "pulldown", "doubled"}


def natural(name: str, frames: list[np.ndarray]) -> set[str]:
    """The kinds a content may be named by itself: its cut, its fade, its repeats (a cadence)."""
    return {
        "cut": {"cut"},
        "dip_to_black": {"fade"},
        "dip_to_white": {"fade"},
        "slow_fade": {"fade"},
        "bigbuckbunny": {"duplicate"},
        "pulldown": {"duplicate"},
        "pulldown_23": {"duplicate"},
        "doubled": {"duplicate"},
        "telecine": {"duplicate"},  # one cadence event: telecine (combed frames)
        # the loop's seam (its last frame, then its first) is a jump back in content: named a jump or a cut
        "gif_loop": {"cut", "jump"},
    }.get(name, set())


def position(name: str) -> int:
    """Where a defect is injected: frame 10, clear of the content's own events; in the doubled and 2:3
    clips frame 11, a frame's last showing (a swap of two showings of one frame changes nothing)."""
    return 11 if name in ("doubled", "pulldown_23") else 10  # telecine's frame 10: a clean one


def inject(frames: list[np.ndarray], kind: str, i: int) -> tuple[list[np.ndarray], tuple[str, list[int]]]:
    """`frames` with one defect at frame i, and what the report must name: (kind, frames)."""
    out = [f.copy() for f in frames]
    if kind == "black":
        out[i] = np.zeros_like(out[i])
        return out, ("black", [i])
    if kind == "frozen":
        out[i : i + 3] = [out[i - 1].copy() for _ in range(3)]
        return out, ("frozen", [i, i + 1, i + 2])
    if kind == "flicker":
        out[i] = np.clip(out[i].astype(np.int16) + 30, 0, 255).astype(np.uint8)
        return out, ("flicker", [i])
    if kind == "corrupt":
        h, w = out[i].shape[:2]
        rng = np.random.default_rng(i)
        out[i][h // 4 : h // 4 + h // 3, w // 4 : w // 4 + w // 3] = rng.integers(
            0, 256, (h // 3, w // 3, 3), np.uint8
        )
        return out, ("corrupt", [i])
    if kind == "swap":
        out[i], out[i + 1] = out[i + 1], out[i]
        return out, ("jump", [i, i + 1])
    if kind == "skip":  # frames i..i+2 dropped: the jump is the transition into frame i
        del out[i : i + 3]
        return out, ("jump", [i])
    raise KeyError(kind)


def found(frames: list[np.ndarray], fps: float = 25) -> list[tuple[str, list[int]]]:
    """What the report names: (kind, frames) of every event, in frame order."""
    finder = DefectFinder(fps)
    for f in frames:
        finder.push(f)
    return [(d.kind, d.frames) for d in finder.defects()]


def verdict(
    got: list[tuple[str, list[int]]], want: list[tuple[str, list[int]]], allowed: set[str]
) -> tuple[list, list]:
    """(missed, wrong): each wanted event not named at its frames (one frame of slack), and each event
    named that is neither wanted there nor a kind the content holds by itself."""

    def hit(a: tuple[str, list[int]], b: tuple[str, list[int]]) -> bool:
        return a[0] == b[0] and min(abs(x - y) for x in a[1] for y in b[1]) <= 1

    missed = [w for w in want if not any(hit(g, w) for g in got)]
    wrong = [g for g in got if g[0] not in allowed and not any(hit(g, w) for w in want)]
    return missed, wrong
