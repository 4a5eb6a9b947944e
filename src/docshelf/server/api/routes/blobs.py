"""Files by SHA-256: upload (verified, resumable), ask which are missing, download with Range."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from typing import Annotated, BinaryIO, cast

import anyio
from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput, NotFound, PayloadTooLarge
from docshelf.i18n import tr
from docshelf.protocol import pack
from docshelf.protocol.admin import MissingBlobsRequest
from docshelf.protocol.problems import Problem
from docshelf.protocol.records import BlobInfo
from docshelf.server.api.deps import CurrentActor, State, Token
from docshelf.server.api.errors import problem_response
from docshelf.server.api.quick_blob import IMMUTABLE, OpenedBlob, open_range
from docshelf.server.blobstore import BlobStat, BlobStore, LocalBlobStore, OffsetMismatch
from docshelf.server.services import auth, files, uploads
from docshelf.server.state import ServerState

router = APIRouter(prefix="/blobs", tags=["files"])

Sha = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lower-case hex")]
ContentRange = Annotated[
    str | None,
    Header(
        pattern=r"^bytes \d{1,15}-\d{1,15}/\d{1,15}$",
        description="`bytes START-END/TOTAL`: the body is bytes START to END of a file of TOTAL"
        " bytes. START must be what the server holds of your upload (GET"
        " /blobs/{sha256}/upload), or 0 to start over. Without it the body is the whole file.",
    ),
]
_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
# A pack answer goes out in pieces of about this size (small files joined).
_PACK_PIECE = 4 * 1024 * 1024


class BlobResponse(FileResponse):
    # Starlette reads 64 KiB per thread hop; whole MiBs make a large file cost a few hops.
    chunk_size = 1024 * 1024


class MissingBlobs(BaseModel):
    missing: list[str]


class UploadState(BaseModel):
    sha256: str
    # Bytes the server holds of the caller's upload: continue from here.
    offset: int
    # The file is stored and the caller may use it in edits: nothing left to send.
    complete: bool


@router.post("/missing", operation_id="missing_blobs", response_model=MissingBlobs)
def missing_blobs(body: MissingBlobsRequest, actor: CurrentActor, state: State) -> MissingBlobs:
    """Which of these files must the caller upload before using them? Those the server
    lacks, and those stored but neither sent by the caller nor readable by them: whether
    somebody else's file exists is nobody else's business."""
    with state.db.read() as session:
        absent = set(files.missing(session, body.sha256))
        wanted = sorted(set(body.sha256))
        return MissingBlobs(
            missing=[
                sha
                for sha in wanted
                if sha in absent or uploads.may_use(session, actor, sha) is None
            ]
        )


@router.put(
    "/{sha256}",
    operation_id="upload_blob",
    response_model=BlobInfo,
    responses={
        202: {"model": UploadState, "description": "The piece is stored; send the rest."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_blob(
    sha256: Sha,
    request: Request,
    actor: CurrentActor,
    state: State,
    content_range: ContentRange = None,
) -> BlobInfo | Response:
    """Upload a file's bytes, whole or in pieces; refused unless they hash to ``sha256``."""
    if content_range is not None:
        return await _upload_piece(sha256, request, actor, state, content_range)
    writer = state.blobs.writer(sha256, state.settings.max_upload_bytes)
    try:
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(writer.write, chunk)
        sha, size = await anyio.to_thread.run_sync(writer.finish)
    finally:
        writer.abort()
    await anyio.to_thread.run_sync(_register, state, actor, sha, size)
    return BlobInfo(sha256=sha, size=size)


def _register(state: ServerState, actor: Actor, sha: str, size: int) -> None:
    with state.db.write() as session:
        files.register_blob(session, sha, size)
        # Sending the bytes proves the caller holds the content: they may use it in edits.
        uploads.record_upload(session, actor.user_id, sha)


