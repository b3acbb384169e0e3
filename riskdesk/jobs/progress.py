"""Where a running job's progress lives while its transaction is still open.

The job's own row cannot carry it: the work's transaction is uncommitted until the end (and on SQLite
it holds the only write lock), so progress goes to Redis when a queue is configured, and to this
process's memory otherwise (the in-process runner serves its own pages). The row gets the final count.
"""
from __future__ import annotations

import threading

PROGRESS_TTL_SECONDS = 24 * 3600


class LocalProgress:
    def __init__(self):
        self._lock = threading.Lock()
        self._values: dict[int, tuple[int, int]] = {}

    def set(self, job_id: int, done: int, total: int) -> None:
        with self._lock:
            self._values[job_id] = (done, total)

    def get(self, job_id: int) -> tuple[int, int] | None:
        with self._lock:
            return self._values.get(job_id)


class RedisProgress:
    def __init__(self, connection):
        self._redis = connection

    @staticmethod
    def _key(job_id: int) -> str:
        return f"riskdesk:job:{job_id}:progress"

    def set(self, job_id: int, done: int, total: int) -> None:
        self._redis.set(self._key(job_id), f"{done}/{total}", ex=PROGRESS_TTL_SECONDS)

    def get(self, job_id: int) -> tuple[int, int] | None:
        value = self._redis.get(self._key(job_id))
        if not value:
            return None
        done, _, total = value.decode().partition("/")
        return int(done), int(total)
