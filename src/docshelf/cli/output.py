"""Printing for people: tables and errors on a terminal, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table
from rich.text import Text

from docshelf.i18n import tr

# soft_wrap: a message stays one line for scripts and logs, whatever the terminal width.
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    # Text, not markup: a message may quote a title like "Offer [draft]".
    errors.print(Text.assemble((tr("Error:"), "bold red"), " ", message), highlight=False)
    sys.exit(code)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``title`` and ``columns`` are marked with ``N_`` where defined; shown translated."""
    t = Table(title=tr(title) if title else None, show_lines=False, header_style="bold")
    for column in columns:
        # Ids are typed into other commands: never cut or wrap them.
        is_id = column == "id"
        t.add_column(tr(column), no_wrap=is_id, min_width=16 if is_id else None)
    for row in rows:
        # Text, not markup: a title like "Offer [draft]" must show as typed.
        t.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(t)


def print_json(value: Any) -> None:
    click_echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def click_echo(text: str) -> None:
    sys.stdout.write(text + "\n")
