"""Settings from the environment, with safe defaults.

``DATABASE_URL`` defaults to an SQLite file under ``instance/``; ``SECRET_KEY`` comes from the
environment or is generated once and kept in ``instance/secret_key`` (mode 0600). ``REDIS_URL``, when
set, moves the sign-in rate limit's counters and the background job queue to Redis (several workers).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_url(instance: Path | None = None) -> str:
    instance = instance or Path(os.environ.get("RISKDESK_INSTANCE", PROJECT_ROOT / "instance"))
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; SQLAlchemy 2 wants psycopg (v3).
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    instance.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance / 'riskdesk.sqlite3'}"


def limits_uri(redis_url: str) -> str:
    """The rate limiter's name for a Redis URL (it spells a Unix socket ``redis+unix://``)."""
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def load(overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_PATH", None) or os.environ.get("RISKDESK_INSTANCE", PROJECT_ROOT / "instance"))
    settings = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": overrides.get("DATABASE_URL") or database_url(instance),
        "REPORTS_DIR": os.environ.get("RISKDESK_REPORTS_DIR", str(PROJECT_ROOT / "reports")),
        "CHECKLISTS_DIR": os.environ.get("RISKDESK_CHECKLISTS_DIR", str(PROJECT_ROOT / "checklists")),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("RISKDESK_INSECURE_COOKIES") != "1",
        "REMEMBER_COOKIE_SECURE": os.environ.get("RISKDESK_INSECURE_COOKIES") != "1",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "PROPOSALS_PER_PAGE": 25,
        "REPORT_RENDER_TIMEOUT": float(os.environ.get("RISKDESK_REPORT_RENDER_TIMEOUT", "120")),
        # Several workers share the sign-in counters and the job queue through Redis when REDIS_URL is set.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Behind one reverse proxy set RISKDESK_PROXY_HOPS=1: client address and scheme come from X-Forwarded-*.
        "PROXY_HOPS": int(os.environ.get("RISKDESK_PROXY_HOPS", "0")),
        "JOB_RETRY_DELAY": float(os.environ.get("RISKDESK_JOB_RETRY_DELAY", "2")),
        "LOGIN_RATE_LIMIT": os.environ.get("RISKDESK_LOGIN_RATE_LIMIT", "10 per minute"),
        "API_RATE_LIMIT": os.environ.get("RISKDESK_API_RATE_LIMIT", "300 per minute"),
        "API_MAX_PER_PAGE": 200,
    }
    settings.update(overrides)
    settings.setdefault("RATELIMIT_STORAGE_URI",
                        os.environ.get("RATELIMIT_STORAGE_URI") or limits_uri(settings["REDIS_URL"]) or "memory://")
    if "SECRET_KEY" not in settings:
        settings["SECRET_KEY"] = _secret_key(Path(settings["INSTANCE_PATH"]))
    return settings
