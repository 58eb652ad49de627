"""Image sequences as output: `-o DIR/` (PNG frames DIR/000000.png, 000001.png, ...) or a pattern
(`-o DIR/frame_%05d.png`; `.jpg` for JPEG), written by `upscale`, `infill` and `run`.

The frames are numbered from `FIRST_NUMBER` (0): file k is output frame k, the index vidiff's reports,
`infill --frames` and `metrics` use, and the numbering RIFE's `--png` writes (ffmpeg's image2 writer starts
at 1 unless told `-start_number 0`; its reader finds either). `start_number` (`--start-number`) moves the
first: 1001 as VFX shots count, or the input pattern's first number, so a rebuilt shot keeps its names. They are 8-bit RGB, PNG (lossless) or JPEG
(quality `JPEG_QUALITY`), upright (a rotated video's display rotation applied to the pixels); a sequence
holds no audio, so the input's is left out with one note line. Encoding options (codec, crf, preset, pixel
format, audio codec) do not apply and are refused if given (`frames_encoding`), as the project refuses an
option it would ignore.

The output "appears only complete": the frames go into `.DIR.vidiff-partial/` beside DIR, renamed to DIR
once the last is written. DIR may exist only as an empty folder (a non-empty one is refused: it is
someone's files, and an earlier run's output appears only whole). A resumable run (upscale) keeps its
frames in lossless RGB segments beside DIR first (`vidiff.io.segments`, `PARTS_ENCODE`): so `--workers`
and resume work as for a video, and the images hold exactly what a lossless RGB video of the same run
holds.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np

from vidiff.errors import ConfigError, OutputError
from vidiff.io.atomic import RgbOutput
from vidiff.io.encode import EncodeOptions
from vidiff.io.gif_out import GifFile, GifWriter, check_gif_output, is_gif
from vidiff.io.orient import upright
from vidiff.io.sequence import is_pattern, is_sequence, sequence_folder, split_pattern
from vidiff.io.video_ext import VIDEO_EXT
from vidiff.validate import check_int, check_path

FIRST_NUMBER = 0  # the default first file number (`--start-number`, `start_number=`)
MAX_START_NUMBER = 10**9 - 1  # a frame number of 9 digits at most: every file name stays short
START_NUMBER_HELP = (
    f"number of the first output frame's file, {FIRST_NUMBER} to {MAX_START_NUMBER} (default "
    f"{FIRST_NUMBER}; e.g. 1001, as VFX shots count; ffmpeg's -start_number): image-frames output only"
)
DEFAULT_NAME = "%06d.png"  # a folder's frames: 000000.png ... (more than a million frames widen it)
IMAGE_KINDS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}  # output extension -> what is written
JPEG_QUALITY = 95
PNG_COMPRESSION = 1  # zlib level: OpenCV's default, the fastest (a level changes the size, never a pixel)
# images compressed at once, each on a thread (OpenCV releases the GIL): a 1080p PNG took 0.14 s of CPU
# to write (level 1, on the busy 2-core machine), about what DIS takes to make the frame
# (`vidiff.runner.costs`: 0.08 s at 720p), so one thread would hold a run's join at that pace
WRITE_THREADS = min(4, os.cpu_count() or 1)
# the segments of a resumable frames output: FFV1 in bgr0 gives the RGB back bit-exact
PARTS_ENCODE = EncodeOptions("ffv1", None, None, "bgr0")
OUTPUT_HELP = "DIR/ (PNG frames, from 000000.png) or a pattern such as DIR/frame_%%05d.png (or .jpg)"


@dataclass(frozen=True)
class FrameFolder:
    """An image-sequence output: the folder (it appears only complete) and the file-name pattern in it."""

    folder: str
    name: str
    start: int = FIRST_NUMBER  # the number of output frame 0's file

    @property
    def kind(self) -> str:
        """PNG or JPEG, by the name's extension."""
        return IMAGE_KINDS.get(os.path.splitext(self.name)[1].lower(), "")

    def file(self, k: int, folder: str | None = None) -> str:
        """The path of output frame `k` (in `folder`, default the output's)."""
        return os.path.join(folder or self.folder, self.name % (self.start + k))


