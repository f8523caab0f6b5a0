"""A stand-in for GitHub's REST API (a test double: GitHub cannot be reached from a test), on
loopback: the calls `make github-setup` makes, answered in GitHub's shapes from state held
here, with every write recorded. Any other path is 404; a call without a token is 401."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class GitHubState:
    users: dict[str, str] = field(default_factory=dict)  # login -> "User" | "Organization"
    teams: set[str] = field(default_factory=set)  # "org/slug"
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    org_secrets: set[str] = field(default_factory=set)  # shared with the repository
    writes: list[str] = field(default_factory=list)
    url: str = ""


def _ids(name: str) -> int:
    return sum(ord(c) for c in name)


def _answer(state: GitHubState, method: str, path: str, body: Any) -> tuple[int, Any]:
    route = path.split("?")[0]
    if method != "GET":
        state.writes.append(f"{method} {route}")
    if found := re.fullmatch(r"/users/([\w-]+)", route):
        kind = state.users.get(found[1])
        return (200, {"id": _ids(found[1]), "login": found[1], "type": kind}) if kind else (404, {})
    if found := re.fullmatch(r"/orgs/([\w-]+)/teams/([\w-]+)", route):
        name = f"{found[1]}/{found[2]}"
        return (200, {"id": _ids(name), "slug": found[2]}) if name in state.teams else (404, {})
    found = re.fullmatch(r"/repos/[\w.-]+/[\w.-]+/(.*)", route)
    rest = found[1] if found else ""
    if found := re.fullmatch(r"environments/([\w-]+)", rest):
        if method == "PUT":
            rules = [
                {
                    "type": "required_reviewers",
                    "reviewers": [
                        {"type": r["type"], "reviewer": {"id": r["id"]}} for r in body["reviewers"]
                    ],
                }
            ]
            state.environments[found[1]] = {
                "name": found[1],
                "protection_rules": rules if body["reviewers"] else [],
                "deployment_branch_policy": body["deployment_branch_policy"],
            }
        current = state.environments.get(found[1])
        return (200, current) if current else (404, {})
    if found := re.fullmatch(r"environments/([\w-]+)/deployment-branch-policies(?:/(\d+))?", rest):
        policies = state.policies.setdefault(found[1], [])
        if method == "POST":
            policies.append({"id": len(state.writes), "name": body["name"], "type": body["type"]})
        if method == "DELETE":
            policies[:] = [p for p in policies if p["id"] != int(found[2])]
        return 200, {"branch_policies": policies, "total_count": len(policies)}
    if found := re.fullmatch(r"rulesets(?:/(\d+))?", rest):
        if method == "POST":
            state.rulesets.append(
                {**body, "id": len(state.rulesets) + 1, "source_type": "Repository"}
            )
        if method == "PUT":
            state.rulesets[int(found[1]) - 1].update(body)
        if found[1]:  # as GitHub answers: rules in its own order, with their parameters
            stored = state.rulesets[int(found[1]) - 1]
            rules = [{**rule, "parameters": {}} for rule in reversed(stored["rules"])]
            return 200, {
                **stored,
                "rules": rules,
                "bypass_actors": [],
                "current_user_can_bypass": "never",
            }
        listed = [
            {"id": r["id"], "name": r["name"], "source_type": r["source_type"]}
            for r in state.rulesets
        ]
        return 200, listed
    if found := re.fullmatch(r"actions/variables(?:/([\w-]+))?", rest):
        if method in {"POST", "PATCH"}:
            state.variables[body["name"]] = body["value"]
        value = state.variables.get(found[1] or "")
        if method == "GET":
            return (200, {"name": found[1], "value": value}) if value is not None else (404, {})
        return 201, {}
    if rest == "actions/organization-secrets" or re.fullmatch(r"environments/[\w-]+/secrets", rest):
        shared = state.org_secrets if rest == "actions/organization-secrets" else set()
        return 200, {"total_count": len(shared), "secrets": [{"name": n} for n in shared]}
    if rest == "actions/secrets":
        return 200, {
            "total_count": len(state.secrets),
            "secrets": [{"name": n} for n in state.secrets],
        }
    return 404, {"message": "Not Found (the stand-in knows what github-setup calls, only)"}


@contextmanager
def github_api_stand_in(state: GitHubState) -> Iterator[GitHubState]:
    """The stand-in on a free loopback port for the block; its URL is `state.url`."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            if not self.headers.get("Authorization", "").removeprefix("Bearer ").strip():
                status, payload = 401, {"message": "Requires authentication"}
            else:
                status, payload = _answer(state, self.command, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        setattr(Handler, f"do_{method}", Handler._any)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
