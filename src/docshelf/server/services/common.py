"""Small helpers every service uses."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from docshelf.domain.errors import Conflict, NotFound
from docshelf.domain.kinds import kind_label
from docshelf.i18n import tr

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
