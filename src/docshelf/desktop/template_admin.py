"""The layouters' administration view on the Templates tab.

Every template the layouter may change, whatever its status (the tab marks the status in
the list); for the selected one: title and description per language, status, Use and
Change rights, a language's file, its group; the template groups themselves; and
"Template distribution", which uploads all of it now (a manual sync).

Each change is one call of the client's editor, queued in the outbox like
``docshelf template set`` / ``set-file`` / ``rights`` / ``template-group``; the window runs
it off the GUI thread and re-reads the local copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from docshelf.desktop.language import status_text, unknown_tags
from docshelf.desktop.library import Library
from docshelf.desktop.organisation_tab import Actions
from docshelf.desktop.prompts import Prompts
from docshelf.domain.templates import PublicationStatus
from docshelf.domain.trees import would_create_cycle
from docshelf.i18n import N_, current_language, tr

STATUSES = [s.value for s in PublicationStatus]
RIGHTS = {"use": N_("Use"), "change": N_("Change")}
# The buttons and labels, by the names tests and code reach them with.
WORDS = {
    "admin.language": N_("Language"),
    "admin.title": N_("Title"),
    "admin.description": N_("Description"),
    "admin.status": N_("Status"),
    "admin.save": N_("Apply"),
    "admin.grant": N_("Grant right…"),
    "admin.withdraw": N_("Withdraw right…"),
    "admin.replace_file": N_("Replace file…"),
    "admin.move": N_("Move to group…"),
    "admin.group_new": N_("New group…"),
    "admin.group_rename": N_("Rename…"),
    "admin.group_move": N_("Move…"),
    "admin.group_delete": N_("Delete"),
}


class TemplateAdmin(QWidget):
    distribute_requested = Signal()

    def __init__(self, actions: Actions, prompts: Prompts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = actions
        self.prompts = prompts
        self.library = Library()
        self.template: dict[str, Any] | None = None
        self.group_id: str | None = None
        self._shown: tuple[Any, ...] | None = None
        self.language = QComboBox()
        self.title = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(70)
        self.status = QComboBox()
        for status in STATUSES:
            self.status.addItem("", status)
        self.rights = QLabel()
        self.rights.setWordWrap(True)
        self.tags = QLabel()
        self.tags.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        self.labels: dict[str, QLabel] = {}
        self.template_box = QGroupBox()
        self.group_box = QGroupBox()
        self.distribute = QPushButton()
        self.distribute.clicked.connect(self.distribute_requested.emit)
        self._layout()
        self.language.currentIndexChanged.connect(lambda _i: self._fill_texts())
        self.retranslate()

    def _button(self, key: str, handler: Callable[[], None]) -> QPushButton:
        button = QPushButton()
        button.clicked.connect(lambda: handler())
        self.buttons[key] = button
        return button

    def _label(self, key: str) -> QLabel:
        self.labels[key] = QLabel()
        return self.labels[key]

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self._label("admin.language"), self.language)
        form.addRow(self._label("admin.title"), self.title)
        form.addRow(self._label("admin.description"), self.description)
        form.addRow(self._label("admin.status"), self.status)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self._button("admin.save", self.save))
        rights_row = QHBoxLayout()
        rights_row.addWidget(self._button("admin.grant", self.grant))
        rights_row.addWidget(self._button("admin.withdraw", self.withdraw))
        rights_row.addStretch(1)
        more_row = QHBoxLayout()
        more_row.addWidget(self._button("admin.replace_file", self.replace_file))
        more_row.addWidget(self._button("admin.move", self.move_template))
        more_row.addStretch(1)
        box = QVBoxLayout(self.template_box)
        box.addLayout(form)
        box.addLayout(save_row)
        box.addWidget(self.rights)
        box.addLayout(rights_row)
        box.addLayout(more_row)
        box.addWidget(self.tags)
        groups = QHBoxLayout(self.group_box)
        for key, handler in (
            ("admin.group_new", self.new_group),
            ("admin.group_rename", self.rename_group),
            ("admin.group_move", self.move_group),
            ("admin.group_delete", self.delete_group),
        ):
            groups.addWidget(self._button(key, handler))
        groups.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.template_box)
        layout.addWidget(self.group_box)
        distribute_row = QHBoxLayout()
        distribute_row.addStretch(1)
        distribute_row.addWidget(self.distribute)
        layout.addLayout(distribute_row)

    def retranslate(self) -> None:
        for key, button in self.buttons.items():
            button.setText(tr(WORDS[key]))
        for key, label in self.labels.items():
            label.setText(tr(WORDS[key]))
        for index, status in enumerate(STATUSES):
            self.status.setItemText(index, status_text(status))
        self.template_box.setTitle(tr("Edit template"))
        self.group_box.setTitle(tr("Template groups"))
        self.distribute.setText(tr("Template distribution"))
        self.distribute.setToolTip(tr("Upload your changes now (synchronise)"))
        self._shown = None
        self.show_template(self.library, self.template, self.group_id)

    # --- rendering -----------------------------------------------------------------------

    def show_template(
        self, library: Library, template: dict[str, Any] | None, group_id: str | None
    ) -> None:
        self.library, self.template, self.group_id = library, template, group_id
        snapshot = None if template is None else (template["id"], repr(sorted(template.items())))
        if snapshot != self._shown:
            # Only when the template itself changed: a re-render must not wipe what the
            # layouter is typing.
            self._shown = snapshot
            self._fill_languages()
            self._fill_texts()
            if template is not None:
                self.status.setCurrentIndex(max(0, STATUSES.index(template["status"])))
        self.rights.setText(self._rights_text())
        self.tags.setText(self._tags_text())
        changeable = template is not None
        for key in ("admin.save", "admin.grant", "admin.withdraw", "admin.replace_file"):
            self.buttons[key].setEnabled(changeable)
        self.buttons["admin.move"].setEnabled(changeable and bool(library.groups))
        for widget in (self.language, self.title, self.description, self.status):
            widget.setEnabled(changeable)
        group = group_id is not None
        self.buttons["admin.group_new"].setEnabled(library.signed_in)
        self.buttons["admin.group_rename"].setEnabled(group)
        self.buttons["admin.group_move"].setEnabled(group)
        self.buttons["admin.group_delete"].setEnabled(group)

    def _tags_text(self) -> str:
        """The tags the template uses and those that name no field, image field or snippet."""
        if self.template is None:
            return ""
        tags, unknown = self.library.template_tags.get(self.template["id"], ([], []))
        lines = [tr("Tags: {tags}", tags=", ".join(tags) or "—")]
        if unknown:
            lines.append(unknown_tags(unknown))
        return "\n".join(lines)

    def _languages(self) -> list[str]:
        template = self.template or {}
        found = {current_language(), "de", "en"}
        for key in ("titles", "descriptions", "files"):
            found |= set(template.get(key) or {})
        return sorted(found)

    def _fill_languages(self) -> None:
        chosen = self.language.currentText() or current_language()
        self.language.blockSignals(True)
        self.language.clear()
        self.language.addItems(self._languages())
        self.language.setCurrentText(chosen)
        self.language.blockSignals(False)

    def _fill_texts(self) -> None:
        template, lang = self.template or {}, self.language.currentText()
        self.title.setText((template.get("titles") or {}).get(lang, ""))
        self.description.setPlainText((template.get("descriptions") or {}).get(lang, ""))

    def _rights_text(self) -> str:
        template = self.template
        if template is None:
            return ""
        return tr(
            "Use: {use} · Change: {change}",
            use=self._names(template.get("use_rights") or []),
            change=self._names(template.get("change_rights") or []),
        )

    def _names(self, rights: list[str]) -> str:
        return ", ".join(self._principal_label(r) for r in rights) or "—"

    def _principal_label(self, principal: str) -> str:
        if principal == "*":
            return tr("everyone")
        if principal.startswith("group:"):
            return tr("group {name}", name=self.library.principal_name(principal))
        return self.library.principal_name(principal)

    # --- the template --------------------------------------------------------------------

    def save(self) -> None:
        template = self.template
        if template is None:
            return
        lang = self.language.currentText()
        title = self.title.text().strip()
        description = self.description.toPlainText()
        status = str(self.status.currentData())
        changes: dict[str, str] = {}
        if title != (template.get("titles") or {}).get(lang, ""):
            changes["title"] = title
        if description != (template.get("descriptions") or {}).get(lang, ""):
            changes["description"] = description
        if status != template["status"]:
            changes["status"] = status
        if not changes:
            return
        tid = template["id"]
        self._shown = None  # show what the editor made of it, once queued
        self.ops.edit(lambda editor: editor.template_set(tid, lang=lang, **changes))

    def _choose_right(self) -> str | None:
        names = {tr(label): right for right, label in RIGHTS.items()}
        chosen = self.prompts.choice(tr("Rights"), tr("Which right?"), list(names))
        return names.get(chosen or "")

    def grant(self) -> None:
        template = self.template
        right = self._choose_right() if template is not None else None
        if template is None or right is None:
            return
        # Principals as the editor takes them: "*", a login, "group:<id>".
        candidates = {tr("everyone"): "*"}
        for user in sorted(self.library.users.values(), key=lambda u: str(u["login"])):
            candidates[str(user["login"])] = str(user["login"])
        for group_id, name in sorted(self.library.group_names.items(), key=lambda g: g[1]):
            candidates[tr("group {name}", name=name)] = f"group:{group_id}"
        chosen = self.prompts.choice(
            tr("Rights"), tr("Grant to (login, group or everyone):"), list(candidates), True
        )
        if not chosen:
            return
        principal = candidates.get(chosen, chosen)
        tid = template["id"]
        self.ops.edit(lambda editor: editor.template_rights(tid, right, [principal], []))

    def withdraw(self) -> None:
        template = self.template
        right = self._choose_right() if template is not None else None
        if template is None or right is None:
            return
        held = template.get(f"{right}_rights") or []
        labels = {self._principal_label(p): p for p in held}
        chosen = self.prompts.choice(tr("Rights"), tr("Withdraw from:"), list(labels))
        if chosen in labels:
            principal, tid = labels[chosen], template["id"]
            self.ops.edit(lambda editor: editor.template_rights(tid, right, [], [principal]))

    def replace_file(self) -> None:
        template = self.template
        if template is None:
            return
        languages = sorted((template.get("files") or {}).keys()) or [current_language()]
        lang = self.prompts.choice(
            tr("Replace file…"), tr("File of which language?"), languages, True
        )
        if not lang:
            return
        path = self.prompts.open_file(tr("Choose the new file"))
        if path is not None:
            tid = template["id"]
            self.ops.edit(lambda editor: editor.template_set_file(tid, lang, path))

    def move_template(self) -> None:
        template = self.template
        if template is None:
            return
        paths = self._group_paths()
        chosen = self.prompts.choice(
            tr("Move to group…"), tr("Move to:"), sorted(paths, key=str.casefold)
        )
        if chosen in paths:
            tid, gid = template["id"], paths[chosen]
            self.ops.edit(lambda editor: editor.template_set(tid, group=gid))

    # --- template groups -----------------------------------------------------------------

    def _group_paths(self, leave_out: str | None = None) -> dict[str, str]:
        lang = current_language()
        return {
            self.library.group_path(g["id"], lang): g["id"]
            for g in self.library.groups
            if g["id"] != leave_out
        }

    def _group(self) -> dict[str, Any] | None:
        return next((g for g in self.library.groups if g["id"] == self.group_id), None)

    def new_group(self) -> None:
        title = self.prompts.text(tr("Template groups"), tr("Title of the group:"))
        if title:
            lang, parent = current_language(), self.group_id
            self.ops.edit(lambda editor: editor.template_group_new(lang, title, parent))

    def rename_group(self) -> None:
        group = self._group()
        if group is None:
            return
        lang = current_language()
        current = (group.get("titles") or {}).get(lang, "")
        title = self.prompts.text(tr("Template groups"), tr("Title of the group:"), current)
        if title and title != current:
            gid = group["id"]
            self.ops.edit(
                lambda editor: editor.template_group_set(
                    gid, lang=lang, title=title, parent=None, top=False
                )
            )

    def move_group(self) -> None:
        group = self._group()
        if group is None:
            return
        top = tr("(top level)")
        paths = self._group_paths(leave_out=group["id"])
        chosen = self.prompts.choice(
            tr("Template groups"),
            tr("Move to:"),
            [top, *sorted(paths, key=str.casefold)],
        )
        if chosen is None or (chosen != top and chosen not in paths):
            return
        parent_id = None if chosen == top else paths[chosen]
        parents = {g["id"]: g.get("parent_id") for g in self.library.groups}
        if would_create_cycle(group["id"], parent_id, parents):
            name = self.library.group_path(group["id"], current_language())
            self.ops.refuse(
                tr(
                    "«{group}» cannot move below «{parent}»: that lies within it.",
                    group=name,
                    parent=chosen,
                )
            )
            return
        gid = group["id"]
        self.ops.edit(
            lambda editor: editor.template_group_set(
                gid, lang=None, title=None, parent=parent_id, top=parent_id is None
            )
        )

    def delete_group(self) -> None:
        group = self._group()
        if group is None:
            return
        name = self.library.group_path(group["id"], current_language())
        if self.prompts.confirm(tr("Template groups"), tr("Delete {what}?", what=name)):
            gid = group["id"]
            self.ops.edit(lambda editor: editor.template_group_rm(gid))
