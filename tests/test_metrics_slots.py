"""`vidiff metrics` numbers an image sequence's frames as `infill --frames` does: by slot.

A pattern's missing number (a dropped render) or an unreadable image keeps its slot; infill counts
slots, but metrics counted the images read, so every frame after a gap was one low there, and the frame
metrics named as black was not the frame `infill --frames` rebuilt under that number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_sequences import read_images, square, write_images

from vidiff.metrics.clip import analyze_clip
from vidiff.runner.infill import infill_file


def test_metrics_and_infill_count_the_same_slots(tmp_path: Path):
    frames = [square(i) for i in range(12)]
    frames[8] = np.zeros_like(frames[8])  # a black frame in slot 8
    write_images(tmp_path / "shot", frames, "f_{:04d}.png", start=1001)
    (tmp_path / "shot" / "f_1005.png").unlink()  # slot 4: a dropped render
    pattern = str(tmp_path / "shot" / "f_%04d.png")
    report = analyze_clip(pattern)
    s = report["summary"]
    assert (s["n_frames"], s["missing"]) == (11, [4])
    assert [(d["kind"], d["frames"]) for d in s["defects"]] == [("black", [8])]
    assert [r["index"] for r in report["frames"]] == list(range(12))
    assert report["frames"][4].get("missing") and report["frames"][4]["flicker"] is None
    assert any("numbered by slot" in n for n in s["notes"])
    # the number metrics gives is the one infill takes: frame 8 rebuilt is the black one
    out = tmp_path / "fixed"
    r = infill_file(pattern, f"{out}/", frames=[8], method="dis", progress=False)
    assert [(x["frame"], x["why"]) for x in r["replaced"]] == [(4, "missing"), (8, "listed")]
    assert read_images(out)[8].std() > 10
