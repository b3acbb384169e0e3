"""The two queues: RQ on Redis when ``REDIS_URL`` is set, a thread in this process otherwise."""
from __future__ import annotations

import concurrent.futures

from riskdesk.jobs import runner
from riskdesk.jobs.kinds import KINDS  # noqa: F401 - re-exported for the routes that start jobs
from riskdesk.jobs.progress import LocalProgress, RedisProgress
from riskdesk.models import Job, User

QUEUE_NAME = "riskdesk"
JOB_TIMEOUT_SECONDS = 3600


class InProcessQueue:
    """Runs each job in one background thread of the web process, one job at a time."""

    def __init__(self, app):
        self.app = app
        self.progress = LocalProgress()
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskdesk-job")
        self._futures: list[concurrent.futures.Future] = []

    def enqueue(self, job_id: int) -> None:
        self._futures = [f for f in self._futures if not f.done()]
        self._futures.append(self._executor.submit(self._run, job_id))

    def _run(self, job_id: int) -> str:
        with self.app.app_context():
            return runner.perform(self.app, job_id, self.progress)

    def wait(self, timeout: float = 120) -> None:
        """Block until every job enqueued so far has finished (for tests and the command line)."""
        concurrent.futures.wait(self._futures, timeout=timeout)


class RedisQueue:
    """RQ on Redis: ``python -m riskdesk jobs worker`` runs what is enqueued here."""

    def __init__(self, url: str):
        import rq
        from redis import Redis

        self.redis = Redis.from_url(url)
        self.rq = rq.Queue(QUEUE_NAME, connection=self.redis)
        self.progress = RedisProgress(self.redis)

    def enqueue(self, job_id: int) -> None:
        self.rq.enqueue_call("riskdesk.jobs.runner.perform_current", args=(job_id,), timeout=JOB_TIMEOUT_SECONDS,
                             result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600, description=f"riskdesk job {job_id}")


def cron_scheduler(jobs_queue: RedisQueue, kind: str, params: dict, *, cron: str | None = None,
                   every: int | None = None):
    """RQ's cron scheduler with one entry: every ``every`` seconds or at the ``cron`` times (local time), it
    puts a run of ``kind`` on the queue; ``jobs worker`` records and performs it (``runner.run_scheduled``)."""
    from rq.cron import CronScheduler

    from riskdesk.jobs.runner import run_scheduled

    scheduler = CronScheduler(connection=jobs_queue.redis, name=f"riskdesk-{kind}")
    scheduler.register(run_scheduled, QUEUE_NAME, args=(kind, params), cron=cron, interval=every,
                       job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600,
                       name=f"riskdesk:{kind}")
    return scheduler


def init_app(app) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["riskdesk.jobs"] = RedisQueue(url) if url else InProcessQueue(app)


def background(app) -> bool:
    """Whether long work from a page goes to the job queue (a Redis queue is configured) or runs in the request."""
    return isinstance(app.extensions["riskdesk.jobs"], RedisQueue)


def submit(app, session, kind: str, params: dict | None, actor: User | None) -> Job:
    """Record a queued job, commit it (a worker must see the row), and put it on the queue."""
    job = runner.create(session, kind, params, actor)
    session.commit()
    app.extensions["riskdesk.jobs"].enqueue(job.id)
    return job


def status(app, job: Job) -> dict:
    """What the progress bar shows: the row, with live progress while it runs."""
    done, total = job.done, job.total
    if job.status in ("queued", "running"):
        live = app.extensions["riskdesk.jobs"].progress.get(job.id)
        if live is not None:
            done, total = live
    return {"id": job.id, "kind": job.kind, "status": job.status, "done": done, "total": total,
            "attempts": job.attempts, "max_attempts": job.max_attempts, "error": job.error or None,
            "summary": (job.result or {}).get("summary") if job.status == "succeeded" else None}
