"""Models built in threads of one process (the web app's jobs, a batch of repairs, an API caller's threads)."""

from __future__ import annotations

import threading

import pytest

from vidiff.fetch import rife_weights_path

needs_weights = pytest.mark.skipif(rife_weights_path() is None, reason="RIFE v4 weights not cached")


@needs_weights
def test_a_network_built_while_another_thread_loads_a_model_has_real_tensors():
    """diffusers' from_pretrained builds on the meta device by patching torch for the whole process: RIFE
    built in another thread meanwhile came out with meta tensors ("Cannot copy out of meta tensor", two
    repairs of a `--workers 2` batch both failed). Loads and builds now take one lock."""
    from vidiff.diffusion.model import VidiffModel
    from vidiff.peers.rife import RIFE

    errors: list[str] = []
    done = threading.Event()

    def load_models() -> None:
        try:
            for _ in range(6):
                VidiffModel.load("default")
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(f"load: {type(e).__name__}: {e}")
        finally:
            done.set()

    t = threading.Thread(target=load_models)
    t.start()
    built = 0
    while not done.is_set() or built < 3:
        try:
            net = RIFE(engine="torch").net
            assert not any(p.is_meta for p in net.parameters())
            built += 1
        except Exception as e:  # noqa: BLE001
            errors.append(f"build: {type(e).__name__}: {str(e)[:120]}")
            break
    t.join()
    assert errors == [] and built >= 3


def test_a_batch_of_repairs_with_workers_runs_each_clip_in_a_worker_process(tmp_path, capsys):
    """`vidiff run repair -i folder -o out --workers 2` ran its clips in two threads of one process, where
    one's model load could leave the other's networks on the meta device: both failed. Each clip is now
    one job of the worker pool; the outputs are those of one process."""
    import numpy as np
    from conftest import write_clip

    from vidiff.cli import main

    src = tmp_path / "in"
    src.mkdir()
    for k, name in enumerate(("a", "b")):
        frames = [np.zeros((48, 64, 3), np.uint8) for _ in range(6)]
        for i, f in enumerate(frames):
            f[:, (i * 6 + k * 9) % 56 :][:, :8] = 200  # a bar that moves
        write_clip(src / f"{name}.mp4", frames)
    assert main(["run", "repair", "-i", str(src), "-o", str(tmp_path / "two"), "--workers", "2", "-q"]) == 0
    assert main(["run", "repair", "-i", str(src), "-o", str(tmp_path / "one"), "--workers", "1", "-q"]) == 0
    assert "2 done, 0 already finished, 0 failed" in capsys.readouterr().out
    for name in ("a_repair.mp4", "b_repair.mp4"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
