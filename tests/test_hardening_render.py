"""The render pool isolates failures (issue 13, failure 2 and 8).

Before: one render's timeout cancelled other users' renders (CancelledError), ``_discard`` raised
AttributeError on a pool already shut down, a dead worker left BrokenProcessPool for everyone, the
limit counted time spent queued, and the forkserver and its worker outlived the server on SIGTERM.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from riskdesk.council import worker
from tests.conftest import PROJECT_ROOT


@pytest.fixture(autouse=True)
def fresh_pool():
    worker.shutdown()
    yield
    worker.shutdown()


def _warm_every_worker() -> None:
    """Start every worker and import this module in it, so the timings below measure the calls only."""
    _at_once([(_sleep_then_pid, (0,), 120)] * worker.SLOTS)


def _sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _die() -> None:
    os._exit(3)


def _at_once(calls) -> list:
    """Run each (function, args, timeout) in its own thread at the same moment; the result or exception of each."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index, function, args, timeout):
        barrier.wait()
        try:
            results[index] = worker.run_isolated(function, *args, timeout=timeout)
        except BaseException as exc:  # recorded and asserted on
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_a_timeout_never_cancels_or_breaks_another_render():
    _warm_every_worker()
    slow = [(_sleep_then_pid, (30,), 2)] * 2
    quick = [(_sleep_then_pid, (0.2,), 60)] * 4
    results = _at_once(slow + quick)
    assert all(isinstance(r, worker.RenderTimeout) for r in results[:2]), results[:2]
    assert all(isinstance(r, int) for r in results[2:]), results[2:]  # every quick render came back


def test_the_limit_counts_rendering_not_waiting_for_a_worker():
    """More renders than workers: each waits its turn, and then has its whole limit to run."""
    assert worker.SLOTS == 2
    _warm_every_worker()
    results = _at_once([(_sleep_then_pid, (1.5,), 2.5)] * 4)
    assert all(isinstance(r, int) for r in results), results


def test_a_dead_worker_is_replaced_and_only_its_render_fails():
    with pytest.raises(worker.RenderUnavailable, match="restarted"):
        worker.run_isolated(_die, timeout=60)
    results = [worker.run_isolated(_sleep_then_pid, 0, timeout=60) for _ in range(4)]
    assert all(isinstance(r, int) for r in results)


def test_when_every_worker_stays_busy_the_caller_gets_a_clear_unavailable():
    _warm_every_worker()
    busy = threading.Thread(target=_at_once, args=([(_sleep_then_pid, (5,), 10)] * worker.SLOTS,))
    busy.start()
    time.sleep(1.5)  # both workers are now running a long render
    with pytest.raises(worker.RenderUnavailable, match="busy"):
        worker.run_isolated(_sleep_then_pid, 0, timeout=0.5)
    busy.join()


def test_stopping_a_pool_twice_is_harmless():
    worker.run_isolated(_sleep_then_pid, 0, timeout=60)
    worker.shutdown()
    worker.shutdown()
    assert isinstance(worker.run_isolated(_sleep_then_pid, 0, timeout=60), int)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state


SERVER = textwrap.dedent("""
    import multiprocessing.forkserver, os, sys, time
    from riskdesk import create_app
    from riskdesk.council import worker
    app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "x",
                      "INSTANCE_PATH": sys.argv[2], "REPORTS_DIR": sys.argv[2]})
    pids = {worker.run_isolated(os.getpid, timeout=120) for _ in range(6)}
    pids.add(multiprocessing.forkserver._forkserver._forkserver_pid)
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(600)
""")


def test_render_workers_stop_with_the_server_on_sigterm(tmp_path, sqlite_template):
    server = subprocess.Popen([sys.executable, "-c", SERVER, f"sqlite:///{sqlite_template}", str(tmp_path)],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in server.stdout.readline().split()]
        assert len(pids) >= 2 and all(_alive(p) for p in pids), pids  # the forkserver and at least one worker
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == -signal.SIGTERM
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in pids if _alive(p)], "render processes outlived the server"
    finally:
        server.kill()
