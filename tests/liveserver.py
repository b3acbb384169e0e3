"""Real servers for tests and the load benchmark: gunicorn (``serve --production``), the job worker, a client."""
from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, redis_url: str, reports_dir: Path, instance: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RISKDESK_", "DATABASE_URL"))}
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "shared-by-every-worker",
                "RISKDESK_INSECURE_COOKIES": "1", "RISKDESK_REPORTS_DIR": str(reports_dir),
                "RISKDESK_INSTANCE": str(instance), "RISKDESK_JOB_RETRY_DELAY": "0", **extra})
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def gunicorn(env: dict, port: int, workers: int, log: Path):
    """``python -m riskdesk serve --production`` on 127.0.0.1:port; yields its base URL once /healthz answers."""
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "riskdesk", "serve", "--production", "--host", "127.0.0.1",
                                    "--port", str(port), "--workers", str(workers)],
                                   env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Client(base).get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        _stop(process)


@contextlib.contextmanager
def job_worker(env: dict, log: Path):
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "riskdesk", "jobs", "worker"], env=env, cwd=PROJECT_ROOT,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        _stop(process)


@dataclass
class Answer:
    status: int
    headers: dict
    text: str

    def json(self):
        import json

        return json.loads(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One person's browser: a cookie jar, forms posted with their CSRF token, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def on(self, base: str) -> Client:
        """The same browser (same cookies) talking to another server."""
        other = Client(base)
        other.cookies = self.cookies
        other._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)
        return other

    def _open(self, request) -> Answer:
        try:
            with self._opener.open(request, timeout=120) as response:
                return Answer(response.status, dict(response.headers), response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))

    def token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status})"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, token_from: str = "/proposals",
             token: str | None = None) -> Answer:
        data = dict(data or {})
        data.setdefault("csrf_token", token or self.token(token_from))
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def login(self, username: str, password: str) -> Answer:
        return self.post("/auth/login", {"username": username, "password": password}, token_from="/auth/login")
