"""A test double for GitHub's REST API, which cannot be reached here: it answers what the
generated workflows call (opening an issue) on loopback and records each call, so a test can
read what a workflow would have posted. Nothing else of GitHub is imitated: any other path is
404, and a call without a bearer token is 401, as GitHub answers it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ISSUES = re.compile(r"/repos/(?P<repo>[\w.-]+/[\w.-]+)/issues")


@dataclass
class Calls:
    url: str = ""
    issues: list[dict[str, Any]] = field(default_factory=list)  # {"repo", "token", "body"}


@contextmanager
def github_api_double() -> Iterator[Calls]:
    """The double on a free loopback port for the block; its URL is `calls.url`."""
    calls = Calls()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            found = ISSUES.fullmatch(self.path)
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if found is None:
                return self._answer(404, {"message": "Not Found (the double knows issues only)"})
            if not token:
                return self._answer(401, {"message": "Requires authentication"})
            body = json.loads(raw or b"{}")
            calls.issues.append({"repo": found["repo"], "token": token, "body": body})
            number = len(calls.issues)
            url = f"{calls.url}/{found['repo']}/issues/{number}"
            return self._answer(201, {"number": number, "html_url": url, **body})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # quiet: the calls are the record
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    calls.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield calls
    finally:
        server.shutdown()
        server.server_close()
