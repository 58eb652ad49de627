"""What an output keeps of its source, the same bytes however it is made; Matroska the same bytes twice.

The inputs are made here with PyAV: 36 small frames at 24 fps (1.5 s) with 1 s of AAC and, for the
subtitle tests, a text subtitle track (mov_text in .mp4, SubRip or ASS in .mkv), a title and a comment,
language tags and two chapters.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import sha256, write_clip

from vidiff.cli import main
from vidiff.io.probe import probe
from vidiff.io.streams import stream_tags
from vidiff.runner.infill import infill_file
from vidiff.runner.upscale import upscale_file

FAST = {"method": "blend", "preset": "ultrafast", "progress": False, "workers": 1}


def _tiny(path: Path, n: int = 12) -> Path:
    """`n` grey 64x48 frames at 24 fps, each lighter than the last (H.264, lossless)."""
    return write_clip(path, [np.full((48, 64, 3), 10 * k, np.uint8) for k in range(n)], Fraction(24))


@pytest.mark.parametrize("ext", [".mkv", ".webm"])
def test_matroska_output_is_the_same_bytes_twice(tmp_path, ext):
    """Matroska and WebM drew a random segment UID and track UIDs for every file: the same run twice gave
    other bytes (an .mp4 did not). The muxer is told to be bitexact."""
    src = _tiny(tmp_path / "in.mp4")
    codec = {"codec": "vp9", "preset": "8"} if ext == ".webm" else {}
    outs = [tmp_path / f"{name}{ext}" for name in "ab"]
    for out in outs:
        upscale_file(src, out, factor=2, **{**FAST, **codec})
    assert sha256(outs[0]) == sha256(outs[1])


N, FPS = 36, Fraction(24)  # 1.5 s
CUES = [(100, 400, "Hello there"), (500, 900, "Second line"), (1200, 1450, "Last one")]  # ms
TAGS = {"title": "Episode 1", "comment": "made in a test"}
CHAPTERS = [(0, 500, "Intro"), (500, 1500, "Main")]  # ms
MS = Fraction(1, 1000)
# text subtitle encoders take their cues as ASS events, so they need an ASS header to open
ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, "
    b"PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, "
    b"ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, "
    b"Encoding\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)


def _with_audio(path: Path, subtitles: str | None = None) -> Path:
    """N frames of a moving bar (H.264, lossless) and 1 s of AAC, as PyAV (FFmpeg) muxes them: in .mkv and
    .mp4 the AAC's first packet, its priming, is stamped before 0. With a `subtitles` codec, also `CUES` in
    a subtitle track of it (English, titled), `TAGS`, `CHAPTERS`, and the video and audio in French and
    German."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.options = {"qp": "0", "preset": "ultrafast"}
        a = c.add_stream("aac", rate=8000)
        a.layout = "mono"
        if subtitles:
            s = _add_extras(c, v, a, subtitles)
        for i in range(N):
            im = np.full((48, 64, 3), 40, np.uint8)
            im[16:32, i : i + 16] = (230, 80, 30)
            f = av.VideoFrame.from_ndarray(im, format="rgb24")
            f.pts, f.time_base = i, 1 / FPS
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        tone = (0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32)
        for k in range(0, len(tone), 1024):
            af = av.AudioFrame.from_ndarray(tone[None, k : k + 1024], format="fltp", layout="mono")
            af.sample_rate, af.pts = 8000, k
            c.mux(a.encode(af))
        c.mux(a.encode(None))
        if subtitles:
            mux_cues(c, s, CUES)
    return path


def mux_cues(c: av.container.OutputContainer, s: av.stream.Stream, cues: list[tuple[int, int, str]]) -> None:
    """Each (start ms, end ms, text) of `cues` encoded by subtitle stream `s` and muxed into `c`."""
    for t0, t1, text in cues:
        cue = av.subtitles.subtitle.SubtitleSet.create(f"0,0,Default,,0,0,0,,{text}".encode(), 0, t1 - t0)
        p = s.codec_context.encode_subtitle(cue)
        p.stream, p.time_base = s, MS
        p.pts, p.dts, p.duration = t0, t0, t1 - t0
        c.mux(p)


