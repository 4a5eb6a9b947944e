"""Packages in the dashboard: upload, preview, confirm and import; choose and export.

The preview and the import are two requests, so the upload waits in between in a private
folder under the data dir, named by a random id and bound to the session that uploaded
it; the import applies exactly the previewed plan (or nothing, if the content moved).
Folders not confirmed within an hour are removed at the next upload.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile

from docshelf.domain.errors import DocshelfError, InvalidInput, NotFound
from docshelf.domain.permissions import can_package_organisation, can_use_packages
from docshelf.domain.snippets import SnippetKind
from docshelf.i18n import tr
from docshelf.protocol.packages import PACKAGE_MEDIA_TYPE
from docshelf.server.dashboard.forms import require_section
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.dashboard.texts import localized
from docshelf.server.db.models import Snippet, Template, TemplateGroup
from docshelf.server.packages import service
from docshelf.server.packages.export import Selection, require_may_export
from docshelf.server.packages.plan import require_may_import
from docshelf.server.packages.reader import ExtractedPackage
from docshelf.server.state import ServerState

router = APIRouter(route_class=InVisitorLanguage)
STAGE_PREFIX = "dashboard-"
STAGE_MAX_AGE_S = 3600
HISTORY_SHOWN = 50
_CHUNK = 1024 * 1024


@router.get("/packages", response_class=HTMLResponse)
def packages(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, "packages")
    lang = who.language
    with state_of(request).db.read() as session:
        groups = [
            (g.id, localized(g.titles, lang, g.id))
            for g in session.scalars(select(TemplateGroup).order_by(TemplateGroup.order))
        ]
        templates = [
            (t.id, localized(t.titles, lang, t.id), t.group_id)
            for t in session.scalars(
                select(Template).where(Template.active.is_(True)).order_by(Template.order)
            )
        ]
        snippets = [
            (s.id, s.title)
            for s in session.scalars(
                select(Snippet)
                .where(Snippet.kind != SnippetKind.PERSONAL.value)
                .order_by(Snippet.title)
            )
        ]
    # The imports kept, each with "Undo" (see package_history.py).
    history = (
        service.package_history(state_of(request), who.actor, HISTORY_SHOWN).entries
        if can_use_packages(who.actor)
        else None
    )
    return page(
        request,
        "packages.html",
        visitor=who,
        history=history,
        groups=groups,
        templates=templates,
        snippets=snippets,
        organisation=can_package_organisation(who.actor),
    )


# --- import --------------------------------------------------------------------------


def _purge_old_stages(base: Path) -> None:
    if not base.is_dir():
        return
    cutoff = time.time() - STAGE_MAX_AGE_S
    for folder in base.glob(STAGE_PREFIX + "*"):
        with suppress(OSError):
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)


def _stage(state: ServerState, upload: UploadFile, owner: str) -> tuple[str, str, int]:
    """Copy the upload into a new stage folder; returns its id, the SHA-256 and the size."""
    _purge_old_stages(state.settings.data_dir / "tmp")
    folder = service.new_workdir(state, prefix=STAGE_PREFIX)
    digest = hashlib.sha256()
    size = 0
    upload.file.seek(0)
    with (folder / "upload.zip").open("wb") as out:
        while chunk := upload.file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    (folder / "owner").write_text(owner)
    # What the upload hashed to as it was copied: the import needn't read it again.
    (folder / "sha256").write_text(f"{digest.hexdigest()} {size}")
    return folder.name.removeprefix(STAGE_PREFIX), digest.hexdigest(), size


def _staged(state: ServerState, stage: str, owner: str) -> Path:
    """The stage folder of this session's upload, or NotFound."""
    if not stage or not all(c.isalnum() or c in "_-" for c in stage):
        raise NotFound(tr("No such upload."))
    folder = state.settings.data_dir / "tmp" / (STAGE_PREFIX + stage)
    try:
        if (folder / "owner").read_text() != owner:
            raise NotFound(tr("No such upload."))
    except OSError:
        raise NotFound(
            tr(
                "The uploaded package is no longer waiting (imported already, or more than"
                " an hour old); upload it again."
            )
        ) from None
    return folder


def _upload_of(form: FormData, who: CurrentVisitor) -> UploadFile:
    upload = form.get("package")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput(tr("Choose a package file (.zip)."))
    return upload


def _read_staged(state: ServerState, folder: Path) -> ExtractedPackage:
    sha, size = (folder / "sha256").read_text().split()
    unpacked = folder / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    unpacked.mkdir()
    return service.read(state, folder / "upload.zip", unpacked, sha, int(size))


@router.post("/packages/preview", response_model=None)
async def preview(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, "packages")
    require_may_import(who.actor)
    state = state_of(request)
    try:
        upload = _upload_of(form, who)
        stage, _sha, _size = await anyio.to_thread.run_sync(
            _stage, state, upload, who.caller.device_id
        )
        folder = _staged(state, stage, who.caller.device_id)
        try:
            package = await anyio.to_thread.run_sync(_read_staged, state, folder)
            planned = await anyio.to_thread.run_sync(service.preview, state, who.actor, package)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    except DocshelfError as exc:
        return redirect(f"{PATH}/packages", flash=exc.message, kind="error", request=request)
    return page(
        request,
        "packages_preview.html",
        visitor=who,
        preview=planned,
        stage=stage,
        filename=upload.filename,
    )


@router.post("/packages/import", response_model=None)
async def import_package(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, "packages")
    state = state_of(request)
    try:
        folder = _staged(state, str(form.get("stage", "")), who.caller.device_id)
        try:
            package = await anyio.to_thread.run_sync(_read_staged, state, folder)
            report = await anyio.to_thread.run_sync(
                service.import_package, state, who.actor, package, str(form.get("plan", ""))
            )
        finally:
            await anyio.to_thread.run_sync(shutil.rmtree, folder, True)
    except DocshelfError as exc:
        return redirect(f"{PATH}/packages", flash=exc.message, kind="error", request=request)
    return page(request, "packages_report.html", visitor=who, report=report)


# --- export --------------------------------------------------------------------------


@router.post("/packages/export", response_model=None)
def export(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, "packages")
    selection = Selection(
        template_ids=tuple(str(v) for v in form.getlist("template_ids")),
        group_ids=tuple(str(v) for v in form.getlist("group_ids")),
        snippet_ids=tuple(str(v) for v in form.getlist("snippet_ids")),
        units=form.get("units") == "on",
        fields=form.get("fields") == "on",
    )
    if selection.empty:
        return redirect(
            f"{PATH}/packages",
            flash=tr("Choose at least one group, template or snippet."),
            kind="error",
        )
    state = state_of(request)
    workdir = service.new_workdir(state)
    target = workdir / "package.zip"
    try:
        require_may_export(who.actor, selection)
        service.export_package(state, who.actor, selection, target)
    except DocshelfError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        return redirect(f"{PATH}/packages", flash=exc.message, kind="error", request=request)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return FileResponse(
        target,
        media_type=PACKAGE_MEDIA_TYPE,
        filename=f"docshelf-package-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip",
        background=BackgroundTask(shutil.rmtree, workdir, True),
    )
