"""New documents on the client, with a real server: what a template's tags need arrives with
the sync, and ``docshelf document new`` works from the local copy with the server stopped.

The content: a template whose content controls name a user field the profile overrides, a
field without a value, the logo of a unit reached only through the profile's unit (set on
its parent) and a snippet by title.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from docshelf import documents as docshelf_documents
from docshelf.client import documents
from docshelf.client.app import Client
from docshelf.client.keys import TAGS
from docshelf.client.paths import Home
from docshelf.documents import Tag
from docshelf.server.demo.files import logo_png
from support.api import FAST_HASHING, PASSWORD, LiveServer, start_live
from support.server import MakeServer
from support.tagged_word import tagged_docx


@dataclass
class Seeded:
    login: str
    template: dict[str, Any]
    title: str
    profile: dict[str, Any]
    logo_sha: str
    phone: str
    greeting: str
    tags: dict[str, str]


def seed(live: LiveServer) -> Seeded:
    tag = secrets.token_hex(3)
    logo, phone, mobile = f"logo_{tag}", f"phone_{tag}", f"mobile_{tag}"
    admin = live.admin
    admin.ok("POST", "/admin/fields", json={"key": logo, "scope": "unit", "type": "image"})
    for key, label in ((phone, "Telefon"), (mobile, "Mobil")):
        admin.ok(
            "POST",
            "/admin/fields",
            json={"key": key, "scope": "user", "labels": {"de": label, "en": label}},
        )
    logo_sha = admin.upload(logo_png(f"AG {tag}", (20, 80, 160)))
    parent = admin.ok(
        "POST", "/admin/units", json={"title": f"Muster AG {tag}", "fields": {logo: logo_sha}}
    )
    unit = admin.ok(
        "POST", "/admin/units", json={"title": f"Zürich {tag}", "parent_id": parent["id"]}
    )
    user_api, user = live.new_user(login_name=f"doc{tag}")
    number = "+41 44 555 12 34"
    profile = admin.ok(
        "POST",
        "/admin/profiles",
        json={
            "owner_id": user["id"],
            "title": f"Profil {tag}",
            "unit_id": unit["id"],
            "overrides": {phone: number},
        },
    )
    greeting = f"Freundliche Grüsse {tag}"
    user_api.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "personal", "title": f"Gruss {tag}", "body": greeting},
    )
    tags = {
        "phone": f"field:{phone}",
        "mobile": f"field:{mobile}",
        "logo": f"image:{logo}",
        "snippet": f"snippet:Gruss {tag}",
    }
    title = f"Brief {tag}"
    data = tagged_docx(title, list(tags.values()))
    template = admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": title}, "status": "released"},
    )
    template = admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": admin.upload(data), "filename": "layout-v7.docx"},
    )
    return Seeded(user["login"], template, title, profile, logo_sha, number, greeting, tags)


def synced_home(home: Path, server_url: str, login: str) -> Client:
    client = Client(Home(home))
    client.login(server_url, login, PASSWORD, device_name="documents")
    result = client.sync()
    assert result.status == "ok", result.error
    return client


def docshelf(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def succeeds(home: Path, *args: str, cwd: Path | None = None) -> str:
    done = docshelf(home, *args, cwd=cwd)
    assert done.returncode == 0, f"docshelf {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def readiness(home: Path) -> dict[str, bool]:
    rows = json.loads(succeeds(home, "templates", "--json"))
    return {row["id"]: row["offline_ready"] for row in rows}


def test_a_sync_fetches_the_logo_a_template_needs_even_when_no_record_changed(
    live: LiveServer, tmp_path: Path
) -> None:
    seeded = seed(live)
    home = tmp_path / "home"
    client = synced_home(home, live.url, seeded.login)
    template_id = seeded.template["id"]
    try:
        assert client.offline_ready([seeded.template])[template_id]
        # The logo is lost from the local file store (a clean-up, a restored backup): no
        # record changes, yet the template can't be made offline until it is back.
        client.files.path(seeded.logo_sha).unlink()
        assert not client.offline_ready([seeded.template])[template_id]
    finally:
        client.close()
    assert readiness(home)[template_id] is False

    sync = json.loads(succeeds(home, "sync", "--json"))
    assert sync["status"] == "ok"
    assert readiness(home)[template_id] is True
    restored = Client(Home(home))
    try:
        assert restored.files.has(seeded.logo_sha)
    finally:
        restored.close()


def test_a_tag_naming_a_text_field_as_an_image_does_not_break_the_sync(
    live: LiveServer, tmp_path: Path
) -> None:
    """A layouter's slip: ``image:<the phone field>``. A phone number is no file: the sync
    goes through (every sync of the user failed on it as a bad file reference) and the
    template is ready offline."""
    seeded = seed(live)
    phone = seeded.tags["phone"].removeprefix("field:")
    admin = live.admin
    slip = admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": f"Slip {phone}"}, "status": "released"},
    )
    data = tagged_docx(f"Slip {phone}", [f"image:{phone}", seeded.tags["logo"]])
    slip = admin.ok(
        "PUT",
        f"/admin/templates/{slip['id']}/files/de",
        json={"sha256": admin.upload(data), "filename": "slip.docx"},
    )
    home = tmp_path / "home"
    client = synced_home(home, live.url, seeded.login)
    try:
        assert client.offline_ready([slip])[slip["id"]]
        assert client.files.has(seeded.logo_sha)
    finally:
        client.close()
    assert json.loads(succeeds(home, "sync", "--json"))["status"] == "ok"


def test_a_sync_that_pulls_nothing_new_reads_no_template_yet_still_fetches_a_lost_file(
    live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(live)
    client = synced_home(tmp_path / "home", live.url, seeded.login)
    reads: list[int] = []
    real = documents.all_needed_files

    def counted(*args: Any) -> set[str]:
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(documents, "all_needed_files", counted)
    try:
        # Nothing new: what the templates need is known from the last sync.
        assert client.sync().status == "ok"
        assert reads == []
        # ... and still checked: a lost logo comes back without reading the templates.
        client.files.path(seeded.logo_sha).unlink()
        assert client.sync().status == "ok"
        assert reads == []
        assert client.files.has(seeded.logo_sha)
        # Something new: the templates are read again.
        live.admin.ok("PATCH", f"/admin/templates/{seeded.template['id']}", json={"order": 7})
        assert client.sync().status == "ok"
        assert reads == [1]
    finally:
        client.close()


def test_templates_are_ready_offline_without_reading_them_while_the_cache_stands(
    live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing templates reads none of them while every file the last sync found they need
    is here and no edit is laid over the records; an edit waiting means reading them."""
    seeded = seed(live)
    client = synced_home(tmp_path / "home", live.url, seeded.login)
    reads: list[int] = []
    real = documents.offline_states

    def counted(*args: Any) -> dict[str, bool]:
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(documents, "offline_states", counted)
    template_id = seeded.template["id"]
    try:
        assert client.offline_ready([seeded.template]) == {template_id: True}
        assert reads == []
        client.editor().profile_new("Unterwegs", None)
        assert client.offline_ready([seeded.template]) == {template_id: True}
        assert reads == [1]
    finally:
        client.close()


