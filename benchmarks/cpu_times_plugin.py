"""A pytest plugin: each test's wall seconds and CPU seconds (this process and the children it waited for:
subprocesses, worker pools), setup to teardown, one JSON line each. CPU seconds move far less than wall
seconds on a shared, busy machine, so they are what compares test costs before and after a change.

Usage: CPUPLUG_OUT=times.jsonl CPUPLUG_TAG=new PYTHONPATH=.:benchmarks pytest -p cpu_times_plugin TESTS
(benchmarks/test_times.sh runs it on two commits, test by test.)
"""

from __future__ import annotations

import json
import os
import resource
import time

import pytest


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    w0, c0 = time.time(), _cpu()
    yield
    row = {"tag": os.environ.get("CPUPLUG_TAG", ""), "id": item.nodeid}
    row |= {"wall": round(time.time() - w0, 2), "cpu": round(_cpu() - c0, 2)}
    with open(os.environ.get("CPUPLUG_OUT", "test_times.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
