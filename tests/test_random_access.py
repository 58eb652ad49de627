"""Random access to clips (vidiff/io/random_access.py) and training over folders of clips of any length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from clip_kinds import KINDS, make_clip

from vidiff.errors import InputError
from vidiff.io.random_access import SeekReader, open_frames
from vidiff.io.reader import VideoReader, read_frames


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_frame_fetched_at_random_is_the_sequential_decodes_frame(tmp_path, kind):
    """h264 with B-frames and 10-frame GOPs, VFR, MJPEG, FFV1, B-frames in an .avi, a raw .h264 stream
    (those two were FrameLost or wrong frames, and "0 frames"): every frame, asked for in a random order
    (reaching back across GOPs, jumping ahead, repeating), is the frame a sequential decode gives, at the
    time it gives."""
    path = make_clip(tmp_path, kind, n=40)
    ref = read_frames(path)
    r = SeekReader(path)
    assert len(r) == len(ref) == 40 and r.size == (64, 48)
    assert np.allclose(r.seconds(), [float(f.time) for f in VideoReader(path)])
    rng = np.random.default_rng(1)
    for _ in range(12):
        idx = [int(i) for i in rng.integers(0, 40, 3)]
        for i, im in zip(idx, r.get(idx), strict=True):
            assert np.array_equal(im, ref[i]), (kind, i)
    assert all(np.array_equal(a, b) for a, b in zip(r.get(list(range(39, -1, -1))), ref[::-1], strict=True))
    r.close()


@pytest.mark.parametrize("kind", ["avi_bframes", "raw_h264"])
def test_a_segment_worker_gets_the_planned_frames(tmp_path, kind):
    """A parallel run's worker (`vidiff.runner.seek`) given a file whose stamps name no frame: the frames
    the planning pass saw, at their times (its seek is checked, and falls back to decoding in order)."""
    from vidiff.runner.seek import crc, frames_at

    path = make_clip(tmp_path, kind, n=40)
    frames = list(VideoReader(path))
    wanted = {i: (frames[i].time, crc(frames[i].image)) for i in (17, 18, 30)}
    got = dict(frames_at(str(path), wanted))
    assert sorted(got) == [17, 18, 30] and all(crc(got[i]) == wanted[i][1] for i in got)


def test_a_footage_folder_lists_a_camcorders_and_a_phones_files(tmp_path):
    """AVCHD (.MTS, .m2ts), .3gp and raw streams were left out of `data.clips=[folder]` without a word."""
    from vidiff.io.random_access import list_clips

    raw = make_clip(tmp_path, "raw_h264", n=6)
    names = ["00001.MTS", "00002.m2ts", "phone.3gp", raw.name, "notes.txt"]
    for name in names[:3]:
        (tmp_path / name).write_bytes(b"")
    assert sorted(Path(p).name for p in list_clips([str(tmp_path)])) == sorted(names[:4])
    r = open_frames(raw)
    assert len(r) == 6
    r.close()


def test_a_batch_folder_takes_a_camcorders_clips(tmp_path):
    """`vidiff run RECIPE -i FOLDER/` listed its clips by another, shorter list than training's: a
    camcorder's folder of .MTS files was "no video files found"."""
    from vidiff.runner.recipe import find_inputs

    names = ["00001.MTS", "00002.m2ts", "phone.3gp", "loop.gif", "shot.mxf", "notes.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert sorted(p.name for p in find_inputs(str(tmp_path))) == sorted(names[:5])


def test_reader_refuses_what_is_not_a_clip(tmp_path):
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 500)
    with pytest.raises(InputError, match="junk.mp4"):
        open_frames(tmp_path / "junk.mp4")
    one = make_clip(tmp_path, "mjpeg", n=1)
    with pytest.raises(InputError, match=r"mjpeg.avi: 1 frame\(s\); at least 2"):
        open_frames(one)
    with pytest.raises(IndexError):
        SeekReader(make_clip(tmp_path, "ffv1", n=3)).get([3])


TINY = """\
model:
  unet: {{block_channels: [8, 16], spatial_attention_levels: [1], heads: 2, emb_dim: 16}}
  diffusion: {{priors: dis}}
data: {{clips: [{clips}], crop: 32, margin: 8, scales: [1.0, 0.5], real_fraction: 1.0, strides: [2, 3]}}
train: {{steps: 2, batch_size: 2, warmup: 1, checkpoint_every: 2, log_every: 1, eval_every: 0,
        num_workers: {workers}}}
"""


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "footage"
    d.mkdir()
    make_clip(d, "h264_bframes", n=30, w=96, h=64)
    make_clip(d, "mjpeg", n=24, w=80, h=64)
    return d


