"""Every request gets an id: the client's `X-Request-ID` when it is a plain token, else a new
one. It is sent back in the `X-Request-ID` header and logged with each row the request scored,
so labels that arrive later are joined on it (`monitor --labels`); a refused request is logged
by its id too, with why.

A client may send the same id twice (a retry, a constant, a bug): the id is theirs to choose,
so it is not a key. Each request also gets a key minted here, logged beside the id as
`request`: rows are numbered within it, and requests are counted by it.

Adaptive batching merges concurrent /predict requests into one call, so the id cannot travel
as an argument: it is set in a context variable here, before the body is parsed, and each
parsed row keeps the id current while it was parsed (schema.row_model's `tagged`).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import NamedTuple

from pydantic import BaseModel, PrivateAttr

from .http_errors import ASGIApp, Message, Receive, Scope, Send, header


class RequestId(NamedTuple):
    """`id`: what the client sees (theirs, or `key`); `key`: unique to this request."""

    id: str
    key: str


REQUEST_ID: ContextVar[RequestId | None] = ContextVar("request_id", default=None)
HEADER = b"x-request-id"
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")  # what a client may choose as an id
# what the input made the service refuse; a timed-out body (408) or a missing endpoint is not
REFUSALS = frozenset({400, 413, 415, 422})
ERROR = re.compile(rb'"error"\s*:\s*("(?:[^"\\]|\\.)*")')  # the answer's error, whole or cut


def tagged(model: type[BaseModel]) -> type[BaseModel]:
    """`model` (of the same name) whose instances keep the request id current when each was
    parsed, as `_request_id`: a private attribute, so not in the API's schema."""
    namespace = {
        "__annotations__": {"_request_id": RequestId | None},
        "_request_id": PrivateAttr(default_factory=REQUEST_ID.get),
        "__module__": model.__module__,
    }
    return type(model.__name__, (model,), namespace)


Refused = Callable[[RequestId, str], None]  # (the request, why)


def request_id(scope: Scope) -> RequestId:
    """The client's id if it is a token of at most 64 characters, else the new key."""
    sent, key = header(scope, HEADER), uuid.uuid4().hex
    return RequestId(sent if TOKEN.fullmatch(sent) else key, key)


class RequestIds:
    """Outermost middleware: assigns the id, echoes it, and reports refused predictions."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...], refused: Refused) -> None:
        self.app = app
        self.paths = paths
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        watched = scope.get("path", "") in self.paths and scope.get("method") == "POST"
        status = {"code": 0}
        body = bytearray()

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, rid.id.encode())]}
            elif watched and status["code"] in REFUSALS and message["type"] == "http.response.body":
                body.extend(message.get("body", b"")[: 4096 - len(body)])
                if not message.get("more_body"):
                    self.refused(rid, _reason(status["code"], bytes(body)))
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            REQUEST_ID.reset(token)


def _reason(status: int, body: bytes) -> str:
    """`<status>: <the answer's error line>`, as the client read it; the body is read up to
    4 KiB, so the error string is found by pattern, not by parsing the whole answer."""
    error = ""
    found = ERROR.search(body)
    if found:
        with contextlib.suppress(ValueError):
            error = str(json.loads(found.group(1)))
    return f"{status}: {error or body[:200].decode('utf-8', 'replace')}"
