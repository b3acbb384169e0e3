"""Engine and session setup. Plain SQLAlchemy 2.0: usable from Flask, the CLI and tests alike."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from riskdesk.config import PROJECT_ROOT

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema through the migrations (never ``create_all``)."""
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def init_app(app) -> None:
    from flask import g

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["riskdesk.engine"] = engine
    app.extensions["riskdesk.sessionmaker"] = make_sessionmaker(engine)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def session() -> Session:
    """The request's session (one per app context)."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["riskdesk.sessionmaker"]()
    return g.db_session



# What may be serialised: a lock name -> (PostgreSQL advisory-lock namespace, the SQLite table written to).
LOCKS = {"checklist_release": (1, "checklist_release"), "list_snapshot": (2, "list_snapshot"),
         "report_issue": (3, "report")}


def serialise(session: Session, lock: str, key: int = 0) -> None:
    """Hold lock (``lock``, ``key``) until the transaction ends, so check-then-write runs one at a time.

    PostgreSQL: a transaction-scoped advisory lock (released by COMMIT or ROLLBACK). SQLite has one
    writer at a time: a write statement that changes nothing takes the database's write lock now
    (waiting up to the busy timeout) instead of at the first real write, after the checks.
    """
    from sqlalchemy import text

    namespace, table = LOCKS[lock]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"), {"namespace": namespace, "key": key})
    else:
        session.execute(text(f'UPDATE "{table}" SET id = id WHERE 0 = 1'))
