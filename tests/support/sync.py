"""Scenario helpers for sync tests: real clients against a real server process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docshelf.client.app import Client
from docshelf.client.engine import SyncResult
from docshelf.client.paths import Home
from docshelf.protocol.cursor import Cursor
from support.api import PASSWORD, ApiServer, LiveServer

View = dict[tuple[str, str], tuple[int, str]]


def client_for(
    live: LiveServer, home: Path, login: str, password: str = PASSWORD, page_size: int = 500
) -> Client:
    """A signed-in client (the same class the CLI and desktop app use) with its own home."""
    client = Client(Home(home), page_size=page_size)
    client.login(live.url, login, password, device_name=f"test-{home.name}")
    return client


def sync(client: Client) -> SyncResult:
    result = client.sync()
    assert result.status == "ok", result.error
    return result


def server_view(live: LiveServer, user_id: str) -> View:
    entries = live.admin.ok("GET", f"/admin/users/{user_id}/view")
    return {(e["kind"], e["id"]): (e["version"], e["hash"]) for e in entries}


def server_seq(live: LiveServer) -> int:
    """The server's newest change number, as a fresh poll's final cursor says."""
    page = live.admin.ok("GET", "/sync/changes", params={"limit": 5000})
    while page["has_more"]:
        page = live.admin.ok(
            "GET", "/sync/changes", params={"cursor": page["cursor"], "limit": 5000}
        )
    return Cursor.decode(page["cursor"]).seq


def client_view(client: Client) -> View:
    return {key: (local.version, local.hash) for key, local in client.store.manifest().items()}


def assert_client_matches_server(live: LiveServer, client: Client) -> None:
    config = client.config
    assert config is not None
    expected = server_view(live, config.user_id)
    actual = client_view(client)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    stale = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    assert not (missing or extra or stale), f"missing={missing} extra={extra} stale={stale}"
    for sha in client.store.referenced_files(_image_keys(client)):
        assert client.files.has(sha), f"file {sha} referenced but not on disk"


def _image_keys(client: Client) -> set[str]:
    return {f["key"] for f in client.store.records("field") if f["type"] == "image"}


def ids(client: Client, kind: str) -> set[str]:
    return {r["id"] for r in client.store.records(kind)}


def make_template(
    live: ApiServer,
    title: str,
    *,
    status: str = "released",
    use: list[str] | None = None,
    data: bytes | None = None,
    lang: str = "de",
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "docx", "titles": {lang: title}, "status": status}
    if use is not None:
        body["use_rights"] = use
    template = live.admin.ok("POST", "/admin/templates", json=body)
    if data is not None:
        sha = live.admin.upload(data)
        template = live.admin.ok(
            "PUT",
            f"/admin/templates/{template['id']}/files/{lang}",
            json={"sha256": sha, "filename": f"{title}.docx"},
        )
    return template