def test_a_first_sync_reads_the_template_tags_while_it_downloads_not_after_the_pull(
    live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #18: after the pull, finding what the templates need offline read every
    template file back and parsed it on the calling thread. The sync reads a template
    file's tags on the thread that stores it, and keeps them with its page."""
    seeded = seed(live)
    readers: list[str] = []
    real = docshelf_documents.tags_of

    def traced(data: bytes, filename: str) -> list[Tag]:
        readers.append(threading.current_thread().name)
        return real(data, filename)

    monkeypatch.setattr(docshelf_documents, "tags_of", traced)
    client = synced_home(tmp_path / "home", live.url, seeded.login)
    try:
        sha = seeded.template["files"]["de"]["sha256"]
        assert sorted(client.store.get_json(TAGS + sha)) == sorted(seeded.tags.values())
        assert readers, "the template's tags were never read"
        assert threading.main_thread().name not in readers, readers
        # ... and what they need came with the same sync.
        assert client.files.has(seeded.logo_sha)
        assert client.offline_ready([seeded.template])[seeded.template["id"]]
    finally:
        client.close()


def test_document_new_fills_the_template_offline_with_the_server_stopped(
    own_database_url: str | None, make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(own_database_url, env=FAST_HASHING)
    own = start_live(server)
    try:
        seeded = seed(own)
    finally:
        own.close()
    home = tmp_path / "home"
    synced_home(home, server.url, seeded.login).close()
    server.stop()

    assert readiness(home)[seeded.template["id"]] is True
    out = tmp_path / "out"
    out.mkdir()
    made = json.loads(
        succeeds(
            home,
            "document",
            "new",
            seeded.title,
            "--profile",
            seeded.profile["title"],
            "--json",
            cwd=out,
        )
    )
    path = Path(made["path"])
    # Named after the template's title, not the layouter's file name, in the current folder.
    assert path.parent == out and path.name.startswith(f"{seeded.title} ")
    assert path.suffix == ".docx"
    assert sorted(made["filled"]) == sorted(
        [seeded.tags["phone"], seeded.tags["logo"], seeded.tags["snippet"]]
    )
    assert made["missing"] == ["Mobil"]
    assert made["profile_id"] == seeded.profile["id"]
    assert [p.name for p in out.iterdir()] == [path.name], "a temporary file was left behind"

    document = docx.Document(io.BytesIO(path.read_bytes()))
    # Paragraph.text leaves out runs inside content controls: read every w:t.
    text = "\n".join(
        "".join(t.text or "" for t in p._p.iter(qn("w:t"))) for p in document.paragraphs
    )
    assert seeded.phone in text and seeded.greeting in text
    assert f"[{seeded.tags['mobile']}]" in text  # no value: the placeholder stays
    images = [p for p in document.part.package.parts if p.content_type.startswith("image/")]
    assert images, "the unit's logo is not in the document"

    # Without --profile the profile used last fills it; without --json it says so in words.
    again = succeeds(home, "document", "new", seeded.template["id"], cwd=out)
    assert "1 field without a value: Mobil" in again
    assert len(list(out.iterdir())) == 2