def frames_output(path: str | os.PathLike[str]) -> FrameFolder | GifFile | None:
    """The image output `path` names, or None for a video file: a path that ends with a slash or is a
    folder (PNG frames named `DEFAULT_NAME`), one whose file name holds a frame number (%05d), or an
    animated GIF (`vidiff.io.gif_out`: images too, one file)."""
    path = os.fspath(path)
    if is_gif(path):
        return GifFile(path)
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        return FrameFolder(os.path.normpath(path), DEFAULT_NAME)
    if is_pattern(path):
        return FrameFolder(os.path.dirname(path), os.path.basename(path))
    return None


def check_start_number(value: object, output: str | os.PathLike[str] | None = None) -> int:
    """`start_number` (None: `FIRST_NUMBER`) as the number of the first frame's file: a whole number in
    0-`MAX_START_NUMBER`, given only for an image-frames `output` (a video file has no file numbers: the
    option would be ignored); one `ConfigError` line, at every door, before any work."""
    if value is None:
        return FIRST_NUMBER
    number = check_int(value, "start number", 0, MAX_START_NUMBER)
    if output is not None and not isinstance(frames_output(output), FrameFolder):
        what = "an animated GIF, one file" if is_gif(output) else "a video file"
        raise ConfigError(
            f"start number {value}: numbers the files of an image-frames output (DIR/ or DIR/frame_%05d.png); "
            f"{os.fspath(output)} is {what}"
        )
    return number


def output_target(path: str | os.PathLike[str]) -> str:
    """What appears when an output is complete: a video file, or the folder of an image sequence."""
    spec = frames_output(path)
    return os.fspath(path) if spec is None else spec.folder


def check_frames_output(path: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]] = ()) -> str:
    """Validate an image-sequence output before any work: a known image kind and a pattern of one frame
    number, a folder that is new or empty, in a folder that exists and is writable, apart from the inputs."""
    path = check_path(path, "output")
    spec = frames_output(path)
    if isinstance(spec, GifFile):
        return check_gif_output(path, inputs)
    if spec is None:
        raise OutputError(f"{path}: not an image-sequence output; give {OUTPUT_HELP.replace('%%', '%')}")
    check_not_video_named(path)
    split_pattern(spec.name, path)
    if not spec.kind:
        raise OutputError(f"{path}: frames are written as PNG (.png) or JPEG (.jpg); use one of those names")
    if not spec.folder:
        raise OutputError(f"{path}: give the frames a folder of their own, e.g. frames/{spec.name}")
    parent = os.path.dirname(os.path.abspath(spec.folder))
    if not os.path.isdir(parent):
        raise OutputError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: folder {parent} is not writable")
    if os.path.exists(spec.folder) and not os.path.isdir(spec.folder):
        raise OutputError(f"{path}: {spec.folder} is a file; the frames go into a folder")
    if os.path.isdir(spec.folder) and os.listdir(spec.folder):
        raise OutputError(f"{path}: folder {spec.folder} exists and is not empty; give a new or empty folder")
    for src in inputs:
        check_apart(spec.folder, src)
    return path


def check_not_video_named(path: str) -> None:
    """Refuse an existing folder named as a video file (`mkdir o.mp4`, then `-o o.mp4`: PNG frames went into
    it): a name with a video file's extension means a video; a folder of frames named so is written with
    a trailing slash (o.mp4/)."""
    ext = os.path.splitext(path)[1].lower()
    if ext in VIDEO_EXT and os.path.isdir(path) and not path.endswith(("/", os.sep)):
        raise OutputError(
            f"{path}: is a folder, but its name ends in {ext}, a video file's; to write a video, remove "
            f"the folder or name another file; to write PNG frames into it, give {path}{os.sep}"
        )


