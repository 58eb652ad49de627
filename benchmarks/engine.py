"""CPU inference engines for the learned parts, measured in one run: RIFE's IFNet and the model's U-Net.

For each network at 640x272 (bikes) and 1280x720 (bigbuckbunny), on real inputs (two frames padded as RIFE
pads them; the U-Net's arguments captured from `--method diffusion` on the same frames, x2): eager fp32
PyTorch against channels-last, bf16 autocast, torch.compile, ONNX Runtime (dynamo and TorchScript
exports), OpenVINO (f32 and bf16 from the ONNX file, and its own convert_model). Then the two methods
as a whole (rife, diffusion: seconds per frame) with --engine torch and the winner. Median of 3 after a
warm-up, equal threads everywhere. Writes OUT/results.json and OUT/results.md with the command.

    flock /tmp/vidiff-bench.lock python benchmarks/engine.py   # about 30 min on 2 shared cores
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vidiff import VideoReader
from vidiff.engine import ENGINE_VERSION, EngineModule
from vidiff.io.samples import sample_clip

CLIPS = {"640x272": "bikes", "1280x720": "bigbuckbunny"}


def frames(clip: str, n: int = 3) -> list[np.ndarray]:
    out = []
    for f in VideoReader(sample_clip(clip)):
        out.append(f.image)
        if len(out) == n:
            break
    return out


def timed(fn, repeats: int) -> tuple[float, list[float], object]:
    """(median seconds, all runs, the last output) after one warm-up call."""
    out = fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), ts, out


def ifnet_inputs(rife, img_a: np.ndarray, img_b: np.ndarray) -> tuple:
    """The IFNet's arguments as RIFE.interpolate makes them at t = 0.5."""
    from vidiff.peers.rife import BASE_SCALES, auto_scale

    h, w = img_a.shape[:2]
    scale = auto_scale(h, w)
    pad = max(128, int(128 / scale))
    ph, pw = -(-h // pad) * pad, -(-w // pad) * pad
    x0, x1 = rife._to_tensor(img_a, ph, pw), rife._to_tensor(img_b, ph, pw)
    return (x0, x1, torch.full((1, 1, 1, 1), 0.5), [s / scale for s in BASE_SCALES])


def unet_inputs(img_a: np.ndarray, img_b: np.ndarray) -> tuple:
    """The U-Net's arguments as `--method diffusion` calls it for the middle frame (captured)."""
    from vidiff.diffusion.interpolator import DiffusionInterpolator

    d = DiffusionInterpolator(engine="torch")
    got = []
    hook = d.model.unet.register_forward_pre_hook(lambda m, args: got.append(tuple(a.clone() for a in args)))
    d.interpolate(img_a, img_b, [0.5])
    hook.remove()
    return d.model.unet, got[0]


def psnr(a: torch.Tensor, b: torch.Tensor) -> float | str:
    """PSNR in dB of frames in [0, 1]; "identical" where they are equal (strict JSON has no Infinity)."""
    mse = float(((a.float() - b.float()) ** 2).mean())
    return "identical" if mse == 0 else float(10 * np.log10(1.0 / mse))


def variants(net, args: tuple, kind: str, tmp: Path, threads: int, with_compile: bool) -> dict:
    """name -> (setup seconds or None, callable): each runs the network once on `args`."""
    out: dict = {}

    def eager():
        with torch.inference_mode():
            return net(*args)

    out["torch eager fp32"] = (None, eager)

    def channels_last():
        m = copy.deepcopy(net).to(memory_format=torch.channels_last)
        a = [
            x.contiguous(memory_format=torch.channels_last) if torch.is_tensor(x) and x.ndim == 4 else x
            for x in args
        ]

        def run():
            with torch.inference_mode():
                return m(*a)

        return run

    out["torch channels_last"] = (None, channels_last())

    def bf16():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return net(*args).float()

    out["torch bf16 autocast"] = (None, bf16)
    if with_compile:
        t0 = time.perf_counter()
        c = torch.compile(net)
        with torch.inference_mode():
            c(*args)  # compile on first call
        setup = time.perf_counter() - t0

        def compiled():
            with torch.inference_mode():
                return c(*args)

        out["torch.compile (inductor)"] = (setup, compiled)
    for engine in ("onnxruntime", "openvino"):
        e = EngineModule(net, kind, engine, static=(3,), cache=tmp / engine, note=None)
        t0 = time.perf_counter()
        e(*args)
        if e.engine != engine:
            raise RuntimeError(f"{engine} fell back to torch")
        out[f"{engine} (dynamo export)"] = (time.perf_counter() - t0, lambda e=e: e(*args))
    # OpenVINO at its bf16 default precision on this CPU (avx512_bf16), from the same ONNX file
    import openvino as ov

    onnx_file = next((tmp / "openvino").glob("*.onnx"))
    cfg = {
        "INFERENCE_NUM_THREADS": threads,
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "bf16",
    }
    t0 = time.perf_counter()
    cm = ov.Core().compile_model(str(onnx_file), "CPU", cfg)
    dyn = [a.numpy() for i, a in enumerate(args) if i != 3]
    out["openvino bf16"] = (time.perf_counter() - t0, lambda: torch.from_numpy(cm(dyn)[0].copy()))
    # the TorchScript exporter (dynamo=False) and OpenVINO's own PyTorch frontend, on the module as is
    fixed = args[3]
    dyn_t = tuple(a for i, a in enumerate(args) if i != 3)

    class Fixed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, *xs):
            xs = list(xs)
            return self.net(*xs[:3], fixed, *xs[3:])

    try:
        import onnxruntime as ort

        path = tmp / f"{kind}-torchscript.onnx"
        t0 = time.perf_counter()
        with torch.no_grad():
            torch.onnx.export(Fixed(), dyn_t, str(path), dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        names = [i.name for i in s.get_inputs()]
        if len(names) != len(dyn_t):
            raise RuntimeError(
                f"the traced graph keeps {len(names)} of {len(dyn_t)} inputs (output constant)"
            )
        feed = dict(zip(names, [a.numpy() for a in dyn_t], strict=True))
        out["onnxruntime (TorchScript export)"] = (
            time.perf_counter() - t0,
            lambda: torch.from_numpy(s.run(None, feed)[0]),
        )
    except Exception as e:
        out["onnxruntime (TorchScript export)"] = (None, f"failed: {str(e).strip().splitlines()[0][:150]}")
    try:
        t0 = time.perf_counter()
        om = ov.convert_model(Fixed(), example_input=dyn_t)
        cm2 = ov.Core().compile_model(om, "CPU", {**cfg, "INFERENCE_PRECISION_HINT": "f32"})
        out["openvino convert_model"] = (
            time.perf_counter() - t0,
            lambda: torch.from_numpy(cm2([a.numpy() for a in dyn_t])[0].copy()),
        )
    except Exception as e:
        msg = [ln for ln in str(e).splitlines() if "--" in ln or "failed" in ln.lower()]
        out["openvino convert_model"] = (None, f"failed: {(msg[-1] if msg else str(e))[:150].strip()}")
    return out


def bench_network(kind: str, net, args: tuple, size: str, tmp: Path, opts) -> list[dict]:
    rows = []
    ref = None
    for name, (setup, fn) in variants(
        net, args, kind, tmp / f"{kind}-{size}", opts.threads, opts.compile
    ).items():
        row = {"network": kind, "size": size, "variant": name, "setup_s": setup}
        if isinstance(fn, str):
            row["status"] = fn
            rows.append(row)
            print(kind, size, name, fn, flush=True)
            continue
        try:
            med, runs, out = timed(fn, opts.repeats)
        except Exception as e:  # a variant that cannot run this network is a row, not the end of the run
            row["status"] = f"failed: {str(e).strip().splitlines()[0][:150]}"
            rows.append(row)
            print(kind, size, name, row["status"], flush=True)
            continue
        out = out.detach().float()
        if ref is None:
            ref = out
        row.update(status="ok", median_s=med, runs_s=runs, max_abs_diff=float((out - ref).abs().max()))
        if kind == "ifnet":
            row["psnr_vs_eager_db"] = psnr(out.clamp(0, 1), ref.clamp(0, 1))
        else:
            row["rel_max_diff"] = row["max_abs_diff"] / max(float(ref.abs().max()), 1e-12)
        row["speedup"] = rows[0]["median_s"] / med if rows else 1.0
        print(
            kind, size, name, f"{med:.4f}s x{row['speedup']:.2f} diff {row['max_abs_diff']:.2e}", flush=True
        )
        rows.append(row)
    return rows


def bench_methods(imgs: list[np.ndarray], size: str, engines: list[str], opts) -> list[dict]:
    """Seconds per frame of `rife` and `diffusion` (x2, the middle frame) with each engine."""
    from vidiff.flow import get_interpolator

    rows = []
    for method in ("rife", "diffusion"):
        base = None
        for engine in engines:
            m = get_interpolator(method, engine=engine)
            med, runs, out = timed(lambda m=m: m.interpolate(imgs[0], imgs[2], [0.5])[0], opts.repeats)
            if base is None:
                base = (med, out)
            diff = np.abs(out.astype(int) - base[1].astype(int))
            rows.append(
                {"method": method, "size": size, "engine": engine, "median_s": med, "runs_s": runs,
                 "speedup": base[0] / med, "max_abs_diff_u8": int(diff.max()),
                 "pixels_differing": float((diff > 0).mean())}
            )  # fmt: skip
            print(method, size, engine, f"{med:.3f}s x{base[0] / med:.2f}", flush=True)
    return rows


def markdown(res: dict) -> str:
    lines = ["# CPU inference engines (benchmarks/engine.py)", "", f"Command: `{res['command']}`", ""]
    lines += [f"- {k}: {v}" for k, v in res["machine"].items()]
    lines += ["", "## Networks (median of 3, seconds per call; speedup over eager fp32 in the same run)", ""]
    lines += [
        "| network | size | variant | setup s | median s | speedup | max abs diff | PSNR vs eager / rel diff |"
    ]
    lines += ["| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in res["networks"]:
        if r["status"] != "ok":
            lines.append(f"| {r['network']} | {r['size']} | {r['variant']} | | {r['status']} | | | |")
            continue
        acc = f"{r['rel_max_diff']:.1e}"
        if "psnr_vs_eager_db" in r:
            db = r["psnr_vs_eager_db"]
            acc = db if isinstance(db, str) else f"{db:.1f} dB"
        setup = "" if r["setup_s"] is None else f"{r['setup_s']:.1f}"
        lines.append(
            f"| {r['network']} | {r['size']} | {r['variant']} | {setup} | {r['median_s']:.4f} | "
            f"{r['speedup']:.2f} | {r['max_abs_diff']:.1e} | {acc} |"
        )
    lines += ["", "## Methods (x2, seconds per interpolated frame, median of 3)", ""]
    lines += ["| method | size | engine | median s | speedup | max abs diff (uint8) | pixels differing |"]
    lines += ["| --- | --- | --- | --- | --- | --- | --- |"]
    for r in res["methods"]:
        lines.append(
            f"| {r['method']} | {r['size']} | {r['engine']} | {r['median_s']:.3f} | {r['speedup']:.2f} | "
            f"{r['max_abs_diff_u8']} | {100 * r['pixels_differing']:.2f} % |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/engine")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default=",".join(CLIPS), help="640x272,1280x720")
    ap.add_argument("--no-compile", dest="compile", action="store_false", help="skip torch.compile")
    ap.add_argument("--engines", default="torch,openvino,onnxruntime", help="for the method rows")
    opts = ap.parse_args()
    torch.set_num_threads(opts.threads)
    from vidiff.peers.rife import RIFE

    flags = (
        Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0]
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    import onnxruntime
    import openvino

    res = {
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads (torch, onnxruntime, openvino)": opts.threads,
            "avx512_bf16": "avx512_bf16" in flags, "amx": "amx" in flags,
            "shared": "yes: two other sessions used the same 2 cores during the run",
            "versions": f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, "
            f"openvino {openvino.__version__}, engine v{ENGINE_VERSION}",
        },
        "networks": [], "methods": [],
    }  # fmt: skip
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    rife = RIFE(engine="torch")
    with tempfile.TemporaryDirectory(prefix="vidiff-engine-") as tmp:
        for size in opts.sizes.split(","):
            imgs = frames(CLIPS[size])
            res["networks"] += bench_network(
                "ifnet", rife.net, ifnet_inputs(rife, imgs[0], imgs[2]), size, Path(tmp), opts
            )
            unet, args = unet_inputs(imgs[0], imgs[2])
            res["networks"] += bench_network("unet", unet, args, size, Path(tmp), opts)
            (out / "results.json").write_text(json.dumps(res, indent=1, allow_nan=False))
        for size in opts.sizes.split(","):
            res["methods"] += bench_methods(frames(CLIPS[size]), size, opts.engines.split(","), opts)
            (out / "results.json").write_text(json.dumps(res, indent=1, allow_nan=False))
    (out / "results.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
