"""Create job rows and run them: claim, run the kind in one transaction, record success or failure, retry."""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from riskdesk.jobs.kinds import KINDS, JobContext, JobRefused
from riskdesk.models import Job, User

ERROR_LIMIT = 2000


class UnknownKind(ValueError):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def create(session: Session, kind: str, params: dict | None, actor: User | None) -> Job:
    """A queued job row (the caller commits, then enqueues its id). Raises UnknownKind."""
    if kind not in KINDS:
        raise UnknownKind(f"kind: {kind!r} is not a job kind (known: {', '.join(sorted(KINDS))})")
    job = Job(kind=kind, params=dict(params or {}), status="queued", max_attempts=KINDS[kind].max_attempts,
              created_by_id=actor.id if actor else None, error="")
    session.add(job)
    session.flush()
    return job


def _claim(maker, job_id: int) -> Job | None:
    """Mark a queued job running, atomically, so two workers never run the same attempt."""
    with maker() as control:
        claimed = control.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                                  .values(status="running", attempts=Job.attempts + 1, started_at=_now(), error=""))
        control.commit()
        return control.get(Job, job_id) if claimed.rowcount == 1 else None


def _attempt(app, job: Job, progress_store) -> tuple[bool, str]:
    """One attempt in one transaction: (succeeded, error message)."""
    maker = app.extensions["riskdesk.sessionmaker"]
    work = maker()
    seen = {"done": 0, "total": 0}

    def progress(done: int, total: int) -> None:
        seen.update(done=done, total=total)
        progress_store.set(job.id, done, total)

    ctx = JobContext(session=work, params=job.params, actor=work.get(User, job.created_by_id) if job.created_by_id
                     else None, config=app.config, progress=progress)
    try:
        result = KINDS[job.kind].run(ctx)
        row = work.get(Job, job.id)
        row.status, row.result, row.finished_at = "succeeded", result, _now()
        row.done, row.total = seen["done"], seen["total"]
        work.commit()
        return True, ""
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job, none half-applied
        work.rollback()
        for undo in reversed(ctx.undo):
            undo()
        app.logger.exception("job %s (%s) attempt %s failed", job.id, job.kind, job.attempts)
        final = isinstance(exc, JobRefused)
        return False, ("refused: " if final else "") + (str(exc) if final else f"{type(exc).__name__}: {exc}")
    finally:
        work.close()


def _record_failure(maker, job_id: int, error: str) -> str:
    with maker() as control:
        row = control.get(Job, job_id)
        retry = row.attempts < row.max_attempts and not error.startswith("refused: ")
        row.status = "queued" if retry else "failed"
        row.error = error.removeprefix("refused: ")[:ERROR_LIMIT]
        row.finished_at = None if retry else _now()
        control.commit()
        return row.status


def perform(app, job_id: int, progress_store) -> str:
    """Run job ``job_id`` to its end: attempts until success, a refusal or ``max_attempts``; the final status."""
    maker = app.extensions["riskdesk.sessionmaker"]
    status = "queued"
    while status == "queued":
        job = _claim(maker, job_id)
        if job is None:  # unknown, or another worker has it
            return "skipped"
        succeeded, error = _attempt(app, job, progress_store)
        status = "succeeded" if succeeded else _record_failure(maker, job_id, error)
        if status == "queued":
            time.sleep(float(app.config.get("JOB_RETRY_DELAY", 2.0)) * job.attempts)
    return status


def fail_abandoned(session: Session, older_than: dt.timedelta) -> int:
    """Mark failed the jobs still "running" after the time limit: their worker died, its transaction with it."""
    rows = session.scalars(select(Job).where(Job.status == "running", Job.started_at < _now() - older_than)).all()
    for row in rows:
        row.status, row.finished_at = "failed", _now()
        row.error = "The worker running this job stopped before it finished; nothing was changed."
    return len(rows)


def perform_current(job_id: int) -> str:
    """RQ's entry point: the worker process runs inside the app context (``python -m riskdesk jobs worker``)."""
    from flask import current_app

    app = current_app._get_current_object()
    return perform(app, job_id, app.extensions["riskdesk.jobs"].progress)


def run_scheduled(kind: str, params: dict) -> str:
    """The entry point ``jobs schedule`` hands RQ's cron scheduler: record a job row for this run and
    perform it in the worker, like any job; skipped while a job of the same kind is still waiting or running."""
    from flask import current_app

    app = current_app._get_current_object()
    with app.extensions["riskdesk.sessionmaker"]() as session:
        busy = session.scalar(select(Job.id).where(Job.kind == kind, Job.status.in_(("queued", "running"))).limit(1))
        if busy is not None:
            app.logger.warning("scheduled %s skipped: job %s of that kind is still waiting or running", kind, busy)
            return "skipped"
        job_id = create(session, kind, params, None).id
        session.commit()
    return perform(app, job_id, app.extensions["riskdesk.jobs"].progress)
