"""The Organisation tab: profiles and their fields, snippets, and (for Org) the unit tree;
edits in conflict with someone else's, when there are any.

Every change goes through the client's :class:`~docshelf.client.editing.Editor`, which
queues it in the outbox; the window runs it off the GUI thread and re-reads the local
copy, so the change shows at once and goes up at the next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from docshelf.client import Editor, Queued
from docshelf.desktop.library import Library
from docshelf.desktop.prompts import Prompts
from docshelf.desktop.snippet_dialog import (
    Principal,
    SnippetAnswer,
    SnippetForm,
    choose_word_text,
    no_file_text,
    no_title_text,
    not_word_text,
    word_filter_text,
)
from docshelf.domain.accounts import Role
from docshelf.domain.principals import EVERYONE, group_principal, user_principal
from docshelf.domain.snippets import SnippetKind
from docshelf.domain.trees import would_create_cycle
from docshelf.i18n import N_, current_language, ntr, tr

ID_ROLE = Qt.ItemDataRole.UserRole
INHERITED = QColor("#8a8a8a")  # grey: the value comes from the unit or the user
OVERRIDDEN = QColor("#000000")  # black: the profile sets it

Change = Callable[[Editor], Queued]

# The boxes and buttons, by the names tests and code reach them with.
WORDS = {
    "org.profiles": N_("Profiles"),
    "org.fields": N_("Fields"),
    "org.snippets": N_("Snippets"),
    "org.units": N_("Organisational units"),
    "org.share": N_("Share…"),
    "org.unshare": N_("Stop sharing…"),
    "org.edit": N_("Edit…"),
    "org.reset": N_("Reset to inherited"),
    "org.assign_unit": N_("Assign unit…"),
    "org.snippet_new": N_("New…"),
    "org.snippet_edit": N_("Edit…"),
    "org.snippet_delete": N_("Delete"),
    "org.snippet_replace": N_("Replace file…"),
    "org.snippet_open": N_("Open"),
    "org.unit_new": N_("New sub-unit…"),
    "org.unit_rename": N_("Rename…"),
    "org.unit_move": N_("Move…"),
    "org.unit_field": N_("Set field…"),
    "org.unit_delete": N_("Delete"),
}
SNIPPET_KINDS = {"personal": N_("personal"), "shared": N_("shared"), "template": N_("template")}
SNIPPET_FORMATS = {"html": N_("formatted"), "docx": N_("Word")}


class Actions(Protocol):
    def edit(self, change: Change) -> None: ...

    def read_text(self, sha: str, done: Callable[[str], None]) -> None: ...

    def open_snippet(self, sha: str, title: str) -> None: ...

    def refuse(self, message: str) -> None: ...

    def show_conflicts(self) -> None: ...


class OrganisationTab(QWidget):
    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = actions
        self.prompts = Prompts(self)
        self.library = Library()
        self.profiles = QListWidget()
        self.unit_label = QLabel()
        self.fields = QTableWidget(0, 2)
        self.fields.verticalHeader().setVisible(False)
        self.fields.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.fields.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.fields.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.fields.horizontalHeader().setStretchLastSection(True)
        self.snippets = QListWidget()
        self.units = QTreeWidget()
        self.units.setHeaderHidden(True)
        self.buttons: dict[str, QPushButton] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self.pending = QLabel()
        self.conflicts = QPushButton()
        self.conflicts.clicked.connect(lambda: self.ops.show_conflicts())
        self._layout()
        self.profiles.currentItemChanged.connect(lambda *_: self._show_profile())
        self.fields.itemSelectionChanged.connect(self._enable)
        self.fields.itemDoubleClicked.connect(lambda _item: self.edit_field())
        self.snippets.currentItemChanged.connect(lambda *_: self._enable())
        self.snippets.itemDoubleClicked.connect(lambda _item: self._activate_snippet())
        self.units.currentItemChanged.connect(lambda *_: self._enable())
        self.retranslate()

    def _button(self, key: str, handler: Callable[[], None]) -> QPushButton:
        button = QPushButton()
        button.clicked.connect(lambda: handler())
        self.buttons[key] = button
        return button

    def _box(self, key: str, *widgets: QWidget, buttons: list[QPushButton]) -> QGroupBox:
        box = QGroupBox()
        layout = QVBoxLayout(box)
        for widget in widgets:
            layout.addWidget(widget)
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.boxes[key] = box
        return box

    def _layout(self) -> None:
        profiles = self._box(
            "org.profiles",
            self.profiles,
            buttons=[
                self._button("org.share", self.share),
                self._button("org.unshare", self.unshare),
            ],
        )
        fields = self._box(
            "org.fields",
            self.unit_label,
            self.fields,
            buttons=[
                self._button("org.edit", self.edit_field),
                self._button("org.reset", self.reset_field),
                self._button("org.assign_unit", self.assign_unit),
            ],
        )
        snippets = self._box(
            "org.snippets",
            self.snippets,
            buttons=[
                self._button("org.snippet_new", self.new_snippet),
                self._button("org.snippet_edit", self.edit_snippet),
                self._button("org.snippet_delete", self.delete_snippet),
                self._button("org.snippet_replace", self.replace_snippet_file),
                self._button("org.snippet_open", self.open_snippet),
            ],
        )
        units = self._box(
            "org.units",
            self.units,
            buttons=[
                self._button("org.unit_new", self.new_unit),
                self._button("org.unit_rename", self.rename_unit),
                self._button("org.unit_move", self.move_unit),
                self._button("org.unit_field", self.set_unit_field),
                self._button("org.unit_delete", self.delete_unit),
            ],
        )
        top = QSplitter()
        top.addWidget(profiles)
        top.addWidget(fields)
        top.setStretchFactor(1, 2)
        bottom = QSplitter()
        bottom.addWidget(snippets)
        bottom.addWidget(units)
        column = QSplitter(Qt.Orientation.Vertical)
        column.addWidget(top)
        column.addWidget(bottom)
        column.setStretchFactor(0, 3)
        column.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(column)
        status_row = QHBoxLayout()
        status_row.addWidget(self.pending, 1)
        status_row.addWidget(self.conflicts)
        layout.addLayout(status_row)

    def retranslate(self) -> None:
        for key, box in self.boxes.items():
            box.setTitle(tr(WORDS[key]))
        for key, button in self.buttons.items():
            button.setText(tr(WORDS[key]))
        self.fields.setHorizontalHeaderLabels([tr("Field"), tr("Value")])
        self.show_library(self.library)

    # --- rendering -----------------------------------------------------------------------

    def show_library(self, library: Library) -> None:
        self.library = library
        _refill(self.profiles, [(self._profile_title(p), p["id"]) for p in library.profiles])
        _refill(self.snippets, [(self._snippet_label(s), s["id"]) for s in library.snippets])
        self._fill_units()
        self.boxes["org.units"].setVisible(library.may_manage_units)
        self.pending.setText(
            ntr(
                "{n} edit waits for the next sync",
                "{n} edits wait for the next sync",
                library.pending_uploads,
            )
            if library.pending_uploads
            else ""
        )
        self.conflicts.setText(
            ntr("Resolve {n} conflict…", "Resolve {n} conflicts…", len(library.conflicts))
        )
        self.conflicts.setVisible(bool(library.conflicts))
        self._show_profile()

    def _profile_title(self, profile: dict[str, Any]) -> str:
        if profile.get("shared_with_me"):
            return tr(
                "{title} (shared by {owner})",
                title=profile["title"],
                owner=profile.get("owner", "?"),
            )
        return str(profile["title"])

    def _fill_units(self) -> None:
        selected = _current(self.units.currentItem())
        self.units.blockSignals(True)
        self.units.clear()
        items: dict[str, QTreeWidgetItem] = {}
        pending = list(self.library.units)
        while pending:
            placed = [u for u in pending if not u.get("parent_id") or u["parent_id"] in items]
            for unit in placed or pending:
                parent = items.get(unit.get("parent_id") or "")
                item = QTreeWidgetItem(parent or self.units, [unit["title"]])
                item.setData(0, ID_ROLE, unit["id"])
                items[unit["id"]] = item
                pending.remove(unit)
        self.units.expandAll()
        if selected in items:
            self.units.setCurrentItem(items[selected])
        self.units.blockSignals(False)

    def profile(self) -> dict[str, Any] | None:
        ident = _current(self.profiles.currentItem())
        return next((p for p in self.library.profiles if p["id"] == ident), None)

    def _show_profile(self) -> None:
        profile = self.profile()
        fields = profile["fields"] if profile else []
        selected_row = self.fields.currentRow()
        self.fields.setRowCount(len(fields))
        for row, field in enumerate(fields):
            label = QTableWidgetItem(field["label"])
            label.setData(ID_ROLE, field["key"])
            value = QTableWidgetItem("" if field["value"] is None else str(field["value"]))
            color = INHERITED if field["inherited"] else OVERRIDDEN
            for item in (label, value):
                item.setForeground(QBrush(color))
            self.fields.setItem(row, 0, label)
            self.fields.setItem(row, 1, value)
        if 0 <= selected_row < len(fields):
            self.fields.selectRow(selected_row)
        unit = (profile or {}).get("unit") or "—"
        self.unit_label.setText(tr("Unit: {unit}", unit=unit) if profile else "")
        self._enable()

    def field_key(self) -> str | None:
        row = self.fields.currentRow()
        item = self.fields.item(row, 0) if row >= 0 else None
        return None if item is None else str(item.data(ID_ROLE))

    def field(self) -> dict[str, Any] | None:
        profile, key = self.profile(), self.field_key()
        if profile is None or key is None:
            return None
        return next((f for f in profile["fields"] if f["key"] == key), None)

    def snippet(self) -> dict[str, Any] | None:
        ident = _current(self.snippets.currentItem())
        return next((s for s in self.library.snippets if s["id"] == ident), None)

    def unit(self) -> dict[str, Any] | None:
        ident = _current(self.units.currentItem())
        return next((u for u in self.library.units if u["id"] == ident), None)

    def _enable(self) -> None:
        profile, field, snippet, unit = self.profile(), self.field(), self.snippet(), self.unit()
        mine = profile is not None and self.library.owns(profile)
        word = (
            snippet is not None
            and snippet.get("body_format") == "docx"
            and bool(snippet.get("body_sha256"))
        )
        enabled = {
            "org.share": mine,
            "org.unshare": mine and bool((profile or {}).get("shared_with")),
            "org.edit": mine and field is not None,
            "org.reset": mine and field is not None and not field["inherited"],
            "org.assign_unit": mine and bool(self.library.units),
            "org.snippet_new": self.library.user_id is not None,
            "org.snippet_edit": snippet is not None and self.library.may_change_snippet(snippet),
            "org.snippet_delete": snippet is not None and self.library.may_change_snippet(snippet),
            "org.snippet_replace": word and self.library.may_change_snippet(snippet or {}),
            "org.snippet_open": word,
            "org.unit_new": self.library.may_manage_units,
            "org.unit_rename": unit is not None,
            "org.unit_move": unit is not None and len(self.library.units) > 1,
            "org.unit_field": unit is not None,
            "org.unit_delete": unit is not None,
        }
        for key, button in self.buttons.items():
            button.setEnabled(enabled.get(key, False))

    # --- profiles ------------------------------------------------------------------------

    def edit_field(self) -> None:
        profile, field = self.profile(), self.field()
        if profile is None or field is None or not self.library.owns(profile):
            return
        shown = "" if field["value"] is None else str(field["value"])
        value = self.prompts.text(
            profile["title"], tr("New value for {field}:", field=field["label"]), shown
        )
        if value is not None and value != shown:
            self.set_field(profile["id"], field["key"], value)

    def set_field(self, profile_id: str, key: str, value: str) -> None:
        self.ops.edit(lambda editor: editor.profile_set(profile_id, key, value))

    def reset_field(self) -> None:
        profile, field = self.profile(), self.field()
        if profile is not None and field is not None:
            pid, key = profile["id"], field["key"]
            self.ops.edit(lambda editor: editor.profile_reset(pid, key))

    def assign_unit(self) -> None:
        profile = self.profile()
        if profile is None:
            return
        # By path: two units may share a name in different places of the tree.
        paths = {self.library.unit_path(u["id"]): u["id"] for u in self.library.units}
        chosen = self.prompts.choice(
            profile["title"], tr("Assign unit…"), sorted(paths, key=str.casefold)
        )
        if chosen in paths:
            pid, uid = profile["id"], paths[chosen]
            self.ops.edit(lambda editor: editor.profile_set(pid, "unit", uid))

    def share(self) -> None:
        profile = self.profile()
        if profile is None:
            return
        logins = sorted(
            str(u["login"]) for u in self.library.users.values() if u["id"] != self.library.user_id
        )
        login = self.prompts.choice(
            profile["title"], tr("Share with login:"), logins, editable=True
        )
        if login:
            pid = profile["id"]
            self.ops.edit(lambda editor: editor.profile_share(pid, login))

    def unshare(self) -> None:
        profile = self.profile()
        if profile is None:
            return
        logins = [
            self.library.principal_name(f"user:{u}") for u in profile.get("shared_with") or []
        ]
        login = self.prompts.choice(profile["title"], tr("Stop sharing…"), logins)
        if login:
            pid = profile["id"]
            self.ops.edit(lambda editor: editor.profile_share(pid, login, share=False))

    # --- snippets ------------------------------------------------------------------------

    def _snippet_label(self, snippet: dict[str, Any]) -> str:
        kind = tr(SNIPPET_KINDS.get(snippet["kind"], snippet["kind"]))
        body_format = snippet.get("body_format") or "text"
        if body_format in SNIPPET_FORMATS:
            kind = f"{kind} · {tr(SNIPPET_FORMATS[body_format])}"
        return f"{snippet['title']} ({kind})"

    def _author(self) -> frozenset[str]:
        """The write right the server gives whoever shares a snippet (Sys always may)."""
        library = self.library
        if library.user_id is None or Role.SYS.value in library.roles:
            return frozenset()
        return frozenset({user_principal(library.user_id)})

    def _principals(self, held: frozenset[str] = frozenset()) -> tuple[Principal, ...]:
        """Everyone, the groups and the colleagues of the local copy, and whatever else
        ``held`` names (a group the copy no longer has stays visible, so it isn't lost)."""
        library = self.library
        offered = [Principal(EVERYONE, tr("Everyone"))]
        for ident, name in sorted(library.group_names.items(), key=lambda g: g[1].casefold()):
            offered.append(Principal(group_principal(ident), tr("Group {name}", name=name)))
        for user in sorted(library.users.values(), key=lambda u: str(u["login"]).casefold()):
            login = str(user["login"])
            if user["id"] == library.user_id:
                label = tr("{login} (me)", login=login)
            else:
                display = user.get("display_name")
                label = f"{login} ({display})" if display and display != login else login
            offered.append(Principal(user_principal(user["id"]), label))
        known = {p.value for p in offered}
        offered += [Principal(p, library.principal_name(p)) for p in sorted(held - known)]
        return tuple(offered)

    def new_snippet(self) -> None:
        if self.library.user_id is None:
            return
        author = self._author()
        form = SnippetForm(
            creating=True,
            may_share=self.library.may_share_snippets,
            principals=self._principals(),
            write=author,
            fixed=author,
        )
        answer = self.prompts.snippet(form)
        if answer is None or not self._usable(answer, creating=True):
            return
        title = answer.title
        if not answer.shared:
            self.ops.edit(lambda editor: _with_body(answer, lambda p: editor.snippet_new(title, p)))
            return
        # As the server does it: nobody chosen to read means everyone; the author writes.
        read = sorted(answer.read) or [EVERYONE]
        write = sorted(answer.write | author)
        self.ops.edit(
            lambda editor: _with_body(
                answer, lambda p: editor.snippet_new(title, p, read=read, write=write)
            )
        )

    def _usable(self, answer: SnippetAnswer, *, creating: bool) -> bool:
        """Refuse, with a message, what the editor (or the server) would refuse anyway."""
        problem = None
        if not answer.title:
            problem = no_title_text()
        elif creating and answer.shared and not self.library.may_share_snippets:
            problem = tr("Only layouters create shared snippets. Create a personal one instead.")
        elif answer.body_format == "docx" and answer.file is None and creating:
            problem = no_file_text()
        elif answer.file is not None and answer.file.suffix.lower() != ".docx":
            problem = not_word_text(answer.file.name)
        if problem is not None:
            self.ops.refuse(problem)
        return problem is None

    def _changeable(self, snippet: dict[str, Any]) -> bool:
        if self.library.may_change_snippet(snippet):
            return True
        self.ops.refuse(tr("You may use «{title}» but not change it.", title=snippet["title"]))
        return False

    def edit_snippet(self) -> None:
        snippet = self.snippet()
        if snippet is None or not self._changeable(snippet):
            return
        sha = snippet.get("body_sha256")
        if sha and snippet.get("body_format", "text") in ("text", "html"):
            self.ops.read_text(sha, lambda body: self._edit_snippet(snippet, body))
        else:
            self._edit_snippet(snippet, "")

    def _edit_snippet(self, snippet: dict[str, Any], body: str) -> None:
        shared = snippet["kind"] == SnippetKind.SHARED.value
        read = frozenset(snippet.get("read_rights") or ())
        write = frozenset(snippet.get("write_rights") or ())
        form = SnippetForm(
            title=snippet["title"],
            body_format=snippet.get("body_format") or "text",
            body=body,
            creating=False,
            shared=shared,
            principals=self._principals(read | write) if shared else (),
            read=read,
            write=write,
        )
        answer = self.prompts.snippet(form)
        if answer is None or not self._usable(answer, creating=False):
            return
        sid = snippet["id"]
        title = answer.title if answer.title != snippet["title"] else None
        new_body = answer.body is not None and answer.body != body
        changes: list[Change] = []
        if title is not None or new_body or answer.file is not None:
            if new_body or answer.file is not None:
                changes.append(
                    lambda editor: _with_body(answer, lambda p: editor.snippet_edit(sid, title, p))
                )
            else:
                changes.append(lambda editor: editor.snippet_edit(sid, title, None))
        if shared:
            for right, before, after in (
                ("read", read, answer.read),
                ("write", write, answer.write),
            ):
                add, remove = sorted(after - before), sorted(before - after)
                if add or remove:
                    changes.append(_rights_change(sid, right, add, remove))
        if changes:
            self.ops.edit(lambda editor: _each(editor, changes))

    def replace_snippet_file(self) -> None:
        snippet = self.snippet()
        if snippet is None or snippet.get("body_format") != "docx":
            return
        if not self._changeable(snippet):
            return
        path = self.prompts.open_file(choose_word_text(), word_filter_text())
        if path is None:
            return
        if path.suffix.lower() != ".docx":
            self.ops.refuse(not_word_text(path.name))
            return
        sid = snippet["id"]
        self.ops.edit(lambda editor: editor.snippet_edit(sid, None, path))

    def open_snippet(self) -> None:
        snippet = self.snippet()
        sha = (snippet or {}).get("body_sha256")
        if snippet is not None and sha and snippet.get("body_format") == "docx":
            self.ops.open_snippet(str(sha), str(snippet["title"]))

    def _activate_snippet(self) -> None:
        """Double-click: edit what may be changed, open a Word snippet one may only use."""
        snippet = self.snippet()
        if snippet is None:
            return
        if snippet.get("body_format") == "docx" and not self.library.may_change_snippet(snippet):
            self.open_snippet()
        else:
            self.edit_snippet()

    def delete_snippet(self) -> None:
        snippet = self.snippet()
        if snippet is None or not self._changeable(snippet):
            return
        if self.prompts.confirm(tr("Snippets"), tr("Delete {what}?", what=snippet["title"])):
            sid = snippet["id"]
            self.ops.edit(lambda editor: editor.snippet_rm(sid))

    # --- units ---------------------------------------------------------------------------

    def new_unit(self) -> None:
        parent = self.unit()
        title = self.prompts.text(tr("Organisational units"), tr("Title of the unit:"))
        if title:
            parent_id = parent["id"] if parent else None
            self.ops.edit(lambda editor: editor.unit_new(title, parent_id))

    def rename_unit(self) -> None:
        unit = self.unit()
        if unit is None:
            return
        title = self.prompts.text(
            tr("Organisational units"), tr("Title of the unit:"), unit["title"]
        )
        if title and title != unit["title"]:
            uid = unit["id"]
            self.ops.edit(lambda editor: editor.unit_set(uid, "title", title))

    def move_unit(self) -> None:
        unit = self.unit()
        if unit is None:
            return
        top = tr("(top level)")
        paths = {
            self.library.unit_path(u["id"]): u["id"]
            for u in self.library.units
            if u["id"] != unit["id"]
        }
        chosen = self.prompts.choice(
            unit["title"], tr("Move below:"), [top, *sorted(paths, key=str.casefold)]
        )
        if chosen is None or (chosen != top and chosen not in paths):
            return
        parent_id = None if chosen == top else paths[chosen]
        parents = {u["id"]: u.get("parent_id") for u in self.library.units}
        if would_create_cycle(unit["id"], parent_id, parents):
            # The editor refuses this too; said here in the user's language.
            self.ops.refuse(
                tr(
                    "«{unit}» cannot move below «{parent}»: that lies within it.",
                    unit=unit["title"],
                    parent=chosen,
                )
            )
            return
        uid = unit["id"]
        self.ops.edit(lambda editor: editor.unit_move(uid, parent_id))

    def set_unit_field(self) -> None:
        unit = self.unit()
        if unit is None:
            return
        lang = current_language()
        labels = {
            (f.get("labels") or {}).get(lang, f["key"]): f["key"] for f in self.library.fields
        }
        label = self.prompts.choice(unit["title"], tr("Field:"), sorted(labels))
        if label is None:
            return
        key = labels[label]
        current = str((unit.get("fields") or {}).get(key, ""))
        value = self.prompts.text(unit["title"], tr("New value for {field}:", field=label), current)
        if value is not None:
            uid = unit["id"]
            self.ops.edit(lambda editor: editor.unit_set(uid, key, value or None))

    def delete_unit(self) -> None:
        unit = self.unit()
        if unit is not None and self.prompts.confirm(
            tr("Organisational units"), tr("Delete {what}?", what=unit["title"])
        ):
            uid = unit["id"]
            self.ops.edit(lambda editor: editor.unit_rm(uid))


def _with_body(answer: SnippetAnswer, use: Callable[[Path], Queued]) -> Queued:
    """Hand a snippet's body to the editor as the file it expects (it copies it in): the
    Word file chosen, or the text or HTML written to a file whose suffix says its format."""
    import tempfile

    if answer.file is not None:
        return use(answer.file)
    suffix = ".html" if answer.body_format == "html" else ".txt"
    with tempfile.TemporaryDirectory(prefix="docshelf-snippet-") as folder:
        path = Path(folder) / f"body{suffix}"
        path.write_text(answer.body or "", encoding="utf-8")
        return use(path)


def _rights_change(sid: str, right: str, add: list[str], remove: list[str]) -> Change:
    return lambda editor: editor.snippet_rights(sid, right, add, remove)


def _each(editor: Editor, changes: list[Change]) -> Queued:
    """Several edits of one dialog, queued one after the other; one message for all."""
    done = [change(editor) for change in changes]
    return Queued(done[-1].id, " ".join(q.message for q in done))


def _refill(widget: QListWidget, rows: list[tuple[str, str]]) -> None:
    selected = _current(widget.currentItem())
    widget.blockSignals(True)
    widget.clear()
    current = None
    for text, ident in rows:
        item = QListWidgetItem(text)
        item.setData(ID_ROLE, ident)
        widget.addItem(item)
        if ident == selected:
            current = item
    if current is None and widget.count():
        current = widget.item(0)
    if current is not None:
        widget.setCurrentItem(current)
    widget.blockSignals(False)


def _current(item: QListWidgetItem | QTreeWidgetItem | None) -> str | None:
    if item is None:
        return None
    value = item.data(0, ID_ROLE) if isinstance(item, QTreeWidgetItem) else item.data(ID_ROLE)
    return None if value is None else str(value)
