"""HTTP answers a client can act on: a wrong content type is 415, and every 400 says which
field is wrong in its `error` line, not only in pydantic's `detail` list.

Both are plain ASGI middleware around the BentoML app, so they apply to every endpoint.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
MAX_LISTED = 5
MAX_UPLOAD_BYTES = 256 * 2**20  # a 100,000-row CSV of 100 columns is well under this


async def answer(send: Send, status: int, payload: dict[str, Any], close: bool = False) -> None:
    """A JSON answer; `close` ends the connection after it, so the server does not go on
    reading (and parsing) the rest of a body it refused."""
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class ContentTypes:
    """Refuse a POST whose Content-Type is not the one its route reads, before parsing it."""

    def __init__(self, app: ASGIApp, expected: dict[str, str]) -> None:
        self.app = app
        self.expected = expected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = self.expected.get(scope.get("path", "")) if scope["type"] == "http" else None
        if wanted and scope.get("method") == "POST":
            sent = header(scope, b"content-type")
            if sent.split(";", 1)[0].strip().lower() != wanted:
                await answer(send, 415, {
                    "error": f"Content-Type: expected {wanted}, got {sent or 'none'}"
                })  # fmt: skip
                return
            if wanted.startswith("multipart/"):
                problem, receive = await check_multipart(scope, receive, sent)
                if problem:
                    await answer(send, 413 if problem == TOO_LARGE else 400, {"error": problem})
                    return
        await self.app(scope, receive, send)


TOO_LARGE = f"body: larger than {MAX_UPLOAD_BYTES // 2**20} MiB; split the file"


async def check_multipart(scope: Scope, receive: Receive, sent: str) -> tuple[str, Receive]:
    """Parse a multipart body once here, so a malformed one is a 400 and not BentoML's 500.

    Returns the problem (or "") and a receive that replays the body to the app.
    """
    if "boundary=" not in sent.lower():
        return "Content-Type: multipart/form-data needs a boundary", receive
    declared = header(scope, b"content-length")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        return TOO_LARGE, receive
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > MAX_UPLOAD_BYTES:
            return TOO_LARGE, receive
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    from starlette.requests import Request

    try:
        form = await Request(scope, replay_body(bytes(body), receive)).form()
        await form.close()
    except Exception as exc:  # python-multipart and starlette raise several kinds
        return f"body: not a readable multipart form ({exc})", receive
    return "", replay_body(bytes(body), receive)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the app a body already read here, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def field_path(location: list[Any]) -> str:
    """["rows", 0, "mean radius"] -> "rows[0].mean radius"."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def readable(payload: Any) -> Any:
    """Name the failing fields in the error line of a validation answer, in the documented shape.

    BentoML 1.4 documents `detail` as a string but sends pydantic's list, and answers a
    BadInput with a one-item list: both become the documented object. The list survives,
    field by field, as `fields`.
    """
    if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], dict):
        payload = payload[0]
    if not isinstance(payload, dict) or not isinstance(payload.get("detail"), list):
        return payload
    fields = [
        {"field": field_path(list(item.get("loc", []))), "message": str(item.get("msg", "invalid"))}
        for item in payload["detail"]
        if isinstance(item, dict)
    ]
    problems = [f"{item['field']}: {item['message']}" for item in fields]
    more = len(problems) - MAX_LISTED
    listed = "; ".join(problems[:MAX_LISTED]) + (f"; and {more} more" if more > 0 else "")
    return {"error": listed or str(payload.get("error", "invalid request")),
            "detail": "\n".join(problems), "fields": fields}  # fmt: skip


class ReadableErrors:
    """Rewrite the body of 4xx answers (only those) through `readable`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                held["start"] = message
                return
            if "start" not in held or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            with contextlib.suppress(ValueError):  # not JSON: passed on unchanged
                body = json.dumps(readable(json.loads(body))).encode()
            start = held["start"]
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)
