"""A pool worker lives as long as its parent process, not as long as the thread that started it.

Linux's PR_SET_PDEATHSIG fires when the parent *thread* that forked a child ends. A batch (`vidiff run
RECIPE -i FOLDER/`) submits its clips from threads, so a worker could be killed while the batch went on,
leaving the other workers blocked on the job queue's lock it held, and the batch hung for good.
Measured on the 2-core build machine, a folder of two 8-frame 64x48 H.264 clips, each run under
`timeout 12`: `vidiff run pipelines/fps_x2.yaml -i DIR/ -o OUT/ --quiet interpolate.method=dis` hung in
3 of 20 runs before this change (8 of 39 over four such loops), 0 of 40 with the prctl call taken out,
0 of 20 after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

_CHILD = (
    "import os, sys, time; from vidiff.runner.parallel import die_with_parent; "
    "die_with_parent(int(sys.argv[1]), poll_s=0.1); print('up', flush=True); time.sleep(60)"
)
_PARENT = (
    "import os, subprocess, sys, threading, time\n"
    "kid = []\n"
    "def start():\n"
    f"    kid.append(subprocess.Popen([sys.executable, '-c', {_CHILD!r}, str(os.getpid())], stdout=subprocess.PIPE))\n"
    "    kid[0].stdout.readline()  # up: past die_with_parent\n"
    "t = threading.Thread(target=start); t.start(); t.join()  # the thread that started it ends\n"
    "time.sleep(1.5)\n"
    "print('alive' if kid[0].poll() is None else f'killed {kid[0].returncode}', flush=True)\n"
    "kid[0].kill()\n"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_outlives_the_thread_that_started_it():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", _PARENT], capture_output=True, text=True, env=env, timeout=60)
    assert r.stdout.strip() == "alive", (r.stdout, r.stderr[-500:])
    assert time.time() - t0 < 30
