"""Robustness: every bad input, option and fault gets one clear line (exit 2) or a correct result (exit 0).

Each case runs one subcommand in-process on tiny inputs made here (PyAV writes them; byte surgery makes
truncations, flips, bad headers and concatenations) and asserts the promises the README makes: exit 0
with a decodable output, or exit 2 with exactly one `vidiff: error:` line and nothing before it; no
traceback; done within a timeout; the inputs' bytes unchanged; no output, temp or parts file left on
failure. A seeded fuzz test mutates a tiny clip 50 times and asks the same of every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest

import vidiff.io.probe as probe_mod
from vidiff.cli import main

CASE_TIMEOUT = 60  # seconds; each case takes well under 5 on 2 cores
MACHINE_TMP = tempfile.gettempdir()  # the machine's temp dir, before each test gets its own


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Each test's own temp dir (TMPDIR, and `tempfile`'s cached one, which every vidiff temporary folder
    uses): the leftover check then counts this test's folders only, whatever else runs on the machine."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


class CaseTimeout(BaseException):
    """Raised by SIGALRM inside a case (a BaseException, so no `except Exception` can swallow it)."""


# -- inputs ------------------------------------------------------------------------------------------


def moving(n: int, w: int, h: int) -> list[np.ndarray]:
    """n RGB frames of a gradient and a bright bar that both move every frame."""
    out = []
    for i in range(n):
        im = np.zeros((h, w, 3), np.uint8)
        im[..., 0] = (np.arange(w)[None] * 9 + i * 11) % 256
        im[..., 1] = (np.arange(h)[:, None] * 7 + i * 3) % 256
        x = (i * 2) % max(w - 4, 1)
        im[h // 3 : h // 3 + max(h // 4, 1), x : x + max(w // 8, 1)] = 255
        out.append(im)
    return out


def write(
    path: Path,
    frames: list[np.ndarray],
    codec: str = "libx264",
    pix: str = "yuv420p",
    opts: dict | None = None,
    audio: bool = False,
) -> Path:
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", options=opts or {}) as c:
        s = c.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = w, h, pix
        if codec == "libx264":
            s.codec_context.options = {"preset": "ultrafast"}
        a = None
        if audio:
            a = c.add_stream("aac", rate=44100)
            a.layout = "stereo"
        for i, im in enumerate(frames):
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
        if a is not None:
            for k in range(int(44100 * len(frames) / 25 / 1024) + 1):
                af = av.AudioFrame.from_ndarray(
                    np.zeros((2, 1024), np.float32), format="fltp", layout="stereo"
                )
                af.sample_rate, af.pts = 44100, k * 1024
                c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as c:
        a = c.add_stream("aac", rate=44100)
        a.layout = "stereo"
        for k in range(20):
            af = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 44100, k * 1024
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    return path


def cut(src: Path, dst: Path, frac: float) -> Path:
    b = src.read_bytes()
    dst.write_bytes(b[: int(len(b) * frac)])
    return dst


def flip(src: Path, dst: Path, at: float = 0.5, n: int = 200) -> Path:
    b = bytearray(src.read_bytes())
    k = int(len(b) * at)
    for i in range(k, min(k + n, len(b))):
        b[i] ^= 0x55
    dst.write_bytes(bytes(b))
    return dst


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    """Every input of the suite, by name (files made once per module, never modified)."""
    d = tmp_path_factory.mktemp("media")
    m: dict[str, Path] = {}
    clip = moving(24, 64, 48)
    m["mp4"] = write(d / "clip.mp4", clip)
    m["mp4_fast"] = write(d / "fast.mp4", clip, opts={"movflags": "+faststart"})
    m["mp4_audio"] = write(d / "audio.mp4", clip, audio=True)
    m["mkv"] = write(d / "clip.mkv", clip)
    m["mov"] = write(d / "clip.mov", clip)
    m["webm"] = write(d / "clip.webm", moving(12, 64, 48), codec="libvpx-vp9")
    m["avi"] = write(d / "clip.avi", clip, codec="mjpeg", pix="yuvj420p")
    m["gif"] = write(d / "clip.gif", moving(10, 32, 24), codec="gif", pix="rgb8")
    m["ten_bit"] = write(d / "ten.mp4", moving(10, 64, 48), pix="yuv420p10le")
    m["odd"] = write(d / "odd.mkv", moving(10, 35, 27), pix="yuv444p")
    m["qcif"] = write(d / "qcif.mp4", moving(12, 176, 144))
    m["tiny8"] = write(d / "tiny8.mkv", moving(8, 8, 8), pix="yuv444p")
    m["one_px"] = write(d / "px.mkv", moving(5, 1, 1), pix="yuv444p")
    m["narrow"] = write(d / "narrow.mp4", moving(10, 10, 64))
    m["wide8"] = write(d / "wide8.mkv", moving(20, 96, 8), pix="yuv444p")  # OpenCV's DIS segfaulted on it
    m["two"] = write(d / "two.mp4", moving(2, 64, 48))
    m["one"] = write(d / "one.mp4", moving(1, 64, 48))
    m["audio_only"] = audio_only(d / "audio.m4a")
    # damage
    m["avi_cut50"] = cut(m["avi"], d / "avi_cut50.avi", 0.5)
    m["avi_cut95"] = cut(m["avi"], d / "avi_cut95.avi", 0.95)
    m["mkv_cut50"] = cut(m["mkv"], d / "mkv_cut50.mkv", 0.5)
    m["mkv_cut95"] = cut(m["mkv"], d / "mkv_cut95.mkv", 0.95)
    m["mp4_cut50"] = cut(m["mp4"], d / "mp4_cut50.mp4", 0.5)  # moov at the end: unreadable
    m["fast_cut50"] = cut(m["mp4_fast"], d / "fast_cut50.mp4", 0.5)
    m["fast_cut95"] = cut(m["mp4_fast"], d / "fast_cut95.mp4", 0.95)
    m["webm_cut50"] = cut(m["webm"], d / "webm_cut50.webm", 0.5)
    m["mp4_flip"] = flip(m["mp4"], d / "mp4_flip.mp4")
    m["mkv_flip"] = flip(m["mkv"], d / "mkv_flip.mkv")
    m["avi_flip"] = flip(m["avi"], d / "avi_flip.avi", 0.6)
    b = bytearray(m["mp4"].read_bytes())
    b[:64] = bytes(64)
    (d / "header_zero.mp4").write_bytes(bytes(b))
    m["header_zero"] = d / "header_zero.mp4"
    (d / "concat.mp4").write_bytes(m["mp4"].read_bytes() + m["mp4"].read_bytes())
    m["concat"] = d / "concat.mp4"
    (d / "concat.mkv").write_bytes(m["mkv"].read_bytes() + m["mkv"].read_bytes())
    m["concat_mkv"] = d / "concat.mkv"
    (d / "garbage.mp4").write_bytes(random.Random(1).randbytes(5000))
    m["garbage"] = d / "garbage.mp4"
    (d / "empty.mp4").write_bytes(b"")
    m["empty"] = d / "empty.mp4"
    (d / "notes.mp4").write_text("not a video\n")
    m["text"] = d / "notes.mp4"
    (d / "big.y4m").write_bytes(b"YUV4MPEG2 W20000 H20000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(1000))
    m["huge_header"] = d / "big.y4m"
    (d / "folder").mkdir()
    m["folder"] = d / "folder"
    m["missing"] = d / "missing.mp4"
    # configs and recipes
    (d / "bad.yaml").write_text("train: {steps: [\n")
    m["yaml_syntax"] = d / "bad.yaml"
    (d / "list.yaml").write_text("- a\n- b\n")
    m["yaml_list"] = d / "list.yaml"
    (d / "scalar.yaml").write_text("42\n")
    m["yaml_scalar"] = d / "scalar.yaml"
    (d / "binary.yaml").write_bytes(b"\xff\xfe\x00stages")
    m["yaml_binary"] = d / "binary.yaml"
    (d / "ok.yaml").write_text("train: {steps: 1}\n")
    m["yaml_ok"] = d / "ok.yaml"
    (d / "retime0.yaml").write_text(
        "stages:\n  - decode: {}\n  - interpolate: {method: dis, factor: 2}\n  - retime: {speed: 0}\n"
        "  - encode: {}\n"
    )
    m["recipe_speed0"] = d / "retime0.yaml"
    (d / "still.png").write_bytes(b"")
    import cv2

    cv2.imwrite(str(d / "still.png"), moving(1, 96, 64)[0])
    m["png"] = d / "still.png"
    return m


GOOD = [
    "mp4",
    "mp4_fast",
    "mp4_audio",
    "mkv",
    "mov",
    "webm",
    "avi",
    "gif",
    "ten_bit",
    "qcif",
    "narrow",
    "wide8",
]
UNREADABLE = ["mp4_cut50", "header_zero", "garbage", "empty", "text", "huge_header", "folder", "missing",
              "audio_only", "one"]  # fmt: skip
DAMAGED = ["fast_cut50", "avi_cut50", "avi_cut95", "mkv_cut50", "mkv_cut95", "fast_cut95", "webm_cut50", "mp4_flip",
           "mkv_flip", "avi_flip", "concat", "concat_mkv"]  # fmt: skip


# -- the harness -------------------------------------------------------------------------------------


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def leftovers(folder: Path) -> list[str]:
    """Hidden partial/parts/lock files anywhere under folder, and the encode-check temp folders."""
    bad = [str(p) for p in folder.rglob("*") if "vidiff-partial" in p.name or "vidiff-parts" in p.name
           or p.name.endswith(".vidiff-lock")]  # fmt: skip
    bad += [p for p in os.listdir(tempfile.gettempdir()) if p.startswith("vidiff-encode-check-")]
    return bad


@contextlib.contextmanager
def time_limit(seconds: int):
    def on_alarm(signum, frame):
        raise CaseTimeout(f"case ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_case(capsys, argv: list[str], inputs: list[Path], out_dir: Path, outputs: list[Path]):
    """Run `vidiff argv` in-process and check the promises every case shares; returns (code, stdout, stderr)."""
    probe_mod._WARNED.clear()  # each case may print its damaged-input warning
    before = {p: sha(p) for p in inputs}
    with time_limit(CASE_TIMEOUT):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:  # argparse usage errors
            code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code in (0, 2), (code, err)
    for p, h in before.items():
        assert sha(p) == h, f"input {p} was modified"
    lines = [x for x in err.splitlines() if x.strip()]
    if code == 2:
        errs = [x for x in lines if x.startswith("vidiff: error:")]
        assert len(errs) == 1, err
        assert lines[-1] == errs[0], f"something printed after the error: {err}"
        assert not any("%|" in x or "frame/s" in x for x in lines), f"progress before the error: {err}"
        for o in outputs:
            assert not o.exists(), f"{o} left after a failure"
        assert not leftovers(out_dir), leftovers(out_dir)
        assert not any(out_dir.iterdir()), list(out_dir.iterdir())
    else:
        assert not any(x.startswith("vidiff: error:") for x in lines), err
        for o in outputs:
            assert o.exists(), f"exit 0 but no {o}"
            if o.suffix in (".mp4", ".mkv", ".mov", ".webm"):
                with av.open(str(o)) as c:
                    assert sum(1 for _ in c.decode(video=0)) >= 2, f"{o} does not decode"
        assert not leftovers(out_dir), leftovers(out_dir)
    return code, out, err


def check(expect: str, code: int, err: str) -> None:
    if expect == "ok":
        assert code == 0, err
    elif expect == "err":
        assert code == 2, err


# -- cases: (id, expect, argv with {in}, {out}, {dir} and {name} of media) -----------------------------


def ph(name: str) -> str:
    """The placeholder of a media file in a case's argv."""
    return "{" + name + "}"


