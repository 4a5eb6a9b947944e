"""Printing for people: tables and errors on a terminal, JSON for scripts.

rich is imported when something is first printed through it, not when a command starts:
``--json`` output and the listing commands' start-up do without it.
"""

from __future__ import annotations

import json
import os
import re
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
    """``title`` and ``columns`` are marked with ``N_`` where defined; shown translated.

    Printed as rich prints it; a table that fits the width, of plain characters, is drawn
    here without loading rich (a tenth of a second of ``docshelf templates``)."""
    shown_title = tr(title) if title else None
    heads = [tr(column) for column in columns]
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    # Ids are typed into other commands: never cut or wrap them.
    min_widths = [16 if column == "id" else None for column in columns]
    if _plain_table(shown_title, heads, cells, min_widths):
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(title=shown_title, show_lines=False, header_style="bold")
    for head, min_width in zip(heads, min_widths, strict=True):
        t.add_column(head, no_wrap=min_width is not None, min_width=min_width)
    for row in cells:
        # Text, not markup: a title like "Offer [draft]" must show as typed.
        t.add_row(*(Text(v) for v in row))
    console.print(t)


# Characters one cell wide in any terminal (and in rich's measure): printable Latin and the
# common punctuation of titles. A table with any other is left to rich.
_ONE_CELL = re.compile(r"[\x20-\x7e\xa0-\xac\xae-\u02ff\u2010-\u2027\u2030-\u205e\u20ac]*")
_BOLD, _ITALIC, _RESET = "\x1b[1m", "\x1b[3m", "\x1b[0m"


def _plain_table(
    title: str | None, heads: list[str], cells: list[list[str]], min_widths: list[int | None]
) -> bool:
    """Write the table as rich's ``Table`` (heavy head box, padding 1, bold header, italic
    title, soft-wrapped console) writes one that fits; False, writing nothing, where rich's
    own layout (wrapping, wide characters) or terminal handling would be needed."""
    texts = [*heads, *(v for row in cells for v in row), *([title] if title else [])]
    if any(len(row) != len(heads) for row in cells) or not all(
        _ONE_CELL.fullmatch(text) for text in texts
    ):
        return False
    styled = _terminal_styles()
    if styled is None:
        return False
    widths = [
        max([len(head), *(len(row[i]) for row in cells), min_widths[i] or 0]) + 2
        for i, head in enumerate(heads)
    ]
    if sum(widths) + len(widths) + 1 > _console_width():
        return False

    def line(left: str, fill: str, cross: str, right: str) -> str:
        return left + cross.join(fill * width for width in widths) + right

    def head_cell(text: str, width: int) -> str:
        if not styled:
            return f" {text:<{width - 2}} "
        return f"{_BOLD} {_RESET}{_BOLD}{text:<{width - 2}}{_RESET}{_BOLD} {_RESET}"

    out = []
    if title:
        out.append(f"{_ITALIC}{title}{_RESET}" if styled else title)
    out.append(line("┏", "━", "┳", "┓"))
    out.append("┃" + "┃".join(head_cell(h, w) for h, w in zip(heads, widths, strict=True)) + "┃")
    out.append(line("┡", "━", "╇", "┩"))
    for row in cells:
        out.append(
            "│" + "│".join(f" {v:<{w - 2}} " for v, w in zip(row, widths, strict=True)) + "│"
        )
    out.append(line("└", "─", "┴", "┘"))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    return True


def _terminal_styles() -> bool | None:
    """Whether rich would style the output (a terminal), as its ``Console`` decides on a
    POSIX system; None where its decision is not this simple one."""
    environ = os.environ
    if os.name != "posix" or "TTY_COMPATIBLE" in environ or "FORCE_COLOR" in environ:
        return None
    if "idlelib" in getattr(sys.stdin, "__module__", ""):
        return None
    try:
        terminal = sys.stdout.isatty()
    except ValueError:
        return None
    if terminal and environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    return terminal


def _console_width() -> int:
    """The width rich's ``Console`` lays out to (``Console.size``)."""
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return width or 80


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
    """``click.echo(text)`` on a UTF-8 standard output, without click."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
