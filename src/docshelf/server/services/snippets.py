"""Snippets: personal, shared and template snippets."""

from __future__ import annotations

from dataclasses import replace

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput
from docshelf.domain.ids import new_id
from docshelf.domain.patches import UNSET, SnippetPatch, checked, checked_new
from docshelf.domain.permissions import require
from docshelf.domain.principals import user_principal
from docshelf.domain.snippets import SnippetFormat, SnippetKind, check_snippet_shape
from docshelf.i18n import tr
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Snippet, Template, User
from docshelf.server.services.common import (
    Applier,
    Writer,
    apply_new,
    apply_patch,
    check_version,
    get_or_404,
)
from docshelf.server.services.files import require_blob, store_bytes

KIND = "snippet"


def _parent(change: Change, template_id: str | None) -> Template | None:
    if template_id is None:
        return None
    return get_or_404(change.session, Template, template_id, "template")


def create_snippet(
    change: Change,
    actor: Actor,
    blobs: BlobStore,
    patch: SnippetPatch,
    *,
    snippet_id: str | None = None,
) -> Snippet:
    patch = checked_new(patch)
    assert isinstance(patch.kind, str)
    snippet_kind = SnippetKind(patch.kind)
    owner_id = patch.owner_id if isinstance(patch.owner_id, str) else None
    template_id = patch.template_id if isinstance(patch.template_id, str) else None
    if snippet_kind is SnippetKind.PERSONAL:
        owner_id = owner_id or actor.user_id
        require(owner_id == actor.user_id or actor.is_sys, tr("Personal snippets are the owner's."))
        get_or_404(change.session, User, owner_id, "user")
    elif owner_id is not None:
        raise InvalidInput(tr("Only personal snippets have an owner."))
    check_snippet_shape(snippet_kind, owner_id, template_id)
    parent = _parent(change, template_id)
    require(
        rules.can_create_snippet(actor, snippet_kind, convert.template(parent) if parent else None),
        tr("You may not create {value} snippets here.", value=snippet_kind.value),
    )
    shared = snippet_kind is SnippetKind.SHARED
    if not shared:  # no rights are no rights: as if left out
        patch = replace(
            patch,
            read_rights=patch.read_rights or UNSET,
            write_rights=patch.write_rights or UNSET,
        )
    row = Snippet(
        id=snippet_id or new_id(),
        kind=snippet_kind.value,
        owner_id=owner_id,
        template_id=template_id,
        read_rights=[],
        write_rights=[],
        body_sha256=None,
        body_format=SnippetFormat.TEXT.value,
    )
    apply_new(Writer(change, actor, blobs), row, patch, _APPLIERS)
    if shared:
        row.read_rights = row.read_rights or ["*"]
        if not actor.is_sys:  # the author keeps editing what they shared; Sys always may
            row.write_rights = sorted({*row.write_rights, user_principal(actor.user_id)})
    return change.add(row, KIND)


def _require_change(change: Change, actor: Actor, row: Snippet) -> None:
    parent = _parent(change, row.template_id)
    require(
        rules.can_change_snippet(
            actor, convert.snippet(row), convert.template(parent) if parent else None
        ),
        tr("You may not change this snippet."),
    )


def update_snippet(
    change: Change,
    actor: Actor,
    blobs: BlobStore,
    row: Snippet,
    patch: SnippetPatch,
    *,
    expected_version: int | None = None,
) -> Snippet:
    _require_change(change, actor, row)
    check_version(row, expected_version, "snippet")
    apply_patch(Writer(change, actor, blobs), row, checked(patch), _APPLIERS)
    return change.touch(row)


def _title(writer: Writer, row: Snippet, title: str) -> None:
    row.title = title


def _rights(name: str) -> Applier[Snippet]:
    def apply(writer: Writer, row: Snippet, members: tuple[str, ...]) -> None:
        if row.kind != SnippetKind.SHARED:
            raise InvalidInput(tr("Only shared snippets carry read and write rights."))
        setattr(row, name, list(members))

    return apply


def _body_sha256(writer: Writer, row: Snippet, sha256: str | None) -> None:
    if sha256 is not None:
        require_blob(writer.change.session, sha256)
    row.body_sha256 = sha256


def _body_text(writer: Writer, row: Snippet, text: str) -> None:
    assert writer.blobs is not None
    row.body_sha256 = store_bytes(writer.change.session, writer.blobs, text.encode("utf-8"))


def _body_format(writer: Writer, row: Snippet, value: str) -> None:
    row.body_format = value


_APPLIERS: dict[str, Applier[Snippet]] = {
    "title": _title,
    "read_rights": _rights("read_rights"),
    "write_rights": _rights("write_rights"),
    "body_sha256": _body_sha256,
    "body_text": _body_text,
    "body_format": _body_format,
}


def delete_snippet(change: Change, actor: Actor, row: Snippet) -> None:
    _require_change(change, actor, row)
    change.delete(row, KIND)
