#!/usr/bin/env python
"""The GPU check (issues 14, 27): what vidiff does on a CUDA device, in one run of under 5 minutes.

Run by benchmarks/gpu_check.sh on the GPU machine (no registry there: its packages come as wheels carried
in .gpu-carry/, made here by benchmarks/gpu_prepare.sh). Inputs: the carried clip (bigbuckbunny, 1280x720,
real frames) at 1280x720 as it is and resized to 1920x1080 (bicubic, OpenCV); `--small` shrinks both
sizes to 256x144 and 384x216 and the frame counts, for a dry run on the CPU. At each size:

1. seconds per made frame of RIFE alone (`--method rife`, one pair at a time, as a user runs it) and of
   the default method (the shipped model over the device's stack, a runner window of 8 pairs) in fp32,
   under bf16 autocast, and over the CPU's DIS + RIFE stack on this device, in the same run, and their
   ratios to RIFE's (target on the GPU: ≤ 1.5);
2. frames/s of the model step (the default method's `interpolate_window`) and of the whole
   `vidiff upscale` with its defaults (decode, dedupe, scene cuts, model, encode; `upscale_file` in this
   process, model load excluded, the second of two runs), interpolated frames a second both, and their
   ratio (target ≥ 0.7);
3. where the model step's time goes: the prior stack (RIFE + warps) against the rest (U-Net, codec);
4. the U-Net forward with each attention kernel (SDPA, and xformers when its wheel imports).

At the first size only: PSNR against the held-out frames (keep every 2nd frame) of the GPU path
(`--device`, the GPU stack, fp32), of the same under bf16 and fp16 autocast, and of the CPU path (device
cpu, DIS + RIFE stack: the CPU default), on the same frames; their differences (targets: GPU vs CPU within
0.05 dB, a half type within 0.02 dB of fp32); a torch.profiler table of one model step (profile_*.txt);
`vidiff upscale`, `infill`, `run` and `generate` (a tiny random Wan pipeline, tests/tiny_pipes.py) end to
end with `--device`, at 640x360, and generate again with `--cache`, `--weight-dtype fp8_e4m3fn` and, on
CUDA, each `--offload` level (whether each gives plain generate's bytes); whether PyAV's build has NVENC/NVDEC and whether NVENC opens.

Writes gpu_check.json and gpu_check.md into --out. `--no-network` makes any socket connection raise and
records the attempts (the dry run's proof that nothing is fetched).

Usage: python benchmarks/gpu_check.py --clip CLIP [--out DIR] [--device cuda] [--small] [--no-network]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from gpu_report import report

NET_ATTEMPTS: list[str] = []
GPU_STACK = "gpu"  # what stack="auto" gives on CUDA, named so a CPU dry run takes the same path
PIPE_FRAMES = 240  # frames of the clip `vidiff upscale` is timed on (20 segments of the output at 720p)
WINDOW = 8  # pairs in a runner window (vidiff.runner.upscale's default); 2 in a --small dry run


def block_network() -> None:
    """Every socket connection raises, and is recorded (a dry run's proof that nothing is fetched)."""

    def refuse(self, address, *a, **k):
        NET_ATTEMPTS.append(repr(address))
        raise OSError(f"network blocked by gpu_check --no-network: {address!r}")

    for name in ("connect", "connect_ex"):
        setattr(socket.socket, name, refuse)


def timed(fn, sync, repeats: int = 3) -> float:
    """Median seconds of `repeats` calls after one untimed warm-up."""
    fn()
    sync()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    mse = np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def load_frames(clip: str, n: int, size: tuple[int, int]) -> list[np.ndarray]:
    """The clip's first n frames at `size` (w, h): as decoded, or resized (bicubic) when it differs."""
    import cv2

    from vidiff.io.reader import read_frames

    frames = read_frames(clip, max_frames=n)
    if frames[0].shape[:2] == (size[1], size[0]):
        return frames
    return [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC) for f in frames]


def forth_and_back(frames: list[np.ndarray], n: int) -> list[np.ndarray]:
    """`frames` played forward, then backward, and again, to `n` frames (a longer clip of real motion)."""
    loop = frames + frames[-2:0:-1]
    return [loop[i % len(loop)] for i in range(n)]


