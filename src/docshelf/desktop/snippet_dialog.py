"""The snippet dialog: title, body in its format, and (shared snippets) who may use and
change it.

Bodies come in three formats: plain text (a plain editor), formatted text (a rich-text
editor with bold, italic, underline and lists, stored as HTML) and Word files (chosen
with a file dialog; the editor copies the file in). A new snippet is personal or, for
users whose roles allow it, shared; a shared one carries read rights (who may use it) and
write rights (who may change it), given as principals (``*``, ``group:<id>``,
``user:<id>``) exactly as the editor takes them.

The dialog only collects an answer; the Organisation tab checks it and queues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QTextCharFormat, QTextListFormat
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from docshelf.i18n import N_, tr

FORMATS = {"text": N_("Plain text"), "html": N_("Formatted text"), "docx": N_("Word file")}
ORDER = list(FORMATS)
VALUE_ROLE = Qt.ItemDataRole.UserRole
TOOLS = {
    "snippet.bold": N_("Bold"),
    "snippet.italic": N_("Italic"),
    "snippet.underline": N_("Underline"),
    "snippet.bullets": N_("• Bullets"),
    "snippet.numbers": N_("1. Numbering"),
}


# Also said by the Organisation tab, which checks an answer once more before queueing it.
def no_title_text() -> str:
    return tr("A snippet needs a title.")


def no_file_text() -> str:
    return tr("A Word snippet needs a Word file: «Choose file…».")


def not_word_text(name: str) -> str:
    return tr("«{name}» is not a Word file (.docx).", name=name)


def choose_word_text() -> str:
    return tr("Choose the Word file")


def word_filter_text() -> str:
    return tr("Word documents (*.docx)")


@dataclass(frozen=True)
class Principal:
    """One entry of the rights picker: ``*``, ``group:<id>`` or ``user:<id>``."""

    value: str
    label: str


@dataclass(frozen=True)
class SnippetForm:
    """What the dialog starts with."""

    title: str = ""
    body_format: str = "text"
    body: str = ""  # the text, or the HTML of a formatted snippet
    creating: bool = True
    may_share: bool = False  # creating: may the user choose "shared"?
    shared: bool = False  # editing: is the snippet shared (then its rights show)?
    principals: tuple[Principal, ...] = ()
    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    fixed: frozenset[str] = frozenset()  # write rights always kept (the author's)


@dataclass(frozen=True)
class SnippetAnswer:
    """What the user asked for. ``body`` is None when a body was left as it was (and for
    Word snippets); ``file`` is the Word file chosen, None when none was."""

    title: str
    body_format: str = "text"
    body: str | None = None
    file: Path | None = None
    shared: bool = False
    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()


class RichTextEditor(QWidget):
    """A QTextEdit with a small tool bar: bold, italic, underline, bulleted and numbered
    lists. Its content is kept as HTML."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QTextEdit()
        self.edit.setAcceptRichText(True)
        self.tools = QToolBar()
        self.actions_by_key: dict[str, QAction] = {}
        for key, handler, checkable in (
            ("snippet.bold", self.toggle_bold, True),
            ("snippet.italic", self.toggle_italic, True),
            ("snippet.underline", self.toggle_underline, True),
            ("snippet.bullets", lambda: self.make_list(QTextListFormat.Style.ListDisc), False),
            ("snippet.numbers", lambda: self.make_list(QTextListFormat.Style.ListDecimal), False),
        ):
            action = QAction(tr(TOOLS[key]), self)
            action.setCheckable(checkable)
            action.triggered.connect(lambda _checked=False, run=handler: run())
            self.tools.addAction(action)
            self.actions_by_key[key] = action
        bold = self.actions_by_key["snippet.bold"].font()
        bold.setBold(True)
        self.actions_by_key["snippet.bold"].setFont(bold)
        self.edit.currentCharFormatChanged.connect(self._show_format)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tools)
        layout.addWidget(self.edit)

    def set_html(self, html: str) -> None:
        self.edit.setHtml(html)
        self.edit.document().setModified(False)

    def html(self) -> str:
        return self.edit.toHtml()

    def modified(self) -> bool:
        return self.edit.document().isModified()

    def _merge(self, fmt: QTextCharFormat) -> None:
        cursor = self.edit.textCursor()
        if not cursor.hasSelection():
            # Without a selection the format applies to what is typed next.
            self.edit.mergeCurrentCharFormat(fmt)
            return
        cursor.mergeCharFormat(fmt)
        self.edit.setTextCursor(cursor)

    def toggle_bold(self) -> None:
        fmt = QTextCharFormat()
        bold = self.actions_by_key["snippet.bold"].isChecked()
        fmt.setFontWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        self._merge(fmt)

    def toggle_italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(self.actions_by_key["snippet.italic"].isChecked())
        self._merge(fmt)

    def toggle_underline(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontUnderline(self.actions_by_key["snippet.underline"].isChecked())
        self._merge(fmt)

    def make_list(self, style: QTextListFormat.Style) -> None:
        cursor = self.edit.textCursor()
        cursor.beginEditBlock()
        current = cursor.currentList()
        if current is not None and current.format().style() == style:
            # The same list again: back to plain paragraphs.
            block = cursor.blockFormat()
            current.remove(cursor.block())
            block.setIndent(0)
            cursor.setBlockFormat(block)
        else:
            fmt = QTextListFormat()
            fmt.setStyle(style)
            cursor.createList(fmt)
        cursor.endEditBlock()
        self.edit.setFocus()

    def _show_format(self, fmt: QTextCharFormat) -> None:
        self.actions_by_key["snippet.bold"].setChecked(fmt.fontWeight() >= QFont.Weight.Bold)
        self.actions_by_key["snippet.italic"].setChecked(fmt.fontItalic())
        self.actions_by_key["snippet.underline"].setChecked(fmt.fontUnderline())


class RightsPicker(QGroupBox):
    """Two check lists of the same principals: who may use (read) and who may change
    (write) the snippet, with a filter for long lists."""

    def __init__(self, form: SnippetForm, parent: QWidget | None = None) -> None:
        super().__init__(tr("Rights"), parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("Filter groups and people…"))
        self.filter.setClearButtonEnabled(True)
        self.read = self._list(form, form.read, frozenset())
        self.write = self._list(form, form.write, form.fixed)
        self.hint = QLabel(tr("Nobody chosen: everyone may use it.") if form.creating else "")
        self.hint.setWordWrap(True)
        self.hint.setVisible(form.creating)
        columns = QHBoxLayout()
        for label, widget in (
            (tr("May use it (read):"), self.read),
            (tr("May change it (write):"), self.write),
        ):
            column = QVBoxLayout()
            column.addWidget(QLabel(label))
            column.addWidget(widget)
            columns.addLayout(column)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addLayout(columns)
        layout.addWidget(self.hint)
        self.filter.textChanged.connect(self._filter)
        self._fixed_tip = tr("Whoever shares a snippet may keep changing it.")
        for row in range(self.write.count()):
            item = self.write.item(row)
            if item.data(VALUE_ROLE) in form.fixed:
                item.setToolTip(self._fixed_tip)

    @staticmethod
    def _list(form: SnippetForm, checked: frozenset[str], fixed: frozenset[str]) -> QListWidget:
        widget = QListWidget()
        for principal in form.principals:
            item = QListWidgetItem(principal.label)
            item.setData(VALUE_ROLE, principal.value)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
            if principal.value in fixed:
                flags = Qt.ItemFlag.NoItemFlags  # shown checked, not to be unchecked
            item.setFlags(flags)
            on = principal.value in checked or principal.value in fixed
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            widget.addItem(item)
        return widget

    def _filter(self, text: str) -> None:
        needle = text.casefold().strip()
        for widget in (self.read, self.write):
            for row in range(widget.count()):
                item = widget.item(row)
                item.setHidden(bool(needle) and needle not in item.text().casefold())

    def set_checked(self, right: str, value: str, on: bool = True) -> None:
        widget = self.read if right == "read" else self.write
        for row in range(widget.count()):
            item = widget.item(row)
            if item.data(VALUE_ROLE) == value:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        raise KeyError(value)

    def labels(self, right: str) -> list[str]:
        widget = self.read if right == "read" else self.write
        return [widget.item(row).text() for row in range(widget.count())]

    def checked(self, right: str) -> frozenset[str]:
        widget = self.read if right == "read" else self.write
        return frozenset(
            str(widget.item(row).data(VALUE_ROLE))
            for row in range(widget.count())
            if widget.item(row).checkState() == Qt.CheckState.Checked
        )


class SnippetDialog(QDialog):
    def __init__(self, form: SnippetForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.file: Path | None = None
        self.setWindowTitle(tr("New snippet") if form.creating else tr("Edit snippet"))
        self.setMinimumWidth(560)
        self.name = QLineEdit(form.title)
        self.format = QComboBox()
        for key, label in FORMATS.items():
            self.format.addItem(tr(label), key)
        self.format.setCurrentIndex(ORDER.index(form.body_format))
        self.format.setEnabled(form.creating)  # a body keeps its format
        self.plain = QPlainTextEdit(form.body if form.body_format == "text" else "")
        self.rich = RichTextEditor()
        if form.body_format == "html":
            self.rich.set_html(form.body)
        self.file_label = QLabel(
            tr("No file chosen")
            if form.creating
            else tr("The stored Word file stays until you choose another.")
        )
        self.file_label.setWordWrap(True)
        self.choose = QPushButton(tr("Choose file…") if form.creating else tr("Replace file…"))
        self.choose.clicked.connect(lambda: self.choose_file())
        word = QWidget()
        word_row = QHBoxLayout(word)
        word_row.addWidget(self.file_label, 1)
        word_row.addWidget(self.choose)
        self.pages = QStackedWidget()
        for page in (self.plain, self.rich, word):
            self.pages.addWidget(page)
        self.format.currentIndexChanged.connect(lambda _i: self._show_parts())
        self.personal = QRadioButton(tr("Personal (for me only)"))
        self.shared = QRadioButton(tr("Shared"))
        kinds = QButtonGroup(self)
        kinds.addButton(self.personal)
        kinds.addButton(self.shared)
        (self.shared if form.shared else self.personal).setChecked(True)
        self.kind_row = QWidget()
        row = QHBoxLayout(self.kind_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.personal)
        row.addWidget(self.shared)
        row.addStretch(1)
        self.kind_label = QLabel(tr("Kind"))
        self.rights = RightsPicker(form)
        self.shared.toggled.connect(lambda _on: self._show_parts())
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form_layout = QFormLayout()
        form_layout.addRow(tr("Title"), self.name)
        form_layout.addRow(tr("Format"), self.format)
        form_layout.addRow(self.kind_label, self.kind_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form_layout)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.rights, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._show_parts()

    # --- what shows ----------------------------------------------------------------------

    def body_format(self) -> str:
        return str(self.format.currentData())

    def offers_sharing(self) -> bool:
        """Is "shared" offered? Only when creating, and only to those who may share."""
        return self.form.creating and self.form.may_share

    def is_shared(self) -> bool:
        if self.form.creating:
            return self.offers_sharing() and self.shared.isChecked()
        return self.form.shared

    def _show_parts(self) -> None:
        self.pages.setCurrentIndex(ORDER.index(self.body_format()))
        offered = self.offers_sharing()
        self.kind_label.setVisible(offered)
        self.kind_row.setVisible(offered)
        self.rights.setVisible(self.is_shared())

    # --- Word files ----------------------------------------------------------------------

    def choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, choose_word_text(), "", word_filter_text()
        )
        if name:
            self.set_file(Path(name))

    def set_file(self, path: Path) -> None:
        self.file = path
        self.file_label.setText(str(path))

    # --- the answer ----------------------------------------------------------------------

    def problem_text(self) -> str | None:
        """What keeps the answer from being usable, in the user's language."""
        if not self.name.text().strip():
            return no_title_text()
        if self.body_format() == "docx":
            if self.file is None and self.form.creating:
                return no_file_text()
            if self.file is not None and self.file.suffix.lower() != ".docx":
                return not_word_text(self.file.name)
        return None

    def accept(self) -> None:
        problem = self.problem_text()
        if problem is not None:
            self.problem.setText(problem)
            self.problem.show()
            return
        super().accept()

    def answer(self) -> SnippetAnswer:
        body_format = self.body_format()
        body: str | None = None
        if body_format == "text":
            text = self.plain.toPlainText()
            body = text if self.form.creating or text != self.form.body else None
        elif body_format == "html":
            body = self.rich.html() if self.form.creating or self.rich.modified() else None
        shared = self.is_shared()
        return SnippetAnswer(
            title=self.name.text().strip(),
            body_format=body_format,
            body=body,
            file=self.file if body_format == "docx" else None,
            shared=shared,
            read=self.rights.checked("read") if shared else frozenset(),
            write=self.rights.checked("write") if shared else frozenset(),
        )
