"""Training: configs with strict keys, a 2-process accelerate run whose loss falls, kill -9 and resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_main

from vidiff.diffusion.model import VidiffModel
from vidiff.diffusion.sampling import training_loss
from vidiff.errors import ConfigError
from vidiff.train.config import load_config, to_dict
from vidiff.train.data import WindowSampler, collate

TINY = """\
model:
  unet: {block_channels: [16, 32], spatial_attention_levels: [1], heads: 2, emb_dim: 32}
  diffusion: {priors: dis}
data: {crop: 32, margin: 16, scales: [0.25], real_fraction: 0.0, pool: 8}
train: {steps: 30, batch_size: 8, lr: 3.0e-3, warmup: 5, ema_decay: 0.9, checkpoint_every: 10,
        log_every: 10, eval_every: 0, num_workers: 0}
"""
BIN = Path(sys.executable).parent
# one compute thread per process: no more threads than cores (2 processes here), and the same float sums
# in every run that is compared
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture()
def tiny_cfg(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY)
    return p


def _run(args, timeout=600):
    """Run a command; on timeout kill its whole process group (accelerate's workers too), then fail."""
    p = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, env=ENV
    )
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise
    return subprocess.CompletedProcess(args, p.returncode, out, err)


def test_unknown_key_in_file_names_file_line_and_key(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("seed: 1\ntrain:\n  steps: 10\n  stepz: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml line 4: unknown or invalid key 'train.stepz'"):
        load_config(p)


def test_unknown_override_and_bad_override(tiny_cfg):
    with pytest.raises(ConfigError, match="train.nope"):
        load_config(tiny_cfg, ["train.nope=1"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(tiny_cfg, ["train.steps"])
    assert load_config(tiny_cfg, ["train.steps=7"]).train.steps == 7


def test_cli_config_error_is_one_line(tiny_cfg, capsys):
    r = run_main(capsys, "train", tiny_cfg, "model.unet.width=3")  # the CLI in this process
    err = r.stderr
    assert r.returncode == 2
    assert err.strip().count("\n") == 0 and "model.unet.width" in err and "Traceback" not in err


def test_evaluation_clips_are_refused():
    from vidiff.train.config import check_config

    cfg = load_config(None, ["data.clips=[bikes]"])
    with pytest.raises(ConfigError, match="evaluation-only"):
        check_config(cfg)
    # data.eval_clips is what decides: another held-out list frees bikes and holds out bigbuckbunny
    check_config(load_config(None, ["data.clips=[bikes]", "data.eval_clips=[carphone_pristine]"]))
    with pytest.raises(ConfigError, match="evaluation-only"):
        check_config(load_config(None, ["data.eval_clips=[bigbuckbunny]"]))


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("train=3", "train = 3: a section of keys"),
        ("model.unet=3", "model.unet = 3: a section of keys"),
        ("data.clips=3", "data.clips = 3: must be a list"),
        ("data.clips=null", "data.clips = None: must be a list"),
        ("data.clips={}", "data.clips = {}: must be a list"),  # OmegaConf's TypeError, a traceback
        ("data.clips={a: 1}", "data.clips = {'a': 1}: must be a list"),
        ("data=[]", r"data = \[\]: a section of keys"),
    ],
)
def test_a_section_or_list_given_a_single_value_is_one_config_error(tiny_cfg, override, words):
    """`train=3` used to replace the whole section and fail later in a TypeError traceback; a mapping for
    a list (`data.clips={}`) or a list for a section was OmegaConf's TypeError traceback."""
    with pytest.raises(ConfigError, match=words):
        load_config(tiny_cfg, [override])


def test_a_config_file_with_a_mapping_for_a_list_is_one_config_error(tmp_path):
    """`clips: {}` in a config file was OmegaConf's TypeError traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  clips: {}\n")
    with pytest.raises(ConfigError, match=f"^{bad}: a list where the defaults hold a section of keys"):
        load_config(bad)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("train.steps=99999999999999999999999", "train.steps"),  # overflowed torch's sampler mid-run
        ("train.batch_size=99999999999999999999999", "train.batch_size"),  # built windows for ever
        ("seed=99999999999999999999999", "seed"),
        ("seed=-1", "seed"),
    ],
)
def test_counts_and_seed_past_their_range_are_refused_before_the_run(tiny_cfg, tmp_path, override, words):
    from vidiff.train.config import check_config

    cfg = load_config(tiny_cfg, [override, f"train.output={tmp_path}/run"])
    with pytest.raises(ConfigError, match=words):
        check_config(cfg)
    assert not (tmp_path / "run").exists()


def test_an_export_that_would_remove_a_file_or_a_folder_of_other_files_is_refused(tiny_cfg, tmp_path):
    """The export folder is removed and rewritten after training: a file, a folder of other files, or the
    run's own output used to be found only then (or removed)."""
    from vidiff.train.config import check_config

    keep = tmp_path / "clips"
    keep.mkdir()
    (keep / "a.mp4").write_bytes(b"mine")
    out = f"train.output={tmp_path}/run"
    for export, words in [
        (keep, "holds no model"),
        (keep / "a.mp4", "is a file"),
        (tmp_path, "holds the run"),
    ]:
        with pytest.raises(ConfigError, match=words):
            check_config(load_config(tiny_cfg, [out, f"train.export={export}"]))
    assert (keep / "a.mp4").read_bytes() == b"mine"
    check_config(load_config(tiny_cfg, [out, f"train.export={tmp_path}/new"]))  # a new folder: fine


def test_extrapolation_windows_put_the_target_past_the_observed_frames():
    from vidiff.metrics.quality import psnr

    cfg = load_config("configs/train/extend.yaml", ["data.scales=[0.5]"])
    s = WindowSampler(to_dict(cfg.data), 0, 0)
    rng = np.random.default_rng(0)
    gain = []
    for _ in range(24):
        w = s.window(rng)
        t_obs, tau = w["times"][w["observed"]], w["times"][~w["observed"]][0]
        assert len(t_obs) == 2 and abs(abs(t_obs[0] - t_obs[1]) - 1) < 1e-6
        assert 0 < abs(tau) <= 2.0 + 1e-6 and (tau > t_obs.max() or tau < t_obs.min())  # time reversal
        assert abs(tau) > 0 and min(abs(t_obs)) == 0  # the nearer observed frame at 0
        gain.append(psnr(w["prior"][-1, 0], w["frames"][-1]) - psnr(w["prior"][-1, 2], w["frames"][-1]))
    assert np.mean(gain) > 2.0  # the carried-forward prior beats repeating the nearest frame
    with pytest.raises(ConfigError, match="data.task"):
        WindowSampler(to_dict(load_config(None, ["data.task=guess"]).data), 0, 0)


def _pool_loss(m, cfg) -> float:
    """The training loss over the whole fixed pool of windows the tiny config trains on."""
    s = WindowSampler(to_dict(cfg.data), 0, int(cfg.seed))
    b = collate([s.pooled(i) for i in range(cfg.data.pool)])
    with torch.no_grad():
        return float(
            np.mean(
                [
                    training_loss(
                        m,
                        b["frames"],
                        b["prior"],
                        b["times"],
                        b["observed"],
                        torch.Generator().manual_seed(i),
                        loss=cfg.train.loss,
                        p_max_noise=cfg.train.p_max_noise,
                    ).item()
                    for i in range(4)
                ]
            )
        )


def test_two_process_accelerate_run_trains_and_loss_falls(tiny_cfg, tmp_path):
    out = tmp_path / "run"
    r = _run(
        [
            str(BIN / "accelerate"),
            "launch",
            "--num_processes",
            "2",
            "--num_machines",
            "1",
            "--multi_gpu",  # on a CPU-only machine: 2 gloo processes (with --cpu, accelerate starts one)
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "-m",
            "vidiff",
            "train",
            str(tiny_cfg),
            f"train.output={out}",
            "--quiet",
        ]
    )
    assert r.returncode == 0, r.stderr[-2000:]
    cfg = load_config(tiny_cfg)
    untrained = VidiffModel.from_config(to_dict(cfg.model))
    trained = VidiffModel.load(out / "model")
    # the weights say how they were made: the whole config and the steps (an empty `info` was a bug)
    assert trained.info["steps"] == 30 and trained.info["config"]["train"]["lr"] == 3e-3, trained.info
    assert trained.context == untrained.context and trained.priors == "dis"
    before, after = _pool_loss(untrained, cfg), _pool_loss(trained, cfg)
    assert after < 0.8 * before, (before, after)  # measured here at 30 steps: 0.92 -> 0.56
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 30 and all(np.isfinite(x["loss"]) for x in log)
    assert all(x["processes"] == 2 for x in log), log
    # the learning-rate schedule spans the whole run whatever the number of processes (cosine to 0 at 30)
    assert log[0]["lr"] == pytest.approx(3e-3 * 0.5 * (1 + np.cos(np.pi * 10 / 30)), rel=1e-6), log[0]
    assert log[-2]["lr"] > 0, log
    assert (out / "loss.png").stat().st_size > 1000


def test_killed_run_resumes_from_last_checkpoint(tiny_cfg, tmp_path, capsys):
    """kill -9 of a `vidiff train` process after its first checkpoint; the resumed run ends where an
    uninterrupted one does. The reference and the resume run in this process on one thread (as the killed
    one does): the same train(), without two more Python starts and their imports."""
    from vidiff.train.trainer import train

    ref, run = tmp_path / "ref", tmp_path / "run"
    # 12 steps, a checkpoint every 4: a kill after the first checkpoint leaves steps to resume
    over = ["train.steps=12", "train.checkpoint_every=4"]
    p = subprocess.Popen(
        [str(BIN / "vidiff"), "train", "--quiet", str(tiny_cfg), *over, f"train.output={run}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        step_file = run / "checkpoint" / "step.json"
        t0 = time.time()
        while time.time() - t0 < 300:
            if step_file.exists() and json.loads(step_file.read_text())["step"] >= 4:
                break
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        killed_at = json.loads(step_file.read_text())["step"]
        assert 4 <= killed_at < 12 and not (run / "model").exists()
        train(load_config(tiny_cfg, [*over, f"train.output={ref}"]), progress=False)
        capsys.readouterr()
        train(load_config(tiny_cfg, [*over, f"train.output={run}"]), progress=False)
    finally:
        torch.set_num_threads(threads)
    got = capsys.readouterr()
    assert f"resuming from {run / 'checkpoint'} at step {killed_at}" in got.out + got.err
    a = VidiffModel.load(ref / "model").unet.state_dict()
    b = VidiffModel.load(run / "model").unet.state_dict()
    for k in a:  # same batches, same noise, same optimiser state: the resumed run ends where the other does
        torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_fine_tuning_starts_from_the_given_weights(tiny_cfg, tmp_path):
    from vidiff.train.trainer import train

    with pytest.raises(ConfigError, match="differs from the config"):  # the shipped model is larger
        train(load_config(tiny_cfg, ["train.init=default", f"train.output={tmp_path}/x"]), progress=False)
    torch.manual_seed(5)
    src = VidiffModel.from_config(to_dict(load_config(tiny_cfg).model))
    torch.nn.init.normal_(src.unet.conv_out.weight, std=0.05)
    src.save(tmp_path / "src")
    over = [f"train.init={tmp_path}/src", f"train.output={tmp_path}/ft", "train.steps=2", "train.lr=1e-9"]
    train(load_config(tiny_cfg, over), progress=False)
    got = VidiffModel.load(tmp_path / "ft" / "model").unet.state_dict()
    # lr 1e-9 (Adam moves each weight by ~lr a step): still the source, not a fresh initialisation
    assert all(torch.allclose(v, got[k], atol=1e-6) for k, v in src.unet.state_dict().items())
    assert not torch.allclose(got["conv_out.weight"], torch.zeros_like(got["conv_out.weight"]))


@pytest.mark.skipif(
    __import__("vidiff.fetch", fromlist=["x"]).rife_weights_path() is None,
    reason="RIFE v4 weights not cached: vidiff fetch rife",
)
def test_a_fusion_model_trains_and_exports_with_its_prior_stack(tiny_cfg, tmp_path):
    """`priors: fuse` windows carry the 4-image stack, and the exported model keeps `priors` (it loads and
    infills with the same stack)."""
    from vidiff.diffusion.sampling import infill
    from vidiff.train.trainer import train

    over = ["model.diffusion.priors=fuse", f"train.output={tmp_path}/f", "train.steps=2", "data.pool=2"]
    over += ["data.clips=[]"]  # procedural windows only: no clip to decode
    train(load_config(tiny_cfg, over), progress=False)
    m = VidiffModel.load(tmp_path / "f" / "model")
    assert m.priors == "fuse" and m.unet.fusion_candidates == 3
    a = np.zeros((32, 32, 3), np.uint8)
    out = infill(m, [a, None, a + 50], [0.0, 0.5, 1.0], [True, False, True])
    assert out[1].shape == a.shape and out[1].dtype == np.uint8


def test_every_model_default_is_written_once_and_the_shipped_recipe_is_the_defaults():
    """The shipped model's architecture and settings are VideoUNet3D's and ModelSettings' defaults, and
    configs/train/default.yaml (which states only where it writes) resolves to the recipe it was trained with."""
    from vidiff.diffusion.model import DERIVED_UNET_KEYS, model_defaults

    def plain(c) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(c).items() if k[0] != "_"}

    shipped = VidiffModel.load("default")
    d = model_defaults()
    derived = {k: shipped.unet.config[k] for k in DERIVED_UNET_KEYS}
    assert plain(shipped.unet.config) == {**d["unet"], **derived}
    assert plain(VidiffModel.from_config({}).unet.config) == plain(shipped.unet.config)
    assert {k: getattr(shipped, k) for k in d["diffusion"]} == d["diffusion"]
    cfg = to_dict(load_config("configs/train/default.yaml"))
    trained = shipped.info["config"]
    # added by issue 29 after the shipped model was trained; their defaults are how it was trained
    read_only = ("engine", "cache_mb", "time_range", "spans", "windows_per_span")
    cfg["data"] = {k: v for k, v in cfg["data"].items() if k not in read_only}
    trained["data"].setdefault("stack", "cpu")  # trained before data.stack: the CPU stack was the only one
    for section in ("model", "data", "seed"):
        assert cfg[section] == trained[section], section
    assert {k: v for k, v in cfg["train"].items() if k not in ("output", "export")} == {
        k: v for k, v in trained["train"].items() if k not in ("output", "export")
    }


@pytest.mark.skipif(
    __import__("vidiff.fetch", fromlist=["x"]).rife_weights_path() is None,
    reason="RIFE v4 weights not cached: vidiff fetch rife",
)
def test_mixed_stack_windows_come_from_both_stacks_and_gpu_ones_compute_no_dis(tiny_cfg, monkeypatch):
    """`data.stack=mixed` makes each window over the CPU stack (OpenCV's DIS + RIFE) or the GPU one (DIS
    in torch + RIFE), so the shipped weights learn both; a `gpu` window never runs OpenCV's DIS."""
    from vidiff.fusion import DeviceStack, PriorStack
    from vidiff.train.data import WindowSampler

    cfg = load_config(tiny_cfg, ["data.clips=[]", "data.stack=mixed"])
    s = WindowSampler(dict(cfg.data), 0, 0, priors="fuse")
    for i in range(8):
        w = s.window(np.random.default_rng(i))
        assert w["prior"].shape[1] == 4
    assert isinstance(s._stacks["cpu"], PriorStack) and isinstance(s._stacks["gpu"], DeviceStack)
    assert s._stacks["cpu"].rife is s._stacks["gpu"].rife  # one RIFE network for both

    def no_dis(*a, **k):
        raise AssertionError("OpenCV DIS computed for a gpu-stack window")

    monkeypatch.setattr("vidiff.flow.DISFlow.flows", no_dis)
    g = WindowSampler(dict(cfg.data, stack="gpu"), 0, 0, priors="fuse")
    assert g.window(np.random.default_rng(0))["prior"].shape[1] == 4


@pytest.mark.parametrize("name", ["default", "extend", "fuse_hd"])
def test_shipped_configs_never_replace_the_shipped_weights_unless_told(name):
    """A run of a shipped config with other data or steps (the `vidiff train --help` example) must not
    overwrite vidiff/weights/: the export is named on the command line (`train.export=...`) only to rebuild
    them; without it the model is OUTPUT/model."""
    root = Path(__file__).resolve().parent.parent
    cfg = load_config(root / f"configs/train/{name}.yaml", ["train.steps=200"])
    assert cfg.train.export is None
    told = load_config(root / f"configs/train/{name}.yaml", [f"train.export=vidiff/weights/{name}"])
    assert told.train.export == f"vidiff/weights/{name}"
