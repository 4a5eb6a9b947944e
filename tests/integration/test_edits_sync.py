"""Property 5 end to end: edits made offline on real clients reach a real server once,
merge field by field, conflict without losing anything, and reach the others' caches."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus import office_like

from docshelf.client.app import Client
from docshelf.client.engine import BROKEN_RETRIES
from docshelf.client.outbox import EditState
from docshelf.client.paths import Home
from docshelf.domain.errors import Conflict
from docshelf.server.demo.files import docx_bytes
from support.api import PASSWORD, LiveServer
from support.sync import (
    assert_client_matches_server,
    client_for,
    ids,
    make_template,
    server_seq,
    sync,
)


@pytest.fixture
def tag() -> str:
    return secrets.token_hex(3)


def _fields(live: LiveServer, tag: str) -> tuple[str, str]:
    phone, email = f"phone_{tag}", f"email_{tag}"
    live.admin.ok("POST", "/admin/fields", json={"key": phone, "scope": "user", "type": "phone"})
    live.admin.ok("POST", "/admin/fields", json={"key": email, "scope": "user", "type": "email"})
    return phone, email


def _profile_of(live: LiveServer, user: dict[str, Any], title: str) -> dict[str, Any]:
    unit = live.admin.ok("POST", "/admin/units", json={"title": f"HQ {title}"})
    return dict(
        live.admin.ok(
            "POST",
            "/admin/profiles",
            json={"owner_id": user["id"], "title": title, "unit_id": unit["id"]},
        )
    )


def _server_profile(live: LiveServer, ident: str) -> dict[str, Any]:
    return dict(live.admin.ok("GET", f"/admin/profiles/{ident}"))


def test_two_devices_merge_different_fields_and_conflict_on_the_same(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    phone, email = _fields(live, tag)
    _, anna = live.new_user(login_name=f"anna{tag}")
    profile = _profile_of(live, anna, f"Anna {tag}")
    laptop = client_for(live, tmp_path / "laptop", anna["login"])
    desktop = client_for(live, tmp_path / "desktop", anna["login"])
    sync(laptop)
    sync(desktop)

    # Offline, different fields: both survive, in either order.
    laptop.editor().profile_set(profile["id"], phone, "+41 44 111 11 11")
    desktop.editor().profile_set(profile["id"], email, "anna@example.com")
    assert sync(desktop).uploaded == 1
    assert sync(laptop).uploaded == 1
    sync(desktop)
    expected = {phone: "+41 44 111 11 11", email: "anna@example.com"}
    assert _server_profile(live, profile["id"])["overrides"] == expected
    for client in (laptop, desktop):
        assert client.store.record("profile", profile["id"])["overrides"] == expected  # type: ignore[index]
        assert client.store.outbox.entries() == []

    # Offline, the same field to different values: the second to arrive is a conflict.
    laptop.editor().profile_set(profile["id"], phone, "+41 44 222 22 22")
    desktop.editor().profile_set(profile["id"], phone, "+41 44 333 33 33")
    assert sync(laptop).uploaded == 1
    result = sync(desktop)
    assert (result.uploaded, result.conflicts) == (0, 1)
    assert _server_profile(live, profile["id"])["overrides"][phone] == "+41 44 222 22 22"
    [conflict] = desktop.editor().conflicts()
    shown = conflict.to_json()
    assert shown["mine"] == {f"overrides.{phone}": "+41 44 333 33 33"}
    assert shown["theirs"] == {f"overrides.{phone}": "+41 44 222 22 22"}
    assert desktop.summary()["conflicts"] == 1
    # Kept until resolved, through further syncs.
    sync(desktop)
    assert len(desktop.editor().conflicts()) == 1

    # Equal content is no conflict.
    laptop.editor().profile_set(profile["id"], email, "same@example.com")
    other = client_for(live, tmp_path / "tablet", anna["login"])
    sync(other)
    laptop.editor().profile_set(profile["id"], email, "anna2@example.com")
    other.editor().profile_set(profile["id"], email, "anna2@example.com")
    sync(laptop)
    result = sync(other)
    assert (result.uploaded, result.conflicts) == (1, 0)

    # "Keep mine" puts the desktop's value over the laptop's.
    desktop.editor().resolve(conflict.id, "mine")
    assert sync(desktop).uploaded == 1
    assert _server_profile(live, profile["id"])["overrides"][phone] == "+41 44 333 33 33"
    sync(laptop)
    assert laptop.store.record("profile", profile["id"])["overrides"][phone] == "+41 44 333 33 33"  # type: ignore[index]


def test_keep_theirs_and_both_orders(live: LiveServer, tmp_path: Path, tag: str) -> None:
    phone, _ = _fields(live, tag)
    _, anna = live.new_user(login_name=f"anna{tag}")
    profile = _profile_of(live, anna, f"Anna {tag}")
    one = client_for(live, tmp_path / "one", anna["login"])
    two = client_for(live, tmp_path / "two", anna["login"])
    sync(one)
    sync(two)
    one.editor().profile_set(profile["id"], phone, "+41 1")
    two.editor().profile_set(profile["id"], phone, "+41 2")
    assert sync(two).uploaded == 1  # this time the other device goes first
    assert sync(one).conflicts == 1
    [conflict] = one.editor().conflicts()
    one.editor().resolve(conflict.id, "theirs")
    sync(one)
    assert one.store.outbox.entries() == []
    assert one.store.record("profile", profile["id"])["overrides"][phone] == "+41 2"  # type: ignore[index]


class _DropAnswers(httpx.BaseTransport):
    """Delivers requests to the real server, then loses the answers of the first ``times``
    uploads of edits (the client asks again within a sync, so more than it asks again)."""

    def __init__(self, times: int) -> None:
        self._inner = httpx.HTTPTransport()
        self.times = times
        self.dropped = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.url.path.endswith("/sync/mutations") and self.dropped < self.times:
            response.read()
            self.dropped += 1
            raise httpx.ReadError("connection reset after the server answered")
        return response

    def close(self) -> None:
        self._inner.close()


def test_a_lost_answer_then_the_retry_applies_once(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    phone, email = _fields(live, tag)
    _, anna = live.new_user(login_name=f"anna{tag}")
    profile = _profile_of(live, anna, f"Anna {tag}")
    transport = _DropAnswers(times=1 + BROKEN_RETRIES)
    client = Client(Home(tmp_path / "anna"), http=lambda: httpx.Client(transport=transport))
    client.login(live.url, anna["login"], PASSWORD)
    sync(client)
    client.editor().profile_set(profile["id"], phone, "+41 44 555 55 55")
    client.editor().profile_set(profile["id"], email, "a@example.com")
    before = server_seq(live)
    failed = client.sync()
    assert failed.status == "error" and transport.dropped == transport.times
    # The server applied both; the client never heard, so they are still pending here.
    assert [e.state for e in client.store.outbox.entries()] == [EditState.PENDING] * 2
    assert server_seq(live) == before + 2
    result = sync(client)
    assert result.uploaded == 2
    assert server_seq(live) == before + 2, "the retry must not apply anything again"
    assert _server_profile(live, profile["id"])["version"] == profile["version"] + 2
    assert client.store.outbox.entries() == []
    assert_client_matches_server(live, client)


def test_a_refused_edit_is_reported_and_the_queue_goes_on(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    phone, _ = _fields(live, tag)
    group = live.admin.ok("POST", "/admin/groups", json={"name": f"layout-{tag}"})
    # A layouter, but the template's Change right is held by a group she is not in: the
    # client can't know her groups, so only the server can refuse it.
    _, anna = live.new_user("user", "layouter", login_name=f"anna{tag}")
    template = make_template(live, f"Brief {tag}")
    live.admin.ok(
        "PATCH",
        f"/admin/templates/{template['id']}",
        json={"change_rights": [f"group:{group['id']}"]},
    )
    profile = _profile_of(live, anna, f"Anna {tag}")
    client = client_for(live, tmp_path / "anna", anna["login"])
    sync(client)
    client.editor().template_set(template["id"], lang="de", title="Mein Brief")
    client.editor().profile_set(profile["id"], phone, "+41 44 666 66 66")
    result = sync(client)
    assert (result.uploaded, result.rejected) == (1, 1)
    [rejected] = client.store.outbox.entries([EditState.REJECTED])
    assert rejected.code == "forbidden" and rejected.reason
    assert live.admin.ok("GET", f"/admin/templates/{template['id']}")["titles"]["de"] == (
        f"Brief {tag}"
    )
    assert _server_profile(live, profile["id"])["overrides"][phone] == "+41 44 666 66 66"
    # Visible with its reason until discarded; then gone for good.
    assert client.summary()["rejected_uploads"] == 1
    client.editor().discard(rejected.id)
    assert client.store.outbox.entries() == []


def test_a_new_template_file_reaches_exactly_those_with_use(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": f"letters-{tag}"})
    _, layouter = live.new_user("user", "layouter", login_name=f"lena{tag}")
    _, ben = live.new_user(login_name=f"ben{tag}")
    _, carl = live.new_user(login_name=f"carl{tag}")
    live.admin.ok("POST", f"/admin/groups/{group['id']}/members", json={"user_id": ben["id"]})
    template = make_template(
        live, f"Offerte {tag}", use=[f"group:{group['id']}"], data=docx_bytes("v1", ["old"])
    )
    live.admin.ok(
        "PATCH",
        f"/admin/templates/{template['id']}",
        json={"change_rights": [f"user:{layouter['id']}"]},
    )
    lena_client = client_for(live, tmp_path / "lena", layouter["login"])
    ben_client = client_for(live, tmp_path / "ben", ben["login"])
    carl_client = client_for(live, tmp_path / "carl", carl["login"])
    for client in (lena_client, ben_client, carl_client):
        sync(client)
    new_file = tmp_path / "Offerte.docx"
    new_file.write_bytes(docx_bytes(f"v2 {tag}", ["new paragraph"] * 50))
    lena_client.editor().template_set_file(template["id"], "de", new_file)
    # Shown at once on the layouter's machine, offline.
    record = lena_client.store.view_record("template", template["id"])
    assert record is not None
    path = lena_client.files.path(record["files"]["de"]["sha256"])
    assert path.read_bytes() == new_file.read_bytes()
    assert sync(lena_client).uploaded == 1

    sync(ben_client)
    cached = ben_client.store.record("template", template["id"])
    assert cached is not None
    sha = cached["files"]["de"]["sha256"]
    assert ben_client.files.path(sha).read_bytes() == new_file.read_bytes()
    sync(carl_client)
    assert template["id"] not in ids(carl_client, "template")
    assert not carl_client.files.has(sha)
    assert_client_matches_server(live, ben_client)


def test_sharing_a_profile_reaches_the_colleague_and_leaves_again(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    _, anna = live.new_user(login_name=f"anna{tag}")
    _, ben = live.new_user(login_name=f"ben{tag}")
    anna_client = client_for(live, tmp_path / "anna", anna["login"])
    ben_client = client_for(live, tmp_path / "ben", ben["login"])
    sync(anna_client)
    sync(ben_client)
    queued = anna_client.editor().profile_new(f"Anna {tag}", None)
    [entry] = anna_client.store.outbox.entries()
    profile_id = entry.edit.target
    assert queued.id == entry.id
    anna_client.editor().profile_share(profile_id, ben["login"])
    assert sync(anna_client).uploaded == 2
    sync(ben_client)
    assert profile_id in ids(ben_client, "profile")
    assert_client_matches_server(live, ben_client)
    anna_client.editor().profile_share(profile_id, ben["login"], share=False)
    sync(anna_client)
    sync(ben_client)
    assert profile_id not in ids(ben_client, "profile")
    assert_client_matches_server(live, ben_client)


def test_snippets_and_units_from_the_client(live: LiveServer, tmp_path: Path, tag: str) -> None:
    _, olga = live.new_user("user", "org", login_name=f"olga{tag}")
    client = client_for(live, tmp_path / "olga", olga["login"])
    sync(client)
    body = tmp_path / "gruss.txt"
    body.write_text(f"Freundliche Grüsse {tag}", encoding="utf-8")
    client.editor().snippet_new(f"Gruss {tag}", body)
    client.editor().unit_new(f"Sales {tag}", None)
    sync(client)
    [snippet] = [s for s in client.store.records("snippet") if s["title"] == f"Gruss {tag}"]
    assert client.files.path(snippet["body_sha256"]).read_bytes() == body.read_bytes()
    [unit] = [u for u in client.store.records("unit") if u["title"] == f"Sales {tag}"]
    body.write_text("Beste Grüsse", encoding="utf-8")
    client.editor().snippet_edit(snippet["id"], None, body)
    client.editor().unit_set(unit["id"], "title", f"Verkauf {tag}")
    sync(client)
    assert client.store.record("unit", unit["id"])["title"] == f"Verkauf {tag}"  # type: ignore[index]
    edited = client.store.record("snippet", snippet["id"])
    assert edited is not None
    assert client.files.path(edited["body_sha256"]).read_text(encoding="utf-8") == "Beste Grüsse"
    client.editor().snippet_rm(snippet["id"])
    client.editor().unit_rm(unit["id"])
    sync(client)
    assert snippet["id"] not in ids(client, "snippet")
    assert unit["id"] not in ids(client, "unit")
    assert client.store.outbox.entries() == []
    assert_client_matches_server(live, client)


class _Unreachable(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network is unreachable")


def test_edits_wait_while_the_server_is_unreachable(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    _, anna = live.new_user(login_name=f"anna{tag}")
    online = client_for(live, tmp_path / "anna", anna["login"])
    sync(online)
    online.close()
    # The same home, on a train: every request fails to connect.
    offline = Client(Home(tmp_path / "anna"), http=lambda: httpx.Client(transport=_Unreachable()))
    offline.editor().profile_new(f"Offline {tag}", None)
    result = offline.sync()
    assert result.status == "error" and result.error_code == "offline"
    assert [e.state for e in offline.store.outbox.entries()] == [EditState.PENDING]
    assert [p["title"] for p in offline.store.view("profile")] == [f"Offline {tag}"]
    assert offline.summary()["pending_uploads"] == 1
    offline.close()
    back = Client(Home(tmp_path / "anna"))
    assert sync(back).uploaded == 1
    assert [p["title"] for p in back.store.records("profile")] == [f"Offline {tag}"]
    assert back.store.outbox.entries() == []


class _CutFirstUpload(httpx.BaseTransport):
    """The first file upload's connection breaks after ``limit`` bytes of its body."""

    def __init__(self, limit: int) -> None:
        self._inner = httpx.HTTPTransport()
        self._limit = limit
        self.uploads: list[tuple[str | None, int]] = []  # (Content-Range, bytes sent)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PUT" or "/blobs/" not in request.url.path:
            return self._inner.handle_request(request)
        first = not self.uploads
        self.uploads.append((request.headers.get("Content-Range"), 0))
        index = len(self.uploads) - 1
        body = request.stream
        assert isinstance(body, httpx.SyncByteStream | Iterable)

        def stream() -> Iterator[bytes]:
            sent = 0
            for chunk in body:  # type: ignore[union-attr]
                if first and sent + len(chunk) > self._limit:
                    yield chunk[: self._limit - sent]
                    self.uploads[index] = (self.uploads[index][0], self._limit)
                    raise httpx.WriteError("the network went away in the middle of an upload")
                sent += len(chunk)
                self.uploads[index] = (self.uploads[index][0], sent)
                yield chunk

        cut = httpx.Request(
            request.method, request.url, headers=request.headers, stream=_Iter(stream())
        )
        return self._inner.handle_request(cut)

    def close(self) -> None:
        self._inner.close()


