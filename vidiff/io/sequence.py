"""Image sequences as input: a folder of images, or a printf pattern (`frames/%05d.png`), read as a clip.

A folder's images are taken in natural order (frame2 before frame10), one after another; hidden files,
Thumbs.db and desktop.ini are left aside and subfolders are not entered, and any other file that is not an
image (`IMAGE_EXT`) is refused. A pattern's files are those its number matches, and its numbers are frame
numbers: a number with no file between two that have one is a missing frame, its slot kept as an
unreadable image's (`vidiff.io.numbering`: a dropped render; a folder whose names skip numbers gets one
note line naming the pattern that keeps them).
A sequence has no frame rate of its own: it plays at `input_fps` (`DEFAULT_INPUT_FPS` unless given).

Every image's header (a few bytes, read by Pillow) is checked before any work: one frame size for all,
at most `MAX_SIDE` a side, at least `MIN_FRAMES` images. Each is then decoded by FFmpeg's own decoder for
its format (PyAV, with no container: quiet on damage, as the video path is) into 8-bit RGB: JPEG's YUV by
`vidiff.io.color`, as a video's frames; 16-bit samples rounded to 8 bits (one note line says so: every
stage, the flow, the model and the writers, works on 8-bit RGB, so a 16-bit output would hold no more);
greyscale and palette images expanded; an alpha channel dropped (one note line says so). An EXIF
orientation (a phone's photos, a time-lapse) is applied, so the frames are upright as a viewer shows them,
and sizes are compared upright.

Damaged input follows the video path's policy (`vidiff.io.reader`): an image that cannot be read, or a
pattern's missing number, is left out and its slot kept (the frames around it keep their times, so an
upscale fills the gap; infill rebuilds it in place: `ImageSequence.fill_slots`), and once the sequence is
read ONE warning line gives the counts; fewer than `MIN_FRAMES` readable images, or `--strict`, is a
refusal.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, InputError
from vidiff.io.color import frame_to_rgb
from vidiff.io.image_ext import IMAGE_EXT
from vidiff.io.numbering import note_folder_gaps, numbered, pattern_slots
from vidiff.io.probe import MAX_SIDE, MIN_FRAMES, VideoFile, VideoInfo, strict_input, warn_damage
from vidiff.io.webp_in import AnimatedWebP, is_animated
from vidiff.quiet import no_warnings
from vidiff.validate import check_path, check_rate

# 24: the rate of film, of most animation and of render tools' defaults (Blender's); ffmpeg's image2
# reader assumes 25 (--input-fps 25 gives its timing)
DEFAULT_INPUT_FPS = Fraction(24)
INPUT_FPS_HELP = (
    f"frame rate of an image-sequence INPUT, e.g. 25, 30 or 24000/1001 (default {DEFAULT_INPUT_FPS}: film, "
    "animation and renders; ffmpeg's image2 reader assumes 25); a video file has its own"
)
DECODERS = {"PNG": "png", "JPEG": "mjpeg", "TIFF": "tiff", "BMP": "bmp", "WEBP": "webp"}  # Pillow -> FFmpeg
MISSING = "missing"  # the reason of a missing frame's slot (`ImageSequence.unreadable`)
SKIPPED = {"thumbs.db", "desktop.ini"}  # the file managers' own files, beside the frames
CONTAINER = "image sequence"  # `VideoInfo.container` of a sequence
_NUMBER = re.compile(r"%(%|d|0[1-9][0-9]?d)")  # %%, %d, %05d: the pattern conversions taken
_MODES = {"RGB": "rgb24", "RGBA": "rgba", "L": "gray", "LA": "ya8", "P": "pal8", "1": "monob", "CMYK": "cmyk"}


def is_pattern(path: str | os.PathLike[str]) -> bool:
    """True if the file name of `path` holds a frame-number conversion (`%d`, `%05d`; `%%` is a %)."""
    name = os.path.basename(os.fspath(path)).replace("%%", "")
    return bool(re.search(r"%(d|0[1-9][0-9]?d)", name))


def is_sequence(path: str | os.PathLike[str]) -> bool:
    """True if `path` names an image sequence: a folder, or a pattern (a file of that very name is a file)."""
    path = os.fspath(path)
    return os.path.isdir(path) or (is_pattern(path) and not os.path.isfile(path))


def sequence_folder(path: str | os.PathLike[str]) -> str:
    """The folder that holds a sequence's images."""
    path = os.fspath(path)
    return path if os.path.isdir(path) else os.path.dirname(path) or "."


