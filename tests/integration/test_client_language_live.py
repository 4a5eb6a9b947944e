"""The client against a real server: what it tells a person is true and in their language.

Signing in to a port nobody listens on, offline with a local copy, a sync's outcome with
conflicts waiting from an earlier sync, and the name of a template's copy.
"""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

import pytest

from docshelf.client.app import Client
from docshelf.client.errors import ServerUnreachable
from docshelf.client.paths import Home
from docshelf.client.reading import template_copy
from docshelf.i18n import using
from docshelf.server.demo.files import docx_bytes
from support.api import PASSWORD, LiveServer
from support.sync import client_for, make_template, sync


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_signing_in_on_a_fresh_home_to_a_wrong_port_says_only_that(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    client = Client(Home(tmp_path / "fresh"))
    with pytest.raises(ServerUnreachable) as raised:
        client.login(url, "anna", PASSWORD)
    assert raised.value.message == f"Cannot reach the server at {url}."
    with using("de"), pytest.raises(ServerUnreachable) as raised:
        client.login(url, "anna", PASSWORD)
    assert raised.value.message == f"Der Server unter {url} ist nicht erreichbar."
    assert raised.value.title == "Server nicht erreichbar"


def test_offline_with_a_local_copy_says_it_works_with_it(live: LiveServer, tmp_path: Path) -> None:
    _, anna = live.new_user(login_name=f"anna{secrets.token_hex(3)}")
    client = client_for(live, tmp_path / "anna", anna["login"])
    sync(client)
    config = client.config
    assert config is not None
    # The same home, its server moved away: the local copy is there to work with.
    moved = f"http://127.0.0.1:{_free_port()}"
    client.home.config_file.write_text(
        client.home.config_file.read_text().replace(config.server_url, moved)
    )
    client.credentials.save(moved, config.login, "token")
    with using("de"):
        result = client.sync()
    assert result.status == "error" and result.error_code == "offline"
    assert result.error == (
        f"Der Server unter {moved} ist nicht erreichbar."
        " Es wird offline mit der lokalen Kopie gearbeitet."
    )
    # Back at its server, the client tells it what failed: its own words and the code, by
    # which the dashboard names the failure in its visitor's language.
    client.home.config_file.write_text(
        client.home.config_file.read_text().replace(moved, config.server_url)
    )
    assert Client(client.home).sync().status == "ok"
    devices = live.admin.ok("GET", f"/admin/users/{anna['id']}/devices")
    device = next(d for d in devices if d["name"] == config.device_name)
    assert device["last_error"] == f"Der Server unter {moved} ist nicht erreichbar."
    assert device["last_error_code"] == "offline"


def test_waiting_conflicts_count_after_every_sync_until_settled(
    live: LiveServer, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    phone = f"phone_{tag}"
    live.admin.ok(
        "POST",
        "/admin/fields",
        json={"key": phone, "scope": "user", "type": "phone", "labels": {"de": "Telefon"}},
    )
    _, anna = live.new_user(login_name=f"anna{tag}")
    profile = live.admin.ok(
        "POST", "/admin/profiles", json={"owner_id": anna["id"], "title": f"Anna {tag}"}
    )
    laptop = client_for(live, tmp_path / "laptop", anna["login"])
    desktop = client_for(live, tmp_path / "desktop", anna["login"])
    sync(laptop)
    sync(desktop)
    laptop.editor().profile_set(profile["id"], phone, "+41 44 222 22 22")
    desktop.editor().profile_set(profile["id"], phone, "+41 44 333 33 33")
    sync(laptop)

    first = sync(desktop)
    assert (first.conflicts, first.conflicts_waiting, first.rejected_waiting) == (1, 1, 0)
    # Nothing new in the next sync, but the edit still waits: the count says so.
    again = sync(desktop)
    assert (again.conflicts, again.conflicts_waiting) == (0, 1)
    assert again.to_json()["conflicts_waiting"] == 1
    [conflict] = desktop.editor().conflicts()
    with using("de"):
        assert conflict.summary == (
            f"Telefon des Profils «Anna {tag}» auf «+41 44 333 33 33» gesetzt"
        )
    desktop.editor().resolve(conflict.id, "theirs")
    assert sync(desktop).conflicts_waiting == 0


def test_a_copy_of_a_template_is_named_after_its_title(live: LiveServer, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    _, anna = live.new_user(login_name=f"anna{tag}")
    template = make_template(live, f"Brief {tag}", use=["*"])
    sha = live.admin.upload(docx_bytes("Brief", ["Sehr geehrte Damen und Herren"]))
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": sha, "filename": "brief_v7_FINAL_lw.DOCX"},
    )
    live.admin.ok(
        "PATCH",
        f"/admin/templates/{template['id']}",
        json={"titles": {"de": f"Brief: Kunde/Offerte {tag}", "en": f"Letter {tag}"}},
    )
    client = client_for(live, tmp_path / "anna", anna["login"])
    sync(client)
    copy = template_copy(client.store, client.files, template["id"], "de")
    assert copy.name == f"Brief_ Kunde_Offerte {tag}.docx"
    assert copy.downloaded and copy.path.read_bytes()[:2] == b"PK"
    made = client.new_document(template["id"], lang="de", folder=tmp_path / "out")
    assert made.path.name.startswith(f"Brief_ Kunde_Offerte {tag} ")
    assert made.path.suffix == ".docx"
