"""Which SQL statements a piece of server code runs: the poll-cost tests count them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from docshelf.server.db.engine import Database


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Collect the SQL text of every statement run on ``db`` inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def tables_read(sql: list[str]) -> set[str]:
    found: set[str] = set()
    for text in sql:
        found |= set(re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", text, flags=re.I))
    return found
