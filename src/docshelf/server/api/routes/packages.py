"""Packages: preview and import an uploaded package, export a chosen one (Layouter, Sys).

The uploaded zip is the request body, streamed to a private working folder under the
data dir (never held in memory) and refused once it passes DOCSHELF_MAX_PACKAGE_BYTES.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput, PayloadTooLarge
from docshelf.i18n import tr
from docshelf.protocol.packages import (
    PACKAGE_MEDIA_TYPE,
    PackageExport,
    PackageHistory,
    PackagePreview,
    PackageReport,
    RevertPreview,
    RevertReport,
    RevertRequest,
)
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.packages import service
from docshelf.server.packages.export import Selection, require_may_export
from docshelf.server.packages.plan import require_may_import
from docshelf.server.packages.reader import ExtractedPackage
from docshelf.server.state import ServerState

router = APIRouter(prefix="/admin/packages", tags=["admin: packages"])

PREVIEW_PATH = "/admin/packages/preview"
IMPORT_PATH = "/admin/packages/import"
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# Any content type is read as the zip; application/octet-stream is declared beside
# application/zip for generic HTTP tools that only know that one.
_ZIP_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {PACKAGE_MEDIA_TYPE: _BINARY, "application/octet-stream": _BINARY},
    }
}
ExpectedPlan = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9a-f]{64}$",
        description="The `plan` of the preview the import was confirmed on: the import then"
        " applies exactly those changes, or nothing (409) if the server's content changed.",
    ),
]


async def _receive(request: Request, target: Path, limit: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    out = await anyio.to_thread.run_sync(target.open, "wb")
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    tr(
                        "The package is larger than the server accepts ({limit} bytes).",
                        limit=limit,
                    )
                )
            digest.update(chunk)
            await anyio.to_thread.run_sync(out.write, chunk)
    except ClientDisconnect:
        raise InvalidInput(tr("The upload of the package broke off; send it again.")) from None
    finally:
        await anyio.to_thread.run_sync(out.close)
    if size == 0:
        raise InvalidInput(tr("The request carries no package; send the zip archive as its body."))
    return digest.hexdigest(), size


@asynccontextmanager
async def _received(
    request: Request, state: ServerState, actor: Actor
) -> AsyncIterator[ExtractedPackage]:
    # Before a byte is read: who may not import never makes the server unpack anything.
    require_may_import(actor)
    workdir = await anyio.to_thread.run_sync(service.new_workdir, state)
    try:
        archive = workdir / "upload.zip"
        sha, size = await _receive(request, archive, state.settings.max_package_bytes)
        yield await anyio.to_thread.run_sync(service.read, state, archive, workdir, sha, size)
    finally:
        await anyio.to_thread.run_sync(shutil.rmtree, workdir, True)


@router.post(
    "/preview",
    operation_id="preview_package",
    response_model=PackagePreview,
    openapi_extra=_ZIP_BODY,
)
async def preview_package(request: Request, actor: CurrentActor, state: State) -> PackagePreview:
    """What importing the package (the body, a zip) would add, change and leave unchanged.

    Nothing is written. Every problem of the package is named; a package that is refused
    here is refused by the import too."""
    async with _received(request, state, actor) as package:
        return await anyio.to_thread.run_sync(service.preview, state, actor, package)


@router.post(
    "/import",
    operation_id="import_package",
    response_model=PackageReport,
    openapi_extra=_ZIP_BODY,
)
async def import_package(
    request: Request, actor: CurrentActor, state: State, expected_plan: ExpectedPlan = None
) -> PackageReport:
    """Import the package (the body, a zip) in one change, all or nothing.

    Clients receive it at their next sync as one step. Objects keep the package's ids, so
    importing the same package again changes nothing (``applied: false``)."""
    async with _received(request, state, actor) as package:
        return await anyio.to_thread.run_sync(
            service.import_package, state, actor, package, expected_plan
        )


@router.post(
    "/export",
    operation_id="export_package",
    response_class=Response,
    responses={
        200: {
            "description": "The package, a zip archive.",
            "content": {PACKAGE_MEDIA_TYPE: _BINARY},
        }
    },
)
def export_package(body: PackageExport, actor: CurrentActor, state: State) -> Response:
    """A package of the chosen templates, whole template groups (with their sub-groups),
    snippets, and, for system administrators, units and field definitions."""
    require_may_export(actor)
    workdir = service.new_workdir(state)
    target = workdir / "package.zip"
    selection = Selection(
        template_ids=tuple(body.template_ids),
        group_ids=tuple(body.group_ids),
        snippet_ids=tuple(body.snippet_ids),
        units=body.units,
        fields=body.fields,
    )
    try:
        service.export_package(state, actor, selection, target)
    except BaseException:
        with suppress(OSError):
            shutil.rmtree(workdir)
        raise
    return FileResponse(
        target,
        media_type=PACKAGE_MEDIA_TYPE,
        filename=f"docshelf-package-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip",
        background=BackgroundTask(shutil.rmtree, workdir, True),
    )


# --- history and revert ------------------------------------------------------------------

# In the query string: as many as a URL carries safely (the POST body takes more).
MAX_INCLUDED_IN_QUERY = 100
Included = Annotated[
    list[Annotated[str, Query(min_length=1, max_length=64)]] | None,
    Query(
        max_length=MAX_INCLUDED_IN_QUERY,
        description="Objects changed since the import (ids; a field by its key) to revert"
        " all the same; the others are left alone.",
    ),
]


@router.get("/imports", operation_id="package_history", response_model=PackageHistory)
def package_history(
    actor: CurrentActor, state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> PackageHistory:
    """Applied imports and reverts, the newest first, each with what it changed."""
    return service.package_history(state, actor, limit)


@router.get(
    "/imports/{import_id}/revert", operation_id="preview_revert", response_model=RevertPreview
)
def preview_revert(
    import_id: int, actor: CurrentActor, state: State, include: Included = None
) -> RevertPreview:
    """What reverting the entry would do: objects removed, restored or created again, and
    those changed since the import (left alone unless named in ``include``). Writes
    nothing."""
    return service.revert_preview(state, actor, import_id, include or [])


@router.post(
    "/imports/{import_id}/revert", operation_id="revert_import", response_model=RevertReport
)
def revert_import(
    import_id: int, body: RevertRequest, actor: CurrentActor, state: State
) -> RevertReport:
    """Revert the entry in one new change (recorded in the history, so it can be reverted
    in turn). With the preview's ``plan`` as ``expected_plan`` it does exactly what the
    preview showed, or nothing (409) if objects changed meanwhile."""
    return service.revert(state, actor, import_id, body.include, body.expected_plan)
