"""A throwaway Redis server for tests and benchmarks: Unix socket only, nothing saved, removed afterwards."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pgcluster import ServerProgramsMissing


@contextlib.contextmanager
def throwaway_redis(prefix: str = "riskdesk-redis-"):
    """Start Debian's redis-server on a socket in a temporary folder; yield its ``unix://`` URL."""
    program = shutil.which("redis-server")
    if not program:
        raise ServerProgramsMissing("redis-server is not on the PATH (Debian: apt-get install redis-server)")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    sock = root / "redis.sock"
    process = subprocess.Popen([program, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
                                "--save", "", "--appendonly", "no", "--dir", str(root), "--daemonize", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from redis import Redis

        deadline = time.monotonic() + 20
        while True:
            try:
                if sock.exists() and Redis(unix_socket_path=str(sock)).ping():
                    break
            except Exception:  # noqa: BLE001 - not accepting connections yet
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"unix://{sock}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
