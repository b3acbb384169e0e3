"""Is this worker ready for traffic? The database answers, its schema is the code's, a release is active."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.engine import Engine

from riskdesk.checklists import releases
from riskdesk.db import alembic_config, make_sessionmaker


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    """The migration heads this code expects (read once: the scripts do not change while running)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def checks(engine: Engine) -> dict[str, str]:
    """Each check's outcome: "ok", or a short reason it failed (never a stack trace or a secret)."""
    outcome = {"database": "ok", "migrations": "ok", "release": "ok"}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except Exception:  # noqa: BLE001 - no version table means no migration ran
                current = frozenset()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is "not ready"
        return {"database": f"unreachable ({type(exc).__name__})", "migrations": "unknown", "release": "unknown"}
    if current != code_heads():
        outcome["migrations"] = (f"database at {', '.join(sorted(current)) or 'no revision'}, "
                                 f"code expects {', '.join(sorted(code_heads()))}: run python -m riskdesk db upgrade")
        outcome["release"] = "unknown"
        return outcome
    with make_sessionmaker(engine)() as session:
        if releases.active_release(session) is None:
            outcome["release"] = "no checklist release is active: run python -m riskdesk checklists publish"
    return outcome
