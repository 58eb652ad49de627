"""`EncodeOptions`: the output encoding settings, validated once, whichever door they came through.

The CLI (`--codec/--crf/--preset/--pix-fmt`), a recipe's `encode:` stage (and its `encode.key=value`
overrides) and the Python API (`upscale_file(codec=...)`, `VideoWriter`) all build one of these, so a
bad value is refused in one line before any frame is decoded. `check_output` goes further: it opens the
encoder on a tiny frame and writes a two-frame file the way the real run will (segments and join, into
the output's container), so an option this machine's encoders, muxers or decoders cannot honour fails
before the work, not after it.
"""

from __future__ import annotations

import math
import numbers
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from fractions import Fraction

import av
import numpy as np

from vidiff.errors import ConfigError, OutputError
from vidiff.io.video_ext import CONTAINER_CODEC, DEFAULT_CODEC
from vidiff.validate import show

CODECS = {  # user name -> ffmpeg encoder
    "h264": "libx264",
    "libx264": "libx264",
    "h265": "libx265",
    "hevc": "libx265",
    "libx265": "libx265",
    "vp9": "libvpx-vp9",
    "libvpx-vp9": "libvpx-vp9",
    "av1": "libsvtav1",
    "libsvtav1": "libsvtav1",
    "ffv1": "ffv1",  # lossless (crf does not apply); with pix_fmt bgr0, decoded RGB comes back bit-exact
}
# containers that hold only some of the encoders (output extension -> encoders)
CONTAINER_ENCODERS = {".webm": ("libvpx-vp9", "libsvtav1")}
# pixel formats vidiff converts RGB into (each encoder takes the subset it lists)
PIX_FMTS = ("yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le", "bgr0")
KEEP_SIZE = "; --pix-fmt yuv444p keeps the size"  # the padding note's hint, where the door has the option
CRF_RANGE = {"libx264": (0, 51), "libx265": (0, 51), "libvpx-vp9": (0, 63), "libsvtav1": (1, 63)}
X26X_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
NUMERIC_PRESETS = {"libvpx-vp9": (0, 8), "libsvtav1": (0, 13)}  # cpu-used / preset numbers

CODEC_HELP = "auto (default: vp9 for .webm, else h264), h264, h265, vp9 or av1"
CRF_HELP = "quality: lower is better (default 18; h264/h265 0-51, vp9 0-63, av1 1-63; h264 0: lossless)"
PRESET_HELP = "encoder speed preset: h264/h265 ultrafast ... veryslow (default medium); vp9 0-8, av1 0-13"
PIX_FMT_HELP = (
    "output pixel format: yuv420p (default, plays everywhere), yuv422p, yuv444p, yuv420p10le (10-bit), "
    "yuv422p10le, yuv444p10le (vp9: 8-bit only; av1: yuv420p, yuv420p10le)"
)

AUDIO_CODECS = ("auto", "copy", "aac")
AUDIO_CODEC_HELP = (
    "audio: auto (default: copied where the output plays it, so AAC, MP3, Opus and FLAC into .mp4, "
    "anything into .mkv; AC-3, E-AC-3, DTS and PCM into .mp4 become AAC, which browsers play), copy "
    "(always copy; refused where the container cannot hold the codec), aac (re-encode; Opus for .webm)"
)

# SVT-AV1 (codec av1) printed a 20-line banner of info and warnings on stderr at each encoder it opened
# (the trial encode's too), past --quiet; errors only unless the user set its level (SVT_LOG, 1: errors)
os.environ.setdefault("SVT_LOG", "1")

_CHECKED: dict[tuple, str | None] = {}  # (options, container, size class, resumable) -> error or None


