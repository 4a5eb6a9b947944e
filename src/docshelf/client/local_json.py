"""Reading back the JSON the client stored itself: a damaged or planted file or cache entry
must be told as damaged, never crash the client (with a RecursionError, say)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docshelf.client.errors import LocalStoreError
from docshelf.domain.json_text import parse_json
from docshelf.i18n import tr


def load_cached(data: str | bytes, path: Path | None = None) -> Any:
    """A JSON value from the local cache; LocalStoreError if it is not readable JSON."""
    try:
        return parse_json(data, "A value in it")
    except ValueError as exc:  # malformed, nested too deep, or not Unicode
        reason = str(exc).rstrip(".")
        if path is None:
            message = tr(
                "The local cache is damaged ({reason}). Move it away; the next sync builds a"
                " new one.",
                reason=reason,
            )
        else:
            message = tr(
                "The local cache {path} is damaged ({reason}). Move it away; the next sync"
                " builds a new one.",
                path=path,
                reason=reason,
            )
        raise LocalStoreError(message) from exc