class _Iter(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def test_an_interrupted_upload_resumes(live: LiveServer, tmp_path: Path, tag: str) -> None:
    _, lena = live.new_user("user", "layouter", login_name=f"lena{tag}")
    template = make_template(live, f"Gross {tag}", data=docx_bytes("v1", ["x"]))
    live.admin.ok(
        "PATCH",
        f"/admin/templates/{template['id']}",
        json={"change_rights": [f"user:{lena['id']}"]},
    )
    transport = _CutFirstUpload(limit=1024 * 1024)
    client = Client(Home(tmp_path / "lena"), http=lambda: httpx.Client(transport=transport))
    client.login(live.url, lena["login"], PASSWORD)
    sync(client)
    big = tmp_path / "Gross.docx"
    big.write_bytes(office_like(random.Random(tag), 3 * 1024 * 1024 + 4096))
    size = big.stat().st_size
    assert size > 3 * 1024 * 1024
    client.editor().template_set_file(template["id"], "de", big)
    # The broken upload is taken up again within the same sync, from what arrived.
    assert sync(client).uploaded == 1
    (first_range, first_sent), *retries = transport.uploads
    assert first_range == f"bytes 0-{size - 1}/{size}" and first_sent == 1024 * 1024
    # The retries (one, or more if the server was still busy with the broken one) all
    # continue from what arrived; the one that succeeded sent only the rest.
    last_range, last_sent = retries[-1]
    assert last_range is not None
    for ranged, _ in retries:
        assert ranged is not None and not ranged.startswith("bytes 0-"), ranged
    resumed_from = int(last_range.split()[1].split("-")[0])
    assert 0 < resumed_from <= 1024 * 1024, last_range
    assert last_sent == size - resumed_from
    got = live.admin.ok("GET", f"/admin/templates/{template['id']}")["files"]["de"]
    assert got["size"] == size
    assert live.admin.get(f"/blobs/{got['sha256']}").content == big.read_bytes()


def test_layouter_edits_groups_templates_and_template_snippets(
    live: LiveServer, tmp_path: Path, tag: str
) -> None:
    _, lena = live.new_user("user", "layouter", login_name=f"lena{tag}")
    template = make_template(live, f"Memo {tag}", data=docx_bytes("memo", ["x"]))
    live.admin.ok(
        "PATCH",
        f"/admin/templates/{template['id']}",
        json={"change_rights": [f"user:{lena['id']}"]},
    )
    client = client_for(live, tmp_path / "lena", lena["login"])
    sync(client)
    editor = client.editor()
    editor.template_group_new("de", f"Interne {tag}", None)
    [group] = [
        g for g in client.store.view("template_group") if g["titles"] == {"de": f"Interne {tag}"}
    ]
    editor.template_set(template["id"], group=group["id"], lang="en", description="Internal memo")
    body = tmp_path / "closing.txt"
    body.write_text("Mit freundlichen Grüssen", encoding="utf-8")
    editor.snippet_new(f"Schluss {tag}", body, template=template["id"])
    editor.template_group_set(
        group["id"], lang="en", title=f"Internal {tag}", parent=None, top=False
    )
    result = sync(client)
    assert (result.uploaded, result.rejected, result.conflicts) == (4, 0, 0)
    server = live.admin.ok("GET", f"/admin/templates/{template['id']}")
    assert server["group_id"] == group["id"]
    assert server["descriptions"]["en"] == "Internal memo"
    groups = {g["id"]: g for g in live.admin.ok("GET", "/admin/template-groups")}
    assert groups[group["id"]]["titles"] == {"de": f"Interne {tag}", "en": f"Internal {tag}"}
    [snippet] = [s for s in client.store.records("snippet") if s["title"] == f"Schluss {tag}"]
    assert (snippet["kind"], snippet["template_id"]) == ("template", template["id"])
    # A group that holds templates can't go; once empty it can.
    with pytest.raises(Conflict, match="holds templates"):
        editor.template_group_rm(group["id"])
