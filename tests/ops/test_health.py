"""/healthz answers without sign-in; /readyz says ready only with the database, its migrations and a release."""
from __future__ import annotations

from sqlalchemy import text

from riskdesk.ops import readiness


def test_healthz_answers_anyone(web):
    response = web.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_not_ready_until_a_release_is_active(app, web, db_session):
    response = web.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert checks["release"].startswith("no checklist release is active")
    from riskdesk.checklists import releases
    from tests.conftest import CHECKLISTS

    releases.publish_directory(db_session, CHECKLISTS)
    db_session.commit()
    ready = web.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {
        "status": "ready", "checks": {"database": "ok", "migrations": "ok", "release": "ok"}}


def test_readyz_names_a_database_behind_the_code(app, web, published, db_session):
    with app.extensions["riskdesk.engine"].begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = web.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready"
    expected = ", ".join(sorted(readiness.code_heads()))
    assert body["checks"]["migrations"] == f"database at 0001, code expects {expected}: run python -m riskdesk db upgrade"


def test_readyz_reports_an_unreachable_database_without_details(app, web, monkeypatch):
    from sqlalchemy import create_engine

    monkeypatch.setitem(app.extensions, "riskdesk.engine", create_engine("sqlite:////nonexistent/dir/x.sqlite3"))
    response = web.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unreachable (OperationalError)", "migrations": "unknown",
                                             "release": "unknown"}


def test_proxy_fix_takes_the_client_scheme_and_address_from_one_proxy(app, database_url, tmp_path):
    from riskdesk import create_app

    proxied = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x", "PROXY_HOPS": 1,
                          "INSTANCE_PATH": str(tmp_path / "i"), "REPORTS_DIR": str(tmp_path / "r")})
    response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https",
                                                              "X-Forwarded-For": "203.0.113.9"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")  # request.is_secure via the proxy
    plain = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers  # without PROXY_HOPS the header is not trusted
    proxied.extensions["riskdesk.engine"].dispose()
