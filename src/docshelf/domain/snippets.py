"""Text snippets: personal, shared with groups, or belonging to a template."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import tr


class SnippetKind(StrEnum):
    PERSONAL = "personal"  # the owner's alone
    SHARED = "shared"  # everyone or chosen groups; editable by those granted it
    TEMPLATE = "template"  # belongs to a template and follows its visibility


class SnippetFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    DOCX = "docx"


@dataclass(frozen=True)
class Snippet:
    id: str
    kind: SnippetKind
    title: str
    owner_id: str | None = None
    template_id: str | None = None
    read_rights: tuple[str, ...] = ()
    write_rights: tuple[str, ...] = ()
    body_sha256: str | None = None
    body_format: SnippetFormat = SnippetFormat.TEXT


def check_snippet_shape(kind: SnippetKind, owner_id: str | None, template_id: str | None) -> None:
    """Each kind needs its anchor: personal an owner, template a template."""
    if kind is SnippetKind.PERSONAL and owner_id is None:
        raise InvalidInput(tr("A personal snippet needs an owner."))
    if kind is SnippetKind.TEMPLATE and template_id is None:
        raise InvalidInput(tr("A template snippet needs the template it belongs to."))
    if kind is not SnippetKind.TEMPLATE and template_id is not None:
        raise InvalidInput(tr("Only template snippets belong to a template."))
