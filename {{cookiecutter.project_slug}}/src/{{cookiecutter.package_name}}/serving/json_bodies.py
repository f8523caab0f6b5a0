"""JSON request bodies checked before BentoML parses them: bounded in size and in time, and
without duplicate keys.

BentoML validates every row before counting them, so an oversized body cost seconds of CPU and
a gigabyte before its refusal, and a client trickling a body held its connection for minutes;
a duplicated key was taken silently (the last one won). Plain ASGI middleware, like
http_errors.py: the body is read once here and replayed to the app.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .http_errors import ASGIApp, Receive, Scope, Send, answer, header, replay_body

BODY_SECONDS = 10.0  # to receive a whole body; a slower client gets 408


class DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        raise DuplicateKeyError(", ".join(repr(key) for key in repeated[:5]))
    return dict(pairs)


def duplicate_keys(body: bytes) -> str:
    """The keys some JSON object of `body` repeats ("" when none, or when it is not JSON:
    the app's own parser answers that)."""
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except DuplicateKeyError as error:
        return str(error)
    except ValueError:
        return ""
    return ""


class JsonBodies:
    """For POSTs to the paths in `limits` (path -> most bytes): 413 above the limit (from
    Content-Length before reading, else while reading), 408 for a body not received within
    BODY_SECONDS, 400 for duplicate keys; everything else reaches the app unchanged."""

    def __init__(self, app: ASGIApp, limits: dict[str, int]) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.get(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        too_large = {"error": f"body: larger than {limit // 2**20} MiB; send fewer rows a request"}
        declared = header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await answer(send, 413, too_large, close=True)
            return
        try:
            body = await _read(receive, limit)
        except TimeoutError:
            await answer(
                send, 408, {"error": f"body: not received within {BODY_SECONDS:.0f} s"}, close=True
            )
            return
        if body is None:  # the client went away
            return
        if len(body) > limit:
            await answer(send, 413, too_large, close=True)
            return
        repeated = duplicate_keys(body)
        if repeated:
            await answer(send, 400, {"error": f"body: a JSON object repeats the key {repeated}"})
            return
        await self.app(scope, replay_body(body, receive), send)


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or its first bytes past `limit`, or None if the client left; one timer
    for the whole body (a timer per chunk, with asyncio.wait_for, cost a task each: 200 slow
    clients sending a byte a second stalled the event loop)."""
    body = bytearray()
    async with asyncio.timeout(BODY_SECONDS):
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            body += message.get("body", b"")
            if len(body) > limit or not message.get("more_body"):
                return bytes(body)
