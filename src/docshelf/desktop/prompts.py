"""The small questions the tabs ask (a value, a choice, a yes/no, a file, a snippet).

Kept behind one object so tests answer them directly instead of driving modal dialogs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from docshelf.desktop.i18n import Texts
from docshelf.desktop.snippet_dialog import SnippetAnswer, SnippetDialog, SnippetForm


class Prompts:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def text(self, title: str, label: str, value: str = "") -> str | None:
        answer, ok = QInputDialog.getText(
            self.parent, title, label, QLineEdit.EchoMode.Normal, value
        )
        return answer if ok else None

    def choice(
        self, title: str, label: str, items: list[str], editable: bool = False
    ) -> str | None:
        if not items and not editable:
            return None
        answer, ok = QInputDialog.getItem(self.parent, title, label, items, 0, editable)
        return answer if ok and answer else None

    def confirm(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = QMessageBox.question(self.parent, title, text, buttons)
        return answer == QMessageBox.StandardButton.Yes

    def open_file(self, title: str, pattern: str = "") -> Path | None:
        name, _filter = QFileDialog.getOpenFileName(self.parent, title, "", pattern)
        return Path(name) if name else None

    def snippet(self, texts: Texts, form: SnippetForm) -> SnippetAnswer | None:
        """The snippet dialog (title, body in its format, personal or shared, rights)."""
        dialog = SnippetDialog(texts, form, self.parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.answer()
        finally:
            dialog.deleteLater()
