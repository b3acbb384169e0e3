"""A throwaway Redis server for the operations tests (the multi-worker test needs it beside PostgreSQL)."""
from __future__ import annotations

import pytest

from tests.pgcluster import ServerProgramsMissing
from tests.redisserver import throwaway_redis


@pytest.fixture(scope="session")
def redis_server():
    try:
        with throwaway_redis() as url:
            yield url
    except ServerProgramsMissing as exc:
        pytest.skip(str(exc))
