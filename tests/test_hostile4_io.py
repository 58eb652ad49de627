"""Files at the io doors (hostile pass): music (a folder, an unreadable file), VideoWriter's container,
colour tags and a NumPy float32 rate, each one line, never a traceback or a partial file."""

from fractions import Fraction

import numpy as np
import pytest

from vidiff.errors import ConfigError, InputError, OutputError
from vidiff.io.audio import AudioTrack
from vidiff.io.slow_audio import SlowedAudio
from vidiff.validate import check_rate


def test_a_folder_as_music_is_named_a_folder(tmp_path):
    # was "not a regular file (a device, pipe or socket)"
    with pytest.raises(InputError, match="is a folder; give an audio file"):
        AudioTrack.from_file(tmp_path, duration=0.1)


@pytest.mark.parametrize(
    "read", [lambda p: AudioTrack.from_file(p, duration=0.1), lambda p: SlowedAudio(p, 0.5)]
)
def test_an_unreadable_audio_file_is_one_plain_line(tmp_path, read):
    bad = tmp_path / "music.m4a"
    bad.write_text("not audio\n")
    with pytest.raises(InputError) as e:
        read(bad)
    assert str(e.value) == f"{bad}: not a readable audio file (Invalid data found when processing input)"


def _write(path, n=3, **kw):
    from vidiff import VideoWriter

    with VideoWriter(path, 32, 24, 10, **kw) as w:
        for _ in range(n):
            w.write(np.zeros((24, 32, 3), np.uint8))


@pytest.mark.parametrize("name", ["v.mov", "V.MOV"])
def test_a_codec_the_container_refuses_is_one_line_and_no_file(tmp_path, name):
    # vp9 into .mov: the muxer's header failed as av.error.ArgumentError, a traceback
    with pytest.raises(OutputError, match=r"cannot write libvpx-vp9 into \.(mov|MOV) \(Invalid argument\)"):
        _write(tmp_path / name, codec="vp9")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "color, match",
    [
        ({"a": 1}, "color key 'a'"),
        ({"colorspace": "x"}, "color colorspace 'x'"),
        ({"color_range": None}, "None"),
    ],
)
def test_a_bad_colour_dict_is_a_config_error(tmp_path, color, match):
    # an unknown key was set on the encoder: AttributeError; a None value a TypeError
    with pytest.raises(ConfigError, match=match):
        _write(tmp_path / "c.mp4", color=color)
    assert list(tmp_path.iterdir()) == []


def test_a_float32_rate_is_a_rate(tmp_path):
    # np.float32 is neither float nor Rational: Fraction() raised TypeError (input_fps, VideoWriter fps)
    assert check_rate(np.float32(29.97)) == Fraction(2997, 100) and check_rate(np.int32(30)) == 30
    from vidiff import VideoWriter

    with VideoWriter(tmp_path / "r.mp4", 32, 24, np.float32(24)) as w:
        w.write(np.zeros((24, 32, 3), np.uint8))
    assert (tmp_path / "r.mp4").exists()
