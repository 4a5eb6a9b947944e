"""Files by SHA-256: upload (verified), ask which are missing, download with Range."""

from __future__ import annotations

from stat import S_ISREG
from typing import Annotated

import anyio
from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel

from docshelf.domain.errors import NotFound
from docshelf.protocol.admin import MissingBlobsRequest
from docshelf.protocol.records import BlobInfo
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.services import files

router = APIRouter(prefix="/blobs", tags=["files"])

Sha = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lower-case hex")]
IMMUTABLE = "private, max-age=31536000, immutable"


class BlobResponse(FileResponse):
    # Starlette reads 64 KiB per thread hop; whole MiBs make a large file cost a few hops.
    chunk_size = 1024 * 1024


class MissingBlobs(BaseModel):
    missing: list[str]


@router.post("/missing", operation_id="missing_blobs", response_model=MissingBlobs)
def missing_blobs(body: MissingBlobsRequest, actor: CurrentActor, state: State) -> MissingBlobs:
    """Which of these files does the server lack? Upload only those."""
    with state.db.read() as session:
        return MissingBlobs(missing=files.missing(session, body.sha256))


@router.put(
    "/{sha256}",
    operation_id="upload_blob",
    response_model=BlobInfo,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_blob(sha256: Sha, request: Request, actor: CurrentActor, state: State) -> BlobInfo:
    """Upload a file's bytes; refused unless they hash to ``sha256``."""
    writer = state.blobs.writer(sha256, state.settings.max_upload_bytes)
    try:
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(writer.write, chunk)
        sha, size = await anyio.to_thread.run_sync(writer.finish)
    finally:
        writer.abort()

    def register() -> None:
        with state.db.write() as session:
            files.register_blob(session, sha, size)

    await anyio.to_thread.run_sync(register)
    return BlobInfo(sha256=sha, size=size)


@router.get("/{sha256}", operation_id="download_blob", response_class=FileResponse)
def download_blob(sha256: Sha, request: Request, actor: CurrentActor, state: State) -> Response:
    """A file you may see; supports ``Range`` and ``If-None-Match``; cacheable for ever."""
    with state.db.read() as session:
        allowed = files.may_read(session, actor, sha256)
    path = state.blobs.path(sha256)
    try:
        # Handed to the response, which would otherwise stat the file again in a thread.
        info = path.stat() if allowed else None
    except FileNotFoundError:
        info = None
    if info is None or not S_ISREG(info.st_mode):
        raise NotFound(f"There is no file {sha256} that you may read.")
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return BlobResponse(
        path, media_type="application/octet-stream", headers=headers, stat_result=info
    )
