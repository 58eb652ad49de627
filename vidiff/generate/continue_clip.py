"""A real clip continued by a video diffusion model (`vidiff generate --clip in.mp4 --weights W --prompt ...`).

The clip's last frames condition the model's first window, by what its pipeline takes: several frames where
it takes a video condition (diffusers' `LTXConditionPipeline`, `LTXVideoCondition(video=...)`: LTX-Video,
HaCohen et al. 2024, whose latent frames cover 8 frames each, so 8k+1 of them; Wan VACE's `video` and
`mask`, 4k+1, `backends.wan_vace`), so the motion continues and not only the look; else the last frame (image to video, as ComfyUI's Wan "extend" workflows do); else one
line naming weights that can. Later windows start on the last frames before them the same way
(`vidiff.generate.keyframes.carried`, the one rule for both).
The output is the whole clip at its own size and rate, then the model's frames scaled to that size and
filled in from the keyframe rate to the clip's by vidiff's interpolation; `make_clip` then brings the
whole to the output's size and rate as for every source. The clip's audio stays under its part
(`vidiff.generate.clip_sound`, as for vidiff's own extension).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from vidiff.errors import ConfigError, InputError

if TYPE_CHECKING:
    import numpy as np

    from vidiff.generate.keyframes import Plan

# model windows a continuation may take: each later window starts on the last frames of the one before (one
# where the pipeline takes no video condition), so the motion the clip gave may drift window after window
# (not measured with real weights: a bound, not a finding)
MAX_WINDOWS = 4
MAX_EXTEND_S = 3600.0  # an extend past this is counted as this (an infinity of frames cannot be counted)
LEAD_SECONDS = 1.0  # at most this much of the clip's end is held for the conditioning frames


def check_request(loop: bool, last_image: str | None, extend: float | None) -> None:
    """The options that do not apply to a model's continuation, refused before anything is read."""
    if loop:
        raise ConfigError(
            "loop with a clip and a model: the continuation ends on new frames, not on the clip's start; "
            "make the loop without weights (vidiff's own transition) or leave loop out"
        )
    if last_image:
        raise ConfigError(
            "last_image ends a clip made from image; a clip continued by a model ends on its own"
        )
    if extend is not None and extend <= 0:
        raise ConfigError(f"extend {extend:g}: a model continues a clip by more than 0 seconds")


@dataclass
class ClipTail:
    """A clip probed (`open_tail`), then read once (`read`) for its frame count, size and last frames
    (upright), and what its continuation asks of the model (`fit`, before the model loads)."""

    clip: str
    info: Any  # vidiff.io.probe.VideoInfo
    extend: float | None
    n_clip: int = 0
    frames: list[np.ndarray] = field(default_factory=list)  # the last LEAD_SECONDS of the clip
    lead: int = 1  # the clip's frames that condition the first window
    n_new: int = 0  # keyframes the model makes past them
    rate: Fraction = Fraction(1)  # the keyframes'
    gen_rate: Fraction = Fraction(1)  # the model's frames' (`keyframes.model_rate`): the lead's

    @property
    def fps(self) -> Fraction:
        return self.info.fps

    @property
    def size(self) -> tuple[int, int]:
        """(w, h) of the clip's upright frames."""
        return self.frames[-1].shape[1], self.frames[-1].shape[0]

    @property
    def aspect(self) -> float:
        return self.size[0] / self.size[1]

    @property
    def last(self) -> np.ndarray:
        return self.frames[-1]

    def check_backend(self, backend: Any) -> None:
        """One line where `backend`'s weights cannot start from a frame (before the clip is decoded)."""
        if not backend.can_condition_on_image:
            raise ConfigError(
                f"these {backend.kind} weights make a clip from a prompt only and cannot continue a clip: "
                f"use weights that start from a frame ({backend.frame_weights})"
            )

    def fit(self, backend: Any, keyframe_fps: float | None, frames: int | None) -> float:
        """The seconds of keyframes to plan (the lead frames and the new ones) for `backend` (planned from
        the probe's frame count before `read`, again from what decoded after it)."""
        from vidiff.generate.keyframes import model_rate

        window = backend.window_frames(frames)
        self.rate = rate = backend.rate(1.0, keyframe_fps, window)
        self.gen_rate = gen = model_rate(backend, rate)  # the lead is the model's frames, at its rate
        self.lead = lead_frames(backend, window, gen, (self.n_frames_held - 1) / float(self.fps))
        ext = self.extend if self.extend is not None else (window - self.lead) / gen
        if ext * rate < 1:  # no keyframe's worth: the model would still make one
            shortest = math.ceil(1000 / rate) / 1000
            raise ConfigError(
                f"extend {ext:g} s is shorter than one keyframe interval at {float(rate):g} fps: "
                f"give extend {shortest:g} or more"
            )
        self.n_new = max(1, round(min(float(ext), MAX_EXTEND_S) * rate))  # 1e308 s: refused by check_plan
        return (self.lead + self.n_new) / float(rate)

    @property
    def most_held(self) -> int:
        """The clip's last frames held for the conditioning (`LEAD_SECONDS` of them, and one)."""
        return math.ceil(LEAD_SECONDS * float(self.fps)) + 1

    @property
    def n_frames_held(self) -> int:
        """The frames held; before `read`, as many as the probe counts (decoded: as many or fewer)."""
        return len(self.frames) if self.frames else min(self.most_held, self.info.n_frames)

    def read(self) -> None:
        """The clip read once (damaged input: what decodes, one warning line; under 2 frames: one line),
        holding its last `LEAD_SECONDS` of upright frames."""
        from vidiff.io.orient import upright
        from vidiff.io.reader import VideoReader

        info = self.info
        held: deque = deque(maxlen=self.most_held)
        for f in VideoReader(self.clip):
            held.append(upright(f.image, info.rotation, info.flip, info.sar))
            self.n_clip += 1
        if self.n_clip < 2:
            raise InputError(
                f"{self.clip}: {self.n_clip} frame decoded; continuing it with a model needs at least 2"
            )
        self.frames = list(held)

    def check_plan(self, p: Plan) -> None:
        """One line where the continuation (the plan `p`) needs more than `MAX_WINDOWS` model windows."""
        if p.windows > MAX_WINDOWS:
            most = (p.window + (MAX_WINDOWS - 1) * (p.window - p.carry) - self.lead) / float(p.gen_rate)
            raise ConfigError(
                f"extend {self.n_new / float(self.rate):g} s needs {p.windows} windows of {p.window} frames "
                f"at {float(p.gen_rate):g} fps; a clip is continued by {MAX_WINDOWS} windows at most: use "
                f"extend {most:.2f} or less"
            )

    def video(self) -> list[np.ndarray] | None:
        """The conditioning frames at the model's rate (the clip's frames nearest those times, ending on
        its last; a model that makes 16 fps whatever the keyframe rate is given 16 fps), or None when one
        frame conditions (image to video)."""
        if self.lead == 1:
            return None
        step = float(self.fps / self.gen_rate)  # clip frames per model frame
        n = len(self.frames) - 1
        return [self.frames[n - round((self.lead - 1 - j) * step)] for j in range(self.lead)]

    def continued(
        self, keys: list[np.ndarray], joins: list[int], interp: Any
    ) -> tuple[ContinuedClip, list[np.ndarray], list[int], dict[str, Any]]:
        """The clip and its continuation from the model's `keys` (the lead's remade frames first, then the
        new ones: a plan given the `lead`; `joins` its windows'), at the clip's rate: (the sequence, the new keyframes, their joins,
        report facts)."""
        from itertools import islice

        from vidiff.generate.keyframes import join_ratios

        new = keys[self.lead :]
        seq = ContinuedClip(self, new, interp)
        held = list(self.frames)  # the join: the clip's last second and as much of the continuation
        join = join_ratios([*held, *islice(seq.continuation(), len(held))], [len(held)])
        made = seq.n_made
        facts = {
            "source": "clip",
            "conditioning": "video" if self.lead > 1 else "image",
            "conditioning_frames": self.lead,
            "frames_kept": self.n_clip,
            "frames_made": made,
            "keyframes_made": len(new),
            "continuation_seconds": round(made / float(self.fps), 3),
            "join_flicker": round(join[0], 3) if join else None,
        }
        new_joins = [j - self.lead for j in joins if j - self.lead > 0]
        return seq, new, new_joins, facts


