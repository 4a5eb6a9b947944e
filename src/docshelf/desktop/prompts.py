"""The small questions the tabs ask (a value, a choice, a yes/no, a file, a snippet).

Kept behind one object so tests answer them directly instead of driving modal dialogs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)


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

    def open_file(self, title: str) -> Path | None:
        name, _filter = QFileDialog.getOpenFileName(self.parent, title)
        return Path(name) if name else None

    def snippet(
        self, title: str, labels: tuple[str, str], value: tuple[str, str] = ("", "")
    ) -> tuple[str, str] | None:
        dialog = QDialog(self.parent)
        dialog.setWindowTitle(title)
        name = QLineEdit(value[0])
        body = QPlainTextEdit(value[1])
        form = QFormLayout(dialog)
        form.addRow(labels[0], name)
        form.addRow(labels[1], body)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return name.text(), body.toPlainText()
