"""Issued reports: atomic write, sha256 recorded, every read re-hashed."""
from __future__ import annotations

import hashlib
import os

import pytest

from riskdesk.council import storage
from riskdesk.council.storage import IntegrityError, read_issued, store_issued

PDF = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"


def files_in(path):
    return sorted(p.name for p in path.iterdir())


def test_store_then_read_back(tmp_path):
    name, digest = store_issued(PDF, tmp_path / "reports", "Sister-city agreement: Ningbo/../x")
    assert digest == hashlib.sha256(PDF).hexdigest()
    assert "/" not in name and name.endswith(".pdf") and name.startswith("sister-city-agreement")
    data = read_issued(tmp_path / "reports", name, digest)
    assert data == PDF
    assert hashlib.sha256(data).hexdigest() == digest
    assert files_in(tmp_path / "reports") == [name]  # no temp files left behind
    # issued reports are read-only on disk
    assert not os.stat(tmp_path / "reports" / name).st_mode & 0o222


def test_issued_real_report_round_trip(tmp_path, issued_pdf):
    name, digest = store_issued(issued_pdf, tmp_path, "Issued report")
    assert read_issued(tmp_path, name, digest) == issued_pdf


def test_same_report_twice_gets_two_files(tmp_path):
    a = store_issued(PDF, tmp_path, "r")
    b = store_issued(PDF, tmp_path, "r")
    assert a[0] != b[0] and a[1] == b[1]


def test_tampered_bytes_raise(tmp_path):
    name, digest = store_issued(PDF, tmp_path, "report")
    path = tmp_path / name
    os.chmod(path, 0o644)
    path.write_bytes(PDF.replace(b"x", b"y", 1))
    with pytest.raises(IntegrityError):
        read_issued(tmp_path, name, digest)


def test_wrong_hash_and_missing_file_raise(tmp_path):
    name, digest = store_issued(PDF, tmp_path, "report")
    with pytest.raises(IntegrityError):
        read_issued(tmp_path, name, "0" * 64)
    with pytest.raises(IntegrityError):
        read_issued(tmp_path, "nope.pdf", digest)


@pytest.mark.parametrize("bad", ["../etc/passwd", "/etc/passwd", "..", ".hidden.pdf", "a/b.pdf", ""])
def test_read_refuses_paths_outside_reports_dir(tmp_path, bad):
    with pytest.raises(IntegrityError):
        read_issued(tmp_path, bad, "0" * 64)


def test_failure_in_replace_leaves_nothing(tmp_path, monkeypatch):
    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(storage.os, "replace", boom)
    with pytest.raises(OSError):
        store_issued(PDF, tmp_path, "report")
    assert files_in(tmp_path) == []


def test_failure_during_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(fd):
        raise OSError("fsync failed after a partial write")

    monkeypatch.setattr(storage.os, "fsync", boom)
    with pytest.raises(OSError):
        store_issued(PDF, tmp_path, "report")
    assert files_in(tmp_path) == []


def test_interrupt_during_write_leaves_nothing(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class Exploding:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            raise KeyboardInterrupt

    monkeypatch.setattr(storage.os, "fdopen", lambda fd, mode: Exploding(real_fdopen(fd, mode)))
    with pytest.raises(KeyboardInterrupt):
        store_issued(PDF, tmp_path, "report")
    assert files_in(tmp_path) == []


def test_rejects_non_pdf(tmp_path):
    with pytest.raises(ValueError):
        store_issued(b"<html>", tmp_path, "x")
