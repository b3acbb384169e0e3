"""A list-file server on 127.0.0.1 for the ``lists fetch`` tests (CLI and background job)."""
from __future__ import annotations

import http.server
import threading
import time


class ListServer:
    """Serves list files on 127.0.0.1; a path can be set to fail (500), to be cut short, or to stall."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.broken: set[str] = set()
        self.truncated: set[str] = set()
        self.stall: set[str] = set()
        self.requests: dict[str, int] = {}  # GETs per path
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                server.requests[path] = server.requests.get(path, 0) + 1
                if path in server.stall:
                    time.sleep(3)
                if path in server.broken or path not in server.files:
                    self.send_error(500 if path in server.broken else 404)
                    return
                body = server.files[path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if path in server.truncated else body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
