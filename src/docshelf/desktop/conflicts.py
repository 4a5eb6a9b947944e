"""Edits that met someone else's change first, with both sides, and the choice per edit:
keep mine (it goes up again at the next sync) or take theirs (mine is dropped).

The dialog only renders the conflicts of a :class:`~docshelf.desktop.library.Library`
snapshot and says which choice was made; the window settles it through the editor,
exactly as ``docshelf conflicts resolve`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from docshelf.i18n import current_language, ntr, tr

ID_ROLE = Qt.ItemDataRole.UserRole
MINE, THEIRS = "mine", "theirs"


def shown_value(value: Any) -> str:
    if value is None:
        return tr("(empty)")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def shown_path(path: str, labels: Mapping[str, Mapping[str, str]], language: str) -> str:
    """What an edit's path names, as people read it: a field's label for the path of a
    field value ("overrides.phone" -> "Telefon direkt"), any other path as it is."""
    names = labels.get(path.rsplit(".", 1)[-1])
    if not names:
        return path
    return names.get(language) or next(iter(names.values()), path)


class ConflictsDialog(QDialog):
    resolve_requested = Signal(str, str)  # upload id, "mine" or "theirs"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Field key -> its labels by language, from the local copy (see shown_path).
        self.field_labels: dict[str, dict[str, str]] = {}
        self.conflicts: list[dict[str, Any]] = []
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((280, 170, 140)):
            self.table.setColumnWidth(column, width)
        self.keep_mine = QPushButton()
        self.take_theirs = QPushButton()
        self.close_button = QPushButton()
        self.keep_mine.clicked.connect(lambda: self._resolve(MINE))
        self.take_theirs.clicked.connect(lambda: self._resolve(THEIRS))
        self.close_button.clicked.connect(self.accept)
        self.table.itemSelectionChanged.connect(self._enable)
        row = QHBoxLayout()
        row.addWidget(self.keep_mine)
        row.addWidget(self.take_theirs)
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.resize(760, 360)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Conflicts"))
        self.keep_mine.setText(tr("Keep mine"))
        self.take_theirs.setText(tr("Take theirs"))
        self.close_button.setText(tr("Close"))
        self.table.setHorizontalHeaderLabels([tr("Edit"), tr("Field"), tr("Mine"), tr("Theirs")])
        self.show_conflicts(self.conflicts)

    def show_conflicts(self, conflicts: list[dict[str, Any]]) -> None:
        selected = self.selected()
        self.conflicts = conflicts
        self.intro.setText(_intro(len(conflicts)) if conflicts else tr("No conflicts."))
        language = current_language()
        self.table.setRowCount(len(conflicts))
        for row, conflict in enumerate(conflicts):
            theirs: dict[str, Any] = conflict.get("theirs") or {}
            mine: dict[str, Any] = conflict.get("mine") or {}
            paths = sorted(theirs)
            cells = [
                conflict["summary"],
                "\n".join(shown_path(p, self.field_labels, language) for p in paths),
                "\n".join(shown_value(mine.get(p)) for p in paths),
                "\n".join(shown_value(theirs[p]) for p in paths),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, conflict["id"])
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        ids = [c["id"] for c in conflicts]
        if conflicts:
            self.table.selectRow(ids.index(selected) if selected in ids else 0)
        self._enable()

    def selected(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if 0 <= row < self.table.rowCount() else None
        return None if item is None else str(item.data(ID_ROLE))

    def _enable(self) -> None:
        chosen = self.selected() is not None
        self.keep_mine.setEnabled(chosen)
        self.take_theirs.setEnabled(chosen)

    def _resolve(self, keep: str) -> None:
        ident = self.selected()
        if ident is not None:
            # Until the answer is back, a second click must not settle it twice.
            self.keep_mine.setEnabled(False)
            self.take_theirs.setEnabled(False)
            self.resolve_requested.emit(ident, keep)


def _intro(count: int) -> str:
    return ntr(
        "{n} edit met someone else's change. Choose for each: keep your version (it goes up"
        " at the next sync) or take theirs (yours is dropped).",
        "{n} edits met someone else's change. Choose for each: keep your version (it goes up"
        " at the next sync) or take theirs (yours is dropped).",
        count,
    )
