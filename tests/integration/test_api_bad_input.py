"""Bad input gets a 4xx problem response a person can act on, and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import pytest

from support.api import LiveServer

PROBLEM = "application/problem+json"


def _seq_probe(live: LiveServer) -> list[Any]:
    """A cheap fingerprint of the content: changes if anything was written."""
    return [
        live.admin.ok("GET", "/admin/groups"),
        live.admin.ok("GET", "/admin/units"),
        live.admin.ok("GET", "/admin/templates"),
        live.admin.ok("GET", "/admin/users"),
    ]


def _assert_problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for word in words:
        assert word in body["detail"], body["detail"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"name": ', ("not valid JSON",)),
        (b"F\xff5\xfe", ("not valid JSON",)),
        (b"[1, 2, 3]", ()),
        (b'{"name": 42}', ("name",)),
        (b'{"name": "ok", "colour": "red"}', ("colour", "not a known field")),
        (b'{"name": ""}', ("name",)),
        (b'{"name": "a\\u0000b"}', ("control characters",)),
        (b'{"name": "' + b"x" * 300 + b'"}', ("name",)),
    ],
)
def test_malformed_bodies_are_refused(live: LiveServer, content: bytes, words: tuple[str]) -> None:
    before = _seq_probe(live)
    response = live.admin.post(
        "/admin/groups", content=content, headers={"content-type": "application/json"}
    )
    _assert_problem(response, 422, *words)
    assert _seq_probe(live) == before


def test_wrong_types_in_nested_fields(live: LiveServer) -> None:
    response = live.admin.post(
        "/admin/templates", json={"kind": "docx", "titles": {"de": ["list"]}, "order": "x"}
    )
    _assert_problem(response, 422)
    assert {tuple(e["loc"][-2:]) for e in response.json()["errors"]} >= {("titles", "de")}


def test_oversized_json_body_is_refused_before_reading(live: LiveServer) -> None:
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = live.admin.post(
        "/admin/groups", content=big, headers={"content-type": "application/json"}
    )
    _assert_problem(response, 413, "larger than")


def test_oversized_body_without_length_is_cut_off(live: LiveServer) -> None:
    def chunks():  # streamed: no Content-Length header
        for _ in range(40):
            yield b"x" * 65536

    response = live.admin.post(
        "/admin/groups", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_upload_with_wrong_hash_stores_nothing(live: LiveServer) -> None:
    data = secrets.token_bytes(5000)
    claimed = hashlib.sha256(b"something else").hexdigest()
    response = live.admin.put(f"/blobs/{claimed}", content=data)
    _assert_problem(response, 422, "SHA-256")
    assert response.json()["code"] == "hash_mismatch"
    real = hashlib.sha256(data).hexdigest()
    assert live.admin.ok("POST", "/blobs/missing", json={"sha256": [claimed, real]})[
        "missing"
    ] == sorted([claimed, real])
    blob_dir = live.data_dir / "blobs"
    assert not list(blob_dir.rglob(real)) and not list(blob_dir.rglob(claimed))
    assert not [p for p in (blob_dir / "tmp").iterdir()]


def test_file_that_is_not_what_its_type_says_is_refused(live: LiveServer) -> None:
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "T"}}
    )
    sha = live.admin.upload(b"MZ\x90\x00 this is not a Word file " + secrets.token_bytes(8))
    response = live.admin.put(
        f"/admin/templates/{template['id']}/files/de", json={"sha256": sha, "filename": "t.docx"}
    )
    _assert_problem(response, 422, ".docx")
    assert live.admin.ok("GET", f"/admin/templates/{template['id']}")["files"] == {}


def test_referencing_a_file_that_was_never_uploaded(live: LiveServer) -> None:
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "T"}}
    )
    response = live.admin.put(
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": "ab" * 32, "filename": "t.docx"},
    )
    _assert_problem(response, 422, "upload it first")


def test_unit_cannot_move_under_its_own_child(live: LiveServer) -> None:
    top = live.admin.ok("POST", "/admin/units", json={"title": "Top"})
    mid = live.admin.ok("POST", "/admin/units", json={"title": "Mid", "parent_id": top["id"]})
    low = live.admin.ok("POST", "/admin/units", json={"title": "Low", "parent_id": mid["id"]})
    for target in (low, mid, top):
        response = live.admin.patch(f"/admin/units/{top['id']}", json={"parent_id": target["id"]})
        _assert_problem(response, 422, "below itself")
    assert live.admin.ok("GET", f"/admin/units/{top['id']}") == top


def test_template_group_cannot_move_under_itself(live: LiveServer) -> None:
    a = live.admin.ok("POST", "/admin/template-groups", json={"titles": {"de": "A"}})
    b = live.admin.ok(
        "POST", "/admin/template-groups", json={"titles": {"de": "B"}, "parent_id": a["id"]}
    )
    response = live.admin.patch(f"/admin/template-groups/{a['id']}", json={"parent_id": b["id"]})
    _assert_problem(response, 422, "below itself")


def test_group_cannot_become_member_of_itself(live: LiveServer) -> None:
    a = live.admin.ok("POST", "/admin/groups", json={"name": f"a-{secrets.token_hex(3)}"})
    b = live.admin.ok("POST", "/admin/groups", json={"name": f"b-{secrets.token_hex(3)}"})
    live.admin.ok("POST", f"/admin/groups/{a['id']}/members", json={"group_id": b["id"]})
    for group, member in ((a, a), (b, a)):
        response = live.admin.post(
            f"/admin/groups/{group['id']}/members", json={"group_id": member["id"]}
        )
        _assert_problem(response, 422, "member of itself")
    assert [m["id"] for m in live.admin.ok("GET", f"/admin/groups/{b['id']}/members")] == []


def test_member_request_needs_exactly_one_member(live: LiveServer) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": f"g-{secrets.token_hex(3)}"})
    response = live.admin.post(f"/admin/groups/{group['id']}/members", json={})
    _assert_problem(response, 422)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/not%2Fan%2Fid",
        "/admin/templates/" + "x" * 65,
        "/blobs/NOT-A-HASH",
    ],
)
def test_malformed_ids_in_paths(live: LiveServer, path: str) -> None:
    response = live.admin.get(path)
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == PROBLEM


def test_unknown_ids_are_404_with_a_message(live: LiveServer) -> None:
    response = live.admin.patch("/admin/units/doesnotexist", json={"title": "x"})
    _assert_problem(response, 404, "doesnotexist")


def test_duplicate_login_is_a_conflict(live: LiveServer) -> None:
    _, user = live.new_user()
    response = live.admin.post("/admin/users", json={"login": user["login"]})
    _assert_problem(response, 409, user["login"])


def test_unknown_endpoint_and_method(live: LiveServer) -> None:
    _assert_problem(live.admin.get("/no/such/thing"), 404, "/no/such/thing")
    _assert_problem(live.admin.request("PUT", "/me"), 405, "PUT")


def test_an_administrator_cannot_lock_themselves_out(live: LiveServer) -> None:
    me = live.admin.ok("GET", "/me")
    dropped = live.admin.patch(f"/admin/users/{me['id']}", json={"roles": ["layouter"]})
    _assert_problem(dropped, 422, "your own account", "another system administrator")
    deactivated = live.admin.post(f"/admin/users/{me['id']}/deactivate")
    _assert_problem(deactivated, 422, "your own account")
    assert "sys" in live.admin.ok("GET", "/me")["roles"]
    # Other roles of one's own may change, as long as sys stays.
    kept = live.admin.ok("PATCH", f"/admin/users/{me['id']}", json={"roles": ["sys", "org"]})
    assert {"org", "sys"} <= set(kept["roles"])
    live.admin.ok("PATCH", f"/admin/users/{me['id']}", json={"roles": me["roles"]})


# A hundred thousand levels: far beyond any parser's recursion limit.
DEEP = 100_000


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/admin/groups", b"[" * DEEP),
        ("/admin/groups", b'{"name": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
        ("/sync/records", b'{"records": ' + b"[" * DEEP),
        ("/sync/mutations", b"{" + b'"a":{' * DEEP + b"}" * (DEEP + 1)),
        ("/blobs/missing", b"[" * DEEP + b"]" * DEEP),
        ("/blobs/pack", b"[" * DEEP),
    ],
)
def test_a_deeply_nested_body_is_refused_with_its_reason(
    live: LiveServer, path: str, content: bytes
) -> None:
    before = _seq_probe(live)
    response = live.admin.post(path, content=content, headers={"content-type": "application/json"})
    _assert_problem(response, 422, "nested deeper than")
    assert _seq_probe(live) == before


def test_a_deeply_nested_body_is_refused_before_signing_in(live: LiveServer) -> None:
    anonymous = live.anonymous().post(
        "/auth/login", content=b"[" * DEEP, headers={"content-type": "application/json"}
    )
    _assert_problem(anonymous, 422, "nested deeper than")


@pytest.mark.parametrize("path", ["/sync/changes", "/sync/manifest"])
def test_a_deeply_nested_cursor_is_refused_as_damaged(live: LiveServer, path: str) -> None:
    # Deeper than the parser's recursion limit, within the 2000 characters a cursor may have.
    cursor = base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=")
    response = live.admin.get(path, params={"cursor": cursor})
    _assert_problem(response, 422, "sync cursor is damaged")