def _add_extras(
    c: av.container.OutputContainer, v: av.stream.Stream, a: av.stream.Stream, codec: str
) -> av.stream.Stream:
    """`TAGS`, `CHAPTERS`, languages, and a subtitle stream of `codec` (returned) in `c`."""
    c.metadata.update(TAGS)
    v.metadata["language"], a.metadata["language"] = "fra", "ger"
    s = c.add_stream(codec)
    s.codec_context.time_base, s.codec_context.subtitle_header = MS, ASS_HEADER
    s.metadata.update({"language": "eng", "title": "English"})
    c.set_chapters(
        [
            {"id": i + 1, "start": t0, "end": t1, "time_base": MS, "metadata": {"title": name}}
            for i, (t0, t1, name) in enumerate(CHAPTERS)
        ]
    )
    return s


def _audio_packets(path: Path) -> list[tuple[int, bytes]]:
    with av.open(str(path)) as c:
        return [(p.pts, bytes(p)) for p in c.demux(c.streams.audio[0]) if p.size]


@pytest.mark.parametrize("ext", [".mkv", ".mp4"])
def test_workers_give_the_same_audio_as_one_process(tmp_path, ext):
    """A parallel run's join read the audio from the input opened for the run, whose pass starts with a seek
    to 0, and that seek drops the AAC priming packet stamped before 0: `--workers 2` gave a file one audio
    packet short of `--workers 1`'s. Every join now reads the audio through its own open."""
    src = _with_audio(tmp_path / f"in{ext}")
    assert _audio_packets(src)[0][0] < 0  # the priming packet
    one, two = tmp_path / f"one{ext}", tmp_path / f"two{ext}"
    r1 = upscale_file(src, one, factor=8, **FAST)
    r2 = upscale_file(src, two, factor=8, **{**FAST, "workers": 2})
    assert (r1["workers"], r2["workers"]) == (1, 2)
    assert [b for _, b in _audio_packets(two)] == [b for _, b in _audio_packets(src)]
    assert sha256(one) == sha256(two)