Q = ["-q"]
DIS = ["--method", "dis"]
CASES: list[tuple[str, str, list[str]]] = []
for name in GOOD + DAMAGED:
    CASES.append((f"probe-{name}", "ok", ["probe", ph(name)]))
for name in UNREADABLE:
    CASES.append((f"probe-{name}", "ok" if name == "one" else "err", ["probe", ph(name)]))
for name in GOOD:
    CASES.append((f"upscale-{name}", "ok", ["upscale", ph(name), "-o", "{out}", "--factor", "2", *DIS, *Q]))
for name in DAMAGED:
    CASES.append((f"upscale-{name}", "ok", ["upscale", ph(name), "-o", "{out}", "--factor", "2", *DIS, *Q]))
for name in [*UNREADABLE, "two", "tiny8", "one_px", "odd"]:
    expect = "ok" if name in ("two", "odd") else "err"
    CASES.append((f"upscale-{name}", expect, ["upscale", ph(name), "-o", "{out}", "--factor", "2", *DIS, *Q]))
for name in ["mp4", "mkv", "avi_cut50", "mkv_cut95", "gif", "ten_bit", "qcif"]:
    CASES.append((f"metrics-{name}", "ok", ["metrics", ph(name), *Q]))
for name in ["one", "tiny8", "one_px", "garbage", "folder", "audio_only"]:
    CASES.append((f"metrics-{name}", "err", ["metrics", ph(name), *Q]))
