"""Images of unit and user fields (logos, signatures), shown on the dashboard's pages.

Served only to a signed-in visitor who may read the file, and only as an image: anything
else is sent as a download, so a file can never run as a page of the dashboard.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from docshelf.domain.errors import NotFound
from docshelf.i18n import tr
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.session import CurrentVisitor, state_of
from docshelf.server.services.files import may_read

router = APIRouter(route_class=InVisitorLanguage)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Raster images by their first bytes; SVG (which may hold scripts) is not among them.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(head: bytes) -> str | None:
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@router.get("/files/{sha256}", response_model=None)
def field_file(sha256: str, request: Request, who: CurrentVisitor) -> StreamingResponse:
    state = state_of(request)
    if not _SHA256.match(sha256):
        raise NotFound(tr("No such file."))
    with state.db.read() as session:
        allowed = may_read(session, who.actor, sha256)
    if not allowed or not state.blobs.has(sha256):
        raise NotFound(tr("No such file, or not visible to you."))
    blobs = state.blobs
    size = blobs.size(sha256)
    with blobs.open(sha256) as stream:
        media_type = image_type(stream.read(16))
    headers = {
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
        "Content-Length": str(size),
    }
    if media_type is None:
        headers["Content-Disposition"] = f'attachment; filename="{sha256[:12]}.bin"'
    chunks = blobs.iter_range(sha256, 0, size - 1) if size else iter(())
    return StreamingResponse(
        chunks, media_type=media_type or "application/octet-stream", headers=headers
    )