# -- subtitles, tags and chapters ------------------------------------------------------------------------
def _cues(path: Path, scale: Fraction = Fraction(1)) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text) of each cue of the first subtitle stream, decoded; times over `scale`."""
    out = []
    with av.open(str(path)) as c:
        for p in c.demux(c.streams.subtitles[0]):
            for sub in p.decode() if p.size else []:
                start, length = (round(x * p.time_base * 1000 / scale) for x in (p.pts, p.duration))
                out.append((start, start + length, sub.ass.decode().split(",", 8)[-1]))
    return out


def _extras(path: Path, scale: Fraction = Fraction(1)) -> dict:
    """What `path` holds besides frames and sound: tags, languages, subtitles, chapters (ms / `scale`)."""
    with av.open(str(path)) as c:
        return {
            "tags": {k.lower(): v for k, v in c.metadata.items() if k.lower() in TAGS},
            "video": c.streams.video[0].metadata.get("language"),
            "audio": [s.metadata.get("language") for s in c.streams.audio],
            "subtitles": [
                (s.codec_context.codec.canonical_name, *stream_tags(s).values()) for s in c.streams.subtitles
            ],
            "chapters": [
                (
                    *(round(ch[k] * ch["time_base"] * 1000 / scale) for k in ("start", "end")),
                    ch["metadata"]["title"],
                )
                for ch in c.chapters()
            ],
        }


KEPT = {"tags": TAGS, "video": "fra", "audio": ["ger"], "chapters": CHAPTERS}
ARGS = ["--method", "blend", "--workers", "1", "--quiet"]


@pytest.mark.parametrize(("ext", "codec"), [(".mp4", "mov_text"), (".mkv", "subrip"), (".mkv", "ass")])
def test_upscale_keeps_subtitles_tags_and_chapters(tmp_path, capsys, ext, codec):
    """A movie episode raised to 48 fps kept its frames and audio but lost its subtitles, its title and
    language tags and its chapters. The subtitle packets are copied at their times, the tags and chapters
    kept; `vidiff probe` lists the subtitles and chapters."""
    src = _with_audio(tmp_path / f"in{ext}", codec)
    assert _cues(src) == CUES
    out = tmp_path / f"out{ext}"
    assert main(["upscale", str(src), "-o", str(out), "--fps", "48", *ARGS]) == 0
    assert capsys.readouterr().err == ""
    assert probe(out).n_frames == 2 * N
    assert _cues(out) == CUES
    assert _extras(out) == {**KEPT, "subtitles": [(codec, "eng", "English")]}

    assert main(["probe", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"  subs   #2 {codec} (eng)" in lines
    assert "  chapters 2: 0.000 s Intro, 0.500 s Main" in lines


def test_slow_motion_and_infill_move_the_subtitles_with_the_pictures(tmp_path):
    """Slow motion stretches the timeline by 1 / speed: the cues and chapters with it. Infill keeps it."""
    src = _with_audio(tmp_path / "in.mkv", "subrip")
    slow = tmp_path / "slow.mkv"
    upscale_file(src, slow, factor=2, speed=0.5, audio_mode="slow", **FAST)
    assert _cues(slow, Fraction(2)) == CUES
    assert _extras(slow, Fraction(2)) == {**KEPT, "subtitles": [("subrip", "eng", "English")]}
    fixed = tmp_path / "fixed.mkv"
    infill_file(src, fixed, frames="5,20", method="blend", preset="ultrafast", progress=False)
    assert _cues(fixed) == CUES
    assert _extras(fixed) == {**KEPT, "subtitles": [("subrip", "eng", "English")]}


def test_subtitles_a_container_cannot_hold_are_left_out_with_one_note(tmp_path, capsys, monkeypatch):
    """A .webm holds only WebVTT subtitles, an .mp4 only mov_text: a stream that cannot be converted either
    (pictures, as DVD or PGS subtitles: here SubRip, its conversion turned off; tests/test_streams2.py
    converts it) is left out with one note line naming the container that keeps it (never an error); the
    tags and chapters are kept."""
    import vidiff.io.streams as streams

    monkeypatch.setattr(streams, "text_codec", lambda fmt, s: None)
    src = _with_audio(tmp_path / "in.mkv", "subrip")
    for ext, codec in ((".webm", ["--codec", "vp9", "--preset", "8"]), (".mp4", [])):
        out = tmp_path / f"out{ext}"
        assert main(["upscale", str(src), "-o", str(out), "--factor", "2", *codec, *ARGS]) == 0
        err = capsys.readouterr().err
        note = (
            f"note: {src}: subtitle stream #2 (subrip) cannot go into a {ext} file; left out (.mkv keeps it)"
        )
        assert err == note + "\n"
        assert _extras(out) == {**KEPT, "subtitles": []}


def test_workers_and_resume_give_the_same_file_with_its_subtitles(tmp_path):
    """The subtitles, tags and chapters go in where the segments are joined into one encode, so two worker
    processes, and a run stopped with Ctrl-C then resumed, still give the bytes of one uninterrupted run."""
    src = _with_audio(tmp_path / "in.mkv", "subrip")
    ref, par, resumed = (tmp_path / f"{name}.mkv" for name in ("ref", "par", "resumed"))
    assert upscale_file(src, ref, factor=8, **FAST)["workers"] == 1
    assert upscale_file(src, par, factor=8, **{**FAST, "workers": 2})["workers"] == 2
    with pytest.raises(KeyboardInterrupt):
        upscale_file(src, resumed, factor=8, transform=_Interrupt(200), **FAST)
    assert not resumed.exists() and (tmp_path / ".resumed.mkv.vidiff-parts").is_dir()
    assert upscale_file(src, resumed, factor=8, transform=_Interrupt(None), **FAST)["resumed_frames"] >= 120
    assert sha256(ref) == sha256(par) == sha256(resumed)
    assert _cues(ref) == CUES and _extras(ref) == {**KEPT, "subtitles": [("subrip", "eng", "English")]}


class _Interrupt:
    """An identity transform that raises KeyboardInterrupt (Ctrl-C) at output frame `at`."""

    def __init__(self, at: int | None) -> None:
        self.at, self.calls = at, -1  # (its first call is the size check's, on a blank frame)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        self.calls += 1
        if self.calls - 1 == self.at:
            raise KeyboardInterrupt
        return image