async def _upload_piece(
    sha256: str, request: Request, actor: Actor, state: ServerState, content_range: str
) -> BlobInfo | Response:
    match = _RANGE_RE.match(content_range)
    assert match is not None  # the header's pattern was checked already
    start, end, total = (int(group) for group in match.groups())
    if not start <= end < total:
        raise InvalidInput(
            tr(
                "Content-Range {content_range!r} needs START <= END < TOTAL.",
                content_range=content_range,
            )
        )
    if total > state.settings.max_upload_bytes:
        raise PayloadTooLarge(
            tr(
                "The file is larger than the limit of {max_upload_bytes} bytes.",
                max_upload_bytes=state.settings.max_upload_bytes,
            )
        )
    try:
        piece = await anyio.to_thread.run_sync(
            state.blobs.partial, actor.user_id, sha256, start, end
        )
    except OffsetMismatch as exc:
        problem = Problem(
            title=exc.title,
            status=exc.status,
            detail=exc.message,
            code=exc.code,
            request_id=getattr(request.state, "request_id", None),
        )
        return problem_response(problem, headers={"Upload-Offset": str(exc.offset)})
    try:
        try:
            async for chunk in request.stream():
                if chunk:
                    await anyio.to_thread.run_sync(piece.write, chunk)
        except ClientDisconnect:
            # Nobody reads this answer; what arrived stays for the next request.
            return JSONResponse(
                UploadState(sha256=sha256, offset=piece.size, complete=False).model_dump(),
                status_code=202,
            )
        if not (piece.complete and end + 1 == total):
            return JSONResponse(
                UploadState(sha256=sha256, offset=piece.size, complete=False).model_dump(),
                status_code=202,
            )
        sha, size = await anyio.to_thread.run_sync(piece.finish)
    finally:
        await anyio.to_thread.run_sync(piece.close)
    await anyio.to_thread.run_sync(_register, state, actor, sha, size)
    return BlobInfo(sha256=sha, size=size)


@router.get("/{sha256}/upload", operation_id="upload_state", response_model=UploadState)
def upload_state(sha256: Sha, actor: CurrentActor, state: State) -> UploadState:
    """How much of your upload of this file the server holds, to resume it.

    ``complete`` only when the file is stored and you may use it in edits (you sent it or
    may read it); otherwise send it, even if someone else stored the same bytes."""
    with state.db.read() as session:
        usable = uploads.may_use(session, actor, sha256)
    if usable is not None and state.blobs.has(sha256):
        return UploadState(sha256=sha256, offset=usable.size, complete=True)
    offset = state.blobs.partial_size(actor.user_id, sha256)
    return UploadState(sha256=sha256, offset=offset, complete=False)


@router.post(
    "/pack",
    operation_id="download_pack",
    response_class=StreamingResponse,
    responses={200: {"content": {pack.MEDIA_TYPE: {}}, "description": "The files, framed"}},
)
def download_pack(body: pack.PackRequest, token: Token, state: State) -> StreamingResponse:
    """Several files in one answer, in the order asked; see protocol/pack.py for the frames.

    A file the caller may not read, or that isn't stored, comes as "not served": the client
    fetches it alone and learns why there.
    """
    with auth.authenticated(state.db, token, auth.API) as (session, caller):
        allowed = {sha for sha in body.files if files.may_read(session, caller.actor, sha)}
    opened = [_open(sha, state.blobs if sha in allowed else None) for sha in body.files]
    # Opened here, the answer's length is known: the server then sends each piece as it is
    # (a chunked answer is copied once more to frame each piece).
    length = sum(len(item.header) + item.size for item in opened)
    return StreamingResponse(
        _frames(opened, length),
        media_type=pack.MEDIA_TYPE,
        headers={"Content-Length": str(length)},
    )


@dataclass
class _Opened:
    """A file of a pack answer: its header line and, if served, the open file."""

    header: bytes
    file: BinaryIO | None
    size: int


def _open(sha: str, blobs: BlobStore | None) -> _Opened:
    try:
        file = blobs.open(sha) if blobs is not None else None
    except (OSError, NotFound):
        file = None
    if file is None:
        return _Opened(pack.header(sha, None), None, 0)
    try:
        size = file.seek(0, 2)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return _Opened(pack.header(sha, size), file, size)


def _frames(opened: list[_Opened], length: int) -> Iterator[memoryview]:
    """The answer in pieces of a few MiB, each read on a worker thread (a piece costs a
    thread hop and a trip through the middleware): every piece a buffer of its own, the
    files read straight into it, with no copy to join them."""
    piece: memoryview | None = None
    used = 0
    try:
        for item in opened:
            parts = [(_copier(item.header), len(item.header))]
            if item.file is not None:
                parts.append((_reader(item.file), item.size))
            for fill, left in parts:
                while left:
                    if piece is None:
                        piece, used = memoryview(bytearray(min(_PACK_PIECE, length))), 0
                    n = min(left, len(piece) - used)
                    fill(piece[used : used + n])
                    used += n
                    left -= n
                    if used == len(piece):
                        length -= used
                        yield piece
                        piece = None
    finally:
        for item in opened:
            if item.file is not None:
                item.file.close()


def _copier(data: bytes) -> Callable[[memoryview], None]:
    offset = 0

    def fill(view: memoryview) -> None:
        nonlocal offset
        view[:] = data[offset : offset + len(view)]
        offset += len(view)

    return fill