@dataclass(frozen=True)
class EncodeOptions:
    """Codec, quality, speed preset and pixel format of an output, and what becomes of the source's audio
    (`audio_codec`, `vidiff.io.writer.audio_action`); invalid values raise `ConfigError`."""

    codec: str = DEFAULT_CODEC
    crf: int | None = 18
    preset: str | None = None
    pix_fmt: str = "yuv420p"
    audio_codec: str = "auto"

    def __post_init__(self) -> None:
        _plain_values(self)
        if self.audio_codec not in AUDIO_CODECS:
            raise ConfigError(f"audio codec {self.audio_codec!r}: use one of {', '.join(AUDIO_CODECS)}")
        if not isinstance(self.codec, str) or self.codec not in (*CODECS, DEFAULT_CODEC):
            raise ConfigError(
                f"unknown codec {self.codec!r}; choose one of: {', '.join(sorted({*CODECS, DEFAULT_CODEC}))}"
            )
        if self.preset is not None and not isinstance(self.preset, str):
            raise ConfigError(
                f"preset {self.preset!r:.60}: must be a string (a name, or a number for vp9/av1)"
            )
        # `auto` takes what any codec it may become takes (vp9's crf 60 and preset 4 for a .webm);
        # `for_output` checks them again against the output's own
        problems = [_crf_problem(self.crf, c) or _preset_problem(self.preset, c) for c in _named(self.codec)]
        if all(problems):
            raise ConfigError(
                problems[0]
                if len(problems) == 1
                else f"codec auto (h264, or vp9 for .webm): {'; '.join(problems)}"
            )
        enc = self.encoder
        if not isinstance(self.pix_fmt, str) or self.pix_fmt not in PIX_FMTS:
            raise ConfigError(
                f"unsupported pixel format {self.pix_fmt!r}; choose one of: {', '.join(PIX_FMTS)}"
            )
        try:
            takes = {f.name for f in (av.codec.Codec(enc, "w").video_formats or [])}
        except (av.codec.codec.UnknownCodecError, ValueError):
            raise ConfigError(f"codec {self.codec} ({enc}) is not available in this PyAV build") from None
        if self.pix_fmt not in takes:
            ok = [f for f in PIX_FMTS if f in takes]
            raise ConfigError(
                f"{self.codec} cannot encode pixel format {self.pix_fmt} here; use one of: {', '.join(ok)}"
            )

    @property
    def encoder(self) -> str:
        """The ffmpeg encoder name (libx264, libx265, libvpx-vp9, libsvtav1); `auto`'s is h264's, the one
        it stands for in every container but .webm (`for_output` names the one for an output)."""
        return CODECS[self.codec if self.codec != DEFAULT_CODEC else "h264"]

    def for_output(self, path: str | os.PathLike[str]) -> EncodeOptions:
        """These options for the output `path`: `auto` becomes its container's codec (vp9 for .webm, else
        h264), checked again with crf, preset and pixel format; a named codec stays as it is."""
        if self.codec != DEFAULT_CODEC:
            return self
        ext = os.path.splitext(os.fspath(path))[1].lower()
        codec = CONTAINER_CODEC.get(ext, "h264")
        try:
            return replace(self, codec=codec)
        except ConfigError as e:  # a crf or preset auto took that this container's codec does not
            raise ConfigError(f"{e} (codec auto writes {codec} into {ext or 'this output'})") from None

    def writer_kwargs(self) -> dict[str, object]:
        """Keyword arguments for `VideoWriter` / `ResumableWriter` (`auto` is resolved by their output)."""
        codec = self.codec if self.codec == DEFAULT_CODEC else self.encoder
        return {"codec": codec, "crf": self.crf, "preset": self.preset, "pix_fmt": self.pix_fmt}

    def coded_size(self, width: int, height: int) -> tuple[int, int]:
        """The size frames of `width` x `height` are encoded at: a side that the pixel format's chroma
        halves (both in 4:2:0, the width in 4:2:2) is padded to even by repeating its last column or row
        (`vidiff.io.writer.pad_to`), as x264 and x265 take no odd one; 4:4:4 and RGB keep the size."""
        halved_w = "420" in self.pix_fmt or "422" in self.pix_fmt
        halved_h = "420" in self.pix_fmt
        return width + (width % 2 if halved_w else 0), height + (height % 2 if halved_h else 0)

    def check_container(self, path: str | os.PathLike[str]) -> None:
        """Refuse an encoder the output's container cannot hold (a .webm file holds only vp9 or av1)."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        encoder = self.for_output(path).encoder
        if encoder not in CONTAINER_ENCODERS.get(ext, (encoder,)):
            raise ConfigError(f"{path}: a {ext} file holds only vp9 or av1 video; use codec vp9 (or av1)")

    def _trial_failure(self, ext: str, width: int, height: int, resumable: bool) -> str:
        """Why a trial encode of `width` x `height` into `ext` fails ('' when it writes), cached."""
        key = (self, ext, width, height, resumable)
        if key not in _CHECKED:
            _CHECKED[key] = _trial(self, ext, width, height, resumable)
        return _CHECKED[key]

    def check_output(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        resumable: bool = True,
        note: bool = True,
    ) -> None:
        """Refuse, before any work, options the output cannot be made with: the container (e.g. .webm
        holds only vp9/av1), and a trial two-frame encode the way the run writes (segments joined into
        the output's container when `resumable`), decoded back. A size padded to even (`coded_size`) is
        said in one note line on stderr (`note`; else the caller says `size_note` once its own checks
        pass, so a refusal after this is one line)."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if self.codec == DEFAULT_CODEC:
            return self.for_output(path).check_output(path, width, height, resumable, note)
        self.check_container(path)
        small = width * height <= 256 * 256
        tw, th = (width, height) if small else (64 + width % 2, 64 + height % 2)
        key = (self, ext, tw, th, resumable)
        if key not in _CHECKED:
            # an encoder's failure is retried once before the options are refused
            _CHECKED[key] = _trial(self, ext, tw, th, resumable) and _trial(self, ext, tw, th, resumable)
        if _CHECKED[key]:
            if small and (tw, th) != (64, 64) and not self._trial_failure(ext, 64, 64, resumable):
                # the same options write a 64x64 clip: the frame size is the reason, not the system
                raise ConfigError(
                    f"{path}: cannot write {self.codec} {self.pix_fmt} at {width}x{height}: the "
                    f"{self.encoder} encoder refuses a frame this small (64x64 works); use another "
                    "--codec (h264 takes it) or a larger clip"
                )
            raise ConfigError(
                f"{path}: cannot write {self.codec} {self.pix_fmt} (crf {self.crf}, preset {self.preset}) "
                f"into {ext} on this system ({_CHECKED[key]})"
            )
        said = self.size_note(path, width, height) if note else None
        if said is not None:  # said once per run: every door makes this check, once
            print(said, file=sys.stderr, flush=True)

    def size_note(
        self, path: str | os.PathLike[str], width: int, height: int, hint: bool = True
    ) -> str | None:
        """The note line for a size padded to even (`coded_size`), or None where it is kept; `hint`: with
        the option that keeps it (`KEEP_SIZE`), left out where the door has no pixel-format choice."""
        coded = self.coded_size(width, height)
        if coded == (width, height):
            return None
        sides = " and ".join(
            n for n, grew in (("column", coded[0] > width), ("row", coded[1] > height)) if grew
        )
        return (
            f"note: {os.fspath(path)}: {width}x{height} is written as {coded[0]}x{coded[1]} (its last {sides} "
            f"repeated: {self.pix_fmt} needs even sides{KEEP_SIZE if hint else ''})"
        )


def _trial(opts: EncodeOptions, ext: str, width: int, height: int, resumable: bool) -> str | None:
    """Write and read back a two-frame clip as the real run would; the reason it fails, or None."""
    from vidiff.io.segments import ResumableWriter
    from vidiff.io.writer import VideoWriter

    folder = tempfile.mkdtemp(prefix="vidiff-encode-check-")
    # SVT-AV1 prints banners on the C-level stderr; silence them (only them: with its stderr on /dev/null,
    # libx265's first open in a process fails with AVERROR_PATCHWELCOME)
    saved = _quiet_stderr() if opts.encoder == "libsvtav1" else None
    try:
        out = os.path.join(folder, f"check{ext}")
        # 8 frames: libx265 given only 2 at its first open in a process fails now and then (PATCHWELCOME)
        frames = [np.full((height, width, 3), 20 + 25 * k, np.uint8) for k in range(8)]
        if resumable:
            with ResumableWriter(out, width, height, Fraction(25), key={}, **opts.writer_kwargs()) as w:
                for f in frames:
                    w.write(f)
        else:
            with VideoWriter(out, width, height, Fraction(25), faststart=False, **opts.writer_kwargs()) as w:
                w.write_all(frames)
        with av.open(out) as c:
            n = sum(1 for _ in c.decode(video=0))
        return None if n == len(frames) else f"{n} of {len(frames)} trial frames decoded back"
    except (av.error.FFmpegError, av.codec.codec.UnknownCodecError, ValueError, OSError, OutputError) as e:
        return f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    except ConfigError as e:
        return str(e)
    finally:
        _restore_stderr(saved)
        shutil.rmtree(folder, ignore_errors=True)


def _quiet_stderr() -> int | None:
    """Point file descriptor 2 at /dev/null; returns a copy of the old one (None if that fails)."""
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        return saved
    except OSError:
        return None


def _restore_stderr(saved: int | None) -> None:
    if saved is not None:
        os.dup2(saved, 2)
        os.close(saved)


def _plain_values(opts: EncodeOptions) -> None:
    """A NumPy string or integer (a web form's, a DataFrame's) as Python's own: PyAV's Cython refuses a
    `numpy.str_` with a TypeError, and a whole-number crf of another type (np.int64, 18.0) is that int."""
    for name in ("codec", "preset", "pix_fmt", "audio_codec"):
        value = getattr(opts, name)
        if isinstance(value, str) and type(value) is not str:
            object.__setattr__(opts, name, str(value))
    crf = opts.crf
    real = isinstance(crf, numbers.Real) and not isinstance(crf, bool) and type(crf) is not int
    if real and math.isfinite(crf) and int(crf) == crf:  # type: ignore[arg-type]
        object.__setattr__(opts, "crf", int(crf))  # type: ignore[arg-type]


def _named(codec: str) -> list[str]:
    """The named codecs `codec` may be written as: itself, or for `auto` every container's."""
    return ["h264", *CONTAINER_CODEC.values()] if codec == DEFAULT_CODEC else [codec]


def _crf_problem(crf: object, codec: str) -> str | None:
    """Why `crf` does not suit `codec` (None where it does)."""
    enc = CODECS[codec]
    if crf is None or enc not in CRF_RANGE:
        return None
    lo, hi = CRF_RANGE[enc]
    if isinstance(crf, bool) or not isinstance(crf, int) or not lo <= crf <= hi:
        return f"crf {show(crf)} out of range for {codec}: use {lo}-{hi}"
    return None


def _preset_problem(preset: str | None, codec: str) -> str | None:
    """Why `preset` does not suit `codec` (None where it does)."""
    enc = CODECS[codec]
    if preset is None:
        return None
    if enc in NUMERIC_PRESETS:
        lo, hi = NUMERIC_PRESETS[enc]
        if not (preset.isdigit() and lo <= int(preset) <= hi):
            return f"unknown preset {preset!r} for {codec}: use a number {lo}-{hi}"
    elif preset not in X26X_PRESETS:
        return f"unknown preset {preset!r} for {codec}; choose one of: {', '.join(X26X_PRESETS)}"
    return None


def check_audio_codec_used(kept: bool, audio_codec: str) -> None:
    """Refuse an audio codec named for an output whose audio is dropped (`kept` False: --no-audio, a
    recipe's encode.audio=drop): it was silently ignored."""
    if not kept and audio_codec != "auto":
        raise ConfigError(
            f"audio codec {audio_codec}: the audio is dropped (no audio); leave one of them out"
        )
