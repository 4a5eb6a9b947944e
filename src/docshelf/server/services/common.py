"""Small helpers every service uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, NotFound
from docshelf.domain.kinds import kind_label
from docshelf.domain.patches import Patch, kind_of, set_attributes
from docshelf.i18n import tr
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change

T = TypeVar("T")


def get_or_404(session: Session, model: type[T], ident: str, what: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(
            tr("There is no {what} with id {ident!r}.", what=kind_label(what), ident=ident)
        )
    return row


def check_version(row: Any, expected: int | None, what: str) -> None:
    """Optimistic concurrency: refuse an edit that was based on an older version."""
    if expected is not None and row.version != expected:
        raise Conflict(
            tr(
                "The {what} was changed meanwhile (it is at version {version}, your "
                "edit was based on version {expected}). Reload it and apply your "
                "change again.",
                what=kind_label(what),
                version=row.version,
                expected=expected,
            ),
            details={"current_version": row.version},
        )


def merge_values(current: dict[str, Any], changes: dict[str, Any | None]) -> dict[str, Any]:
    """Apply set (value) and reset (None) operations to a mapping, returning a new one."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Writer:
    """Who applies a patch, in which change (and, for snippet bodies, to which file store)."""

    change: Change
    actor: Actor
    blobs: BlobStore | None = None


R = TypeVar("R")
# How one attribute of a patch is applied to a row: validated values only (see
# docshelf.domain.patches.checked); checks that need the database are made here.
Applier = Callable[[Writer, R, Any], None]


def apply_patch(writer: Writer, row: R, patch: Patch, appliers: Mapping[str, Applier[R]]) -> R:
    """Apply the attributes ``patch`` sets, in the registry's order."""
    for name, value in set_attributes(patch).items():
        appliers[name](writer, row, value)
    return row


def apply_new(writer: Writer, row: R, patch: Patch, appliers: Mapping[str, Applier[R]]) -> R:
    """Apply a creation's patch to its new row, holding the defaults: every attribute it
    sets but those only a creation sets (the create function has put them into the row),
    through the appliers updates use, so that both check a value alike."""
    attributes = kind_of(patch).attributes
    for name, value in set_attributes(patch).items():
        if not attributes[name].fixed:
            appliers[name](writer, row, value)
    return row