def _reader(file: BinaryIO) -> Callable[[memoryview], None]:
    # Both stores' files are buffered readers (BinaryIO doesn't declare readinto).
    readinto = cast(io.BufferedIOBase, file).readinto

    def fill(view: memoryview) -> None:
        while view:
            n = readinto(view)
            if not n:
                # Stored files never change; one that shrank ends the answer short, and the
                # client, missing bytes, fetches the file alone.
                raise OSError("a stored file ended before its size")
            view = view[n:]

    return fill


@router.get("/{sha256}", operation_id="download_blob", response_class=FileResponse)
def download_blob(sha256: Sha, request: Request, token: Token, state: State) -> Response:
    """A file you may see; supports ``Range`` and ``If-None-Match``; cacheable for ever.

    Plain downloads are usually served by api/quick_blob.py before they reach this route.
    """
    stat = readable(state, token, sha256)
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    location = redirect_url(state, stat)
    if location is not None:
        # Permission was checked above; the URL itself is the short-lived permission.
        return RedirectResponse(location, status_code=307, headers={"Cache-Control": "no-store"})
    if isinstance(state.blobs, LocalBlobStore):
        path = state.blobs.path(sha256)
        return BlobResponse(path, media_type="application/octet-stream", headers=headers)
    return stream_blob(state.blobs, stat, request, headers)


@router.head("/{sha256}", operation_id="blob_head", response_class=FileResponse)
def blob_head(sha256: Sha, request: Request, token: Token, state: State) -> Response:
    """What ``GET`` would answer (size, ``ETag``, caching, ``Range``), without the bytes."""
    # FastAPI gives a GET route no HEAD; the file response leaves the body out for HEAD.
    return download_blob(sha256, request, token, state)


def readable(state: ServerState, token: str, sha256: str) -> BlobStat:
    """The stored file's size and time if the caller may read it; else NotFound.

    Authentication and the permission check share one transaction, called on one worker
    thread with the ``stat``: an initial sync downloads hundreds of files.
    """
    with auth.authenticated(state.db, token, auth.API) as (session, caller):
        allowed = files.may_read(session, caller.actor, sha256)
    if not allowed:
        raise _unreadable(sha256)
    try:
        return state.blobs.stat(sha256)
    except NotFound:
        raise _unreadable(sha256) from None


def _unreadable(sha256: str) -> NotFound:
    return NotFound(tr("There is no file {sha256} that you may read.", sha256=sha256))


def redirect_url(state: ServerState, stat: BlobStat) -> str | None:
    """Where a large file can be fetched straight from object storage (``--blob-redirect``),
    or None to serve it here."""
    settings = state.settings
    if not settings.blob_redirect or stat.size < settings.blob_redirect_min_bytes:
        return None
    return state.blobs.download_url(stat.sha256, settings.blob_redirect_seconds)


def open_readable(
    state: ServerState, token: str, sha256: str, wanted: tuple[int, int | None] | None
) -> OpenedBlob | None:
    """For api/quick_blob.py: the file opened at the wanted range, its first chunk read;
    None for the route to answer (also a redirect, which the route gives)."""
    stat = readable(state, token, sha256)
    if state.settings.blob_redirect and stat.size >= state.settings.blob_redirect_min_bytes:
        return None
    try:
        file = state.blobs.open(sha256)
    except NotFound:
        return None
    return open_range(file, stat.size, stat.modified, wanted)


_ONE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _wanted_range(request: Request, size: int, etag: str) -> tuple[int, int] | Response | None:
    """The one byte range asked for, None for the whole file, or a 416 answer. Several
    ranges, or an ``If-Range`` that no longer matches, get the whole file (RFC 9110)."""
    header = request.headers.get("range")
    if header is None:
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None
    match = _ONE_RANGE.match(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        start, end = max(size - int(match[2]), 0), size - 1
    if start >= size or start > end:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    return start, end


def stream_blob(
    blobs: BlobStore, stat: BlobStat, request: Request, headers: dict[str, str]
) -> Response:
    """A stored file streamed from any store, with ``Range`` as the file response does it
    for the local directory."""
    wanted = _wanted_range(request, stat.size, headers["ETag"])
    if isinstance(wanted, Response):
        return wanted
    start, end = wanted if wanted is not None else (0, stat.size - 1)
    answer = {
        **headers,
        "Accept-Ranges": "bytes",
        "Content-Length": str(end + 1 - start),
        "Last-Modified": formatdate(stat.modified, usegmt=True),
    }
    status = 200
    if wanted is not None:
        status = 206
        answer["Content-Range"] = f"bytes {start}-{end}/{stat.size}"
    if request.method == "HEAD" or end < start:
        return Response(status_code=status, headers=answer)
    return StreamingResponse(
        blobs.iter_range(stat.sha256, start, end),
        status_code=status,
        headers=answer,
        media_type="application/octet-stream",
    )
