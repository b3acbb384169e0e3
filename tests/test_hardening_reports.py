"""Issuing is idempotent per click, and a broken reports folder or stored file is a clear error (issue 13).

Before: four simultaneous "issue" requests issued four reports of the same assessment; a missing or
truncated issued file, or a full or read-only reports folder, was a bare 500.
"""
from __future__ import annotations

import errno
import threading
from pathlib import Path

from sqlalchemy import func, select

from riskdesk.council import storage
from riskdesk.models import Proposal, Report
from tests.conftest import Browserless
from tests.test_web import DEMO, import_demo


def _assessed(client, db_session) -> int:
    import_demo(client, DEMO[1])
    proposal_id = db_session.scalars(select(Proposal.id)).one()
    assert client.post(f"/proposals/{proposal_id}/assess").status_code in (302, 303)
    return proposal_id


def _reports(db_session) -> list[Report]:
    db_session.expire_all()
    return db_session.scalars(select(Report).order_by(Report.id)).all()


def test_simultaneous_issue_requests_issue_one_report(app, users, as_staff, published, db_session):
    proposal_id = _assessed(as_staff, db_session)
    clients = []
    for _ in range(4):
        client = Browserless(app.test_client())
        assert client.login("stella").status_code in (302, 303)
        clients.append((client, client.token(f"/proposals/{proposal_id}")))
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def issue(client, token):
        barrier.wait()
        statuses.append(client.client.post(f"/proposals/{proposal_id}/issue", data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=issue, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert sorted(statuses) == [302] * 4
    assert len(_reports(db_session)) == 1


def test_a_double_click_issues_once_and_issuing_again_is_explicit(as_staff, published, db_session):
    proposal_id = _assessed(as_staff, db_session)
    url = f"/proposals/{proposal_id}/issue"
    for _ in range(2):
        assert as_staff.post(url, token_from=f"/proposals/{proposal_id}").status_code in (302, 303)
    [first] = _reports(db_session)
    page = as_staff.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "Issue the report again" in page and f'name="replaces" value="{first.id}"' in page
    # "issue again" names the report it replaces; the same click sent twice still issues one more
    for _ in range(2):
        assert as_staff.post(url, {"replaces": str(first.id)}, token_from=f"/proposals/{proposal_id}") \
            .status_code in (302, 303)
    assert [r.id for r in _reports(db_session)][0] == first.id and len(_reports(db_session)) == 2


def test_a_missing_or_truncated_issued_file_is_a_clear_410(app, as_staff, published, db_session):
    proposal_id = _assessed(as_staff, db_session)
    as_staff.post(f"/proposals/{proposal_id}/issue", token_from=f"/proposals/{proposal_id}")
    [report] = _reports(db_session)
    path = Path(app.config["REPORTS_DIR"]) / report.filename
    data = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(data[: len(data) // 2])
    truncated = as_staff.get(f"/reports/{report.id}.pdf")
    assert truncated.status_code == 410 and "missing or damaged" in truncated.get_data(as_text=True)
    path.unlink()
    missing = as_staff.get(f"/reports/{report.id}.pdf")
    assert missing.status_code == 410 and "missing or damaged" in missing.get_data(as_text=True)


def _refusing(code: int):
    def refuse(*_args, **_kwargs):
        raise OSError(code, errno.errorcode[code] and __import__("os").strerror(code))
    return refuse


def test_a_full_or_read_only_reports_folder_is_a_503_and_nothing_is_recorded(as_staff, published, db_session,
                                                                             monkeypatch):
    """Root ignores file permissions here, so the folder's refusals are simulated at the system call."""
    proposal_id = _assessed(as_staff, db_session)
    for code, call in ((errno.ENOSPC, "fsync"), (errno.EROFS, "replace")):
        monkeypatch.setattr(storage.os, call, _refusing(code))
        response = as_staff.post(f"/proposals/{proposal_id}/issue", token_from=f"/proposals/{proposal_id}")
        page = response.get_data(as_text=True)
        assert response.status_code == 503 and "reports folder could not store the file" in page
        assert __import__("os").strerror(code) in page
        monkeypatch.undo()
        assert _reports(db_session) == []
    assert db_session.scalar(select(func.count()).select_from(Report)) == 0
    assert as_staff.post(f"/proposals/{proposal_id}/issue", token_from=f"/proposals/{proposal_id}") \
        .status_code in (302, 303)
    assert len(_reports(db_session)) == 1


def test_a_reports_folder_that_is_a_file_is_a_503(app, as_staff, published, db_session, tmp_path):
    proposal_id = _assessed(as_staff, db_session)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app.config["REPORTS_DIR"] = str(blocker / "reports")
    response = as_staff.post(f"/proposals/{proposal_id}/issue", token_from=f"/proposals/{proposal_id}")
    assert response.status_code == 503 and "reports folder" in response.get_data(as_text=True)
    assert _reports(db_session) == []
