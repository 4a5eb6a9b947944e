"""Inputs that once made the server answer 500; each must now be refused with a 4xx problem.

Found by the schemathesis run (test_schemathesis.py) or next to what it found. SQLite
stores whatever it is given, so these failed on PostgreSQL only; they run on both.
"""

from __future__ import annotations

import hashlib

import httpx

from support.api import LiveServer

PROBLEM_JSON = "application/problem+json"


def assert_refused_as_invalid(response: httpx.Response, word: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["code"] == "invalid"
    assert word in problem["detail"], problem["detail"]


def test_a_group_name_longer_than_100_characters_is_refused(live: LiveServer) -> None:
    # groups.name is VARCHAR(100), but the API took titles of up to 200 characters.
    too_long = "0" * 199

    created = live.admin.post("/admin/groups", json={"name": too_long, "description": ""})

    assert_refused_as_invalid(created, "name")
    names = {g["name"] for g in live.admin.ok("GET", "/admin/groups")}
    assert too_long not in names


def test_a_group_cannot_be_renamed_to_more_than_100_characters(live: LiveServer) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": "g" * 100})

    renamed = live.admin.patch(f"/admin/groups/{group['id']}", json={"name": "h" * 101})

    assert_refused_as_invalid(renamed, "name")
    assert live.admin.ok("GET", f"/admin/groups/{group['id']}")["name"] == "g" * 100


def test_a_sign_in_name_with_a_nul_character_is_refused(live: LiveServer) -> None:
    # The name went into a login_throttle lookup; PostgreSQL refuses NUL in text.
    response = live.anonymous().post(
        "/auth/login", json={"login": "root\x00", "password": "whatever"}
    )

    assert_refused_as_invalid(response, "login")


def test_a_file_name_that_the_added_extension_makes_too_long_is_refused(
    live: LiveServer,
) -> None:
    # A 200-character name without ".docx" got the extension appended: 205 characters in a
    # VARCHAR(200) column.
    data = b"PK\x03\x04" + b"regression" * 10
    sha256 = hashlib.sha256(data).hexdigest()
    live.admin.ok("PUT", f"/blobs/{sha256}", content=data)
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "Long name"}}
    )
    path = f"/admin/templates/{template['id']}/files/de"

    refused = live.admin.put(path, json={"sha256": sha256, "filename": "a" * 200})
    accepted = live.admin.ok("PUT", path, json={"sha256": sha256, "filename": "a" * 195})

    assert_refused_as_invalid(refused, "file name")
    assert accepted["files"]["de"]["filename"] == "a" * 195 + ".docx"
