"""Streaming video writer (PyAV): libx264 by default, audio copied from a source, atomic output.

The file is written under a temporary name beside the target and renamed only once complete, so a
crash or Ctrl-C never leaves a half-written output behind. Audio streams are copied packet by packet
(no re-encode) when the container accepts their codec, otherwise re-encoded (AAC, or Opus for WebM);
subtitles, tags and chapters are carried over by `vidiff.io.streams`.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction

import av
import cv2
import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError, InputError, OutputError
from vidiff.io.atomic import AtomicOutput
from vidiff.io.audio import AudioTrack
from vidiff.io.color import rgb_to_frame
from vidiff.io.encode import EncodeOptions
from vidiff.io.orient import display_matrix
from vidiff.io.probe import VideoFile, open_container, shown_start, strict_input, video_stream
from vidiff.io.streams import Extras
from vidiff.io.video_ext import DEFAULT_CODEC
from vidiff.validate import WRITER_ARGS, check_args, check_image, check_path, check_rate, check_sar

_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
# audio codecs each container takes as they are (else re-encoded)
_AUDIO_OK = {
    "mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"},
    "mov": {"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s24le"},
    "matroska": None,  # anything
    "webm": {"opus", "vorbis"},
}
# containers whose muxer writes random or volatile bytes unless told to be bitexact: Matroska and WebM draw
# a random segment UID and track UIDs, so the same run twice gave other .mkv bytes (.mp4 and .mov write
# none: reproducible as they are)
_BITEXACT = {"matroska", "webm"}
# audio codecs browsers play from an .mp4 (Chrome, Firefox, Safari); others (AC-3, E-AC-3, DTS, ALAC,
# PCM) are re-encoded to AAC by default (`--audio-codec auto`)
_AUDIO_BROWSER = {"aac", "mp3", "opus", "flac"}


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True if two paths name the same file (also through links), or the same path if b does not exist."""
    a, b = os.fspath(a), os.fspath(b)
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def check_output_path(
    path: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]] = (),
    frames: bool = False,
    gif: bool | None = None,
) -> str:
    """Validate an output path before any work: known extension, writable folder, not an input (nor in an
    image sequence's folder). `frames`: an image-sequence output (a folder, a %05d pattern) is taken too,
    and checked by `vidiff.io.sequence_out.check_frames_output`; `gif` (default: as `frames`): an animated
    GIF is taken too (`vidiff.io.gif_out`)."""
    from vidiff.io.gif_out import check_gif_output, is_gif
    from vidiff.io.sequence_out import OUTPUT_HELP, check_apart, check_frames_output, frames_output

    path = check_path(path, "output")
    if (frames if gif is None else gif) and is_gif(path):
        return check_gif_output(path, inputs)
    if frames and frames_output(path) is not None:
        return check_frames_output(path, inputs)
    ext = os.path.splitext(path)[1].lower()
    if not frames and (path.endswith(("/", os.sep)) or os.path.isdir(path)):
        raise OutputError(f"{path}: is a folder; this writes a video file: name one ({', '.join(_FORMATS)})")
    if ext not in _FORMATS:
        from vidiff.io.image_ext import IMAGE_EXT

        if frames and ext in IMAGE_EXT and "%" in os.path.basename(path):  # %0300d, %s: a pattern misspelt
            from vidiff.io.sequence import split_pattern

            split_pattern(os.path.basename(path), path)
        also = ", .gif" if (frames if gif is None else gif) else ""
        also += f", or {OUTPUT_HELP.replace('%%', '%')}" if frames else ""
        raise OutputError(
            f"{path}: unknown output extension {ext or '(none)'!r}; use one of {', '.join(_FORMATS)}{also}"
        )
    for src in inputs:
        if same_file(src, path):
            raise OutputError(f"{path}: output is the same file as the input; choose another name")
        check_apart(path, src)
    _check_target(path, path)
    return path


def sources(
    inputs: Sequence[str | os.PathLike[str]], audio_from: str | os.PathLike[str] | VideoFile | None
) -> list[str | os.PathLike[str]]:
    """The files an output must not overwrite: `inputs`, and the file its audio is copied from."""
    if audio_from is None:
        return list(inputs)
    return [*inputs, audio_from.path if isinstance(audio_from, VideoFile) else audio_from]


