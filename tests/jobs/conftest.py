"""Proposals assessed under the shipped release, then a newer release published: work for the job kinds."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from riskdesk.checklists import releases
from riskdesk.engine.document import load_path
from riskdesk.models import Assessment, AuditEvent, Report
from riskdesk.proposals.assessments import assess_proposal
from riskdesk.proposals.services import create_proposal

DEMO = sorted((Path(__file__).resolve().parents[2] / "demo").glob("*.yaml"))


@pytest.fixture
def assessed(db_session, published):
    """Every demo proposal, assessed under the shipped release; their ids."""
    ids = []
    for path in DEMO:
        proposal = create_proposal(db_session, load_path(path))
        assess_proposal(db_session, proposal)
        ids.append(proposal.id)
    db_session.commit()
    return ids


@pytest.fixture
def newer_release(db_session, published, assessed):
    """A published edit that makes screening hits critical: every assessment above is now stale."""
    text = published.files["scoring.yaml"].replace("screening_severity: high", "screening_severity: critical")
    row = releases.publish(db_session, {**published.files, "scoring.yaml": text}, note="newer")
    db_session.commit()
    return row


def counts(session) -> dict[str, int]:
    session.expire_all()
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Assessment, Report, AuditEvent)}


@pytest.fixture
def redis_app(app, redis_server):
    """The test app with its job queue and sign-in counters on Redis (emptied before each test)."""
    from redis import Redis

    from riskdesk import create_app

    Redis.from_url(redis_server).flushall()
    queued = create_app({**{k: app.config[k] for k in ("TESTING", "DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH",
                                                           "REPORTS_DIR", "SESSION_COOKIE_SECURE",
                                                           "REMEMBER_COOKIE_SECURE")},
                         "REDIS_URL": redis_server, "JOB_RETRY_DELAY": 0})
    yield queued
    queued.extensions["riskdesk.engine"].dispose()
