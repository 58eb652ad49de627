"""The CPU inference engine of the learned parts (RIFE's IFNet, the model's U-Net): `--engine`.

A network is exported once per input shape class to ONNX (the module as it is: traced on real inputs with
its non-tensor arguments baked in, functionalised, then `torch.export` and `torch.onnx.export`) and run
with OpenVINO or ONNX Runtime on the CPU. The .onnx files are cached in `$VIDIFF_CACHE/engine` (beside
RIFE's weights), named by a hash of the weights, the shape class and ENGINE_VERSION, and written
atomically, so changed weights give a new export and a half-written file never has the final name.
Where the engine is not installed, or the export or the engine fails, the network runs in PyTorch
after one note line. On CUDA the engine is always PyTorch. `benchmarks/results/engine/` holds the
measurements `auto` follows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from vidiff.errors import ConfigError
from vidiff.quiet import no_warnings

ENGINES = ("auto", "torch", "openvino", "onnxruntime")
DEFAULT_ENGINE = "auto"
# `auto`: the engine measured fastest on the CPU for each network (benchmarks/results/engine), when installed
AUTO_CHOICE = {"ifnet": "openvino", "unet": "openvino"}
ENGINE_VERSION = 1  # part of every cache key: bump when the export recipe changes
ENV = "VIDIFF_ENGINE"  # the engine a process uses when none is given (set by `vidiff bench --engine`)
PACKAGE = {"openvino": "openvino", "onnxruntime": "onnxruntime"}
INSTALL_HINT = 'pip install "vidiff[engine]"'

_noted: set[str] = set()


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def note_once(line: str, note: Callable[[str], None] | None = _stderr) -> None:
    """Say `line` once per process (a fallback is announced once, not per frame)."""
    if line not in _noted and note is not None:
        _noted.add(line)
        note(line)


def check_engine(engine: object) -> None:
    """A one-line ConfigError unless `engine` is one of ENGINES (None: the default)."""
    if engine is not None and engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


def default_engine() -> str:
    """$VIDIFF_ENGINE if set (checked), else DEFAULT_ENGINE."""
    engine = os.environ.get(ENV) or DEFAULT_ENGINE
    check_engine(engine)
    return engine


def installed(engine: str) -> bool:
    """Whether the engine's package can be imported here (torch always can)."""
    if engine == "torch":
        return True
    try:
        __import__(PACKAGE[engine])
    except ImportError:
        return False
    return True


def resolve_engine(engine: str | None, kind: str, device: Any = "cpu", note=_stderr) -> str:
    """The engine that runs a network of `kind` ("ifnet", "unet"): torch on CUDA; `auto` is the measured
    winner for the kind; an engine that is not installed is torch, with one note line."""
    engine = default_engine() if engine is None else engine
    check_engine(engine)
    if str(device) != "cpu" and not str(device).startswith("cpu:"):
        return "torch"
    chosen = AUTO_CHOICE.get(kind, "torch") if engine == "auto" else engine
    if chosen != "torch" and not installed(chosen):
        note_once(f"note: {chosen} is not installed ({INSTALL_HINT}); running the networks in PyTorch", note)
        return "torch"
    return chosen


def cache_dir() -> Path:
    """`$VIDIFF_CACHE/engine` (default `~/.cache/vidiff/engine`): beside RIFE's weights."""
    from vidiff.fetch import default_cache_dir

    return default_cache_dir("engine")


def weights_hash(module) -> str:
    """sha256 of a module's state dict (names, shapes, dtypes and bytes): a new export when it changes."""
    import torch

    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        t = t.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _describe(x: Any, baked: bool) -> str:
    """A value's part of the shape-class key: an input tensor's shape and dtype; a baked argument's value."""
    import torch

    if isinstance(x, torch.Tensor):
        return f"T{tuple(x.shape)}{x.dtype}" + (repr(x.tolist()) if baked else "")
    return repr(x)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock between processes on `folder` itself (POSIX `flock` on the folder's descriptor),
    so it leaves no file behind: a `<name>.onnx.lock` beside each export (filelock's) stayed in the cache
    for good, one per export. Where folders cannot be locked (Windows), one hidden lock file in it."""
    try:
        import fcntl
    except ImportError:  # Windows: filelock's lock files are removed on release there
        from filelock import FileLock

        with FileLock(str(folder / ".export.lock")):
            yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _quiet():
    """Silence the exporters' warnings and log lines (stdout may be a --json report); their progress prints
    are off by `verbose=False`. sys.stdout and sys.stderr are left alone: swapping them (as
    `contextlib.redirect_stdout` does) is process-wide and swallowed every other thread's output for the
    export's seconds (the web app's jobs, progress bars), and overlapping swaps could leave them swapped."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with no_warnings():  # a scope that overlapping ones on other threads cannot leave on (vidiff.quiet)
            yield
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.setLevel(lv)


def export_onnx(fn: Callable, inputs: Sequence[Any], path: str | os.PathLike[str]) -> Path:
    """Export `fn(*inputs)` (tensors in, one tensor out) to ONNX at `path`, atomically.

    The function is traced on the real inputs (make_fx, functionalised: the U-Net's in-place writes
    through views and its data-dependent frame selection become plain ops on fixed shapes), then
    `torch.export` and the dynamo ONNX exporter take the graph.
    """
    import torch
    from torch.fx.experimental.proxy_tensor import make_fx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode(False), torch.no_grad(), _quiet():
        xs = tuple(x.clone() for x in inputs)
        gm = make_fx(torch.func.functionalize(fn, remove="mutations"), tracing_mode="real")(*xs)
        ep = torch.export.export(gm, xs, strict=False, prefer_deferred_runtime_asserts_over_guards=True)
        program = torch.onnx.export(ep, dynamo=True, verbose=False)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".onnx.part")
        os.close(fd)
        try:
            program.save(tmp)
            os.replace(tmp, path)  # atomic: a reader sees the whole file or none
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path


