"""Background jobs: long work (re-assessing, impact previews, batch reports) out of the request.

A job is a row in ``job`` (kind, parameters, status, progress, result or failure) and a task on a queue:
RQ on Redis when ``REDIS_URL`` is set (run ``python -m riskdesk jobs worker`` beside the web workers),
otherwise a thread inside the web process, so the two-command local start needs nothing more.

The rule that keeps a failed job from leaving anything half-applied: **one database transaction per
job**. The kind's function does all its writes in one session; the job's success (status, result) is
committed in that same transaction, and any exception rolls all of it back, so the previous state stands.
Files a kind writes (issued report PDFs) are removed again when its transaction rolls back. A failed
attempt is retried until ``max_attempts`` (bounded); the last failure's message is kept on the row.

Adding a kind takes one function and one registry entry in ``riskdesk/jobs/kinds.py``::

    def my_kind(ctx: JobContext) -> dict:      # writes through ctx.session, reports ctx.progress(done, total)
        ...
        return {"summary": "what happened, in one sentence", ...}

    KINDS["my_kind"] = JobKind("Title shown to administrators", my_kind)

then ``python -m riskdesk jobs enqueue my_kind --params '{...}'`` (for cron or a systemd timer), ``jobs
schedule my_kind --cron '17 6 * * *'`` (RQ's cron scheduler, with Redis: how ``fetch_lists`` keeps the lists
current) or, from a route, ``queue.submit(current_app, session, "my_kind", params,
actor)`` (``riskdesk.jobs.queue``; ``queue.background(app)`` says whether a Redis queue is configured, when a
page should enqueue instead of doing the work in the request). Parameters must be JSON (ids, not rows).

A worker that dies mid-job (killed, machine lost) loses its open transaction, so nothing of it is applied;
``jobs worker`` marks such jobs failed when it starts, once they are older than the job time limit.
"""