def split_pattern(name: str, label: str | None = None) -> tuple[str, int, str]:
    """'frame_%05d.png' -> ('frame_', 5, '.png'): the text before the number, its zero-padded width (0
    for %d) and the text after it; `%%` stands for a %. Anything else after a % is refused (`label`, the
    path the pattern came in, leads the error line)."""
    label = label or repr(name)
    parts: list[str] = []
    width: int | None = None
    text, i = "", 0
    while i < len(name):
        if name[i] != "%":
            text, i = text + name[i], i + 1
            continue
        m = _NUMBER.match(name, i)
        if m is None:
            raise ConfigError(f"{label}: a frame number is written %d or %05d (%% for a %)")
        if m.group(1) == "%":
            text += "%"
        elif width is not None:
            raise ConfigError(f"{label}: holds two frame numbers; give one (%05d)")
        else:
            parts, text, width = [text], "", int(m.group(1)[1:-1] or 0)
        i = m.end()
    if width is None:
        raise ConfigError(f"{label}: holds no frame number (%05d)")
    return parts[0], width, text


def natural_key(name: str) -> tuple[Any, ...]:
    """A sort key that takes runs of digits as numbers: frame2 before frame10 (then the name, for a tie
    such as a01 and a1)."""
    pieces = re.split(r"([0-9]+)", name)
    return (*(int(p) if k % 2 else p.casefold() for k, p in enumerate(pieces)), name)


def list_images(path: str | os.PathLike[str]) -> list[str]:
    """The image files of a sequence in frame order (see the module docstring); an empty folder, a file
    that is not an image, a pattern that matches nothing: one `InputError`."""
    path = os.fspath(path)
    folder = sequence_folder(path)
    if not os.path.isdir(folder):
        raise InputError(f"{path}: no such folder {folder}")
    try:
        entries = [e for e in os.scandir(folder) if e.is_file() and not _skipped(e.name)]
    except OSError as e:
        raise InputError(f"{path}: cannot read the folder ({e.strerror or e})") from None
    if os.path.isdir(path):
        names = sorted((e.name for e in entries), key=natural_key)
        others = [n for n in names if not n.lower().endswith(IMAGE_EXT)]
        if others:
            more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
            raise InputError(
                f"{path}: {others[0]}{more} is not an image; a folder INPUT holds only its frames "
                f"({', '.join(IMAGE_EXT)}), or give a pattern such as {os.path.join(path, 'frame_%05d.png')}"
            )
        if not names:
            raise InputError(f"{path}: holds no images ({', '.join(IMAGE_EXT)})")
        return [os.path.join(path, n) for n in names]
    return _matches(path, folder, [e.name for e in entries])


def _skipped(name: str) -> bool:
    return name.startswith(".") or name.lower() in SKIPPED


def _matches(path: str, folder: str, names: list[str]) -> list[str]:
    """The files of `names` the pattern `path` matches, by their numbers."""
    head, width, tail = split_pattern(os.path.basename(path), path)
    if not tail.lower().endswith(IMAGE_EXT):
        raise InputError(f"{path}: not an image pattern; frames are {', '.join(IMAGE_EXT)} files")
    digits = "(0|[1-9][0-9]*)" if width == 0 else f"([0-9]{{{width}}}|[1-9][0-9]{{{width},}})"
    rx = re.compile(re.escape(head) + digits + re.escape(tail))
    found = dict(sorted((int(m.group(1)), n) for n in names if (m := rx.fullmatch(n))))
    if not found:
        raise InputError(f"{path}: no file in {folder} matches the pattern")
    return [
        os.path.join(folder, found.get(k) or numbered(head, width, tail, k))
        for k in pattern_slots(path, found)
    ]