def check_apart(output: str | os.PathLike[str], src: str | os.PathLike[str]) -> None:
    """An output (file or folder) is neither an input nor inside an image sequence's folder (the input is
    never modified: a file added there would become a frame, or refuse the next run)."""
    out = os.path.realpath(output)
    if not is_sequence(src):
        if os.path.exists(src) and out == os.path.realpath(src):
            raise OutputError(f"{output}: output is the same as the input; choose another name")
        return
    folder = os.path.realpath(sequence_folder(src))
    if out == folder or out.startswith(folder + os.sep):
        raise OutputError(f"{output}: is inside the input's folder {sequence_folder(src)}; write elsewhere")


def frames_encoding(path: str, enc: EncodeOptions) -> EncodeOptions:
    """The encoding of an image-sequence output's lossless segments (`PARTS_ENCODE`); the output's own
    encoding options, which images do not take, are refused when given (other than their defaults).
    `enc` is as given, before `for_output`: a codec named (h264 too) is refused, not taken for `auto`."""
    default = EncodeOptions()
    given = [
        name
        for name, value, usual in (
            ("codec", enc.codec, default.codec),  # unresolved: `auto`, a named h264 is given
            ("crf", enc.crf, default.crf),
            ("preset", enc.preset, default.preset),
            ("pix_fmt", enc.pix_fmt, default.pix_fmt),
            ("audio_codec", enc.audio_codec, default.audio_codec),
        )
        if value != usual
    ]
    if given:
        kind = frames_output(path).kind or "image"  # type: ignore[union-attr]
        how = {
            "PNG": "lossless",
            "JPEG": f"quality {JPEG_QUALITY}",
            "GIF": "a palette of 256 colours a frame",
        }
        raise ConfigError(
            f"{path}: {', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply to image frames "
            f"(written as {kind}, {how.get(kind, 'lossless')}); leave {'it' if len(given) == 1 else 'them'} out"
        )
    return PARTS_ENCODE


def check_frames_size(path: str, width: int, height: int) -> None:
    """Refuse, before any work, a frame size the lossless parts (`PARTS_ENCODE`) cannot hold: FFV1 refuses
    a 1-pixel-wide frame taller than 1 pixel (1x16 fails to open; 16x1 and 1x1 are written), which halfway
    through a run named an internal parts file."""
    if width == 1 and height > 1:
        kind = frames_output(path).kind or "image"  # type: ignore[union-attr]
        raise ConfigError(
            f"{path}: a {width}x{height} clip (1 pixel wide) cannot be written as {kind} frames; write a "
            "video (.mp4, .mkv, .webm: its width is padded to 2), or crop/scale it to at least 2 pixels wide"
        )


def note_no_audio(path: str, audio: bool = True, subtitles: int = 0) -> None:
    """One note line: the input's audio (`audio`) and its `subtitles` streams are not in an image-sequence
    output, nor in a GIF (nothing when it has neither)."""
    left = (["the input's audio"] if audio else []) + (
        [f"its {subtitles} subtitle stream{'s' if subtitles > 1 else ''}"] if subtitles else []
    )
    if not left:
        return
    holds = "a GIF holds" if is_gif(path) else "image frames hold"
    what = " or ".join(w for w, given in (("audio", audio), ("subtitles", subtitles)) if given)
    verb = "are" if len(left) > 1 or subtitles > 1 else "is"
    print(
        f"note: {path}: {holds} no {what}; {' and '.join(left)} {verb} left out",
        file=sys.stderr,
        flush=True,
    )


def frames_writer(
    path: str | os.PathLike[str],
    width: int,
    height: int,
    fps: Fraction,
    rotation: int = 0,
    inputs: Sequence[str | os.PathLike[str]] = (),
    lock: bool = True,
    start_number: int | None = None,
    flip: bool = False,
    sar: Fraction | None = None,
) -> FrameWriter | GifWriter:
    """The writer of an image output (`frames_output`): numbered images (from `start_number`), or one
    animated GIF (which numbers none: `check_start_number` refuses one given)."""
    if is_gif(path):
        check_start_number(start_number, path)
        return GifWriter(
            path, width, height, fps, rotation=rotation, inputs=inputs, lock=lock, flip=flip, sar=sar
        )
    return FrameWriter(
        path, width, height, fps, rotation, inputs, lock=lock, start_number=start_number, flip=flip, sar=sar
    )


