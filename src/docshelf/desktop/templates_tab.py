"""The Templates tab: groups as a tree, the group's templates, a search, the details, and
"Create document" with the profile whose data fill it (the one used last preselected) and
the language (the window fills the template and opens it, off the GUI thread). Templates
that can't be made offline yet are marked.

Layouters also get the administration view (:mod:`~docshelf.desktop.template_admin`):
switched on, the list holds every template they may change, marked by its status.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from docshelf.client import NewDocument
from docshelf.desktop.language import status_text, unknown_tags
from docshelf.desktop.library import Library, title
from docshelf.desktop.organisation_tab import Actions
from docshelf.desktop.prompts import Prompts
from docshelf.desktop.template_admin import TemplateAdmin
from docshelf.i18n import current_language, ntr, tr

ID_ROLE = Qt.ItemDataRole.UserRole
ALL = ""  # the tree's root item: every template


class TemplatesTab(QWidget):
    create_requested = Signal(str, str, str)  # template id, language, profile id ("": none)

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = Library()
        self.prompts = Prompts(self)
        self.admin_mode = QCheckBox()
        self.admin = TemplateAdmin(actions, self.prompts)
        self.admin.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.groups = QTreeWidget()
        self.groups.setHeaderHidden(True)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold; font-size: 14pt;")
        self.heading.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.language = QComboBox()
        self.language_label = QLabel()
        self.profile = QComboBox()
        self.profile_label = QLabel()
        self.create_button = QPushButton()
        self._layout()
        self.groups.currentItemChanged.connect(lambda *_: self._fill_list())
        self.search.textChanged.connect(lambda _text: self._fill_list())
        self.list.currentItemChanged.connect(lambda *_: self._show_details())
        self.list.itemActivated.connect(lambda _item: self._create())
        self.create_button.clicked.connect(self._create)
        self.admin_mode.toggled.connect(lambda _on: self._admin_toggled())
        self.retranslate()

    def _layout(self) -> None:
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.admin_mode)
        middle_layout.addWidget(self.search)
        middle_layout.addWidget(self.list)
        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.addWidget(self.heading)
        details_layout.addWidget(self.description)
        details_layout.addWidget(self.facts)
        details_layout.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.profile_label)
        row.addWidget(self.profile)
        row.addWidget(self.language_label)
        row.addWidget(self.language)
        row.addStretch(1)
        row.addWidget(self.create_button)
        details_layout.addLayout(row)
        details_layout.addWidget(self.admin)
        details_layout.addWidget(self.message)
        splitter = QSplitter()
        for widget, stretch in ((self.groups, 2), (middle, 3), (details, 4)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.indexOf(widget), stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def retranslate(self) -> None:
        self.search.setPlaceholderText(tr("Search…"))
        self.create_button.setText(tr("Create document"))
        self.language_label.setText(tr("Language"))
        self.profile_label.setText(tr("Profile"))
        self.admin_mode.setText(tr("Administration"))
        self.admin.retranslate()
        self.show_library(self.library)

    # --- rendering -----------------------------------------------------------------------

    def show_library(self, library: Library) -> None:
        self.library = library
        # Shown only to layouters, from the cached user record's roles (the editor and
        # the server check again).
        self.admin_mode.setVisible(library.is_layouter)
        self._fill_profiles()
        if not library.is_layouter:
            self.admin_mode.setChecked(False)
        selected_group = self._current_id(self.groups.currentItem(), ALL)
        self.groups.blockSignals(True)
        self.groups.clear()
        root = QTreeWidgetItem([tr("All templates")])
        root.setData(0, ID_ROLE, ALL)
        self.groups.addTopLevelItem(root)
        items = {ALL: root}
        pending = list(library.groups)
        # Parents first, whatever order the cache gave: a group waits until its parent is in.
        while pending:
            placed = [g for g in pending if (g.get("parent_id") or ALL) in items]
            if not placed:
                placed = pending  # orphans (parent not visible to this user) go to the top
            for group in placed:
                parent = items.get(group.get("parent_id") or ALL, root)
                item = QTreeWidgetItem(parent, [title(group, current_language())])
                item.setData(0, ID_ROLE, group["id"])
                items[group["id"]] = item
                pending.remove(group)
        self.groups.expandAll()
        self.groups.setCurrentItem(items.get(selected_group, root))
        self.groups.blockSignals(False)
        self._fill_list()

    def visible_templates(self) -> list[dict[str, Any]]:
        needle = self.search.text().strip().casefold()
        group = self._current_id(self.groups.currentItem(), ALL)
        found = []
        administering = self.administering()
        for template in self.library.templates:
            if administering and not self.library.may_change_template(template):
                continue
            if needle:
                haystack = " ".join(
                    [
                        *(template.get("titles") or {}).values(),
                        *(template.get("descriptions") or {}).values(),
                    ]
                ).casefold()
                if needle not in haystack:
                    continue
            elif group != ALL and template.get("group_id") != group:
                continue
            found.append(template)
        if needle or group == ALL:
            # Across groups the groups' own order means nothing: alphabetical, as listed.
            found.sort(key=lambda t: title(t, current_language()).casefold())
        return found

    def _fill_list(self) -> None:
        selected = self._current_id(self.list.currentItem(), None)
        self.list.blockSignals(True)
        self.list.clear()
        current = None
        for template in self.visible_templates():
            text = title(template, current_language())
            if self.administering():
                status = status_text(template["status"])
                text = tr("{title} [{status}]", title=text, status=status)
            if not self.library.offline_ready.get(template["id"], True):
                text = tr("{title} (not ready offline)", title=text)
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, template["id"])
            self.list.addItem(item)
            if template["id"] == selected:
                current = item
        if current is None and self.list.count():
            current = self.list.item(0)
        if current is not None:
            self.list.setCurrentItem(current)
        self.list.blockSignals(False)
        self._show_details()

    def selected(self) -> dict[str, Any] | None:
        ident = self._current_id(self.list.currentItem(), None)
        return next((t for t in self.library.templates if t["id"] == ident), None)

    def _show_details(self) -> None:
        template = self.selected()
        lang = current_language()
        self.language.clear()
        if self.administering():
            group = self._current_id(self.groups.currentItem(), ALL)
            self.admin.show_template(self.library, template, group or None)
        if template is None:
            self.heading.setText(tr("No template selected"))
            self.description.clear()
            self.facts.clear()
            self.create_button.setEnabled(False)
            return
        self.heading.setText(title(template, lang))
        descriptions: dict[str, str] = template.get("descriptions") or {}
        self.description.setText(descriptions.get(lang) or next(iter(descriptions.values()), ""))
        languages = sorted((template.get("files") or {}).keys())
        facts = [
            tr("Languages: {langs}", langs=", ".join(languages) or "—"),
            tr("File type: {kind}", kind="." + str(template.get("kind", "?"))),
        ]
        if self.library.is_layouter:
            facts.append(tr("Status: {status}", status=status_text(template["status"])))
            facts.append(
                tr(
                    "Use: {use} · Change: {change}",
                    use=self._principals(template.get("use_rights") or []),
                    change=self._principals(template.get("change_rights") or []),
                )
            )
        if not self.library.offline_ready.get(template["id"], True):
            facts.append(
                tr(
                    "Not ready offline: synchronise so that everything it needs (file, logos,"
                    " snippets) is on this computer."
                )
            )
        self.facts.setText("\n".join(facts))
        self.language.addItems(languages)
        if lang in languages:
            self.language.setCurrentText(lang)
        self.create_button.setEnabled(bool(languages))

    def administering(self) -> bool:
        return self.library.is_layouter and self.admin_mode.isChecked()

    def _admin_toggled(self) -> None:
        self.admin.setVisible(self.administering())
        self._fill_list()

    def _principals(self, rights: list[str]) -> str:
        names = [tr("everyone") if r == "*" else self.library.principal_name(r) for r in rights]
        return ", ".join(names) or "—"

    def _fill_profiles(self) -> None:
        """The user's profiles; the one chosen now, else the one used last, stays chosen."""
        chosen = self.profile.currentData() or self.library.last_profile
        self.profile.blockSignals(True)
        self.profile.clear()
        for profile in self.library.profiles:
            self.profile.addItem(profile["title"], profile["id"])
        if not self.library.profiles:
            self.profile.addItem(tr("(my own details)"), "")
        index = self.profile.findData(chosen) if chosen else -1
        self.profile.setCurrentIndex(max(index, 0))
        self.profile.blockSignals(False)

    def _create(self) -> None:
        template = self.selected()
        if template is not None and self.language.currentText():
            self.message.clear()
            profile = self.profile.currentData() or ""
            self.create_requested.emit(template["id"], self.language.currentText(), profile)

    def show_created(self, made: NewDocument) -> None:
        """What the new document holds: created where, fields without a value, unknown tags."""
        lines = [tr("Created: {path}", path=str(made.path))]
        if not made.fillable:
            lines.append(tr("Nothing filled: this file has no fields."))
        if made.missing:
            lines.append(
                ntr(
                    "{n} field without a value: {labels}",
                    "{n} fields without a value: {labels}",
                    len(made.missing),
                    labels=", ".join(made.missing),
                )
            )
        if made.unknown:
            lines.append(unknown_tags(made.unknown))
        self.message.setText("\n".join(lines))

    def show_failure(self, message: str) -> None:
        self.message.setText(message)

    @staticmethod
    def _current_id(item: QTreeWidgetItem | QListWidgetItem | None, default: Any) -> Any:
        if item is None:
            return default
        value = item.data(0, ID_ROLE) if isinstance(item, QTreeWidgetItem) else item.data(ID_ROLE)
        return value if value is not None else default
