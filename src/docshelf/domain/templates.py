"""Templates, their files and publication states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from docshelf.domain.errors import InvalidInput
from docshelf.domain.principals import EVERYONE
from docshelf.i18n import tr


class PublicationStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    IN_TEST = "in_test"
    RELEASED = "released"


def parse_status(value: str) -> PublicationStatus:
    try:
        return PublicationStatus(value.strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(s.value for s in PublicationStatus)
        raise InvalidInput(
            tr(
                "Unknown publication status {value!r}; use one of {known}.",
                value=value,
                known=known,
            )
        ) from None


@dataclass(frozen=True)
class FileKind:
    extension: str
    application: str
    mime: str


_OOXML = "application/vnd.openxmlformats-officedocument"
FILE_KINDS: Mapping[str, FileKind] = {
    k.extension: k
    for k in (
        FileKind("docx", "word", f"{_OOXML}.wordprocessingml.document"),
        FileKind("dotx", "word", f"{_OOXML}.wordprocessingml.template"),
        FileKind("docm", "word", "application/vnd.ms-word.document.macroEnabled.12"),
        FileKind("dotm", "word", "application/vnd.ms-word.template.macroEnabled.12"),
        FileKind("xlsx", "excel", f"{_OOXML}.spreadsheetml.sheet"),
        FileKind("xltx", "excel", f"{_OOXML}.spreadsheetml.template"),
        FileKind("pptx", "powerpoint", f"{_OOXML}.presentationml.presentation"),
        FileKind("potx", "powerpoint", f"{_OOXML}.presentationml.template"),
        FileKind("msg", "outlook", "application/vnd.ms-outlook"),
        FileKind("oft", "outlook", "application/vnd.ms-outlook"),
    )
}

# Office Open XML files are zip archives; Outlook's .msg/.oft are OLE compound files.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parse_kind(value: str) -> FileKind:
    kind = FILE_KINDS.get(value.strip().lower().lstrip("."))
    if kind is None:
        known = ", ".join(sorted(FILE_KINDS))
        raise InvalidInput(
            tr("Unknown template type {value!r}; use one of {known}.", value=value, known=known)
        )
    return kind


def check_file_matches_kind(kind: FileKind, head: bytes) -> None:
    """Refuse a file whose first bytes don't fit its type (a renamed .exe, a text file)."""
    magic = _OLE_MAGIC if kind.application == "outlook" else _ZIP_MAGIC
    if not head.startswith(magic):
        raise InvalidInput(
            tr(
                "The file is not a valid .{extension} file; export it again from the "
                "office application and upload that.",
                extension=kind.extension,
            )
        )


def check_filename(name: str) -> str:
    # Only the last path component counts: "../../x.docx" and "C:\\tmp\\x.docx" become "x.docx".
    clean = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    unusable = not clean.strip() or clean in (".", "..") or len(clean) > 200
    if unusable or any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in clean):
        raise InvalidInput(tr("{name!r} is not a usable file name.", name=name))
    return clean


@dataclass(frozen=True)
class TemplateFile:
    sha256: str
    size: int
    filename: str


@dataclass(frozen=True)
class Template:
    id: str
    group_id: str | None
    kind: str
    status: PublicationStatus = PublicationStatus.IN_PROGRESS
    active: bool = True
    use_rights: tuple[str, ...] = (EVERYONE,)
    change_rights: tuple[str, ...] = ()
    titles: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, TemplateFile] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateGroup:
    id: str
    parent_id: str | None
    titles: Mapping[str, str] = field(default_factory=dict)
    order: int = 0
