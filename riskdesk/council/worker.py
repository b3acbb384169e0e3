"""Render report PDFs in separate, recycled worker processes, each render with its own time limit.

WeasyPrint's own advice for untrusted input is to limit time and memory per render. The web app
therefore renders in a few long-lived worker processes (warm: imports and fonts are paid once).
Each worker is a *slot* that serves one render at a time, so:

* the time limit counts rendering only: a request first waits for a free slot (up to
  ``QUEUE_WAIT_FACTOR`` times the limit, then ``RenderUnavailable``: 503), then its clock starts;
* a render past its limit stops only its own worker (no other render shares it), and the slot
  gets a fresh worker; a worker that died (``BrokenProcessPool``) is replaced the same way;
* workers are recycled by the slot after ``RENDERS_PER_WORKER`` renders, between renders, instead
  of by ``max_tasks_per_child`` (whose in-pool respawn can deadlock the pool under load);
* every worker stops with the server: ``shutdown()`` runs at exit and on SIGTERM, and each worker
  also exits by itself once the server process is gone.

The command line renders in-process (see ``render.render_pdf``).
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

RENDERS_PER_WORKER = 50
SLOTS = 2
QUEUE_WAIT_FACTOR = 2.0
STARTUP_LIMIT = 120.0  # a new worker imports WeasyPrint before its first render; not counted as rendering


class RenderUnavailable(RuntimeError):
    """No report could be produced now (the caller answers 503 with this message)."""


class RenderTimeout(RenderUnavailable):
    """The render took longer than allowed; its worker was stopped."""


def _watch_server(server_pid: int) -> None:
    """In a worker: exit as soon as the server process is gone (whatever way it ended)."""
    def watch():
        while True:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True, name="riskdesk-server-watch").start()


def _warm() -> int:
    import riskdesk.engine.report.render  # noqa: F401 - pay the imports before the first timed render

    return os.getpid()


class _Slot:
    """One worker process serving one render at a time."""

    def __init__(self) -> None:
        self.executor: ProcessPoolExecutor | None = None
        self.warm: Future | None = None
        self.renders = 0

    def _start(self) -> ProcessPoolExecutor:
        if self.executor is None or self.renders >= RENDERS_PER_WORKER:
            self.stop()
            self.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                                initializer=_watch_server, initargs=(os.getpid(),))
            self.warm = self.executor.submit(_warm)
            self.renders = 0
        return self.executor

    def stop(self) -> None:
        """Stop this slot's worker now (it serves nobody else), and forget it."""
        executor, self.executor, self.warm = self.executor, None, None
        if executor is None:
            return
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)

    def run(self, function, args, timeout: float):
        executor = self._start()
        try:
            self.warm.result(timeout=STARTUP_LIMIT)
            self.renders += 1
            return executor.submit(function, *args).result(timeout=timeout)
        except FutureTimeout:
            self.stop()
            raise RenderTimeout(f"rendering took longer than {timeout:g} s and was stopped") from None
        except BrokenProcessPool:
            self.stop()
            raise RenderUnavailable("the rendering process stopped unexpectedly; it has been restarted") from None


class RenderPool:
    def __init__(self, slots: int = SLOTS) -> None:
        self._free: queue.Queue[_Slot] = queue.Queue()
        self._all = [_Slot() for _ in range(slots)]
        for slot in self._all:
            self._free.put(slot)

    def run(self, function, *args, timeout: float):
        try:
            slot = self._free.get(timeout=timeout * QUEUE_WAIT_FACTOR)
        except queue.Empty:
            raise RenderUnavailable("every report renderer is busy") from None
        try:
            return slot.run(function, args, timeout)
        finally:
            self._free.put(slot)

    def shutdown(self) -> None:
        for slot in self._all:
            slot.stop()


_lock = threading.Lock()
_pool: RenderPool | None = None


def _the_pool() -> RenderPool:
    global _pool
    with _lock:
        if _pool is None:
            _pool = RenderPool()
        return _pool


def shutdown() -> None:
    """Stop every render worker (at exit, on SIGTERM, and in tests)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()


def _on_sigterm(signum, _frame) -> None:
    shutdown()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # then end as SIGTERM would have


_installed = False


def install_shutdown_handlers() -> None:
    """Stop the workers with the server: at exit, and on SIGTERM unless the server handles it itself."""
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(shutdown)
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)


def run_isolated(function, *args, timeout: float):
    """Run ``function(*args)`` in a worker; RenderTimeout after ``timeout`` s of running, RenderUnavailable
    when no worker is free in time or the worker died."""
    return _the_pool().run(function, *args, timeout=timeout)


def render_pdf_isolated(html: str, timeout: float = 60.0) -> bytes:
    from riskdesk.engine.report.render import render_pdf

    return run_isolated(render_pdf, html, timeout=timeout)