def lead_frames(backend: Any, window: int, rate: Fraction, held_seconds: float) -> int:
    """How many of the clip's frames condition the first window: as many as a later window carries
    (`keyframes.carried`), fewer where the clip holds fewer at the keyframe rate."""
    from vidiff.generate.keyframes import CARRY_FRAMES, carried

    return carried(backend, window, min(CARRY_FRAMES, math.floor(held_seconds * float(rate) + 1e-9) + 1))


def own_format(info: Any) -> tuple[tuple[int, int], Fraction]:
    """The clip's (`info`: its probe) upright frame size (as a player shows it) and its rate: a
    continuation's output where no aspect or fps is given."""
    from vidiff.io.orient import upright_size

    return upright_size(info.width, info.height, info.rotation, info.sar), info.fps


def open_tail(clip: str, extend: float | None, info: Any = None) -> ClipTail:
    """The clip probed, unless `info` is its probe already (a still, under 2 frames or over 60 s: one
    line), its frames not yet read (`ClipTail.read`, once every option is checked: a minute's clip takes a
    while to decode)."""
    from vidiff.generate.still import check_not_still
    from vidiff.io.probe import probe

    info = probe(clip) if info is None else info
    check_not_still(info, clip)
    info.require_frames(2, "continuing it with a model")
    if info.duration > 60:
        raise ConfigError(
            f"{clip}: {info.duration:.0f} s is too long for generate (60 s at most); trim it first"
        )
    return ClipTail(clip, info, extend)


class ContinuedClip:
    """The clip's frames (read again, upright) then its continuation, at the clip's rate (`len` known), each
    made as it is taken: the model's keyframes (`new`, at their size) scaled to the clip's frame size and
    filled in by `interp`, from the clip's last frame on (4 windows at 1080p and 60 fps held were gigabytes)."""

    def __init__(self, tail: ClipTail, new: list[np.ndarray], interp: Any) -> None:
        self.tail, self.new, self.interp = tail, new, interp
        # what `retime` gives for the clip's last frame and the new ones, less that last frame
        self.n_made = math.ceil((len(new) + 1) * tail.fps / tail.rate) - 1

    def __len__(self) -> int:
        return self.tail.n_clip + self.n_made

    def continuation(self) -> Iterator[np.ndarray]:
        """The new frames at the clip's rate and size."""
        from itertools import chain, islice

        from vidiff.generate.social import reframe, retime

        t = self.tail
        keys = chain([t.last], (reframe(k, t.size) for k in self.new))
        return islice(retime(keys, t.rate, t.fps, self.interp), 1, None)  # [0] is the clip's last frame

    def __iter__(self) -> Iterator[np.ndarray]:
        from itertools import islice

        from vidiff.io.orient import upright
        from vidiff.io.reader import VideoReader

        i = self.tail.info
        yield from islice(
            (upright(f.image, i.rotation, i.flip, i.sar) for f in VideoReader(self.tail.clip)),
            self.tail.n_clip,
        )
        yield from self.continuation()
