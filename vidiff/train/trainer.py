"""The training loop on 🤗 accelerate: one process, or N with
`accelerate launch --multi_gpu --num_processes N` (on a CPU-only machine that flag starts N gloo processes).

AdamW with warm-up, gradient clipping, EMA weights (diffusers' EMAModel), a checkpoint every
`checkpoint_every` steps (accelerate state + EMA + step) with automatic resume, a tqdm bar with loss and
samples/s, a JSON-lines log, a loss-curve PNG and, at the end, the EMA model written as a model folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from vidiff.diffusion.model import VidiffModel
from vidiff.diffusion.sampling import infill_batch, training_loss
from vidiff.errors import ConfigError
from vidiff.train.config import check_config, to_dict
from vidiff.train.data import StepBatches, WindowSampler


def train(cfg: DictConfig, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) the training described by `cfg` (checked first: nothing is written for a bad one);
    returns a summary dict."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from diffusers.training_utils import EMAModel

    check_config(cfg)
    t = cfg.train
    acc = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=t.mixed_precision)
    if t.threads:
        torch.set_num_threads(int(t.threads))
    elif acc.num_processes > 1 and acc.device.type == "cpu":
        # N processes share the CPU cores: more compute threads than cores make gloo's and OpenMP's
        # spin-waits starve each other (measured: a 16 s run did not finish in 10 min)
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // acc.num_processes))
    set_seed(int(cfg.seed))
    out = Path(t.output)
    ckpt = out / "checkpoint"
    model = VidiffModel.from_config(to_dict(cfg.model))
    model.info = {"config": to_dict(cfg)}
    # the clips are opened (counted, broken ones skipped with a warning) before anything is written
    sampler = WindowSampler(to_dict(cfg.data), model.context, int(cfg.seed), model.priors)
    if t.init:
        init_weights(model, str(t.init))
    unet = model.unet
    opt = torch.optim.AdamW(unet.parameters(), lr=float(t.lr), weight_decay=float(t.weight_decay))
    warm = max(1, int(t.warmup))
    total = int(t.steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max(1, total))))
    )
    # the scheduler is stepped once per optimizer step by us: accelerate's wrapper would step it once per
    # process (N times per step under N processes), ending the schedule N times too early
    unet, opt = acc.prepare(unet, opt)
    acc.register_for_checkpointing(sched)
    ema = EMAModel(acc.unwrap_model(unet).parameters(), decay=float(t.ema_decay))
    start = 0
    if (ckpt / "step.json").exists():
        acc.load_state(str(ckpt))
        ema.load_state_dict(torch.load(ckpt / "ema.pt", weights_only=False))
        start = json.loads((ckpt / "step.json").read_text())["step"]
        acc.print(f"resuming from {ckpt} at step {start}")
    if acc.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    loader = torch.utils.data.DataLoader(
        StepBatches(sampler, start, total, int(t.batch_size), acc.process_index),
        batch_size=None,
        shuffle=False,
        num_workers=int(t.num_workers),
        prefetch_factor=2 if int(t.num_workers) else None,
        persistent_workers=False,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(int(cfg.seed)),
    )
    model.unet = unet
    gen = torch.Generator().manual_seed(int(cfg.seed) * 1000 + acc.process_index)
    log_path = out / "log.jsonl"
    bar = None
    if progress and acc.is_main_process:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=start, desc="train", unit="step", dynamic_ncols=True)
    t0, seen, losses = time.time(), 0, []
    step = start
    unet.train()
    for batch in loader:
        gen.manual_seed(int(cfg.seed) * 1_000_003 + step * 101 + acc.process_index)
        loss = training_loss(
            model,
            batch["frames"].to(acc.device),
            batch["prior"].to(acc.device),
            batch["times"].to(acc.device),
            batch["observed"].to(acc.device),
            gen,
            t.loss_target,
            t.loss,
            float(t.p_max_noise),
        )
        opt.zero_grad(set_to_none=True)
        acc.backward(loss)
        if t.grad_clip:
            acc.clip_grad_norm_(unet.parameters(), float(t.grad_clip))
        opt.step()
        sched.step()
        ema.step(acc.unwrap_model(unet).parameters())
        step += 1
        seen += int(t.batch_size) * acc.num_processes
        losses.append(float(loss.detach()))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", samples_s=f"{seen / (time.time() - t0):.1f}")
        if acc.is_main_process and (step % int(t.log_every) == 0 or step == total):
            rec = {
                "step": step,
                "loss": float(np.mean(losses[-int(t.log_every) :])),
                "lr": sched.get_last_lr()[0],
                "samples_per_s": seen / (time.time() - t0),
                "steps_per_s": (step - start) / (time.time() - t0),
                "elapsed_s": time.time() - t0,
                "processes": acc.num_processes,
            }
            if int(t.eval_every) and (step % int(t.eval_every) == 0 or step == total):
                rec["val_gain_db"] = validation_gain(
                    model, ema, acc, int(t.eval_windows), int(cfg.seed), to_dict(cfg.data)
                )
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if step % int(t.checkpoint_every) == 0 or step == total:
            save_checkpoint(acc, ema, ckpt, step)
    if bar is not None:
        bar.close()
    summary: dict[str, Any] = {"steps": step, "seconds": time.time() - t0}
    if acc.is_main_process:
        final = dataclasses.replace(model, unet=acc.unwrap_model(unet))  # every setting, priors included
        ema.store(final.unet.parameters())
        ema.copy_to(final.unet.parameters())
        final.info = {**model.info, "steps": step}
        final.save(out / "model")
        if t.export:
            if Path(t.export).exists():
                shutil.rmtree(t.export)
            final.save(t.export)
        ema.restore(final.unet.parameters())
        plot_loss(log_path, out / "loss.png")
        summary["model"] = str(out / "model")
    acc.wait_for_everyone()
    return summary


def seed_worker(worker_id: int) -> None:
    """A data worker's global RNGs from its torch seed (the loader's generator + worker id). Windows draw
    only from their own (seed, step, rank) generator, so batches never depend on these or on the number
    of workers; seeding them keeps anything else a library draws reproducible too."""
    import random

    s = torch.initial_seed() % 2**32
    np.random.seed(s)
    random.seed(s)


def init_weights(model: VidiffModel, source: str) -> None:
    """Start from the weights of `source` (fine-tuning); its architecture must be the config's."""
    src = VidiffModel.load(source)
    mine, theirs = (
        json.loads(json.dumps({k: v for k, v in m.unet.config.items() if not k.startswith("_")}))
        for m in (model, src)
    )  # through JSON, so a tuple equals the list it was saved as
    diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    if diff or src.codec_spec != model.codec_spec or src.context != model.context:
        what = ", ".join(diff) or "codec/context"
        raise ConfigError(f"train.init {source}: its model differs from the config's ({what})")
    model.unet.load_state_dict(src.unet.state_dict())


