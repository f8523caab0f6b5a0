"""The service's API pages name the project: the OpenAPI document (`/docs.json`) its title,
description and contact, where BentoML names its own team; the Swagger page at `/` its title,
drawn from the Swagger files BentoML serves (offline), without BentoML's page and its tag
manager."""

from __future__ import annotations

import html
import json
from email.utils import parseaddr
from importlib.metadata import PackageNotFoundError, metadata
from typing import Any

from .. import distribution
from .http_errors import ASGIApp, Message, Receive, Scope, Send
from .names import BENTO_NAME

DOCS = "/docs.json"
PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>{title}</title>
    <link rel="stylesheet" type="text/css" href="./static_content/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="./static_content/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="./static_content/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="./static_content/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
"""


def project_info() -> dict[str, Any]:
    """The OpenAPI `info` of the installed project (its pyproject.toml): what `package`
    stores with the model, since a bento carries the code, not the distribution."""
    name = distribution()
    try:
        found = metadata(name)
    except PackageNotFoundError:
        return {"title": name}
    author, email = parseaddr(found.get("Author-email") or "")
    info: dict[str, Any] = {"title": name, "description": found.get("Summary") or ""}
    if author or email:
        contact = (("name", author), ("email", email))
        info["contact"] = {key: value for key, value in contact if value}
    return info


class ProjectDocs:
    """Answers GET / with the project's Swagger page, and rewrites the `info` of a 200 answer
    to GET /docs.json; every other request untouched."""

    def __init__(self, app: ASGIApp, info: dict[str, Any]) -> None:
        self.app, self.info = app, info
        self.page = PAGE.format(title=html.escape(str(info.get("title", BENTO_NAME)))).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "GET":
            headers = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", b"%d" % len(self.page)),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": self.page})
            return
        if scope["type"] != "http" or scope["path"] != DOCS or not self.info:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if start.get("status") == 200:
                spec = json.loads(body)
                spec["info"] = {**spec.get("info", {}), **self.info}
                body = json.dumps(spec).encode()
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            await send({**start, "headers": [*headers, (b"content-length", b"%d" % len(body))]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)
