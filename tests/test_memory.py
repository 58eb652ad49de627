"""Streaming: peak memory of `upscale` does not grow with the clip's length."""

import json
import subprocess
import sys

import pytest
from conftest import write_clip

from vidiff.io.reader import read_frames

# The child's own peak RSS (VmHWM). Not ru_maxrss: Linux keeps the pre-exec high-water mark, so a child
# of a grown pytest (1.4 GB) reads 1.4 GB however little it uses, and two runs compare equal.
PEAK_RSS_KB = """
import resource

def peak_rss_kb():
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

PEAK_RSS = (
    PEAK_RSS_KB
    + """
import json, sys
from vidiff.runner import upscale_file
r = upscale_file(sys.argv[1], sys.argv[2], factor=2, method=sys.argv[3], progress=False, preset="ultrafast",
                 workers=int(sys.argv[4]))
print(json.dumps({"frames": r["out_frames"], "rss_kb": peak_rss_kb()}))
"""
)


def peak_rss(src, out, method, workers=1):
    r = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(src), str(out), method, str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(r.stdout)


# carphone's first 60 frames: 120 frames out, one whole segment (SEGMENT_FRAMES), as every segment of the
# long run; its 960 input frames held whole would be 35 MB more than the base run's ~85 MB
@pytest.mark.parametrize(
    "clip_name, n_src", [("carphone", 60), pytest.param("bikes", 250, marks=pytest.mark.slow)]
)
def test_peak_rss_flat_at_16x_length(tmp_path, request, clip_name, n_src):
    frames = read_frames(request.getfixturevalue(clip_name), max_frames=n_src)
    one = write_clip(tmp_path / "x1.mkv", frames)
    sixteen = write_clip(tmp_path / "x16.mkv", frames * 16)
    a = peak_rss(one, tmp_path / "o1.mp4", "dis")
    b = peak_rss(sixteen, tmp_path / "o16.mp4", "dis")
    assert a["frames"] == 2 * n_src and b["frames"] == 32 * n_src
    assert b["rss_kb"] <= 1.10 * a["rss_kb"], (a, b)


def test_parallel_parent_peak_rss_flat_at_16x_length(tmp_path, carphone):
    """A parallel run's parent (it plans and joins; workers make the frames) holds a bounded plan, builds
    no interpolator and joins one part at a time: its peak RSS stays flat too (it grew 84.7 -> 95.7 MB at
    16x carphone while the join opened every part at once)."""
    frames = read_frames(carphone)
    two = write_clip(tmp_path / "x2.mkv", frames * 2)  # 480 frames out: 4 segments, 2 workers
    sixteen = write_clip(tmp_path / "x16.mkv", frames * 16)
    a = peak_rss(two, tmp_path / "o2.mp4", "dis", workers=2)
    b = peak_rss(sixteen, tmp_path / "o16.mp4", "dis", workers=2)
    assert a["frames"] == 480 and b["frames"] == 32 * 120
    assert b["rss_kb"] <= 1.10 * a["rss_kb"], (a, b)


@pytest.mark.slow
def test_peak_rss_flat_at_16x_length_with_diffusion(tmp_path, carphone):
    """The shipped model through the same streaming runner: memory flat at 16x the length."""
    from vidiff.diffusion.model import WEIGHTS_DIR

    if not (WEIGHTS_DIR / "default" / "vidiff.json").exists():
        pytest.skip("no shipped weights (vidiff/weights/default)")
    frames = read_frames(carphone)
    one = write_clip(tmp_path / "x1.mkv", frames)
    sixteen = write_clip(tmp_path / "x16.mkv", frames * 16)
    a = peak_rss(one, tmp_path / "o1.mp4", "diffusion")
    b = peak_rss(sixteen, tmp_path / "o16.mp4", "diffusion")
    assert a["frames"] == 240 and b["frames"] == 32 * 120
    assert b["rss_kb"] <= 1.10 * a["rss_kb"], (a, b)


DIS_LIGHT = (
    PEAK_RSS_KB
    + """
import json, sys
import vidiff
light = not any(m in sys.modules for m in ("cv2", "av", "torch", "numpy"))
r = vidiff.upscale_file(sys.argv[1], sys.argv[2], factor=2, method="dis", progress=False)
print(json.dumps({
    "import_is_light": light,
    "frames": r["out_frames"],
    "torch": "torch" in sys.modules,
    "diffusers": "diffusers" in sys.modules,
    "rss_mb": peak_rss_kb() / 1024,
}))
"""
)


def test_dis_upscale_loads_neither_torch_nor_diffusers_and_peaks_under_200_mb(tmp_path, carphone):
    """Issue 14: `import vidiff; vidiff.upscale_file(..., method="dis")` on the 176x144 sample is the
    classical path only: no torch, no diffusers, at most 200 MB peak RSS (488 MB when it loaded torch)."""
    out = tmp_path / "x2.mp4"
    r = subprocess.run(
        [sys.executable, "-c", DIS_LIGHT, str(carphone), str(out)], capture_output=True, text=True, check=True
    )
    got = json.loads(r.stdout)
    assert got["import_is_light"], "import vidiff loaded PyAV, OpenCV, numpy or torch"
    assert got["frames"] == 240 and len(read_frames(out)) == 240
    assert not got["torch"] and not got["diffusers"], got
    assert got["rss_mb"] <= 200, got


FAULTS = """
import resource, sys
import numpy as np
from vidiff.malloc import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "kept" else False
a = np.ones((720, 1280, 3), np.float32) * 2  # a 720p float frame, 11 MB, and its temporaries
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    b = (a + 0.5) * 3.0
    del b
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_frame_memory_is_reused_not_faulted_in_again():
    """vidiff.malloc: with glibc's thresholds fixed, a loop of 11 MB temporaries is served from the
    heap (a handful of page faults) where glibc's defaults fault each temporary in afresh."""
    out = {}
    for setting in ("default", "kept"):
        r = subprocess.run(
            [sys.executable, "-c", FAULTS, setting], capture_output=True, text=True, check=True
        )
        ok, faults = r.stdout.split()
        out[setting] = (ok, int(faults))
    assert out["kept"][0] == "True"
    assert out["kept"][1] * 10 < out["default"][1], out