def save_checkpoint(acc, ema, ckpt: Path, step: int) -> None:
    """accelerate state + EMA + step, written to a temporary folder then renamed (a kill never leaves half)."""
    tmp = ckpt.with_name(ckpt.name + ".tmp")
    acc.wait_for_everyone()
    if acc.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    acc.wait_for_everyone()
    acc.save_state(str(tmp))
    if acc.is_main_process:
        torch.save(ema.state_dict(), tmp / "ema.pt")
        (tmp / "step.json").write_text(json.dumps({"step": step}))
        old = ckpt.with_name(ckpt.name + ".old")
        if ckpt.exists():
            ckpt.rename(old)
        tmp.rename(ckpt)
        if old.exists():
            shutil.rmtree(old)
    acc.wait_for_everyone()


@torch.no_grad()
def validation_gain(model: VidiffModel, ema, acc, n: int, seed: int, data: dict[str, Any]) -> float:
    """Mean PSNR gain (dB) of the EMA model over its prior μ on fixed procedural windows (not eval clips)."""
    from vidiff.metrics.quality import psnr

    cfg_data = {
        "clips": [],
        "scales": [1.0],
        "strides": [2],
        "crop": 96,
        "margin": 32,
        "real_fraction": 0.0,
        "max_shift": 24.0,
        "task": data["task"],  # the training task's windows, procedural only
        "max_tau": data["max_tau"],
    }
    s = WindowSampler(cfg_data, model.context, seed + 777, model.priors)
    rng = np.random.default_rng(seed + 777)
    ws = [s.window(rng) for _ in range(n)]
    unet = acc.unwrap_model(model.unet)
    ema.store(unet.parameters())
    ema.copy_to(unet.parameters())
    unet.eval()
    m = dataclasses.replace(model, unet=unet)
    gains = []
    for i in range(0, n, 8):
        chunk = ws[i : i + 8]
        frames = [[f if o else None for f, o in zip(w["frames"], w["observed"], strict=True)] for w in chunk]
        res = infill_batch(
            m,
            frames,
            [w["times"] for w in chunk],
            [w["observed"] for w in chunk],
            [w["prior"] for w in chunk],
            steps=1,
            generators=[torch.Generator().manual_seed(0) for _ in chunk],
        )
        for w, r in zip(chunk, res, strict=True):
            gt, mu = w["frames"][-1], w["prior"][-1, 0]
            gains.append(psnr(r[-1], gt) - psnr(mu, gt))
    ema.restore(unet.parameters())
    unet.train()
    return float(np.mean(gains))


def plot_loss(log_path: Path, png: Path) -> None:
    """Loss (and validation gain) against step, from the JSON-lines log."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    recs = (
        [json.loads(x) for x in log_path.read_text().splitlines() if x.strip()] if log_path.exists() else []
    )
    if not recs:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["step"] for r in recs], [r["loss"] for r in recs], label="training loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ev = [r for r in recs if "val_gain_db" in r]
    if ev:
        ax2 = ax.twinx()
        ax2.plot(
            [r["step"] for r in ev], [r["val_gain_db"] for r in ev], "o-", color="C1", label="val gain dB"
        )
        ax2.set_ylabel("validation PSNR gain over DIS prior (dB)")
    ax.set_title("vidiff training")
    fig.tight_layout()
    tmp = png.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, png)