def speed(dev: str, frames: list[np.ndarray], sync, repeats: int) -> dict:
    """RIFE alone and the default method (fp32, bf16; and over the CPU's DIS + RIFE stack on this device),
    seconds per made frame, and where the model step's time goes."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator
    from vidiff.diffusion.prior import window_priors
    from vidiff.fusion import build_rife

    pairs = list(zip(frames[:WINDOW], frames[1 : WINDOW + 1], strict=True))
    rife = build_rife(device=dev)
    rife_s = timed(lambda: [rife.interpolate(a, b, [0.5]) for a, b in pairs], sync, repeats) / len(pairs)
    rife = None  # its memory back before the model loads
    times = [float(i) for i in range(WINDOW + 1)]
    targets = [i + 0.5 for i in range(WINDOW)]
    row: dict = {"rife_s_per_frame": rife_s}
    for key, stack, prec in (
        ("default", GPU_STACK, "fp32"),
        ("bf16", GPU_STACK, "bf16"),
        ("dis_stack", "cpu", "fp32"),
    ):
        model = DiffusionInterpolator(device=dev, batch=WINDOW, stack=stack, precision=prec)
        s = timed(lambda m=model: m.interpolate_window(frames[: WINDOW + 1], times, targets), sync, repeats)
        row[f"{key}_s_per_frame"] = s / WINDOW
        row[f"{key}_over_rife"] = (s / WINDOW) / rife_s
        if key == "default":
            stack_obj = model.model.stack()
            row["stack"], row["model_step_fps"] = stack_obj.kind, WINDOW / s
            if stack_obj.kind == "gpu":
                wins = [([a, b, None], [0.0, 1.0, 0.5], [True, True, False]) for a, b in pairs]
                prior_s = timed(lambda st=stack_obj, w=wins: window_priors(w, st, WINDOW), sync, repeats)
                row["stage_prior_stack_s"] = prior_s / WINDOW
                row["stage_rest_s"] = (s - prior_s) / WINDOW
                row.update(dis_speed(dev, pairs, sync, repeats))
    return row


def dis_speed(dev: str, pairs, sync, repeats: int) -> dict:
    """The GPU stack's flow (vidiff.torch_dis), both directions of a window's pairs at once, seconds per
    pair: as the stack runs it (from CUDA graphs on a GPU) and eager; and whether the graphs stayed on."""
    import torch

    from vidiff import torch_dis

    a, b = (
        torch.from_numpy(np.stack(x)).to(dev).permute(0, 3, 1, 2).float() for x in zip(*pairs, strict=True)
    )
    stacked = timed(lambda: torch_dis.dis_flows(a, b), sync, repeats)
    eager = timed(lambda: torch_dis.dis_flows(a, b, graphs=False), sync, repeats)
    n = len(pairs)
    return {
        "dis_s_per_pair": stacked / n,
        "dis_eager_s_per_pair": eager / n,
        "dis_graphs": torch_dis.cuda_graphs_on(),
    }


def _classic_overlap(self, frames, depth=8, handoffs=False):
    """ResumableWriter.overlap as it was before the streaming join (the join after all the frames), for the
    before/after rows of `pipeline`."""
    from vidiff.io.overlap import Behind, Prefetch

    self._behind = Behind(self._sink.write, depth)
    self._ahead = Prefetch(frames, depth)
    return self._ahead


def pipeline(dev: str, frames: list[np.ndarray], tmp: Path) -> dict:
    """`vidiff upscale` x2 with its defaults (dedupe and scene cuts on) of a clip of these frames played
    forth and back to PIPE_FRAMES (written first, crf 18): interpolated frames a second shipped (the join
    as the segments finish, handed the frames as written where it keeps up; quick GIL handoffs) and with
    every part decoded back instead (`no_tee`, before stop 38), runs in the order A B B A (means) after
    one untimed run; then once each the join after the run with Python's 5 ms switch interval (before stop
    37) and the shipped path with `--preset veryfast`."""
    from fractions import Fraction

    from vidiff.io.segments import ResumableWriter, StreamJoin
    from vidiff.io.writer import VideoWriter
    from vidiff.runner.upscale import upscale_file

    h, w = frames[0].shape[:2]
    clip = forth_and_back(frames, PIPE_FRAMES)
    src = tmp / f"in_{w}x{h}.mp4"
    with VideoWriter(src, w, h, Fraction(25)) as vw:
        vw.write_all(clip)
    from vidiff.io import overlap

    shipped, interval, take = ResumableWriter.overlap, overlap.SWITCH_INTERVAL, StreamJoin.take

    def run(variant: str) -> dict:
        ResumableWriter.overlap = _classic_overlap if variant == "join_after" else shipped
        overlap.SWITCH_INTERVAL = 0.005 if variant == "join_after" else interval
        StreamJoin.take = (lambda self, k: False) if variant == "no_tee" else take
        try:
            extra = {"preset": "veryfast"} if variant == "veryfast" else {}
            return upscale_file(
                src, tmp / f"out_{w}x{h}_{variant}.mp4", factor=2, method="diffusion",
                method_options={"device": dev, "stack": GPU_STACK}, progress=False, workers=1, **extra,
            )  # fmt: skip
        finally:
            ResumableWriter.overlap, overlap.SWITCH_INTERVAL, StreamJoin.take = shipped, interval, take

    run("streaming")  # untimed: what a process pays once (kernels, caches) stays out of the comparison
    order = ["streaming", "no_tee", "no_tee", "streaming", "join_after", "veryfast"]
    secs: dict[str, list[float]] = {}
    for v in order:
        rep = run(v)
        secs.setdefault(v, []).append(rep["seconds"])
    made = rep["out_frames"] - rep["src_frames"]
    row = {"src_frames": rep["src_frames"], "out_frames": rep["out_frames"], "order": order, "seconds": secs}
    for v, ts in secs.items():
        row[f"{v}_fps"] = made / statistics.mean(ts)
    row["interpolated_fps"] = row["streaming_fps"]
    return row


def stages(frames: list[np.ndarray], tmp: Path) -> dict:
    """Milliseconds a frame of each CPU stage of `vidiff upscale`, one at a time, on this machine's CPU:
    decode to RGB, scene cut + dedupe checks, RGB to the output's YUV, the lossless segment's encode and
    decode, and the output's x264 encode (medium, veryfast), over these frames."""
    from fractions import Fraction

    import av

    from vidiff.io.segments import intermediate
    from vidiff.io.writer import VideoWriter, rgb_to_frame
    from vidiff.scenes import SceneDetector
    from vidiff.timeline import keyframes

    h, w = frames[0].shape[:2]
    n = len(frames)
    src, part = tmp / f"stage_in_{w}x{h}.mp4", tmp / f"stage_part_{w}x{h}.mkv"
    with VideoWriter(src, w, h, Fraction(25), preset="veryfast") as vw:
        vw.write_all(frames)
    row: dict = {"frames": n}

    def clock(name: str, fn) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = time.perf_counter() - t0
        row[name] = {"ms": 1000 * wall / n, "cpu_over_wall": (time.process_time() - c0) / wall}

    def decode() -> None:
        with av.open(str(src)) as c:
            c.streams.video[0].thread_type = "AUTO"
            for f in c.decode(video=0):
                f.to_ndarray(format="rgb24")

    def cuts() -> None:  # the upscale's own keyframe stream: SceneDetector and frames_differ
        decoded = [SimpleNamespace(image=f, time=i / 25) for i, f in enumerate(frames)]
        for _ in keyframes(decoded, True, SceneDetector().push):
            pass

    def lossless() -> None:
        with VideoWriter(part, w, h, Fraction(25), faststart=False, **intermediate("yuv420p")) as vw:
            vw.write_all(frames)

    def part_decode() -> None:
        with av.open(str(part)) as c:
            for _ in c.decode(video=0):
                pass

    def encode(preset: str):
        def go() -> None:
            with VideoWriter(tmp / f"stage_{preset}.mp4", w, h, Fraction(25), preset=preset) as vw:
                vw.write_all(frames)

        return go

    clock("decode_to_rgb", decode)
    clock("cuts_and_dedupe", cuts)
    clock("rgb_to_yuv", lambda: [rgb_to_frame(f, "yuv420p", 2, 0) for f in frames])
    clock("lossless_encode", lossless)
    clock("lossless_decode", part_decode)
    clock("x264_medium", encode("medium"))
    clock("x264_veryfast", encode("veryfast"))
    return row


