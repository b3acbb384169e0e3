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

then ``python -m riskdesk jobs enqueue my_kind --params '{...}'`` (for cron or a systemd timer) or
``jobs.submit(app, "my_kind", params, actor)`` from a route or a service caller.
"""