class FrameWriter(RgbOutput):
    """Write RGB uint8 frames as numbered images into an image-sequence output, atomically: `VideoWriter`'s
    interface (`write`, `write_frame` for a decoded segment's frames, `n_frames`, `close`, context manager),
    so a resumable run joins its segments into it as into a video.

    `rotation` (the source's display rotation, degrees counter-clockwise) `flip` and `sar` (non-square pixels, `vidiff.io.aspect`) are applied to the pixels: the
    images are upright, as a player shows the video. `lock`: hold `OutputLock` on the output (a resumable
    writer holds it already). `start_number`: the number of the first frame's file (`check_start_number`)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: Fraction,
        rotation: int = 0,
        inputs: Sequence[str | os.PathLike[str]] = (),
        lock: bool = True,
        start_number: int | None = None,
        flip: bool = False,
        sar: Fraction | None = None,
    ) -> None:
        from vidiff.io.writer import OutputLock, temp_path_for

        self.path = check_frames_output(path, inputs)
        start = check_start_number(start_number)
        self.spec: FrameFolder = dataclasses.replace(frames_output(self.path), start=start)  # type: ignore[type-var]
        self.width, self.height, self.fps = width, height, Fraction(fps)
        self.rotation, self.flip, self.sar = (
            rotation,
            flip,
            sar,
        )  # applied to the pixels (`vidiff.io.orient.upright`)
        self.tmp = temp_path_for(self.spec.folder)
        self.n_frames = 0
        self._closed = False
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future] = deque()  # images being written, oldest first
        self._lock = OutputLock(self.spec.folder).acquire() if lock else None
        params = {"PNG": [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]}
        self._params = params.get(self.spec.kind, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        try:
            shutil.rmtree(self.tmp, ignore_errors=True)  # a killed run's partial folder (we hold the lock)
            os.mkdir(self.tmp)
        except OSError as e:
            self._abort()
            raise OutputError(f"{self.path}: cannot write ({e.strerror or e})") from None
        self._pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="vidiff-images")

    def _append(self, rgb: np.ndarray) -> None:
        """Hand frame `n_frames` to a writing thread (at most 2 x `WRITE_THREADS` wait: memory stays flat)."""
        if self._closed or self._pool is None:
            raise OutputError(f"{self.path}: the writer is closed; write every frame before close()")
        shown = upright(rgb, self.rotation, self.flip, self.sar)
        bgr = cv2.cvtColor(np.ascontiguousarray(shown), cv2.COLOR_RGB2BGR)  # a copy: the caller's is free
        self._pending.append(self._pool.submit(self._write_one, self.spec.file(self.n_frames, self.tmp), bgr))
        self.n_frames += 1
        while len(self._pending) > 2 * WRITE_THREADS or (self._pending and self._pending[0].done()):
            self._settle(self._pending.popleft())

    def _write_one(self, name: str, bgr: np.ndarray) -> None:
        try:
            ok = cv2.imwrite(name, bgr, self._params)
        except cv2.error:
            ok = False
        if not ok:
            raise OutputError(
                f"{self.path}: cannot write {os.path.basename(name)} (disk full, or no access?)"
            )

    def _settle(self, done: Future) -> None:
        """Wait for one image; its failure stops the writer (nothing appears)."""
        try:
            done.result()
        except BaseException:
            self._abort()
            raise

    def close(self) -> None:
        """Rename the finished folder into place (an empty folder of the name is replaced)."""
        if self._closed:
            return
        try:
            while self._pending:
                self._settle(self._pending.popleft())
            if self.n_frames == 0:
                raise OutputError(f"{self.path}: no frame was produced; nothing written")
            folder = self.spec.folder
            if os.path.isdir(folder):
                if os.listdir(folder):
                    raise OutputError(f"{self.path}: folder {folder} is no longer empty; frames not written")
                os.rmdir(folder)
            os.replace(self.tmp, folder)
        except BaseException:
            self._abort()
            raise
        self._closed = True
        self._release()

    def _abort(self) -> None:
        self._closed = True
        self._release()  # the threads first: none writes into the folder once it is removed
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _release(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
