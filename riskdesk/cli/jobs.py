"""``jobs worker | enqueue | list``: the RQ worker beside the web workers, and jobs started by cron or by hand."""
from __future__ import annotations

import datetime as dt
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.cli.common import fail
from riskdesk.jobs import queue, runner
from riskdesk.jobs.kinds import KINDS
from riskdesk.users import services


@click.group("jobs")
def jobs():
    """Background jobs: run a worker, enqueue a job, list recent jobs."""


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and one-off runs).")
@with_appcontext
def jobs_worker(burst):
    """Run queued jobs from Redis (needs REDIS_URL); start one or more beside the web workers."""
    from rq import SimpleWorker

    jobs_queue = current_app.extensions["riskdesk.jobs"]
    if not isinstance(jobs_queue, queue.RedisQueue):
        fail(["REDIS_URL: not set, so jobs run inside the web process and no worker is needed."])
    session = db.session()
    abandoned = runner.fail_abandoned(session, dt.timedelta(seconds=queue.JOB_TIMEOUT_SECONDS))
    session.commit()
    if abandoned:
        click.echo(f"{abandoned} job(s) left running by a stopped worker marked failed", err=True)
    # SimpleWorker runs each job in this process, inside this app context: the database pool and the
    # report render worker are set up once, not once per job in a fork.
    SimpleWorker([jobs_queue.rq], connection=jobs_queue.redis).work(burst=burst, with_scheduler=False)


def _params(_ctx, _param, value):
    try:
        params = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise click.BadParameter("must be a JSON object, e.g. '{\"status\": \"approved\"}'")
    return params


@jobs.command("enqueue")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--params", default="{}", callback=_params, help="The job's parameters as a JSON object.")
@click.option("--as", "username", help="The user the job acts for (needed to issue reports).")
@click.option("--wait/--no-wait", default=None, help="Wait for the job to end (default: only without REDIS_URL).")
@with_appcontext
def jobs_enqueue(kind, params, username, wait):
    """Enqueue a job (e.g. from cron or a systemd timer); prints its id, exits 1 if a waited-for job failed."""
    session = db.session()
    actor = services.find_user(session, username) if username else None
    if username and actor is None:
        fail([f"--as: no user {username!r}"])
    job = queue.submit(current_app, session, kind, params, actor)
    click.echo(f"job {job.id} ({kind}) queued")
    jobs_queue = current_app.extensions["riskdesk.jobs"]
    if wait is None:
        wait = isinstance(jobs_queue, queue.InProcessQueue)  # the thread dies with this command otherwise
    if wait and isinstance(jobs_queue, queue.InProcessQueue):
        jobs_queue.wait(timeout=None)
        session.refresh(job)
        click.echo(f"job {job.id}: {job.status}: {(job.result or {}).get('summary', '') or job.error}")
        if job.status != "succeeded":
            raise SystemExit(1)


@jobs.command("schedule")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--cron", "cron_expression", help="When, as a crontab expression in local time, e.g. '17 6 * * *'.")
@click.option("--every", type=click.IntRange(min=60), help="Or: every so many seconds (60 or more).")
@click.option("--params", default="{}", callback=_params, help="The job's parameters as a JSON object.")
@with_appcontext
def jobs_schedule(kind, cron_expression, every, params):
    """Enqueue KIND on a schedule, e.g. ``jobs schedule fetch_lists --cron '17 6 * * *'`` (needs REDIS_URL;
    runs RQ's cron scheduler in the foreground as one more service beside ``jobs worker``)."""
    from croniter import croniter

    jobs_queue = current_app.extensions["riskdesk.jobs"]
    if not isinstance(jobs_queue, queue.RedisQueue):
        fail(["REDIS_URL: not set; without Redis, run 'jobs enqueue KIND' from cron or a systemd timer."])
    if (cron_expression is None) == (every is None):
        fail(["--cron or --every: give exactly one of them."])
    if cron_expression is not None and not croniter.is_valid(cron_expression):
        fail([f"--cron: {cron_expression!r} is not a crontab expression (minute hour day month weekday)."])
    scheduler = queue.cron_scheduler(jobs_queue, kind, params, cron=cron_expression, every=every)
    when = f"at '{cron_expression}' (local time)" if cron_expression else f"every {every} seconds"
    click.echo(f"scheduling {kind} {when}; stop with Ctrl-C or SIGTERM")
    scheduler.start()


@jobs.command("list")
@click.option("--limit", default=20, show_default=True, type=int)
@with_appcontext
def jobs_list(limit):
    """The most recent jobs, newest first."""
    from sqlalchemy import select

    from riskdesk.models import Job

    for job in db.session().scalars(select(Job).order_by(Job.id.desc()).limit(limit)):
        outcome = (job.result or {}).get("summary", "") if job.status == "succeeded" else job.error
        click.echo(f"{job.id}\t{job.kind}\t{job.status}\t{job.done}/{job.total}\t{outcome}")


COMMANDS = (jobs,)