for name in ["mp4", "mkv", "avi", "avi_cut95", "mp4_flip"]:
    CASES.append((f"infill-{name}", "ok", ["infill", ph(name), "-o", "{out}", "--frames", "2-3", *DIS, *Q]))
CASES.append(
    (
        "upscale-av1-mp4",
        "ok",
        ["upscale", "{mp4}", "-o", "{out}", "--factor", "2", "--codec", "av1", *DIS, *Q],
    )
)
CASES.append(("infill-auto", "ok", ["infill", "{mp4}", "-o", "{out}", "--auto", *DIS, *Q]))
for name in ["two", "tiny8", "garbage", "missing"]:
    CASES.append((f"infill-{name}", "err", ["infill", ph(name), "-o", "{out}", "--frames", "1", *DIS, *Q]))
for name in ["mp4", "avi_cut50", "mkv_cut50"]:
    CASES.append(
        (
            f"run-{name}",
            "ok",
            ["run", "fps_x2", "-i", ph(name), "-o", "{out}", "interpolate.method=dis", *Q],
        )
    )
for name in ["mp4", "avi_cut50"]:
    CASES.append((f"bench-{name}", "ok", ["bench", "-i", ph(name), "--methods", "dup,blend", "--in-process",
                                          "-o", "{dir}/bench", *Q]))  # fmt: skip
CASES.append(("generate-clip", "ok", ["generate", "--clip", "{qcif}", "-o", "{out}", "--extend", "0.2", "--aspect", "1:1",
                                     "--preset", "ultrafast", *Q]))  # fmt: skip
CASES.append(("generate-image", "ok", ["generate", "--image", "{png}", "-o", "{out}", "--seconds", "0.4", "--aspect",
                                      "1:1", "--preset", "ultrafast", *Q]))  # fmt: skip
CASES.append(("generate-clip-avi_cut50", "ok", ["generate", "--clip", "{avi_cut50}", "-o", "{out}", "--extend", "0.1",
                                               "--aspect", "1:1", "--preset", "ultrafast", *Q]))  # fmt: skip
