"""Small HTML reports: large inline scripts moved to shared files beside them.

deepchecks inlines its JavaScript (plotly alone is about 4.5 MB) into every report, so three
suites cost over 20 MB to upload and each page parses its own copy. Each script above a size is
written once, named by its content hash, and the page loads it with `<script src>`: the reports
keep working offline, from a folder or an unzipped CI artifact, and the library is stored and
cached once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)
MIN_SHARED_BYTES = 64 * 1024
ASSETS = "assets"


def share_large_scripts(page: Path, min_bytes: int = MIN_SHARED_BYTES) -> list[Path]:
    """Rewrite `page` so each inline script of at least `min_bytes` loads from `assets/`."""
    html = page.read_text(encoding="utf-8")
    folder = page.parent / ASSETS
    shared: list[Path] = []

    def externalise(match: re.Match[str]) -> str:
        attrs, body = match.group("attrs"), match.group("body")
        if "src=" in attrs or len(body) < min_bytes:
            return match.group(0)
        data = body.encode("utf-8")
        target = folder / f"{hashlib.sha256(data).hexdigest()[:20]}.js"
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        shared.append(target)
        return f'<script{attrs} src="{ASSETS}/{target.name}"></script>'

    page.write_text(INLINE_SCRIPT.sub(externalise, html), encoding="utf-8")
    return shared