def _check_target(path: str, label: str) -> None:
    """The output's folder exists and is writable, and the output is not a folder, nor a named pipe, device
    or socket (the finished file's rename replaced a FIFO a reader was waiting on; `label` leads the error)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{label}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{label}: folder {folder} is not writable")
    if os.path.isdir(path):
        raise OutputError(f"{label}: is a folder")
    if os.path.exists(path) and not os.path.isfile(path):
        raise OutputError(
            f"{label}: is not a regular file (a named pipe, device or socket), which the output would "
            "replace; choose another name"
        )


def check_png_output(
    path: str | os.PathLike[str], option: str, inputs: Sequence[str | os.PathLike[str]] = ()
) -> str:
    """Validate an image output (`generate --strip`, `metrics --plot`) before any work: a .png name,
    in a folder that exists and is writable, not a folder itself, not one of the inputs. `option` names
    the flag in the error line."""
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ConfigError(f"{option} {path}: images are written as PNG; use a .png name")
    _check_target(path, f"{option} {path}")
    from vidiff.io.sequence_out import check_apart

    for src in inputs:
        if same_file(src, path):
            raise OutputError(f"{option} {path}: is the same file as an input; choose another name")
        check_apart(path, src)  # not inside an image sequence's folder
    return path


class OutputLock:
    """An OS file lock (`fcntl.flock`) on `.NAME.vidiff-lock` beside an output, so that one vidiff at a
    time writes a given output; the lock file is removed on release (and the OS drops the lock of a
    killed process by itself)."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        self.output = os.fspath(output)
        folder, name = os.path.split(os.path.abspath(self.output))
        self.path = os.path.join(folder, f".{name}.vidiff-lock")
        self._fd: int | None = None

    def acquire(self) -> OutputLock:
        """Take the lock, or raise `OutputError` at once if another process holds it."""
        while self._fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise OutputError(f"{self.output}: cannot write ({e.strerror or e})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(
                    f"{self.output}: another vidiff is writing this output right now; "
                    "wait for it to finish or choose another name"
                ) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
            else:  # the holder released and removed it between our open and lock: take the new one
                os.close(fd)
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock (removal first, so no one locks a stale file)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def temp_path_for(path: str) -> str:
    """The temporary name a file is written under before its atomic rename."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, f".{stem}.vidiff-partial{ext}")


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], object]) -> None:
    """`write(tmp)` a file under `temp_path_for(path)`, then rename it to `path`: the file appears only
    whole (an image strip, a plot), and a failed write leaves nothing (`OutputError`, one line)."""
    path = os.fspath(path)
    tmp = temp_path_for(path)
    try:
        if write(tmp) is False or not os.path.isfile(tmp):  # cv2.imwrite says False, raises nothing
            raise OSError("the image could not be written")
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)


class VideoWriter(AtomicOutput):
    """Encode RGB uint8 frames at a constant frame rate into `path`, atomically.

    Use as a context manager; frames go in with `write(image)`. `audio_from` copies the audio of a
    source file (a path, or an open `VideoFile` that nothing else reads meanwhile); `audio` encodes an
    `AudioTrack` (e.g. music for a generated clip) instead; `audio_codec` is `--audio-codec`
    (`audio_action`); `audio_checked` says `audio_from` came through `check_audio` already. `write` takes
    `width` x `height` frames; the encoder gets them at `coded_size` (an odd side that the pixel format's
    chroma halves padded to even, `EncodeOptions.coded_size`), and `write_frame` takes frames of that size.
    `extras` (`vidiff.io.streams.Extras`) carries a source's subtitles, tags and chapters over.
    """

    @checked_call
    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: Fraction,
        codec: str = DEFAULT_CODEC,
        crf: int | None = 18,
        preset: str | None = None,
        pix_fmt: str = "yuv420p",
        audio_from: str | os.PathLike[str] | VideoFile | None = None,
        rotation: int = 0,
        color: dict | None = None,
        inputs: Sequence[str | os.PathLike[str]] = (),
        faststart: bool = True,
        profile: str | None = None,
        audio: AudioTrack | None = None,
        lock: bool = True,
        audio_codec: str = "auto",
        audio_checked: bool = False,
        extras: Extras | None = None,
        sar: Fraction | str | None = None,
        flip: bool = False,
    ):
        check_args(WRITER_ARGS, locals())  # every argument, before the output is touched
        self.path = check_output_path(path, sources(inputs, audio_from))
        opts = EncodeOptions(codec, crf, preset, pix_fmt).for_output(self.path)
        opts.check_container(self.path)
        self._lock = OutputLock(self.path).acquire() if lock else None
        self.encoder = opts.encoder
        self.format = _FORMATS[os.path.splitext(self.path)[1].lower()]
        self.width, self.height, self.fps = width, height, check_rate(fps)  # 29.97: 2997/100
        self.coded_size = opts.coded_size(width, height)  # what the encoder takes (odd sides padded)
        self.tmp = temp_path_for(self.path)
        self.n_frames = 0
        self._closed, self._pid = False, os.getpid()
        self._extras = None
        options = _encoder_options(self.encoder, crf, preset)
        if profile:
            options["profile"] = profile
        container_options = {"movflags": "+faststart"} if faststart and self.format in ("mp4", "mov") else {}
        if self.format in _BITEXACT:
            container_options["fflags"] = "+bitexact"
        try:
            self._out = av.open(self.tmp, mode="w", format=self.format, options=container_options)
        except (av.error.FFmpegError, OSError) as e:
            if self._lock is not None:
                self._lock.release()
            raise OutputError(f"{self.path}: cannot write ({getattr(e, 'strerror', None) or e})") from None
        try:
            self._vs = self._out.add_stream(self.encoder, rate=self.fps)
            (self._vs.width, self._vs.height), self._vs.pix_fmt = self.coded_size, pix_fmt
            self._tb = Fraction(1, 1) / self.fps
            self._vs.codec_context.time_base = self._tb
            self._vs.codec_context.options = options
            self.pix_fmt = pix_fmt
            color = color or {}
            self._color_tags = (int(color.get("colorspace", 2)), int(color.get("color_range", 0)))
            for key, value in color.items():
                if value not in (None, 0 if key == "color_range" else 2):  # unspecified (range: 2 is full)
                    setattr(self._vs.codec_context, key, value)
            if flip:  # a mirror (and its rotation) as the source's display matrix said (`vidiff.io.orient`)
                self._vs.set_display_matrix(display_matrix(rotation, flip=True))
            elif rotation:
                self._vs.set_display_rotation(rotation)
            if sar := check_sar(
                sar, "sar"
            ):  # non-square pixels, shown as the source's were (`vidiff.io.aspect`)
                self._vs.codec_context.sample_aspect_ratio = sar
            if audio_from is not None and audio is not None:
                raise ConfigError("give either audio_from (copy a file's audio) or audio (a track), not both")
            if audio_from and not audio_checked:  # (a caller that tried it already says so: one warning)
                audio_from = check_audio(audio_from, self.format, audio_codec)
            self._audio = (
                _AudioCopier(self._out, audio_from, self.format, audio_codec)
                if audio_from
                else audio.attach(self._out, self.format)
                if audio is not None
                else None
            )
            # the source's A/V offset: its video starts this many frames into the output
            self._pts0 = round(getattr(self._audio, "video_start", 0.0) * self.fps)
            if extras is not None:  # subtitles, tags, chapters: before the header is written
                self._extras = extras.attach(self._out, self._vs, self._pts0 / self.fps)
        except Exception:
            self._abort()
            raise

    # -- writing -------------------------------------------------------------------------
    def write(self, image: np.ndarray) -> None:
        """Append one RGB uint8 frame of the writer's size."""
        if self._closed:
            raise OutputError(f"{self.path}: the writer is closed; write every frame before close()")
        self.write_frame(self.frame(image))

    def frame(self, image: np.ndarray) -> av.VideoFrame:
        """One RGB uint8 frame as the very samples this writer's encoder takes (its pixel format): what a
        second encoder given the same frame encodes too (a segment's frames teed into the output)."""
        check_image(image, "frame", (self.height, self.width, 3))
        return rgb_to_frame(pad_to(image, *self.coded_size), self.pix_fmt, *self._color_tags)

    def write_frame(self, frame: av.VideoFrame) -> None:
        """Append one frame as it is (e.g. a decoded lossless segment's, already in the output's pixel
        format and colour tags, so the encoder gets the very samples `write` would have given it)."""
        if self._closed:
            raise OutputError(f"{self.path}: the writer is closed; write every frame before close()")
        frame.pts = self.n_frames + self._pts0
        frame.pict_type = av.video.frame.PictureType.NONE  # a decoded frame's type would force it (I)
        frame.time_base = self._tb
        try:
            packets = self._vs.encode(frame)
        except av.error.FFmpegError as e:  # e.g. a profile the encoder does not take with this pix_fmt
            self._abort()
            raise OutputError(f"{self.path}: the {self.encoder} encoder refused this output ({e})") from None
        self._mux(packets)
        self.n_frames += 1
        if self._audio:
            self._audio.mux_until(self._out, self.n_frames / self.fps)
        if self._extras:
            self._extras.mux_until(self._out, self.n_frames / self.fps)

    def _mux(self, packets: Sequence[av.Packet]) -> None:
        try:
            self._out.mux(packets)
        except OSError as e:
            raise OutputError(f"{self.path}: write failed ({e.strerror or e})") from None
        except av.error.FFmpegError as e:  # the muxer refuses the stream (vp9 into .mov): was a traceback
            ext = os.path.splitext(self.path)[1]
            raise OutputError(
                f"{self.path}: cannot write {self.encoder} into {ext} ({e.strerror or e})"
            ) from None

    def close(self) -> None:
        """Flush, finish the file and rename it into place."""
        if self._closed:
            return
        try:
            self._mux(self._vs.encode(None))
            if self._audio:
                self._audio.finish(self._out)
            if self._extras:
                self._extras.finish(self._out)
            self._out.close()
        except Exception:
            self._abort()
            raise
        self._closed = True
        try:
            if self.n_frames == 0:
                with contextlib.suppress(FileNotFoundError):  # a muxer may leave no file for no frame
                    os.unlink(self.tmp)
                raise OutputError(f"{self.path}: no frame was produced; nothing written")
            os.replace(self.tmp, self.path)
        finally:
            if self._lock is not None:
                self._lock.release()

    def _abort(self) -> None:
        self._closed = True
        if self._extras:
            self._extras.close()
        with contextlib.suppress(Exception):
            self._out.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)
        if self._lock is not None:
            self._lock.release()

    def __del__(self) -> None:
        """A writer dropped unclosed (no `with`, an error between writes) takes its partial file and lock
        with it, as an error inside `with` does; only in the process that opened it (not a forked child)."""
        try:
            if not self._closed and hasattr(self, "_out") and os.getpid() == self._pid:
                self._abort()
        except Exception:  # at interpreter exit the modules it needs may be gone
            pass


