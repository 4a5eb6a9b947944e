"""Signing in, device tokens, throttling and /me — against a real server on both databases."""

from __future__ import annotations

import hashlib
import secrets
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from support.api import PASSWORD, LiveServer


def _login(live: LiveServer, login: str, password: str) -> httpx.Response:
    return live.anonymous().post(
        "/auth/login", json={"login": login, "password": password, "device_name": "pc"}
    )


def test_login_returns_a_token_that_authenticates(live: LiveServer) -> None:
    _, user = live.new_user(display_name="Anna Muster")
    response = _login(live, user["login"], PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["login"] == user["login"]
    assert body["device"]["name"] == "pc"
    me = live.api(body["token"]).ok("GET", "/me")
    assert me["display_name"] == "Anna Muster"


def test_wrong_password_and_unknown_login_look_the_same(live: LiveServer) -> None:
    _, user = live.new_user()
    wrong_password = _login(live, user["login"], "not-the-password")
    unknown_login = _login(live, f"nobody{secrets.token_hex(3)}", "whatever")
    assert wrong_password.status_code == unknown_login.status_code == 401
    assert wrong_password.json()["detail"] == unknown_login.json()["detail"]
    assert wrong_password.json()["code"] == unknown_login.json()["code"] == "login_failed"
    assert wrong_password.json()["detail"] == "Login or password is wrong."


def test_repeated_failures_slow_down_logins(live: LiveServer) -> None:
    _, user = live.new_user()
    answers = []
    for _ in range(8):
        answers.append((_login(live, user["login"], "wrong"), time.monotonic()))
    statuses = [a.status_code for a, _ in answers]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    refused, refused_at = [(a, t) for a, t in answers if a.status_code == 429][-1]
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after >= 1
    assert "Try again in" in refused.json()["detail"]
    throttled = _login(live, user["login"], PASSWORD)
    # Even the right password waits until the lock-out ends: guessing gains nothing. (On a
    # machine so loaded that the lock-out ended before this request, nothing can be said.)
    if time.monotonic() - refused_at < retry_after - 0.5:
        assert throttled.status_code == 429


def test_unknown_logins_are_throttled_too(live: LiveServer) -> None:
    name = f"ghost{secrets.token_hex(3)}"
    statuses = [_login(live, name, "x").status_code for _ in range(7)]
    assert statuses[-1] == 429


def test_deactivated_user_cannot_sign_in_and_loses_access(live: LiveServer) -> None:
    client, user = live.new_user()
    live.admin.ok("POST", f"/admin/users/{user['id']}/deactivate")
    assert client.get("/me").status_code == 401
    assert _login(live, user["login"], PASSWORD).status_code == 401
    live.admin.ok("POST", f"/admin/users/{user['id']}/restore")
    assert client.get("/me").status_code == 200


def test_requests_without_or_with_a_bad_token_are_refused(live: LiveServer) -> None:
    anonymous = live.anonymous().get("/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    forged = live.api("forged-token").get("/me")
    assert forged.status_code == 401
    assert forged.json()["code"] == "signed_out"


def test_logout_revokes_only_that_device(live: LiveServer) -> None:
    laptop, user = live.new_user()
    desktop = live.login(user["login"], device="desktop")
    assert laptop.post("/auth/logout").status_code == 204
    assert laptop.get("/me").status_code == 401
    assert desktop.get("/me").status_code == 200


def test_admin_revokes_a_device_and_its_next_request_is_signed_out(live: LiveServer) -> None:
    client, user = live.new_user()
    devices = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")
    assert [d["name"] for d in devices] == ["test"]
    live.admin.ok("DELETE", f"/admin/devices/{devices[0]['id']}")
    refused = client.get("/me")
    assert refused.status_code == 401
    assert "Sign in again" in refused.json()["detail"]
    assert live.admin.ok("GET", f"/admin/users/{user['id']}/devices")[0]["revoked_at"]


def test_a_reported_failure_keeps_its_code_beside_the_clients_words(live: LiveServer) -> None:
    from datetime import UTC, datetime

    from docshelf.protocol import client_error

    client, user = live.new_user()
    german = "Server nicht erreichbar: Der Server unter http://127.0.0.1:9 antwortet nicht."
    report = client_error.encode(datetime.now(UTC), german)
    headers = {client_error.HEADER: report, client_error.CODE_HEADER: "offline"}
    assert client.get("/sync/changes", headers=headers).status_code == 200
    device = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")[0]
    assert (device["last_error"], device["last_error_code"]) == (german, "offline")
    # Not a code: the words are kept, the code is not (a client of an earlier version
    # sends none at all).
    headers[client_error.CODE_HEADER] = "Offline; DROP"
    assert client.get("/sync/changes", headers=headers).status_code == 200
    device = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")[0]
    assert (device["last_error"], device["last_error_code"]) == (german, None)


def test_users_cannot_revoke_other_peoples_devices(live: LiveServer) -> None:
    _, victim = live.new_user()
    attacker, _ = live.new_user()
    device = live.admin.ok("GET", f"/admin/users/{victim['id']}/devices")[0]
    assert attacker.delete(f"/admin/devices/{device['id']}").status_code == 403


def test_tokens_are_stored_only_as_hashes(live: LiveServer) -> None:
    client, user = live.new_user()
    assert client.token
    url = live.database_url or f"sqlite:///{live.data_dir / 'docshelf.db'}"
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT token_hash FROM devices WHERE user_id = :u"), {"u": user["id"]}
        ).scalar_one()
        dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM devices")))
    engine.dispose()
    assert stored == hashlib.sha256(client.token.encode()).hexdigest()
    assert client.token not in dump


def test_me_lists_groups_gained_through_nesting(live: LiveServer) -> None:
    client, user = live.new_user()
    outer = live.admin.ok("POST", "/admin/groups", json={"name": f"outer-{user['login']}"})
    inner = live.admin.ok("POST", "/admin/groups", json={"name": f"inner-{user['login']}"})
    live.admin.ok("POST", f"/admin/groups/{outer['id']}/members", json={"group_id": inner["id"]})
    live.admin.ok("POST", f"/admin/groups/{inner['id']}/members", json={"user_id": user["id"]})
    me = client.ok("GET", "/me")
    assert {g["name"] for g in me["groups"]} == {outer["name"], inner["name"]}
    assert me["roles"] == ["user"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_need_no_token(live: LiveServer, path: str) -> None:
    response = live.anonymous().http.get(live.url + path)
    assert response.status_code == 200
