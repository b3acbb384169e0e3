"""Render report PDFs in a separate, recycled worker process with a wall-clock limit.

WeasyPrint's own advice for untrusted input is to limit time and memory per render. The web app
therefore renders in one long-lived worker process (warm: imports and fonts are paid once), recycled
after a number of renders to bound memory growth, and killed when a render exceeds its time limit.
The command line renders in-process (see ``render.render_pdf``).
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

RENDERS_PER_WORKER = 50


class RenderTimeout(RuntimeError):
    """The render took longer than allowed; its worker was stopped."""


_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                            max_tasks_per_child=RENDERS_PER_WORKER)
        return _executor


def _discard(executor: ProcessPoolExecutor) -> None:
    """Stop a pool whose worker hangs or died: terminate its processes, start afresh next time."""
    global _executor
    with _lock:
        if _executor is executor:
            _executor = None
    for process in list(getattr(executor, "_processes", {}).values()):
        process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


def run_isolated(function, *args, timeout: float):
    """Run ``function(*args)`` in the worker; raise RenderTimeout after ``timeout`` seconds."""
    executor = _pool()
    try:
        future = executor.submit(function, *args)
        return future.result(timeout=timeout)
    except FutureTimeout:
        _discard(executor)
        raise RenderTimeout(f"rendering took longer than {timeout:g} s and was stopped") from None
    except BrokenProcessPool:
        _discard(executor)
        raise


def render_pdf_isolated(html: str, timeout: float = 60.0) -> bytes:
    from riskdesk.engine.report.render import render_pdf

    return run_isolated(render_pdf, html, timeout=timeout)