def pad_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """`image` grown to `width` x `height` by repeating its last column and row (as Flowframes pads an odd
    size for 4:2:0), or `image` itself where it has that size."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    return cv2.copyMakeBorder(image, 0, height - h, 0, width - w, cv2.BORDER_REPLICATE)


# libx264's MB-tree is off: in the libx264 PyAV ships (core 165), MB-tree's QP offsets read a stack value
# its lookahead never wrote (valgrind: made by a stack allocation of the lowres macroblock cost, used as a
# log2 table index in macroblock_tree_finish), so the same frames were now and then encoded to other
# bytes, depending on what the process had run before (1 in 4 to 1 in 6 repeated carphone x2 upscales;
# 1 in 3 files of a 4-clip folder run: issue 15's byte-identical --workers promise broken). Without
# MB-tree the encode is a function of its frames (valgrind clean; 40 of 40 files identical). Its cost at
# crf 18 medium (benchmarks/mbtree.py): +3.7 % bytes and -0.52 dB on carphone, +18.4 % and -0.02 dB on bikes.
# The CRF rate control is the encoder's own (no constant quantizer, no forced key frames): resumable
# segments are lossless intermediates encoded once, as one stream, at the join (vidiff/io/segments.py).
X264_PARAMS = "mbtree=0"


def _encoder_options(encoder: str, crf: int | None, preset: str | None) -> dict[str, str]:
    opts: dict[str, str] = {}
    if encoder in ("libx264", "libx265"):  # the values were checked by EncodeOptions
        opts["preset"] = preset or "medium"
        if crf == 0 and encoder == "libx264":  # lossless (crf 0 is not, at 10 bits)
            opts["qp"] = "0"
        elif crf is not None:
            opts["crf"] = str(crf)
        if encoder == "libx264":
            opts["x264-params"] = X264_PARAMS
        if encoder == "libx265":
            opts["x265-params"] = "log-level=error"
    elif encoder == "libvpx-vp9":
        opts["deadline"] = "good"
        opts["cpu-used"] = preset if preset and preset.isdigit() else "4"
        opts["row-mt"] = "1"
        if crf is not None:
            opts["crf"], opts["b"] = str(crf), "0"
    elif encoder == "libsvtav1":
        opts["preset"] = preset if preset and preset.isdigit() else "8"
        if crf == 0 and encoder == "libx264":  # lossless (crf 0 is not, at 10 bits)
            opts["qp"] = "0"
        elif crf is not None:
            opts["crf"] = str(crf)
    return opts


def audio_action(codec: str, fmt: str, choice: str = "auto") -> str:
    """How an audio stream of `codec` goes into a `fmt` container: "copy", or the encoder to re-encode
    with ("aac"; "libopus" for WebM). `choice` is `--audio-codec`: auto (copy what the container holds
    and, for .mp4, what browsers play; AC-3, E-AC-3, DTS, PCM... become AAC), copy, or aac."""
    encoder = "libopus" if fmt == "webm" else "aac"
    ok = _AUDIO_OK[fmt]
    holds = ok is None or codec in ok
    if choice == "aac":
        return encoder
    if choice == "copy":
        if not holds:
            raise ConfigError(
                f"audio codec copy: a {fmt} file cannot hold {codec} audio; use audio codec auto or aac"
            )
        return "copy"
    plays = codec in _AUDIO_BROWSER if fmt == "mp4" else holds
    return "copy" if plays else encoder


# FFmpeg's default layout for a channel count (av_channel_layout_default), for a source whose layout is
# only a count ("2 channels": PCM in .avi, .mkv, .wav), which the AAC and Opus encoders refuse
_DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 8: "7.1"}


def encodable_layout(layout: av.AudioLayout | None) -> str:
    """The layout a re-encode of a source of `layout` is written in: the same one where it names its
    channels, else the default one of as many channels (stereo where there is none)."""
    if layout is None or not layout.nb_channels:
        return "stereo"
    if layout.name != f"{layout.nb_channels} channels":
        return layout.name
    return _DEFAULT_LAYOUTS.get(layout.nb_channels, "stereo")


def check_audio(
    src: str | os.PathLike[str] | VideoFile, fmt: str, codec: str = "auto"
) -> str | os.PathLike[str] | VideoFile | None:
    """Try the source's audio the way the run will write it (a trial mux of its copied packets, and of
    the first second of a re-encode, into an in-memory `fmt` file), before any work: `src` back when it
    goes in whole; with packets left out (missing or backward timestamps) one warning line with the
    counts; None (no audio, one warning) when it cannot be written at all. With `--strict` a damaged audio track is refused (`InputError`)."""
    path = src.path if isinstance(src, VideoFile) else os.fspath(src)
    try:
        with av.open(io.BytesIO(), "w", format=fmt) as out:
            copier = _AudioCopier(out, src, fmt, codec, trial=True)
            try:
                copier.finish(out)
            finally:
                copier.close()
    except av.error.FFmpegError as e:
        _audio_damage(path, f"its audio cannot be written into a {fmt} file ({e}); the output has no audio")
        return None
    if copier.dropped:
        _audio_damage(
            path,
            f"audio: {copier.dropped} of {copier.packets} packets have missing or backward timestamps; "
            "left out",
        )
    return src


def _audio_damage(path: str, message: str) -> None:
    if strict_input():
        raise InputError(f"{path}: {message.split(';')[0]} (--strict)")
    print(f"warning: {path}: {message}", file=sys.stderr, flush=True)


class _AudioCopier:
    """Copies (or re-encodes) the audio streams of a source file into an output container, interleaved.

    The source's A/V offset is kept: the video's first frame is the output's time `video_start` (0 unless
    the audio starts before the video) and every audio packet keeps its distance to it. Packets whose
    timestamps are missing or go back (a damaged file) are left out (`dropped`), so the muxer never
    refuses them at the end of a run."""

    def __init__(
        self,
        out: av.container.OutputContainer,
        src: str | os.PathLike[str] | VideoFile,
        fmt: str,
        codec: str = "auto",
        trial: bool = False,
    ):
        # an open VideoFile is read in one more pass (no reader may be on it); a path is opened here
        self._file = src if isinstance(src, VideoFile) else None
        self._in = self._file.start_pass() if self._file else open_container(src)
        self._trial = trial
        vs = video_stream(self._in)
        self._t0 = shown_start(self._file.path if self._file else src, vs) if vs is not None else 0.0
        starts = [
            max(0.0, float(s.start_time * s.time_base))  # a negative start is codec priming, not an offset
            for s in self._in.streams.audio
            if s.start_time is not None
        ]
        # the output's time 0 is the earlier of the video's and the audio's starts: the audio is moved
        # by `_base` and the video's first frame lands at `video_start`, so neither goes below 0
        self._base = min([self._t0, *starts])
        self.video_start = self._t0 - self._base
        self._map: dict[int, tuple[av.stream.Stream, object | None]] = {}
        self._last: dict[int, int] = {}  # stream index -> last dts muxed
        self._next: dict[int, int | None] = {}  # re-encoded stream index -> next sample's pts
        self.dropped = self.packets = 0
        for s in self._in.streams.audio:
            action = audio_action(s.codec_context.name, fmt, codec)
            if action == "copy":
                self._map[s.index] = (out.add_stream_from_template(s), None)
            else:  # (a trial opens the encoder on the first second: the run's re-encode cannot fail late)
                rate = 48000 if action == "libopus" else s.codec_context.sample_rate or 48000
                o = out.add_stream(action, rate=rate)
                o.layout = encodable_layout(s.codec_context.layout)
                self._map[s.index] = (
                    o,
                    av.AudioResampler(format=o.format.name, layout=o.layout.name, rate=rate),
                )
                self._next[s.index] = None
        self._packets = self._in.demux(*[self._in.streams[i] for i in self._map]) if self._map else iter(())
        self._pending: av.Packet | None = None
        self._done = not self._map

    def mux_until(self, out: av.container.OutputContainer, t: float) -> None:
        """Mux the source's audio packets up to time t (seconds of the output video from its first frame)."""
        while not self._done:
            pkt = self._pending or next(self._packets, None)
            self._pending = None
            if pkt is None:
                self._done = True
                break
            if pkt.dts is None and pkt.pts is None and not pkt.size:  # the demuxer's flush packet
                continue
            pt = float(pkt.pts * pkt.time_base) - self._t0 if pkt.pts is not None else None
            if pt is not None and pt > t:
                self._pending = pkt
                break
            self._mux_one(out, pkt)

    def _mux_one(self, out: av.container.OutputContainer, pkt: av.Packet) -> None:
        ostream, resampler = self._map[pkt.stream.index]
        i = pkt.stream.index
        self.packets += 1
        if resampler is None:
            last = self._last.get(i)
            if pkt.pts is None or pkt.dts is None or (last is not None and pkt.dts <= last):
                self.dropped += 1  # missing or going back: the muxer would refuse it
                return
            self._last[i] = pkt.dts
            shift = round(self._base / pkt.time_base) if self._base else 0  # keep the A/V offset
            pkt.pts, pkt.dts = pkt.pts - shift, pkt.dts - shift
            pkt.stream = ostream
            out.mux(pkt)
            return
        rate = ostream.codec_context.sample_rate
        if self._trial and (self._next[i] or 0) >= rate:
            return
        for frame in pkt.decode():
            if self._next[i] is None:  # the first samples: at their time in the output
                t = float(frame.pts * frame.time_base) - self._base if frame.pts is not None else 0.0
                self._next[i] = max(0, round(t * rate))
            frame.pts = None
            for rf in resampler.resample(frame):
                rf.pts, rf.time_base = self._next[i], Fraction(1, rate)
                self._next[i] += rf.samples
                out.mux(ostream.encode(rf))

    def finish(self, out: av.container.OutputContainer) -> None:
        """Mux what is left of the audio, flush re-encoders and close the source."""
        try:
            self.mux_until(out, float("inf"))
            for ostream, resampler in self._map.values():
                if resampler is not None:
                    out.mux(ostream.encode(None))
        finally:
            self.close()

    def close(self) -> None:
        """Release the source (idempotent)."""
        if self._in is None:
            return
        if self._file is not None:
            self._file.end_pass()
        else:
            self._in.close()
        self._in = None
