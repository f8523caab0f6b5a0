"""The HTTP layers around the service's endpoints, outermost first: request ids (and refused
requests logged), readable 4xx bodies, bounded JSON bodies, and the content type each route
reads. All plain ASGI middleware, so they apply to every endpoint BentoML mounts."""

from __future__ import annotations

from typing import Any

from .api_docs import ProjectDocs
from .http_errors import MAX_UPLOAD_BYTES, ContentTypes, ReadableErrors
from .json_bodies import JsonBodies
from .request_ids import Refused, RequestIds

JSON = "application/json"
CONTENT_TYPES = {"/predict": JSON, "/predict_batch": JSON, "/predict_file": "multipart/form-data"}
MAX_PREDICT_BYTES = 8 * 2**20  # a /predict body: 1,000 rows of 8 KiB each; refused unread above


def install(service: Any, refused: Refused, info: dict[str, Any]) -> None:
    """Wrap `service` (a BentoML service class); `refused(request_id, why)` logs a refusal;
    `info` is the project's title, description and contact for /docs.json."""
    service.add_asgi_middleware(ProjectDocs, info=info)
    service.add_asgi_middleware(RequestIds, paths=tuple(CONTENT_TYPES), refused=refused)
    service.add_asgi_middleware(ReadableErrors)
    service.add_asgi_middleware(
        JsonBodies, limits={"/predict": MAX_PREDICT_BYTES, "/predict_batch": MAX_UPLOAD_BYTES}
    )
    service.add_asgi_middleware(ContentTypes, expected=CONTENT_TYPES)