def check_input_fps(value: object, *paths: str | os.PathLike[str] | None) -> Fraction | None:
    """`input_fps` (a number or Fraction: text such as "30000/1001" is read at the doors, by
    `vidiff.timeline.parse_input_fps`) as a Fraction, None if not given; refused when none of `paths` is
    an image sequence (a video file has its own rate: the option would be ignored)."""
    if value is None:
        return None
    rate = check_rate(value, "input_fps")
    given = [os.fspath(p) for p in paths if p is not None]
    if not any(is_sequence(p) for p in given):
        raise ConfigError(
            f"input fps {value}: applies to an image sequence (a folder, or a pattern such as "
            f"frames/%05d.png); {given[0] if given else 'the input'} is a video file, with a rate of its own"
        )
    return rate


def open_input(
    path: str | os.PathLike[str], input_fps: Fraction | float | None = None
) -> VideoFile | ImageSequence | AnimatedWebP:
    """A clip's input opened once: an `ImageSequence` (at `input_fps`) for a folder or a pattern, an
    `AnimatedWebP` for an animated WebP, else a `VideoFile` (where `input_fps` is refused:
    `check_input_fps`)."""
    path = check_path(path, "input")
    if is_sequence(path):
        return ImageSequence(path, input_fps)
    check_input_fps(input_fps, path)
    if not os.path.exists(path) and any(c in os.path.basename(path) for c in "*?["):
        raise InputError(
            f"{path}: no such file; a glob is no image sequence here: give its folder, or a pattern such "
            f"as {os.path.join(os.path.dirname(path) or '.', 'frame_%05d.png')} (ffmpeg's image2 numbering)"
        )
    if is_animated(path):  # FFmpeg reads still WebP only: Pillow reads the animation
        return AnimatedWebP(path)
    return VideoFile(path)


def input_stamp(path: str, rate: Fraction) -> dict[str, Any]:
    """What a resumed run must find unchanged in its input: a video's size and time, an image sequence's
    images (names, bytes, latest time) and its rate."""
    if not is_sequence(path):
        st = os.stat(path)
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    files = [f for f in list_images(path) if os.path.exists(f)]  # (a missing frame's slot has none)
    stats = [os.stat(f) for f in files]
    names = "\n".join(os.path.basename(f) for f in files).encode()
    return {
        "size": sum(s.st_size for s in stats),
        "mtime_ns": max(s.st_mtime_ns for s in stats),
        "images": hashlib.sha256(names).hexdigest(),
        "input_fps": str(rate),
    }


@dataclass(frozen=True)
class _Header:
    """What an image's header says."""

    format: str  # Pillow's name: PNG, JPEG, ...
    size: tuple[int, int]
    mode: str  # Pillow's mode: RGB, RGBA, L, I;16, P, ...
    alpha: bool
    bits: int
    orientation: int = 1  # EXIF's: 1 upright, 2-8 flipped and/or turned (`orient`)

    @property
    def shown(self) -> tuple[int, int]:
        """The size the image is seen at, upright (its EXIF orientation applied)."""
        return self.size[::-1] if self.orientation >= 5 else self.size  # type: ignore[return-value]


class Unreadable(Exception):
    """An image that cannot be read (its reason is the message)."""


def read_header(path: str) -> _Header:
    """The header of an image file (no decoding); `Unreadable` if it is none vidiff reads."""
    from PIL import Image

    try:
        # no_warnings: Pillow's decompression-bomb warning (the size is checked here)
        with no_warnings(), Image.open(path) as im:
            fmt, size, mode = im.format or "", im.size, im.mode
            alpha = "A" in im.getbands() or "transparency" in im.info
            tiff_bits = _tiff_bits(im) if fmt == "TIFF" else None
            orientation = _orientation(im)
    except Image.DecompressionBombError:
        raise Unreadable(f"over the {MAX_SIDE}-pixel limit per side") from None
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds for a file that is no image
        raise Unreadable(str(e).replace(f"'{path}'", "").strip() or type(e).__name__) from None
    if fmt not in DECODERS:
        raise Unreadable(f"a {fmt or 'unknown'} image; frames are {', '.join(DECODERS)}")
    return _Header(fmt, size, mode, alpha, tiff_bits or _bits(path, fmt, mode), orientation)


