"""Every window and dialog of the desktop app, opened in German against a real server: no
English text that the catalogue words in German, and one spelling (ss, never ß)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from desktop_support import Apps, loaded, wait_until
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QTabBar,
    QTableWidget,
    QTreeWidget,
    QWidget,
)

from docshelf.client.status import Phase, Status, SyncState
from docshelf.desktop.login import FirstSyncDialog
from docshelf.desktop.snippet_dialog import Principal, SnippetDialog, SnippetForm
from docshelf.i18n.catalogues import AREA_NAMES
from docshelf.i18n.tools import _load, english_leftovers
from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer
from support.sync import client_for, make_template, sync


@cache
def _translated() -> dict[str, str]:
    """Catalogue message ids whose German differs: shown as they are, they are English."""
    found: dict[str, str] = {}
    for area in AREA_NAMES:
        for message in _load("de", area):
            ids = [message.id] if isinstance(message.id, str) else list(message.id or ())
            strings = message.string
            strings = strings if isinstance(strings, tuple | list) else [strings]
            for ident, german in zip(ids, strings, strict=False):
                if ident and german and ident != german:
                    found[ident] = german
    return found


def _tree_texts(tree: QTreeWidget) -> list[str]:
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    found = []
    while items:
        item = items.pop()
        found.append(item.text(0))
        items += [item.child(i) for i in range(item.childCount())]
    return found


def _headers(table: QTableWidget) -> list[str]:
    headers = [table.horizontalHeaderItem(c) for c in range(table.columnCount())]
    return [h.text() for h in headers if h is not None]


# What each kind of widget shows besides its tooltip (and a window its title).
_SHOWN: list[tuple[type, Callable[[Any], list[str]]]] = [
    (QLabel, lambda w: [w.text()]),
    (QAbstractButton, lambda w: [w.text()]),
    (QGroupBox, lambda w: [w.title()]),
    (QLineEdit, lambda w: [w.placeholderText()]),
    (QComboBox, lambda w: [w.itemText(i) for i in range(w.count())]),
    (QTabBar, lambda w: [w.tabText(i) for i in range(w.count())]),
    (QListWidget, lambda w: [w.item(i).text() for i in range(w.count())]),
    (QTreeWidget, _tree_texts),
    (QTableWidget, _headers),
]


def _texts(widget: QWidget) -> Iterator[str]:
    """Every text a person may read on ``widget`` and its children (menus: their entries)."""
    for part in [widget, *widget.findChildren(QWidget)]:
        if part.isWindow():
            yield part.windowTitle()
        yield part.toolTip()
        for kind, shown in _SHOWN:
            if isinstance(part, kind):
                yield from shown(part)
        for action in part.actions():
            yield action.text()
            yield action.toolTip() if action.toolTip() != action.text().replace("&", "") else ""


class Seen:
    """What the test looked at, and what of it is not German."""

    def __init__(self) -> None:
        self.places: dict[str, list[str]] = {}

    def look(self, where: str, texts: Iterator[str] | list[str]) -> None:
        self.places[where] = [t for t in texts if t and t.strip()]

    def problems(self) -> list[str]:
        found = []
        translated = _translated()
        # Some English ids read as German words too ("Profile": German for "Profiles").
        german = set(translated.values())
        for where, texts in self.places.items():
            for text in texts:
                if text.strip() in german:
                    continue
                for line in text.splitlines():
                    bare = line.replace("&", "").strip()
                    if bare in translated and bare not in german:
                        wanted = translated[bare]
                        found.append(f"{where}: {line!r} is a message id (German: {wanted!r})")
                for leftover in english_leftovers(text):
                    found.append(f"{where}: {text!r} contains English {leftover!r}")
                if "ß" in text:
                    found.append(f"{where}: {text!r} spells ß (ours is ss)")
        return found


def _conflict(live: LiveServer, tmp_path: Path, tag: str) -> Any:
    """A layouter with Org rights, a template, a profile, a unit and one conflict."""
    phone = f"phone_{tag}"
    live.admin.ok("POST", "/admin/fields", json={"key": phone, "scope": "user", "type": "phone"})
    _, user = live.new_user("layouter", "org", login_name=f"g{tag}")
    unit = live.admin.ok("POST", "/admin/units", json={"title": f"Zentrale {tag}"})
    profile = live.admin.ok(
        "POST",
        "/admin/profiles",
        json={"owner_id": user["id"], "title": f"Profil {tag}", "unit_id": unit["id"]},
    )
    make_template(live, f"Brief {tag}", data=docx_bytes(f"Brief {tag}", ["Text"]))
    laptop = client_for(live, tmp_path / "laptop", user["login"])
    other = client_for(live, tmp_path / "other", user["login"])
    sync(laptop)
    sync(other)
    laptop.editor().profile_set(profile["id"], phone, "+41 44 111 11 11")
    other.editor().profile_set(profile["id"], phone, "+41 44 222 22 22")
    sync(other)
    laptop.editor().snippet_new(f"Gruss {tag}", _body(tmp_path))
    return laptop


def _body(tmp_path: Path) -> Path:
    path = tmp_path / "gruss.txt"
    path.write_text("Freundliche Grüsse", encoding="utf-8")
    return path


def test_every_window_and_dialog_speaks_german(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    client = _conflict(live, tmp_path, tag)
    app = apps(client, language="de")
    window = app.window
    window.show()
    done: list[Any] = []
    app.sync_finished.connect(done.append)
    app.sync_now()
    wait_until(lambda: done and app.tasks.pending == 0, what="the sync")
    assert done[0].conflicts == 1
    loaded(app)
    seen = Seen()

    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        seen.look(f"tab {index}", _texts(window))
    window.tabs.setCurrentIndex(0)
    window.templates.admin_mode.setChecked(True)  # the layouters' administration
    seen.look("template administration", _texts(window))
    window.templates.show_created(_made(tmp_path))
    seen.look("created document", [window.templates.message.text()])

    footer = window.footer
    footer.show_menu()
    seen.look("footer pop-up", _texts(footer.menu))
    footer.menu.hide()
    footer.show_details()
    assert footer.details is not None
    seen.look("footer details", _texts(footer.details))
    footer.details.close()
    syncing = Status(
        state=SyncState.SYNCING, phase=Phase.FILES, bytes_done=5 << 20, bytes_total=9 << 20
    )
    footer.show_status(syncing)
    seen.look("footer progress", [footer.progress.text()])
    footer.show_status(app.status())

    app.tray.menu.aboutToShow.emit()
    seen.look("tray menu", _texts(app.tray.menu))
    seen.look("tray tooltip", [app.tray.icon.toolTip()])

    app.sign_in_again()
    assert app.login_dialog is not None
    seen.look("sign-in", _texts(app.login_dialog))
    app.login_dialog.reject()

    first = FirstSyncDialog(window)
    first.show_status(Status(state=SyncState.SYNCING, phase=Phase.CHANGES, items_total=9))
    first.failed("")
    seen.look("first sync", _texts(first))
    first.deleteLater()

    app.show_conflicts()
    dialog = app.conflicts_dialog
    assert dialog is not None
    wait_until(lambda: dialog.table.rowCount() == 1, what="the conflict listed")
    seen.look("conflicts", _texts(dialog))
    dialog.close()

    everyone = Principal("*", "Alle")
    for creating in (True, False):
        form = SnippetForm(creating=creating, may_share=True, shared=True, principals=(everyone,))
        snippet = SnippetDialog(form, window)
        for index in range(snippet.format.count()):
            snippet.format.setCurrentIndex(index)
            snippet.accept()  # an empty title: the dialog says why it stays open
            seen.look(f"snippet dialog {creating} {index}", _texts(snippet))
        snippet.deleteLater()

    prompts = window.organisation.prompts
    for name, question in (
        ("text", prompts.text_dialog("Titel", "Titel der Einheit:")),
        ("choice", prompts.choice_dialog("Rechte", "Welches Recht?", ["Verwenden"])),
        ("confirm", prompts.confirm_dialog("Abmelden", "Wirklich?")),
    ):
        question.show()
        seen.look(f"question {name}", _texts(question))
        question.deleteLater()

    app.refuse("")  # the error box, with its button
    app._open(tmp_path / "nowhere.docx")  # an opener that succeeds: no message
    assert app.error_box is not None
    seen.look("error message", _texts(app.error_box))

    problems = seen.problems()
    assert not problems, "\n".join(problems)
    # The test saw what it should: German words from every part.
    assert "Vorlagen" in seen.places["tab 0"]
    assert "Bei docshelf anmelden" in seen.places["sign-in"]
    assert "Meine behalten" in seen.places["conflicts"]
    assert any(t == "Schliessen" for t in seen.places["footer details"])
    assert "Ja" in seen.places["question confirm"] and "Abbrechen" in seen.places["question text"]


def _made(tmp_path: Path) -> Any:
    from docshelf.client.documents import NewDocument

    return NewDocument(
        path=tmp_path / "Brief.docx",
        filled=[],
        fillable=False,
        missing=["Fax"],
        unknown=["field:x"],
    )


def test_the_check_finds_english_and_foreign_spelling(qapp: Any) -> None:
    """The checks above would fail on an English button, a bare id and a ß."""
    seen = Seen()
    box = QMessageBox()
    box.setText("Last update: 28/11/2026 19:05")
    seen.look("box", _texts(box))
    dialog = QInputDialog()
    dialog.setOkButtonText("No")
    dialog.setCancelButtonText("Schließen")
    seen.look("dialog", _texts(dialog))
    problems = seen.problems()
    assert any("Last update" in p for p in problems)
    assert any("'No'" in p for p in problems)
    assert any("ß" in p for p in problems)
