"""Tables and plain lines are printed as rich prints them, without loading rich where the
layout is simple (cli/output.py); rich itself is the reference here."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from docshelf.cli import output

ROWS: list[Sequence[Any]] = [
    ("88f05bfa7b4880f0", "Firmenpräsentation", "Präsentationen", "pptx", None),
    ("1bd95f2b005b1982", "Offer [draft] — «Zürich» €", "", "dotx", 3),
    ("b3a87997591ac11b", "Dienstleistungsvertrag", "Verträge", "dotx", "ready"),
]
COLUMNS = ["id", "title", "group", "type", "offline"]


def by_rich(
    title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]], tty: bool, width: int
) -> str:
    """What output.table printed through rich before it drew tables itself."""
    out = io.StringIO()
    console = Console(file=out, soft_wrap=True, force_terminal=tty, width=width)
    t = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        is_id = column == "id"
        t.add_column(column, no_wrap=is_id, min_width=16 if is_id else None)
    for row in rows:
        t.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(t)
    return out.getvalue()


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("width", [200, 100, 60])
@pytest.mark.parametrize(
    ("title", "rows"),
    [
        ("Templates", ROWS),
        (None, ROWS[:1]),
        ("Units", []),
        ("Wide", [("x", "漢字のタイトル", "", "", "")]),
        ("Tabs", [("x", "a\tb", "", "", "")]),
        ("Lines", [("x", "one\ntwo", "", "", "")]),
    ],
    ids=["templates", "one row", "empty", "wide characters", "tab", "line break"],
)
def test_a_table_is_printed_as_rich_prints_it(
    monkeypatch: pytest.MonkeyPatch,
    tty: bool,
    width: int,
    title: str | None,
    rows: list[Sequence[Any]],
) -> None:
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TERM", "xterm")
    out = FakeTerminal(tty)
    monkeypatch.setattr(sys, "stdout", out)
    # The module's console is made at first use, on the stdout of that moment.
    monkeypatch.setattr(output, "console", output._LazyConsole(soft_wrap=True))
    output.table(title, COLUMNS, rows)
    assert out.getvalue() == by_rich(title, COLUMNS, rows, tty, width)


def test_characters_taken_as_one_cell_are_one_cell_for_rich() -> None:
    for code in range(0x20, 0x2100):
        char = chr(code)
        if output._ONE_CELL.fullmatch(char):
            assert cell_len(char) == 1, hex(code)


@pytest.mark.parametrize(
    "text", ["plain", "a\tb  c", "x\r\ny", "bell\x07x", "esc\x1b[31mred", "ä — «x»", "end   "]
)
def test_a_plain_line_is_printed_as_rich_prints_an_unstyled_text(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    output.plain_line(text)
    reference = io.StringIO()
    Console(file=reference, soft_wrap=True).print(Text(text), highlight=False, soft_wrap=True)
    assert out.getvalue() == reference.getvalue()