# damaged input refused under --strict, and inputs too short to use
STRICT = [
    ("upscale", ["upscale", "{IN}", "-o", "{out}", "--factor", "2", *DIS, "--strict", *Q]),
    ("metrics", ["metrics", "{IN}", "--strict", *Q]),
    ("infill", ["infill", "{IN}", "-o", "{out}", "--frames", "2", *DIS, "--strict", *Q]),
    ("run", ["run", "fps_x2", "-i", "{IN}", "-o", "{out}", "interpolate.method=dis", "--strict", *Q]),
]
for cmd, argv in STRICT:
    for name in ["avi_cut50", "mkv_cut50", "fast_cut95"]:
        CASES.append((f"strict-{cmd}-{name}", "err", [a.replace("{IN}", ph(name)) for a in argv]))
CASES.append(("strict-bench", "err", ["bench", "-i", "{avi_cut50}", "--methods", "dup", "--in-process", "--strict",
                                      "-o", "{dir}/bench", *Q]))  # fmt: skip
CASES.append(("strict-generate", "err", ["generate", "--clip", "{mkv_cut50}", "-o", "{out}", "--strict", *Q]))
CASES.append(
    ("strict-good-ok", "ok", ["upscale", "{mp4}", "-o", "{out}", "--factor", "2", *DIS, "--strict", *Q])
)
# options: one validation before any work, whatever the door
UP = ["upscale", "{mp4}", "-o", "{out}"]
for i, (expect, extra) in enumerate(
    [
        ("err", ["--factor", "2", "--pix-fmt", "bogus"]),
        ("err", ["--factor", "2", "--pix-fmt", "rgb24"]),
        ("err", ["--factor", "2", "--pix-fmt", "gray"]),
        ("err", ["--factor", "2", "--crf", "-5"]),
        ("err", ["--factor", "2", "--crf", "999"]),
        ("err", ["--factor", "2", "--codec", "bogus"]),
        ("err", ["--factor", "2", "--preset", "warp"]),
        ("err", ["--factor", "2", "--codec", "vp9", "--pix-fmt", "yuv420p10le"]),
        ("any", ["--factor", "2", "--codec", "av1"]),
        ("err", ["--factor", "0"]),
        ("err", ["--factor", "-2"]),
        ("err", ["--factor", "100"]),
        ("err", ["--factor", "abc"]),
        ("err", ["--fps", "0"]),
        ("err", ["--fps", "-5"]),
        ("err", ["--fps", "1e9"]),
        ("err", ["--fps", "1/0"]),
        ("err", ["--factor", "2", "--method", "nope"]),
        ("err", ["--factor", "2", "--method", "diffusion", "--steps", "0"]),
        ("ok", ["--factor", "2", "--pix-fmt", "yuv444p", *DIS]),
        ("ok", ["--fps", "30", "--codec", "h265", *DIS]),
    ]
):
    CASES.append((f"option-upscale-{i}", expect, [*UP, *extra, *Q]))
for ext, expect, extra in [(".webm", "ok", []), (".webm", "ok", ["--codec", "vp9"]), (".webm", "err", ["--codec", "h264"]),
                           (".mov", "err", ["--codec", "vp9"]),
                           (".txt", "err", []), (".mkv", "ok", [])]:  # fmt: skip
    CASES.append((f"option-output{ext}-{'-'.join(extra) or 'default'}", expect,
                  ["upscale", "{mp4}", "-o", "{dir}/o" + ext, "--factor", "2", *DIS, *extra, *Q]))  # fmt: skip
CASES.append(("option-output-same-as-input", "err", ["upscale", "{mp4}", "-o", "{mp4}", "--factor", "2", *Q]))
CASES.append(
    ("option-output-missing-dir", "err", ["upscale", "{mp4}", "-o", "{dir}/no/o.mp4", "--factor", "2", *Q])
)
RUN = ["run", "fps_60", "-i", "{mp4}", "-o", "{out}", "interpolate.method=dis"]
for i, ov in enumerate(["interpolate.fps=-5", "interpolate.fps=1e9", "interpolate.fps=0", "interpolate.fps=abc",
                        "encode.crf=-5", "encode.crf=999", "encode.pix_fmt=bogus", "encode.codec=bogus",
                        "encode.audio=loud", "dedupe.max_run=0", "interpolate.methd=blend"]):  # fmt: skip
    CASES.append((f"option-run-{i}", "err", [*RUN, ov, *Q]))
CASES.append(
    ("option-run-speed0", "err", ["run", "slowmo_x4", "-i", "{mp4}", "-o", "{out}", "retime.speed=0", *Q])
)
CASES.append(
    ("option-run-speed-1", "err", ["run", "slowmo_x4", "-i", "{mp4}", "-o", "{out}", "retime.speed=-1", *Q])
)
CASES.append(
    ("option-run-recipe-speed0", "err", ["run", "{recipe_speed0}", "-i", "{mp4}", "-o", "{out}", *Q])
)
CASES.append(("option-run-recipe-folder", "err", ["run", "{folder}", "-i", "{mp4}", "-o", "{out}", *Q]))
CASES.append(("option-run-recipe-binary", "err", ["run", "{mp4}", "-i", "{mp4}", "-o", "{out}", *Q]))
CASES.append(("option-run-recipe-missing", "err", ["run", "{missing}", "-i", "{mp4}", "-o", "{out}", *Q]))
CASES.append(("option-run-shard-bad", "err", [*RUN, "--shard", "5/2", *Q]))
CASES.append(("option-run-shard-one-file", "err", [*RUN, "--shard", "0/2", *Q]))
CASES.append(
    (
        "option-run-batch-bad-shard",
        "err",
        ["run", "fps_x2", "-i", "{dir}", "-o", "{dir}/o", "--shard", "x", *Q],
    )
)
CASES.append(("probe-device", "err", ["probe", "/dev/zero"]))
CASES.append(("upscale-device", "err", ["upscale", "/dev/zero", "-o", "{out}", "--factor", "2", *Q]))
GEN = ["generate", "--clip", "{mp4}", "-o", "{out}"]
for i, extra in enumerate([["--extend", "1000"], ["--extend", "-1"], ["--loop", "--transition", "-1"],
                           ["--strip", "{dir}/missing_dir/s.png"], ["--strip", "{dir}/s.jpg"], ["--crf", "99"],
                           ["--preset", "warp"], ["--steps", "0", "--method", "diffusion"], ["--fps", "7"],
                           ["--transition", "1"]]):  # fmt: skip
    CASES.append((f"option-generate-{i}", "err", [*GEN, *extra, *Q]))
