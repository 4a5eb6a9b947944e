"""Small helpers every service uses."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from docshelf.domain.errors import Conflict, NotFound

T = TypeVar("T")


def get_or_404(session: Session, model: type[T], ident: str, what: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"There is no {what} with id {ident!r}.")
    return row


def check_version(row: Any, expected: int | None, what: str) -> None:
    """Optimistic concurrency: refuse an edit that was based on an older version."""
    if expected is not None and row.version != expected:
        raise Conflict(
            f"The {what} was changed meanwhile (it is at version {row.version}, your edit was"
            f" based on version {expected}). Reload it and apply your change again.",
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
