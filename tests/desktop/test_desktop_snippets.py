"""Snippets on the Organisation tab: formatted (HTML) and Word bodies, shared snippets with
read and write rights, against a real server. The snippet dialog is the real widget,
filled in by the tests through the prompts seam (no modal loop)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_support import Apps, after_edit, loaded, wait_until
from PySide6.QtGui import QTextCursor

from docshelf.client import reading
from docshelf.client.app import Client
from docshelf.client.outbox import EditState
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.snippet_dialog import SnippetAnswer, SnippetDialog, SnippetForm
from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer
from support.sync import client_for, sync


def _synced(app: DesktopApp) -> Any:
    done: list[Any] = []
    app.sync_finished.connect(done.append)
    app.sync_now()
    wait_until(lambda: done and app.tasks.pending == 0, what="the sync")
    assert done[0].status == "ok", done[0].error
    return done[0]


def _dialog(fill: Callable[[SnippetDialog, SnippetForm], SnippetAnswer | None]) -> Any:
    """A stand-in for ``Prompts.snippet``: builds the real dialog, lets ``fill`` use it and
    answers what it answers (``dialog.answer()`` for what the widgets hold)."""

    def ask(form: SnippetForm) -> SnippetAnswer | None:
        dialog = SnippetDialog(form)
        try:
            return fill(dialog, form)
        finally:
            dialog.deleteLater()

    return ask


def _snippet(org: Any, title: str) -> dict[str, Any]:
    for row in range(org.snippets.count()):
        item = org.snippets.item(row)
        if item.text().startswith(title + " ("):
            org.snippets.setCurrentItem(item)
            found = org.snippet()
            assert found is not None
            return dict(found)
    raise AssertionError(f"no snippet {title!r} listed")


def _titles(client: Client, user_id: str) -> set[str]:
    return {s["title"] for s in reading.snippets(client.store, user_id)}


def test_html_and_shared_snippets_reach_the_server_and_only_the_group(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    layouter_api, layouter = live.new_user("layouter", login_name=f"lay{tag}")
    _, member = live.new_user(login_name=f"mem{tag}")
    _, outsider = live.new_user(login_name=f"out{tag}")
    group = live.admin.ok("POST", "/admin/groups", json={"name": f"Team {tag}"})
    live.admin.ok("POST", f"/admin/groups/{group['id']}/members", json={"user_id": member["id"]})
    client = client_for(live, tmp_path / "home", layouter["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    org = app.window.organisation
    answers: list[SnippetAnswer] = []

    def formatted(dialog: SnippetDialog, form: SnippetForm) -> SnippetAnswer:
        assert form.creating and dialog.offers_sharing()
        dialog.name.setText(f"Fett {tag}")
        dialog.format.setCurrentIndex(dialog.format.findData("html"))
        assert dialog.pages.currentWidget() is dialog.rich
        editor = dialog.rich.edit
        editor.setPlainText("Fett und normal")
        cursor = editor.textCursor()
        cursor.setPosition(0)
        cursor.movePosition(QTextCursor.MoveOperation.NextWord, QTextCursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)
        dialog.rich.actions_by_key["snippet.bold"].trigger()  # the tool bar's "Fett"
        answers.append(dialog.answer())
        return answers[-1]

    org.prompts.snippet = _dialog(formatted)  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.snippet_new"].click)
    html = answers[-1].body
    assert html is not None and "font-weight:700" in html and "Fett und normal" not in html
    assert _snippet(org, f"Fett {tag}")["body_format"] == "html"

    def shared(dialog: SnippetDialog, form: SnippetForm) -> SnippetAnswer:
        assert dialog.rights.isHidden()  # personal by default: no rights to give
        dialog.shared.setChecked(True)
        assert not dialog.rights.isHidden()
        assert f"Gruppe Team {tag}" in dialog.rights.labels("read")
        # The author keeps the write right, as the server gives it.
        assert dialog.rights.checked("write") == {f"user:{layouter['id']}"}
        dialog.name.setText(f"Geteilt {tag}")
        dialog.plain.setPlainText("Für das Team")
        dialog.rights.set_checked("read", f"group:{group['id']}")
        return dialog.answer()

    org.prompts.snippet = _dialog(shared)  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.snippet_new"].click)
    listed = _snippet(org, f"Geteilt {tag}")
    assert listed["kind"] == "shared" and listed["read_rights"] == [f"group:{group['id']}"]
    assert org.buttons["org.snippet_edit"].isEnabled()

    bold_id = _snippet(org, f"Fett {tag}")["id"]  # chosen here, kept by the server
    assert _synced(app).uploaded == 2
    bold = layouter_api.ok("GET", f"/admin/snippets/{bold_id}")  # personal: the owner's
    assert bold["kind"] == "personal" and bold["body_format"] == "html"
    assert layouter_api.request("GET", f"/blobs/{bold['body_sha256']}").text == html
    team = live.admin.ok("GET", f"/admin/snippets/{listed['id']}")
    assert team["read_rights"] == [f"group:{group['id']}"]
    assert team["write_rights"] == [f"user:{layouter['id']}"]

    member_client = client_for(live, tmp_path / "member", member["login"])
    outsider_client = client_for(live, tmp_path / "outsider", outsider["login"])
    sync(member_client)
    sync(outsider_client)
    assert f"Geteilt {tag}" in _titles(member_client, member["id"])
    assert f"Geteilt {tag}" not in _titles(outsider_client, outsider["id"])
    assert f"Fett {tag}" not in _titles(member_client, member["id"])  # personal stays mine

    # Editing shows the stored HTML; editing the shared one changes its rights too.
    def look(dialog: SnippetDialog, form: SnippetForm) -> None:
        assert form.body_format == "html" and form.body == html
        assert dialog.rich.edit.toPlainText() == "Fett und normal"
        assert dialog.answer().body is None  # untouched: nothing to upload

    _snippet(org, f"Fett {tag}")
    org.prompts.snippet = _dialog(look)  # type: ignore[method-assign]
    org.buttons["org.snippet_edit"].click()
    wait_until(lambda: app.tasks.pending == 0, what="the body to be read")

    def widen(dialog: SnippetDialog, form: SnippetForm) -> SnippetAnswer:
        assert not dialog.rights.isHidden() and not dialog.offers_sharing()
        assert dialog.rights.checked("read") == {f"group:{group['id']}"}
        dialog.rights.set_checked("read", f"user:{outsider['id']}")
        return dialog.answer()

    _snippet(org, f"Geteilt {tag}")
    org.prompts.snippet = _dialog(widen)  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.snippet_edit"].click)
    assert _synced(app).uploaded == 1
    server = live.admin.ok("GET", f"/admin/snippets/{team['id']}")
    assert sorted(server["read_rights"]) == sorted(
        [f"group:{group['id']}", f"user:{outsider['id']}"]
    )
    sync(outsider_client)
    assert f"Geteilt {tag}" in _titles(outsider_client, outsider["id"])


def test_a_word_snippet_is_created_opened_and_its_file_replaced(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    api, user = live.new_user(login_name=f"w{tag}")
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    org = app.window.organisation
    first, second = tmp_path / "alt.docx", tmp_path / "neu.docx"
    first.write_bytes(docx_bytes(f"Brief {tag}", ["alt"]))
    second.write_bytes(docx_bytes(f"Brief {tag}", ["neu", "mit mehr Text"]))

    def word(dialog: SnippetDialog, form: SnippetForm) -> SnippetAnswer | None:
        dialog.name.setText(f"Brief {tag}")
        dialog.format.setCurrentIndex(dialog.format.findData("docx"))
        assert dialog.problem_text() is not None  # no file yet: OK would say so
        dialog.set_file(first)
        assert dialog.problem_text() is None
        return dialog.answer()

    org.prompts.snippet = _dialog(word)  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.snippet_new"].click)
    snippet = _snippet(org, f"Brief {tag}")
    assert snippet["body_format"] == "docx"
    assert org.buttons["org.snippet_open"].isEnabled()
    assert org.buttons["org.snippet_replace"].isEnabled()

    org.buttons["org.snippet_open"].click()
    wait_until(lambda: apps.opened, what="the Word file to open")
    opened = apps.opened[-1]
    assert opened.parent == apps.documents and opened.suffix == ".docx"
    assert opened.read_bytes() == first.read_bytes()

    # Not a Word file: refused with a message, nothing queued.
    wrong = tmp_path / "notiz.txt"
    wrong.write_text("kein Word")
    org.prompts.open_file = lambda *_args: wrong  # type: ignore[method-assign]
    org.buttons["org.snippet_replace"].click()
    assert app.last_error is not None and "keine Word-Datei" in app.last_error
    assert len(client.store.outbox.entries([EditState.PENDING])) == 1

    org.prompts.open_file = lambda *_args: second  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.snippet_replace"].click)
    assert _synced(app).uploaded == 2
    record = api.ok("GET", f"/admin/snippets/{snippet['id']}")
    assert record["body_format"] == "docx"
    stored = api.request("GET", f"/blobs/{record['body_sha256']}").content
    assert stored == second.read_bytes()


def test_without_the_role_there_is_no_shared_option(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    _, user = live.new_user(login_name=f"p{tag}")
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client, language="en")
    loaded(app)
    org = app.window.organisation
    seen: list[bool] = []

    def forged(dialog: SnippetDialog, form: SnippetForm) -> SnippetAnswer:
        assert not form.may_share and not dialog.offers_sharing()
        assert dialog.kind_row.isHidden() and dialog.rights.isHidden()
        seen.append(True)
        # What the dialog cannot produce, the tab still refuses before queueing.
        return SnippetAnswer(title=f"Geteilt {tag}", body="x", shared=True, read=frozenset("*"))

    org.prompts.snippet = _dialog(forged)  # type: ignore[method-assign]
    org.buttons["org.snippet_new"].click()
    assert seen
    assert app.last_error == "Only layouters create shared snippets. Create a personal one instead."
    assert client.store.outbox.entries() == []