CASES.append(("option-generate-image-transition", "err", ["generate", "--image", "{png}", "-o", "{out}", "--loop",
                                                         "--transition", "1", *Q]))  # fmt: skip
CASES.append(("option-generate-image-folder", "err", ["generate", "--image", "{folder}", "-o", "{out}", *Q]))
CASES.append(
    ("option-generate-image-missing", "err", ["generate", "--image", "{missing}", "-o", "{out}", *Q])
)
CASES.append(("option-generate-image-video", "err", ["generate", "--image", "{mp4}", "-o", "{out}", *Q]))
CASES.append(("option-generate-tiny", "err", ["generate", "--clip", "{tiny8}", "-o", "{out}", *Q]))
for i, extra in enumerate([["--frames", "0-999999999999"], ["--frames", "abc"], ["--frames", "5-2"],
                           ["--frames", "-1"], ["--frames", "24"]]):  # fmt: skip
    CASES.append((f"option-infill-{i}", "err", ["infill", "{mp4}", "-o", "{out}", *extra, *DIS, *Q]))
for i, extra in enumerate([["--top", "-1"], ["--max-frames", "1"], ["--plot", "{dir}/p.jpg"],
                           ["--reference", "{qcif}"], ["--reference", "{missing}"]]):  # fmt: skip
    CASES.append((f"option-metrics-{i}", "err", ["metrics", "{mp4}", *extra, *Q]))
for i, extra in enumerate([["-i", "{two}"], ["-i", "{mp4}", "--factor", "100"], ["-i", "{mp4}", "--methods", "nope"],
                           ["-i", "{missing}"], ["-i", "{mp4}", "--max-frames", "1"]]):  # fmt: skip
    CASES.append((f"option-bench-{i}", "err", ["bench", *extra, "--methods", "dup", "--in-process", "-o", "{dir}/b", *Q]
                  if "--methods" not in extra else ["bench", *extra, "--in-process", "-o", "{dir}/b", *Q]))  # fmt: skip
TRAIN = ["train"]
for i, extra in enumerate([["{yaml_syntax}"], ["{yaml_list}"], ["{folder}"], ["{mp4}"], ["{missing}"],
                           ["{yaml_ok}", "train.steps=abc"], ["{yaml_ok}", "train.mixed_precision=bogus"],
                           ["{yaml_ok}", "train.steps=0"], ["{yaml_ok}", "train.lr=-1"], ["{yaml_ok}", "data.task=bogus"],
                           ["{yaml_ok}", "data.clips=[{missing}]"], ["{yaml_ok}", "data.clips=[{garbage}]"],
                           ["{yaml_ok}", "nope.key=1"], ["{yaml_ok}", "train.batch_size=0"]]):  # fmt: skip
    CASES.append((f"option-train-{i}", "err", [*TRAIN, *extra, "train.output={dir}/run", *Q]))
# a seed past torch's generator overflowed mid-run (a traceback, exit 1), whatever the door; negative too
SEED = "99999999999999999999999"
for i, argv in enumerate([[*UP, "--factor", "2", "--seed", SEED], [*UP, "--factor", "2", "--seed", "-1"],
                          ["run", "fps_x2", "-i", "{mp4}", "-o", "{out}", "interpolate.method=diffusion",
                           f"interpolate.seed={SEED}"],
                          ["infill", "{mp4}", "-o", "{out}", "--frames", "2", "--method", "diffusion", "--seed", SEED],
                          [*GEN, "--method", "diffusion", "--seed", SEED],
                          ["run", "social_clip", "-i", "{png}", "-o", "{out}", f"generate.seed={SEED}"]]):  # fmt: skip
    CASES.append((f"option-seed-{i}", "err", [*argv, *Q]))
# a malformed model config: one line, not a YAML or OmegaConf traceback
for name in ["yaml_syntax", "yaml_list", "yaml_scalar", "yaml_binary"]:
    CASES.append((f"model-info-{name}", "err", ["model-info", ph(name)]))
    if name in ("yaml_scalar", "yaml_binary"):  # the others are train cases above
        CASES.append((f"train-{name}", "err", [*TRAIN, ph(name), "train.output={dir}/run", *Q]))