class _Runner:
    """One compiled ONNX file on one engine: numpy in, numpy out."""

    def __init__(self, engine: str, path: Path, threads: int) -> None:
        self.engine = engine
        if engine == "openvino":
            import openvino as ov

            config = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads}
            config["PERFORMANCE_HINT"] = "LATENCY"
            self.compiled = ov.Core().compile_model(str(path), "CPU", config)
            self.request = self.compiled.create_infer_request()
        else:
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.log_severity_level = 3
            self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            self.names = [i.name for i in self.session.get_inputs()]

    def __call__(self, arrays: list) -> Any:
        if self.engine == "openvino":
            # the inputs are read in place (no copy into OpenVINO's tensors): the call is synchronous
            return self.request.infer(arrays, share_inputs=True)[self.compiled.output(0)]
        return self.session.run(None, dict(zip(self.names, arrays, strict=True)))[0]


class EngineModule:
    """A torch module run by an engine, called like the module: `static` names the positional
    arguments that are baked into each export (a mask, a list of scales) rather than fed as inputs.

    One export per shape class (the inputs' shapes and dtypes and the static arguments' values), cached
    on disk and compiled once per process; any failure of the export or the engine falls back to the
    module itself after one note line, so a run never stops for the engine.
    """

    def __init__(
        self,
        module,
        kind: str,
        engine: str | None = None,
        device: Any = "cpu",
        static: Sequence[int] = (),
        cache: str | os.PathLike[str] | None = None,
        note: Callable[[str], None] | None = _stderr,
    ) -> None:
        self.module, self.kind, self.static, self.note = module, kind, tuple(static), note
        self.engine = resolve_engine(engine, kind, device, note)
        self.cache = Path(cache) if cache is not None else None
        self._runners: dict[str, _Runner] = {}
        self._weights: str | None = None
        self.exports = 0  # how many ONNX files this object wrote (the cache's test reads it)

    def _path(self, args: Sequence[Any]) -> Path:
        import torch

        if self._weights is None:
            self._weights = weights_hash(self.module)
        described = [_describe(a, i in self.static) for i, a in enumerate(args)]
        key = "|".join([self.kind, *described, f"v{ENGINE_VERSION}", torch.__version__])
        shape = hashlib.sha256(key.encode()).hexdigest()[:16]
        root = self.cache if self.cache is not None else cache_dir()
        return root / f"{self.kind}-{self._weights[:16]}-{shape}-v{ENGINE_VERSION}.onnx"

    def _runner(self, args: Sequence[Any]) -> _Runner:
        import torch

        path = self._path(args)
        r = self._runners.get(str(path))
        if r is None:
            self._export(args, path)
            r = self._runners[str(path)] = _Runner(self.engine, path, torch.get_num_threads())
        return r

    def _export(self, args: Sequence[Any], path: Path) -> None:
        """Export the module for `args`' shape class to `path` unless a thread or process already has: one
        export at a time in a process (`BUILD_LOCK`), and across processes (--workers) a lock on the cache
        folder (`folder_lock`), so one process writes it and the others read it."""
        from vidiff.build_lock import BUILD_LOCK

        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with BUILD_LOCK, folder_lock(path.parent):
            if path.is_file():  # written while this one waited
                return
            dyn = [a for i, a in enumerate(args) if i not in self.static]

            def fn(*xs):
                it = iter(xs)
                return self.module(*[a if i in self.static else next(it) for i, a in enumerate(args)])

            export_onnx(fn, dyn, path)
            self.exports += 1

    def parameters(self):
        """The module's parameters (a VidiffModel reads its device from them)."""
        return self.module.parameters()

    def __call__(self, *args: Any):
        import torch

        if self.engine == "torch":
            return self.module(*args)
        try:
            runner = self._runner(args)
            arrays = [a.detach().cpu().numpy() for i, a in enumerate(args) if i not in self.static]
            return torch.from_numpy(runner(arrays).copy())
        except Exception as e:  # an export or engine failure: the module itself, from now on
            reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            note_once(f"note: {self.engine} cannot run {self.kind} ({reason}); using PyTorch", self.note)
            self.engine = "torch"
            return self.module(*args)
