"""Music and audio files at the doors (hostile pass): a folder is said to be one, and an unreadable file's
line carries FFmpeg's reason, not Python's errno and the path again."""

import pytest

from vidiff.errors import InputError
from vidiff.io.audio import AudioTrack
from vidiff.io.slow_audio import SlowedAudio


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