def _orientation(im: Any) -> int:
    """An image's EXIF orientation (1-8; 1 where it has none or an odd one)."""
    try:
        value = int(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse the picture
        return 1
    return value if 1 <= value <= 8 else 1


def orient(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """An (H, W, 3) image as a viewer shows it, its EXIF `orientation` (1-8) applied: 2 mirrored, 3 turned
    half round, 4 flipped, 5 transposed, 6 turned a quarter clockwise, 7 transversed, 8 a quarter back."""
    if orientation == 2:
        rgb = rgb[:, ::-1]
    elif orientation == 3:
        rgb = rgb[::-1, ::-1]
    elif orientation == 4:
        rgb = rgb[::-1]
    elif orientation == 5:
        rgb = rgb.transpose(1, 0, 2)
    elif orientation == 6:
        rgb = np.rot90(rgb, -1)
    elif orientation == 7:
        rgb = rgb[::-1, ::-1].transpose(1, 0, 2)
    elif orientation == 8:
        rgb = np.rot90(rgb, 1)
    return np.ascontiguousarray(rgb)


def _tiff_bits(im: Any) -> int | None:
    """A TIFF's bits per sample, from its BitsPerSample tag (Pillow opens 16-bit RGB as 8-bit RGB)."""
    try:
        bits = im.tag_v2.get(258)
        return int(max(bits)) if isinstance(bits, tuple) and bits else int(bits) if bits else None
    except (AttributeError, TypeError, ValueError):
        return None


def _bits(path: str, fmt: str, mode: str) -> int:
    """Bits per sample: a PNG's header says (Pillow reads 16-bit RGB as 8-bit RGB), else the mode."""
    if fmt == "PNG":
        try:
            with open(path, "rb") as f:
                head = f.read(25)
            return head[24] if len(head) == 25 else 8
        except OSError:
            return 8
    return 16 if mode.startswith("I;16") else 32 if mode in ("I", "F") else 8


def decode_image(path: str, header: _Header) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB, decoded by FFmpeg (see the module docstring); `Unreadable`
    if it does not decode, or decodes to another size than its header says."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        ctx = av.CodecContext.create(DECODERS[header.format], "r")
        frames = ctx.decode(av.Packet(data))
        if not frames:
            frames = ctx.decode(None)
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise Unreadable(_reason(e)) from None
    if not frames:
        raise Unreadable("no picture decoded")
    frame = frames[0]
    if (frame.width, frame.height) != header.size:
        raise Unreadable(f"decodes at {frame.width}x{frame.height}, its header says {_size(header.size)}")
    try:
        rgb = to_rgb(frame)
    except ValueError as e:
        raise Unreadable(f"pixel format {frame.format.name}: {e}") from None
    return orient(rgb, header.orientation) if header.orientation != 1 else rgb


def to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A decoded image as 8-bit RGB: more than 8 bits a sample (RGB or grey) rounded to 8 (a YUV image by
    `frame_to_rgb`, as every other), alpha dropped, grey and palette expanded."""
    deep = max(c.bits for c in frame.format.components) > 8
    if deep and not frame.format.name.startswith("yuv"):
        wide = frame.to_ndarray(format="rgb48le").astype(np.uint32)
        return ((wide + 128) // 257).astype(np.uint8)  # round(x * 255 / 65535), exactly
    return np.ascontiguousarray(frame_to_rgb(frame))


def _reason(e: BaseException) -> str:
    return (getattr(e, "strerror", None) or str(e)).strip() or type(e).__name__


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


_NOTED: set[tuple[str, str]] = set()  # (what, sequence) this process has noted: once per input


def _first_note(what: str, path: str) -> bool:
    """True the first time this process notes `what` about sequence `path`."""
    seen = (what, path) in _NOTED
    _NOTED.add((what, path))
    return not seen


class ImageSequence:
    """An image sequence opened once (its files listed and their headers checked: `info`, a `VideoInfo`
    at `input_fps`, a number or Fraction), and every pass over its frames (`frames()`); `VideoReader` takes
    it where it takes a `VideoFile`. Use as a context manager (it holds no open file), or `close()`."""

    @checked_call
    def __init__(self, path: str | os.PathLike[str], input_fps: Fraction | float | None = None) -> None:
        self.path = check_path(path, "input")
        self.fps = DEFAULT_INPUT_FPS if input_fps is None else check_rate(input_fps, "input_fps")
        self.files = list_images(self.path)
        self.headers: dict[int, _Header] = {}
        self.unreadable: dict[int, str] = {}  # position -> why its header is unreadable
        for pos, f in enumerate(self.files):
            if not os.path.exists(f):  # a pattern's missing number (`pattern_slots`)
                self.unreadable[pos] = MISSING
                continue
            try:
                self.headers[pos] = read_header(f)
            except Unreadable as e:
                self.unreadable[pos] = str(e)
        self.info = self._describe()
        self.filling = False  # `fill_slots`
        self.filled: set[int] = set()

    def _describe(self) -> VideoInfo:
        """`probe`'s facts from the headers; one `InputError` for what cannot be a clip."""
        heads = self.headers
        n, total = len(heads), len(self.files)
        if total == 1:
            raise InputError(f"{self.path}: holds a single image; a clip needs at least {MIN_FRAMES} frames")
        if self.unreadable and strict_input():
            raise InputError(
                f"{self.path}: damaged: {self._lost(self.unreadable)} (refused: strict input, --strict or strict=True)"
            )
        if n < MIN_FRAMES:
            raise InputError(
                f"{self.path}: damaged: {self._lost(self.unreadable)}; at least {MIN_FRAMES} must"
            )
        self._check_sizes()
        first = heads[min(heads)]
        width, height = first.shown
        if max(width, height) > MAX_SIDE:
            raise InputError(
                f"{self.path}: frame size {width}x{height} is over the {MAX_SIDE}-pixel limit per side"
            )
        if any(h.alpha for h in heads.values()) and _first_note("alpha", self.path):
            print(
                f"note: {self.path}: the images' alpha channel is dropped (frames are RGB)", file=sys.stderr
            )
        deep = max(h.bits for h in heads.values())
        if deep > 8 and _first_note("bits", self.path):
            print(
                f"note: {self.path}: {deep}-bit images are read as 8-bit RGB (vidiff's frames are 8-bit; "
                "the output holds 8 bits a sample)",
                file=sys.stderr,
            )
        if os.path.isdir(self.path) and _first_note("gaps", self.path):
            note_folder_gaps(self.path, [os.path.basename(f) for f in self.files])
        span = max(heads) - min(heads) + 1
        codecs = sorted({DECODERS[h.format] for h in heads.values()})
        return VideoInfo(
            path=self.path,
            container=CONTAINER,
            codec=", ".join(codecs),
            width=width,
            height=height,
            fps=self.fps,
            is_vfr=False,
            n_frames=n,
            duration=float(span / self.fps),
            start_time=0.0,
            rotation=0,
            pix_fmt=_pix_fmt(first),
            bit_depth=max(h.bits for h in heads.values()),
            header_frames=total,
            damage=self._lost(self.unreadable) if self.unreadable else None,
        )

    def _check_sizes(self) -> None:
        """One frame size for every image, or one line naming the sizes found."""
        by_size: dict[tuple[int, int], list[int]] = {}
        for pos, h in self.headers.items():
            by_size.setdefault(h.shown, []).append(pos)
        if len(by_size) < 2:
            return
        sizes = sorted(by_size.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))
        told = ", ".join(
            f"{_size(s)} ({os.path.basename(self.files[ps[0]])}"
            + (f" and {len(ps) - 1} more)" if len(ps) > 1 else ")")
            for s, ps in sizes[:3]
        )
        raise InputError(f"{self.path}: the images differ in size: {told}; a clip has one frame size")

    def _lost(self, failed: dict[int, str]) -> str:
        """'2 of 40 frames are missing (frame_0003.png, frame_0007.png), 1 image cannot be read (a.png: why)'
        (either part alone: '2 of 40 images cannot be read (a.png: why; b.png)')."""
        gone = sorted(p for p, why in failed.items() if why == MISSING)
        bad = sorted(p for p in failed if p not in gone)
        names = [os.path.basename(self.files[p]) for p in gone]
        parts = []
        if gone:
            listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            parts.append(
                f"{len(gone)} of {len(self.files)} frames are missing, no file numbered so ({listed})"
            )
        if bad:
            names = [os.path.basename(self.files[p]) for p in bad]
            why = f"{names[0]}: {failed[bad[0]]}"
            rest = ", ".join(names[1:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            of = "" if gone else f" of {len(self.files)}"
            verb = "image cannot" if gone and len(bad) == 1 else "images cannot"
            parts.append(f"{len(bad)}{of} {verb} be read ({why}{'; ' + rest if rest else ''})")
        return ", ".join(parts) if parts else f"0 of {len(self.files)} images cannot be read"

    def fill_slots(self) -> None:
        """From now on `frames()` yields every slot from the first image that reads to the last that has
        a header: a lost one (missing, or unreadable) as a repeat of the frame before it, its index (slots
        from the first frame) put in `filled`, for a caller that rebuilds it in place (`infill`)."""
        self.filling, self.filled = True, set()

    @property
    def slots(self) -> int:
        """The slots from the first image with a header to the last (what `fill_slots` yields, about: an
        image whose header reads but not its data, at the start, is not one)."""
        return max(self.headers) - min(self.headers) + 1 if self.headers else 0

    def frames(self) -> Iterator[tuple[Fraction, np.ndarray]]:
        """(time in seconds from the first frame, RGB image) of every image that reads, in order; an image
        that does not is left out, its slot kept (or filled: `fill_slots`); once all are read, the
        damaged-input policy (module docstring)."""
        strict = strict_input()
        failed = dict(self.unreadable)
        first: int | None = None
        last = max(self.headers, default=-1)
        previous: np.ndarray | None = None
        n = 0
        for pos, path in enumerate(self.files):
            image = None
            if pos not in failed:
                try:
                    image = decode_image(path, self.headers[pos])
                except Unreadable as e:
                    if strict:
                        raise InputError(
                            f"{path}: damaged: cannot be read ({e}) (refused: strict input, --strict or strict=True)"
                        ) from None
                    failed[pos] = str(e)
            if image is None:
                if self.filling and first is not None and previous is not None and pos <= last:
                    self.filled.add(pos - first)
                    yield Fraction(pos - first) / self.fps, previous
                continue
            first = pos if first is None else first
            yield Fraction(pos - first) / self.fps, image
            previous = image
            n += 1
        if n < MIN_FRAMES:
            raise InputError(f"{self.path}: damaged: {self._lost(failed)}; at least {MIN_FRAMES} must")
        if failed:
            warn_damage(self.path, f"{self._lost(failed)}; using {n}")

    def close(self) -> None:
        """Nothing to release: each image is opened only while it is read."""

    def __enter__(self) -> ImageSequence:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pix_fmt(h: _Header) -> str:
    """A pixel-format name for a header (FFmpeg's where one fits)."""
    if h.bits == 16 and h.mode in ("RGB", "RGBA"):
        return "rgb48" if h.mode == "RGB" else "rgba64"
    return "gray16" if h.mode.startswith("I;16") else _MODES.get(h.mode, h.mode.lower())


def frames_at(
    path: str, wanted: dict[int, tuple[Fraction, int]], rate: Fraction
) -> Iterator[tuple[int, np.ndarray]]:
    """(index, RGB image) of the frames at `wanted` (index -> (time, CRC-32) from the planning pass), in
    index order: a parallel worker reads only the images its job needs (`vidiff.runner.seek`). A frame's
    time is its slot after the first image that reads; an image that has changed since is one error."""
    files = list_images(path)
    first = _first_readable(files)
    for idx in sorted(wanted):
        time, check = wanted[idx]
        pos = first + int(time * rate)
        try:
            image = decode_image(files[pos], read_header(files[pos]))
        except (Unreadable, IndexError):
            image = None
        if image is None or zlib.crc32(np.ascontiguousarray(image).data) != check:
            raise InputError(f"{path}: the images changed while the run read them; run it again")
        yield idx, image


def _first_readable(files: list[str]) -> int:
    """The position of the first image that reads (what `ImageSequence.frames` times from)."""
    for pos, f in enumerate(files):
        try:
            decode_image(f, read_header(f))
            return pos
        except Unreadable:
            continue
    return 0
