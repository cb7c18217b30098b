"""A misbehaving Kubernetes API server for tests: every answer is scripted per request path.

`fake_api(answer)` serves on 127.0.0.1 from a thread; `answer(path, query)` returns (status, body bytes,
seconds to wait between bytes) for each GET. Every request's path and query are recorded. With the
kubeconfig it writes, `kgov scan --cluster` talks to it like to a real API server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

Answer = Callable[[str, dict[str, str]], tuple[int, bytes, float]]
TOKEN = "fake-token"


@dataclass
class FakeApi:
    url: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def kubeconfig(self, path: Path, user: dict[str, object] | None = None) -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "u", "user": user if user is not None else {"token": TOKEN}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}],
            "current-context": "fake",
        }
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path


@contextmanager
def fake_api(answer: Answer) -> Iterator[FakeApi]:
    api = FakeApi("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            api.requests.append((parts.path, query))
            status, body, drip = answer(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if drip:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(drip)
                else:
                    self.wfile.write(body)
            except OSError:
                pass  # the client gave up

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
