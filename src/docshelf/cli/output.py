"""Printing for people: tables and errors on a terminal, JSON for scripts.

rich is imported when something is first printed through it, not when a command starts:
``--json`` output and the listing commands' start-up do without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from docshelf.i18n import tr

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich ``Console`` made at its first use (every attribute is the console's)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def resolve(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


# soft_wrap: a message stays one line for scripts and logs, whatever the terminal width.
if TYPE_CHECKING:
    console: Console
    errors: Console
else:
    console = _LazyConsole(soft_wrap=True)
    errors = _LazyConsole(stderr=True, soft_wrap=True)


def real(shown: Console) -> Console:
    """The console itself, for rich classes that take one (``Progress(console=...)``)."""
    return shown.resolve() if isinstance(shown, _LazyConsole) else shown


def fail(message: str, code: int = 1) -> NoReturn:
    from rich.text import Text

    # Text, not markup: a message may quote a title like "Offer [draft]".
    errors.print(Text.assemble((tr("Error:"), "bold red"), " ", message), highlight=False)
    sys.exit(code)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``title`` and ``columns`` are marked with ``N_`` where defined; shown translated."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=tr(title) if title else None, show_lines=False, header_style="bold")
    for column in columns:
        # Ids are typed into other commands: never cut or wrap them.
        is_id = column == "id"
        t.add_column(tr(column), no_wrap=is_id, min_width=16 if is_id else None)
    for row in rows:
        # Text, not markup: a title like "Offer [draft]" must show as typed.
        t.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(t)


# What rich drops from a Text (bell, backspace, vertical tab, form feed, carriage return).
_DROPPED_BY_RICH = dict.fromkeys((7, 8, 11, 12, 13))


def plain_line(text: str) -> None:
    """``text`` and a line break on standard output, as ``console.print(Text(text),
    highlight=False, soft_wrap=True)`` prints it (the control codes rich drops dropped, tabs
    expanded), without loading rich: for lines with no style, such as ``docshelf status``'s."""
    sys.stdout.write(text.translate(_DROPPED_BY_RICH).expandtabs(8) + "\n")
    sys.stdout.flush()


def print_json(value: Any) -> None:
    click_echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def click_echo(text: str) -> None:
    sys.stdout.write(text + "\n")