def hw_codecs(frames: list[np.ndarray], tmp: Path) -> dict:
    """Whether this PyAV build has NVENC/NVDEC (h264_nvenc, h264_cuvid) and whether NVENC opens here."""
    import av

    have = {c: c in av.codecs_available for c in ("h264_nvenc", "hevc_nvenc", "h264_cuvid")}
    row: dict = {"available": have}
    if have["h264_nvenc"]:
        try:
            h, w = frames[0].shape[:2]
            with av.open(str(tmp / "nvenc.mp4"), "w") as c:
                st = c.add_stream("h264_nvenc", rate=25)
                st.width, st.height, st.pix_fmt = w, h, "yuv420p"
                for f in frames:
                    c.mux(st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
                c.mux(st.encode())
            row["nvenc_encode"] = "ok"
        except Exception as e:  # noqa: BLE001 — a finding of the check
            row["nvenc_encode"] = f"{type(e).__name__}: {e}"[:300]
    return row


def attention(dev, size: tuple[int, int], sync, repeats: int) -> dict:
    """The shipped U-Net's forward on a 3-frame window with each attention kernel available."""
    import torch

    from vidiff.diffusion.model import VidiffModel
    from vidiff.models.layers import xformers_ops

    m = VidiffModel.load("default", device=dev)
    u = m.unet
    kernels = ["sdpa"] + (
        ["xformers"] if torch.device(dev).type == "cuda" and xformers_ops() is not None else []
    )
    lh, lw = m.codec.latent_size(size[1], size[0])
    g = torch.Generator(dev).manual_seed(0)
    x = torch.randn(1, 3, m.codec.channels, lh, lw, generator=g, device=dev)
    cond = torch.randn(1, 3, u.config.cond_channels, lh, lw, generator=g, device=dev)
    args = (x, torch.tensor([999], device=dev), torch.tensor([[0.0, 0.5, 1.0]], device=dev),
            torch.tensor([[True, False, True]], device=dev), cond)  # fmt: skip
    row, outs = {"kernels": kernels}, {}
    with torch.no_grad():
        for k in kernels:
            u.set_attention(k)
            try:
                row[f"{k}_s"] = timed(lambda: u(*args), sync, repeats)
                outs[k] = u(*args)
            except Exception as e:  # noqa: BLE001 — a finding (xformers built for another CUDA, say)
                row[f"{k}_error"] = f"{type(e).__name__}: {e}"[:400]
    if len(outs) > 1:
        row["max_abs_diff"] = float((outs["sdpa"] - outs["xformers"]).abs().max())
    u.set_attention("sdpa")
    return row


def quality(dev: str, frames: list[np.ndarray]) -> dict:
    """Held-out PSNR (keep every 2nd frame) of the GPU path (fp32, bf16, fp16) and of the CPU path."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator

    kept, truth = frames[0::2], frames[1::2][: len(frames[0::2]) - 1]
    times = [float(i) for i in range(len(kept))]
    targets = [i + 0.5 for i in range(len(truth))]
    variants = {f"{dev} fp32": (dev, "fp32", GPU_STACK), f"{dev} bf16": (dev, "bf16", GPU_STACK)}
    variants[f"{dev} fp16"] = (dev, "fp16", GPU_STACK)
    variants["cpu (CPU default)"] = ("cpu", "fp32", "cpu")
    res, outs = {}, {}
    for name, (d, prec, stack) in variants.items():
        it = DiffusionInterpolator(device=d, precision=prec, batch=WINDOW, stack=stack)
        made = []
        for s in range(0, len(targets), WINDOW):  # runner-sized windows
            ts = targets[s : s + WINDOW]
            made += it.interpolate_window(kept[s : s + WINDOW + 1], times[s : s + WINDOW + 1], ts)
        outs[name] = made
        res[name] = {
            "stack": it.model.stack().kind,
            "psnr": float(np.mean([psnr(m, t) for m, t in zip(made, truth, strict=True)])),
        }
    ref = f"{dev} fp32"
    for name in res:
        res[name]["minus_fp32_db"] = res[name]["psnr"] - res[ref]["psnr"]
        res[name]["psnr_vs_fp32_frames"] = float(
            np.mean([psnr(a, b) for a, b in zip(outs[name], outs[ref], strict=True)])
        )
    return {"frames": len(truth), "variants": res}


def profile(dev: str, frames: list[np.ndarray], out: Path) -> dict:
    """Where one model step's time goes, by operator (torch.profiler, device time where there is a device);
    the table is written to profile_<size>.txt in `out`."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from vidiff.diffusion.interpolator import DiffusionInterpolator

    model = DiffusionInterpolator(device=dev, batch=WINDOW, stack=GPU_STACK)
    times = [float(i) for i in range(WINDOW + 1)]
    targets = [i + 0.5 for i in range(WINDOW)]
    model.interpolate_window(frames[: WINDOW + 1], times, targets)  # warm-up
    cuda = dev.startswith("cuda")
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with torch_profile(activities=acts) as prof:
        model.interpolate_window(frames[: WINDOW + 1], times, targets)
        if cuda:
            torch.cuda.synchronize()
    key = "self_cuda_time_total" if cuda else "self_cpu_time_total"
    try:
        table = prof.key_averages().table(sort_by=key, row_limit=25)
    except Exception:  # newer torch names it device time
        key = "self_device_time_total"
        table = prof.key_averages().table(sort_by=key, row_limit=25)
    h, w = frames[0].shape[:2]
    path = out / f"profile_{w}x{h}.txt"
    path.write_text(
        f"torch.profiler, one model step ({WINDOW} targets, window of {WINDOW + 1}), by {key}\n{table}\n"
    )
    return {"file": path.name, "sorted_by": key}


def doors(dev: str, frames: list[np.ndarray], tmp: Path) -> dict:
    """`vidiff upscale`, `infill`, `run` and `generate` with the device, end to end, in this process (the
    CLI's own entry point): exit code and seconds of each. generate uses a tiny random Wan pipeline built
    from configs (tests/tiny_pipes.py), the model filling in between its keyframes."""
    from fractions import Fraction

    from vidiff.cli import main as vidiff
    from vidiff.io.probe import probe
    from vidiff.io.writer import VideoWriter

    h, w = frames[0].shape[:2]
    src = tmp / "doors_in.mp4"
    with VideoWriter(src, w, h, Fraction(25)) as vw:
        vw.write_all(frames)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tiny_pipes import wan_dir

    wan = wan_dir(tmp / "wan")
    q = ["-q"]
    runs = {
        "upscale": ["upscale", str(src), "-o", str(tmp / "d_up.mp4"), "--factor", "2", "--method", "diffusion", "--device", dev, *q],
        "infill": ["infill", str(src), "-o", str(tmp / "d_inf.mp4"), "--frames", "3-4", "--method", "diffusion",
                   "--device", dev, *q],
        "run": ["run", "fps_x2", "-i", str(src), "-o", str(tmp / "d_run.mp4"), "--workers", "1",
                "interpolate.method=diffusion", f"interpolate.device={dev}", *q],
        "generate": ["generate", "--prompt", "a cat walks on the beach", "--weights", str(wan), "-o",
                     str(tmp / "d_gen.mp4"), "--seconds", "0.5", "--keyframe-size", "32x32", "--aspect", "1:1",
                     "--fps", "30", "--steps", "2", "--preset", "ultrafast", "--device", dev, *q],
    }  # fmt: skip
    gen = runs["generate"]
    variants = {  # generate's memory and speed options (issue: real models on smaller GPUs); offload needs CUDA
        "generate_cache": ["--cache", "first-block:0.2"],
        "generate_fp8": ["--weight-dtype", "fp8_e4m3fn"],
        **({
            "generate_offload_model": ["--offload", "model"],
            "generate_offload_group": ["--offload", "group"],
            "generate_offload_sequential": ["--offload", "sequential"],
            "generate_offload_group_cache_fp8": ["--offload", "group", "--cache", "first-block:0.2",
                                                 "--weight-dtype", "fp8_e4m3fn"],
        } if dev.startswith("cuda") else {}),
    }  # fmt: skip
    for name, extra in variants.items():
        argv = list(gen)
        argv[argv.index("-o") + 1] = str(tmp / f"d_{name}.mp4")
        runs[name] = argv[:-1] + extra + argv[-1:]
    res = {}
    for name, argv in runs.items():
        t0 = time.perf_counter()
        rc = guard(lambda a=argv: vidiff(a))
        out = Path(argv[argv.index("-o") + 1])
        row = {"rc": rc, "seconds": time.perf_counter() - t0, "argv": " ".join(argv[:1] + argv[2:])}
        if out.exists():
            info = probe(out)
            row["output"] = f"{info.width}x{info.height} {info.n_frames} frames"
            row["sha256"] = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
        res[name] = row
    plain = res["generate"].get("sha256")
    for name in variants:  # offload moves parts, not values: the same bytes as plain generate expected
        res[name]["same_bytes_as_generate"] = plain is not None and res[name].get("sha256") == plain
    return res


def guard(fn):
    """fn's result, or {"error": ...} when it raises: one failing part keeps the others' figures."""
    try:
        return fn()
    except BaseException as e:  # noqa: BLE001 — a figure of the check, not a crash
        if isinstance(e, KeyboardInterrupt):
            raise
        import traceback

        traceback.print_exc()
        return {"error": f"{type(e).__name__}: {e}"[:500]}


def write(res: dict, out: Path) -> None:
    """The figures so far (each part adds its own: a check stopped by the timeout keeps what it made)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(res, indent=2) + "\n")
    (out / "gpu_check.md").write_text("\n".join(report(res)) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", required=True, help="the carried clip (bigbuckbunny.mp4, 1280x720)")
    ap.add_argument("--out", default=os.environ.get("OUT", "benchmarks/results/gpu"))
    ap.add_argument("--device", default=None, help="default: cuda when torch sees one, else cpu")
    ap.add_argument("--small", action="store_true", help="dry run: small sizes and few frames")
    ap.add_argument("--no-network", action="store_true", help="make every socket connection raise")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--parts",
        default="speed,pipeline,attention,quality,profile,doors,codecs,stages",
        help="which parts to run (comma-separated; default all)",
    )
    args = ap.parse_args()
    global WINDOW, PIPE_FRAMES
    if args.small:
        WINDOW, PIPE_FRAMES = 2, 24
    if args.no_network:
        block_network()
    t_all = time.perf_counter()
    import torch

    dev = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if dev.startswith("cuda") else (lambda: None)
    sizes = [(256, 144), (384, 216)] if args.small else [(1280, 720), (1920, 1080)]
    n_frames = 4 * WINDOW + 1 if args.small else 60
    out = Path(args.out)
    parts = set(args.parts.split(","))
    res: dict = {
        "device": dev,
        "gpu": torch.cuda.get_device_name(dev)
        if dev.startswith("cuda")
        else f"none (CPU: {platform.machine()}, {os.cpu_count()} cores)",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "command": " ".join(sys.argv),
        "small": args.small,
        "inputs": f"{Path(args.clip).name}: its first frames at 1280x720 as decoded, and resized (bicubic) "
        "to each other size",
        "sizes": {},
        "network_attempts": NET_ATTEMPTS if args.no_network else "not blocked",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for k, size in enumerate(sizes):
            label = f"{size[0]}x{size[1]}"
            t0 = time.perf_counter()
            frames = load_frames(args.clip, n_frames, size)
            row = res["sizes"][label] = {}
            if "speed" in parts:
                row["speed"] = guard(lambda f=frames: speed(dev, f, sync, args.repeats))
            if "stages" in parts:
                row["stages"] = guard(lambda f=frames: stages(f, Path(tmp)))
            if "pipeline" in parts:
                row["pipeline"] = guard(lambda f=frames: pipeline(dev, f, Path(tmp)))
            if "error" not in row.get("speed", {"error": 1}) and "error" not in row.get(
                "pipeline", {"error": 1}
            ):
                row["pipeline_over_model_step"] = (
                    row["pipeline"]["interpolated_fps"] / row["speed"]["model_step_fps"]
                )
            write(res, out)
            if "attention" in parts:
                row["attention"] = guard(lambda s=size: attention(dev, s, sync, args.repeats))
            if k == 0:
                if "quality" in parts:
                    row["quality"] = guard(lambda f=frames: quality(dev, f[: 4 * WINDOW + 1]))
                    write(res, out)
                if "profile" in parts:
                    row["profile"] = guard(lambda f=frames: profile(dev, f, out))
                small = (
                    [np.ascontiguousarray(f[::2, ::2]) for f in frames[:8]] if not args.small else frames[:8]
                )
                if "doors" in parts:
                    res["doors"] = guard(lambda f=small: doors(dev, f, Path(tmp)))
                if "codecs" in parts:
                    res["hw_codecs"] = guard(lambda f=small: hw_codecs(f, Path(tmp)))
            row["seconds"] = time.perf_counter() - t0
            res["seconds"] = time.perf_counter() - t_all
            write(res, out)
            print(json.dumps({label: row}), flush=True)
    res["seconds"] = time.perf_counter() - t_all
    write(res, out)
    print("\n".join(report(res)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
