"""The render worker: PDFs come back from a separate process, and a render past its limit is stopped."""
import os
import time

import pytest

from riskdesk.council import worker


def _sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_render_runs_in_another_process_and_returns_the_pdf():
    pdf = worker.render_pdf_isolated("<html lang='en'><head><title>t</title></head><body><p>Hello</p></body></html>",
                                     timeout=120)
    assert pdf.startswith(b"%PDF")
    assert worker.run_isolated(_sleep_then_pid, 0, timeout=60) != os.getpid()


def test_a_render_past_its_limit_is_stopped_and_the_next_one_works():
    started = time.monotonic()
    with pytest.raises(worker.RenderTimeout):
        worker.run_isolated(_sleep_then_pid, 30, timeout=1)
    assert time.monotonic() - started < 15
    assert isinstance(worker.run_isolated(_sleep_then_pid, 0, timeout=60), int)
