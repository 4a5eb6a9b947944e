"""The small questions the tabs ask (a value, a choice, a yes/no, a file, a snippet).

Kept behind one object so tests answer them directly instead of driving modal dialogs.
Each question is built by a ``*_dialog`` method, its buttons worded from our catalogue
(not Qt's, which spells German differently), so a test can also open it and read it.
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

from docshelf.desktop.snippet_dialog import SnippetAnswer, SnippetDialog, SnippetForm
from docshelf.i18n import tr


class Prompts:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def text_dialog(self, title: str, label: str, value: str = "") -> QInputDialog:
        dialog = self._input(title, label)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(value)
        return dialog

    def choice_dialog(
        self, title: str, label: str, items: list[str], editable: bool = False
    ) -> QInputDialog:
        dialog = self._input(title, label)
        dialog.setComboBoxItems(items)
        dialog.setComboBoxEditable(editable)
        return dialog

    def confirm_dialog(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self.parent)
        box.addButton(tr("Yes"), QMessageBox.ButtonRole.YesRole)
        box.setDefaultButton(box.addButton(tr("No"), QMessageBox.ButtonRole.NoRole))
        return box

    def text(self, title: str, label: str, value: str = "") -> str | None:
        dialog = self.text_dialog(title, label, value)
        try:
            return dialog.textValue() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def choice(
        self, title: str, label: str, items: list[str], editable: bool = False
    ) -> str | None:
        if not items and not editable:
            return None
        dialog = self.choice_dialog(title, label, items, editable)
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            return dialog.textValue() if accepted and dialog.textValue() else None
        finally:
            dialog.deleteLater()

    def confirm(self, title: str, text: str) -> bool:
        box = self.confirm_dialog(title, text)
        try:
            box.exec()
            return box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.YesRole
        finally:
            box.deleteLater()

    def open_file(self, title: str, pattern: str = "") -> Path | None:
        name, _filter = QFileDialog.getOpenFileName(self.parent, title, "", pattern)
        return Path(name) if name else None

    def snippet(self, form: SnippetForm) -> SnippetAnswer | None:
        """The snippet dialog (title, body in its format, personal or shared, rights)."""
        dialog = SnippetDialog(form, self.parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.answer()
        finally:
            dialog.deleteLater()

    def _input(self, title: str, label: str) -> QInputDialog:
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setOkButtonText(tr("OK"))
        dialog.setCancelButtonText(tr("Cancel"))
        return dialog