def fill(argv: list[str], media: dict[str, Path], out_dir: Path) -> tuple[list[str], list[Path], list[Path]]:
    """Substitute placeholders; returns (argv, the input files used, the outputs expected on success)."""
    out = out_dir / "out.mp4"
    subs = {"out": str(out), "dir": str(out_dir), **{k: str(v) for k, v in media.items()}}
    res, used = [], []
    for a in argv:
        for k, v in subs.items():
            if "{" + k + "}" in a:
                a = a.replace("{" + k + "}", v)
                if k in media and media[k].is_file():
                    used.append(media[k])
        res.append(a)
    outputs = [out] if str(out) in res else []
    if "-o" in res and res[0] == "upscale" and res[res.index("-o") + 1] != str(out):
        o = Path(res[res.index("-o") + 1])
        outputs = [] if o in media.values() else [o]  # an input given as the output must survive
    return res, used, outputs


@pytest.mark.parametrize(("expect", "argv"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(expect, argv, media, tmp_path, capsys):
    out_dir = tmp_path / "work"
    out_dir.mkdir()
    args, used, outputs = fill(argv, media, out_dir)
    code, _, err = run_case(capsys, args, used, out_dir, outputs)
    check(expect, code, err)


# -- the damaged-input policy, in detail -------------------------------------------------------------


def test_cut_short_avi_is_used_with_one_warning(media, tmp_path, capsys):
    out = tmp_path / "work" / "o.mp4"
    out.parent.mkdir()
    code, _, err = run_case(
        capsys, ["upscale", media["avi_cut50"], "-o", out, "--factor", "2", *DIS, *Q], [media["avi_cut50"]],
        out.parent, [out],
    )  # fmt: skip
    assert code == 0
    warnings = [x for x in err.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1 and "header lists 24 frames" in warnings[0], err
    n = int(warnings[0].split(", ")[1].split()[0])  # "... header lists 24 frames, N decoded (stopped at ...)"
    assert 2 <= n < 24 and f"using {n}" in warnings[0]
    with av.open(str(out)) as c:
        got = sum(1 for _ in c.decode(video=0))
    assert got == 2 * n  # the decodable frames' duration at twice the rate


def test_truncated_mkv_is_no_longer_silent(media, tmp_path, capsys):
    code, out, err = run_case(capsys, ["metrics", media["mkv_cut50"], *Q], [media["mkv_cut50"]], tmp_path, [])
    assert code == 0 and err.count("warning:") == 1 and "decoded" in err


def test_fewer_than_two_decodable_frames_is_refused(tmp_path, capsys, media):
    d = tmp_path / "work"
    d.mkdir()
    src = tmp_path / "cut.avi"
    b = media["avi"].read_bytes()
    for frac in np.linspace(0.1, 0.4, 31):  # find a cut that leaves a readable header and < 2 frames
        src.write_bytes(b[: int(len(b) * frac)])
        probe_mod._WARNED.clear()
        code, _, err = run_case(capsys, ["upscale", src, "-o", d / "o.mp4", "--factor", "2", *DIS, *Q], [src], d,
                                [d / "o.mp4"])  # fmt: skip
        if code == 2 and "at least 2 frames must decode" in err:
            return
    pytest.fail("no cut gave the '< 2 decodable frames' refusal")


# -- fuzz --------------------------------------------------------------------------------------------


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    kind = rng.choice(["flip", "truncate", "zero", "insert", "delete", "duplicate", "swap"])
    k = rng.randrange(len(b))
    n = rng.randint(1, 64)
    if kind == "flip":
        for i in range(k, min(k + n, len(b))):
            b[i] ^= rng.randrange(1, 256)
    elif kind == "truncate":
        del b[k:]
    elif kind == "zero":
        b[k : k + n] = bytes(len(b[k : k + n]))
    elif kind == "insert":
        b[k:k] = rng.randbytes(n)
    elif kind == "delete":
        del b[k : k + n]
    elif kind == "duplicate":
        b[k:k] = b[k : k + n * 8]
    else:
        j = rng.randrange(len(b))
        b[k : k + n], b[j : j + n] = b[j : j + n], b[k : k + n]
    return bytes(b)


@pytest.mark.parametrize("seed", range(50))
def test_fuzz(seed, media, tmp_path, capsys):
    """1-3 random byte mutations of a tiny clip, through a random subcommand: exit 0 with a valid output
    or exit 2 with one line, within the timeout, nothing left behind."""
    rng = random.Random(seed)
    src_name = rng.choice(["mp4", "mkv", "avi", "webm", "mp4_audio", "mov"])
    src = tmp_path / f"fuzz{media[src_name].suffix}"
    data = media[src_name].read_bytes()
    for _ in range(rng.randint(1, 3)):
        data = mutate(data, rng)
    src.write_bytes(data)
    d = tmp_path / "work"
    d.mkdir()
    out = d / "o.mp4"
    argv, outputs = rng.choice(
        [
            (["upscale", src, "-o", out, "--factor", "2", *DIS, *Q], [out]),
            (["upscale", src, "-o", out, "--fps", "30", *DIS, *Q], [out]),
            (["metrics", src, *Q], []),
            (["probe", src], []),
            (["infill", src, "-o", out, "--auto", *DIS, *Q], [out]),
        ]
    )
    run_case(capsys, argv, [src], d, outputs)


# -- messages that used to mislead -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["probe", "{huge_header}"], "20000x20000 is over the 8192-pixel limit"),
        (["generate", "--image", "{folder}", "-o", "{out}", *Q], "is a folder"),
        (["upscale", "{mp4}", "-o", "{out}", "--factor", "2", "--method", "diffusion", "--steps", "0", *Q],
         "between 1 and 50"),
        (["generate", "--clip", "{mp4}", "-o", "{out}", "--strip", "{dir}/missing_dir/s.png", *Q], "does not exist"),
        (["metrics", "{one}", *Q], "at least 2"),
        (["bench", "-i", "{two}", "--methods", "dup", "--in-process", "-o", "{dir}/b", *Q], "nothing to score"),
        (["upscale", "{tiny8}", "-o", "{out}", "--factor", "2", *DIS, *Q], "too small for optical flow"),
        (["upscale", "{mp4}", "-o", "{dir}/o.webm", "--factor", "2", "--codec", "h264", *Q], "use codec vp9"),
        (["demo", "--out-dir", "{text}", *DIS], "is a file"),
        (["ui", "--host", "no such host!"], "--host 'no such host!': not an address"),
        (["ui", "--host", "192.0.2.1"], "cannot serve on it"),  # TEST-NET-1: never this machine's
        (["infill", "{mp4}", "-o", "{out}", "--frames", "0-23", *DIS, *Q], "lists every frame"),
        (["infill", "{mp4}", "-o", "{out}", "--frames", "0-10,11-23", *DIS, *Q], "keep at least one"),
        (["run", "fps_x2", "-i", "{mp4}*", "-o", "{text}", "interpolate.method=dis", *Q], "is a file"),
        (["run", "fps_x2", "-i", "{mp4}*", "-o", "{dir}/all.mp4", "interpolate.method=dis", *Q],
         "names a video file"),
    ],
)  # fmt: skip
def test_error_says_what_is_wrong(argv, words, media, tmp_path, capsys):
    d = tmp_path / "work"
    d.mkdir()
    args, used, outputs = fill(argv, media, d)
    code, _, err = run_case(capsys, args, used, d, outputs)
    assert code == 2 and words in err, err


def test_help_states_the_steps_range_the_check_uses(capsys):
    with pytest.raises(SystemExit):
        main(["upscale", "--help"])
    assert "sampler steps, 1-50" in capsys.readouterr().out


def test_out_of_memory_hint_names_real_options(monkeypatch, capsys, media, tmp_path):
    import vidiff.cli.probe as probe_cli

    def boom(args):
        raise MemoryError

    monkeypatch.setattr(probe_cli, "run", boom)
    assert main(["probe", str(media["mp4"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vidiff: error: out of memory") and "--window" not in err


# -- one writer per output ---------------------------------------------------------------------------


def test_second_writer_to_the_same_output_is_refused(media, tmp_path, capsys):
    from vidiff.io.writer import OutputLock

    d = tmp_path / "work"
    d.mkdir()
    out = d / "o.mp4"
    lock = OutputLock(out).acquire()  # as another vidiff run holding the output
    try:
        code = main(["upscale", str(media["mp4"]), "-o", str(out), "--factor", "2", *DIS, *Q])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "another vidiff is writing this output" in err
        assert not out.exists() and Path(lock.path).exists()  # the holder's lock file untouched
    finally:
        lock.release()
    assert not Path(lock.path).exists()
    code, _, _ = run_case(capsys, ["upscale", media["mp4"], "-o", out, "--factor", "2", *DIS, *Q], [media["mp4"]],
                          d, [out])  # fmt: skip
    assert code == 0


def test_two_processes_one_output(media, tmp_path, capsys):
    import subprocess
    import sys
    import time

    d = tmp_path / "work"
    d.mkdir()
    src = write(tmp_path / "long.mp4", moving(30, 176, 144))
    out = d / "o.mp4"
    argv = ["upscale", str(src), "-o", str(out), "--factor", "8", *DIS, *Q]
    first = subprocess.Popen([sys.executable, "-m", "vidiff", *argv], stderr=subprocess.PIPE, text=True)
    lock = d / ".o.mp4.vidiff-lock"
    t0 = time.monotonic()
    while not lock.exists() and first.poll() is None and time.monotonic() - t0 < 60:
        time.sleep(0.02)
    if first.poll() is not None:
        pytest.skip("the first run finished before the second could start")
    code = main(argv)
    err = capsys.readouterr().err
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    if code == 2:
        assert "another vidiff is writing this output" in err and err.count("\n") == 1
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 240
    assert not leftovers(d)


# -- resume after a kill at any point (slow: a few minutes) -------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("factor", ["2", "4", "8"])
def test_resume_after_kill_is_byte_identical(factor, carphone, tmp_path):
    import filecmp
    import subprocess
    import sys
    import time

    def cmd(out: Path) -> list[str]:
        return [sys.executable, "-m", "vidiff", "upscale", str(carphone), "-o", str(out), "--factor", factor,
                *DIS, "--preset", "ultrafast", *Q]  # fmt: skip

    ref = tmp_path / "ref.mp4"
    t0 = time.monotonic()
    subprocess.run(cmd(ref), check=True, timeout=600)
    took = time.monotonic() - t0
    rng = random.Random(int(factor))
    out = tmp_path / "resumed.mp4"
    for _ in range(4):
        out.unlink(missing_ok=True)
        p = subprocess.Popen(
            cmd(out), stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # even if our SIGINT is ignored
        )  # fmt: skip
        time.sleep(rng.uniform(0.3, 0.95) * took)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert p.returncode in (0, 130, -signal.SIGINT) and "Traceback" not in err, err
        subprocess.run(cmd(out), check=True, timeout=600)
        assert filecmp.cmp(ref, out, shallow=False), f"x{factor}: resumed file differs"
        assert not leftovers(tmp_path)


def test_metrics_lists_a_black_frame_as_a_defect_not_two_cuts(tmp_path, capsys):
    import json

    frames = moving(20, 64, 48)
    frames[10] = np.zeros_like(frames[10])
    clip = write(tmp_path / "black.mp4", frames)
    code = main(["metrics", str(clip), "--json", *Q])
    rep = json.loads(capsys.readouterr().out)["summary"]
    assert code == 0
    assert rep["scene_cuts"] == []
    assert [(d["kind"], d["frames"], d["start"]) for d in rep["defects"]] == [
        ("black", [10], pytest.approx(0.4))
    ]
    main(["metrics", str(clip), *Q])
    assert "black     frame 10 at 0.40s" in capsys.readouterr().out


def test_leftover_check_ignores_another_vidiff_running_beside_it(media, tmp_path, capsys, private_tmp):
    """Another vidiff on the machine (here: one making encode-check folders in the machine's temp dir in a
    loop) does not fail a case: each test's temporary folders are its own (`private_tmp`)."""
    import subprocess
    import sys
    import time

    # SIGTERM sets a flag that ends the loop between trials (so its last folder is removed on the way out):
    # an exception raised by the handler could land inside a callback from C (PyAV's log callback, a
    # __del__) that swallows it, and the loop would run on
    loop = (
        "import itertools, signal\n"
        "from vidiff.io.encode import EncodeOptions, _trial\n"
        "stop = []\n"
        "signal.signal(signal.SIGTERM, lambda *a: stop.append(1))\n"
        "for i in itertools.count():\n"
        "    if stop:\n"
        "        break\n"
        "    _trial(EncodeOptions(crf=40), '.mp4', 16 + 2 * (i % 8), 16, False)\n"
    )
    other = subprocess.Popen([sys.executable, "-c", loop], env={**os.environ, "TMPDIR": MACHINE_TMP})
    try:
        seen, t0 = False, time.time()
        while not seen and time.time() - t0 < 60 and other.poll() is None:
            seen = any(p.startswith("vidiff-encode-check-") for p in os.listdir(MACHINE_TMP))
            time.sleep(0.002)
        assert seen, "the other vidiff made no encode-check folder"
        cases = [
            ["upscale", "{mp4}", "-o", "{out}", "--factor", "2", *DIS, *Q],
            ["upscale", "{mp4}", "-o", "{dir}/o.webm", "--factor", "2", *DIS, *Q],
        ]
        for k, argv in enumerate(cases):
            d = tmp_path / f"work{k}"
            d.mkdir()
            args, used, outputs = fill(argv, media, d)
            run_case(capsys, args, used, d, outputs)  # its leftover check passes with the other running
        assert tempfile.gettempdir() == str(private_tmp) and not os.listdir(private_tmp)
    finally:
        other.terminate()
        try:
            other.wait(30)
        finally:  # a loop that outlives SIGTERM fails the test, and is not left running on the machine
            if other.poll() is None:
                other.kill()
                other.wait()


def test_api_strict_refuses_a_damaged_input(media, tmp_path):
    """The API's `strict` (the CLI's --strict: before, only `input_policy` or VIDIFF_STRICT reached it):
    a clip cut short is refused by upscale_file, infill_file, analyze_clip, run_recipe and make_clip, and
    used without it."""
    from vidiff import ConfigError, InputError, upscale_file
    from vidiff.generate import make_clip
    from vidiff.metrics.clip import analyze_clip
    from vidiff.recipes import load_recipe
    from vidiff.runner.infill import infill_file
    from vidiff.runner.recipe import run_recipe

    src = media["mkv_cut50"]
    fps_x2 = load_recipe("fps_x2")
    calls = {
        "upscale": lambda out, **kw: upscale_file(src, out, factor=2, method="dis", progress=False, **kw),
        "infill": lambda out, **kw: infill_file(src, out, frames="1", method="dis", progress=False, **kw),
        "metrics": lambda out, **kw: analyze_clip(src, **kw),
        "recipe": lambda out, **kw: run_recipe(fps_x2, str(src), str(out), progress=False, **kw),
        "generate": lambda out, **kw: make_clip(out, clip=str(src), extend=0.1, progress=False, **kw),
    }
    for name, call in calls.items():
        out = tmp_path / f"{name}.mp4"
        with pytest.raises(InputError, match="damaged: .* strict=True"):
            call(out, strict=True)
        assert not out.exists()
        with pytest.raises(ConfigError, match="strict"):
            call(out, strict="yes")
        call(out)  # the frames that decode, with the one warning line
        assert out.exists() or name == "metrics"