def test_training_runs_over_a_folder_of_two_clips_in_a_data_worker(tmp_path):
    """One data worker makes the windows; the same seed gives the same batches in the worker as in the
    main process, and both clips are drawn from."""
    from vidiff.train.config import load_config, to_dict
    from vidiff.train.data import StepBatches, WindowSampler
    from vidiff.train.trainer import train

    d = _folder(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY.format(clips=d, workers=1))
    cfg = load_config(tmp_path / "tiny.yaml", [f"train.output={tmp_path / 'run'}"])
    summary = train(cfg, progress=False)
    assert summary["steps"] == 2 and (tmp_path / "run" / "model").is_dir()
    s = WindowSampler(to_dict(cfg.data), 0, 0)
    assert [Path(p).name for p in s.clips.paths] == ["h264_bframes.mp4", "mjpeg.avi"]
    import torch

    loader = torch.utils.data.DataLoader(StepBatches(s, 0, 3, 2, 0), batch_size=None, num_workers=1)
    for step, b in enumerate(loader):
        here = s.batch(step, 2)
        assert all(torch.equal(b[k], here[k]) for k in b), step
    drawn = {s.clips.pick(np.random.default_rng(i)) for i in range(20)}
    assert drawn == {0, 1}


def test_a_broken_clip_in_the_folder_is_one_warning_line_or_refused_with_strict(tmp_path, capfd):
    from vidiff.train.config import load_config, to_dict
    from vidiff.train.data import WindowSampler

    d = _folder(tmp_path)
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x07" * 2000)
    (tmp_path / "tiny.yaml").write_text(TINY.format(clips=d, workers=0))
    s = WindowSampler(to_dict(load_config(tmp_path / "tiny.yaml").data), 0, 0)
    assert [Path(p).name for p in s.clips.paths] == ["h264_bframes.mp4", "mjpeg.avi"]
    assert s.batch(0, 2)["frames"].shape == (2, 3, 3, 32, 32)
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {d / 'broken.mp4'}: skipped"), err
    out = tmp_path / "b"
    from vidiff.cli import main  # the CLI in this process: no second Python start and torch import

    code = main(["train", str(tmp_path / "tiny.yaml"), f"train.output={out}", "--strict"])
    err = capfd.readouterr().err
    assert code == 2 and err.strip().count("\n") == 0, err
    assert err.startswith(f"vidiff: error: {d / 'broken.mp4'}: not a readable video")
    assert not out.exists()  # refused before anything was written


@pytest.mark.skipif(
    not __import__("vidiff.io.random_access", fromlist=["x"]).decord_available(), reason="no decord"
)
def test_the_decord_engine_serves_the_same_frames(tmp_path):
    """decord (data.engine=decord): the same frames (its RGB is swscale's, about one level off vidiff's,
    MJPEG's full range included)."""
    for kind, tol in (("mjpeg", 2.0), ("h264_bframes", 2.0)):
        path = make_clip(tmp_path, kind, n=30)
        ref = read_frames(path)
        r = open_frames(path, "decord")
        assert r.engine == "decord" and len(r) == 30
        idx = [17, 3, 29, 4]
        for i, im in zip(idx, r.get(idx), strict=True):
            diffs = [np.abs(im.astype(int) - f).mean() for f in ref]
            assert int(np.argmin(diffs)) == i and diffs[i] <= tol, (kind, i, diffs[i])


def test_time_range_holds_footage_out_and_spans_are_exact_bounded_and_resume_exact(tmp_path):
    """data.time_range keeps windows inside [start, end) seconds; windows come from contiguous spans
    (data.spans at once, each within cache_mb: here the shortest a window allows) that hold the frames a
    sequential decode gives; a batch is still a function of (seed, step, rank) alone (a fresh sampler's
    step 5 is the one made after steps 0-4: resume-exact)."""
    from vidiff.train.config import load_config, to_dict
    from vidiff.train.data import WindowSampler

    d = _folder(tmp_path)  # 25 fps: frame i at i / 25 s
    clip = d / "h264_bframes.mp4"
    (tmp_path / "tiny.yaml").write_text(TINY.format(clips=clip, workers=0))
    over = ["data.time_range=[0.4,1.0]", "data.spans=3", "data.cache_mb=0", "data.windows_per_span=2"]
    data = to_dict(load_config(tmp_path / "tiny.yaml", over).data)
    s = WindowSampler(data, 0, 0)
    assert s.clips.first == [10] and s.clips.lengths == [15] and s.clips.span_length(0) == 5
    rng = np.random.default_rng(0)
    for _ in range(9):
        k, a, n, idx, tau = s._draw(rng, 2)
        assert n == 5 and 0 <= a <= 10 and a <= min(idx) and max(idx) < a + n and 0 < tau < 1
    ref = read_frames(clip)
    got = s.clips.span(0, 4, 5)
    assert all(np.array_equal(im, ref[14 + j]) for j, im in enumerate(got))
    made = [s.batch(step, 2) for step in range(6)]
    assert len(s.clips._spans) <= 3  # memory: the spans of one block, not the footage
    assert s._block_steps(2) == 3  # 3 spans x 2 windows, 2 real windows a step: steps 3-5 share spans
    s.batch(3, 2)
    block = list(s._block)
    s.batch(4, 2)
    assert s._block == block and s.batch(6, 2) and s._block != block
    fresh = WindowSampler(data, 0, 0).batch(5, 2)
    assert all(np.array_equal(made[5][k], fresh[k]) for k in fresh)
    assert not np.array_equal(made[4]["frames"], made[5]["frames"])
