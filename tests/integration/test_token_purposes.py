"""A token is good only for what it was issued for: a dashboard session only in the
dashboard (as its cookie, within its lifetime and idle timeout), a client's device token
only on the API. Real server processes on both databases."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from docshelf.server.db.engine import Database
from docshelf.server.db.models import Device, utcnow
from docshelf.server.services.passwords import token_hash
from support.api import PASSWORD, Api, LiveServer

SESSION_COOKIE = "docshelf_session"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def _sign_in(live: LiveServer, login: str = "root") -> str:
    """Sign in to the dashboard like a browser; the session cookie's value."""
    with httpx.Client(base_url=live.url, trust_env=False, timeout=60) as browser:
        form = browser.get("/dashboard/login")
        answer = browser.post(
            "/dashboard/login",
            data={"csrf": _csrf(form.text), "login": login, "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text
        return browser.cookies[SESSION_COOKIE]


def _dashboard(live: LiveServer, token: str, path: str = "/dashboard") -> httpx.Response:
    return httpx.get(
        f"{live.url}{path}", cookies={SESSION_COOKIE: token}, trust_env=False, timeout=60
    )


@pytest.fixture
def db(live: LiveServer) -> Iterator[Database]:
    """The server's database, to age a session without waiting for the clock."""
    database = Database(live.database_url or f"sqlite:///{live.process.data_dir / 'docshelf.db'}")
    yield database
    database.dispose()


def _device(db: Database, token: str) -> Device:
    with db.read() as session:
        device = session.scalar(select(Device).where(Device.token_hash == token_hash(token)))
        assert device is not None
        session.expunge(device)
        return device


def _age(db: Database, token: str, *, created_at: datetime, last_seen_at: datetime) -> None:
    with db.write() as session:
        device = session.scalar(select(Device).where(Device.token_hash == token_hash(token)))
        assert device is not None
        device.created_at = created_at
        device.last_seen_at = last_seen_at


def _current_cursor(client: Api) -> str:
    """A cursor that is up to date, so that a poll with it takes the quick path."""
    cursor: str | None = None
    while True:
        page = client.ok("GET", "/sync/changes", params={"cursor": cursor} if cursor else {})
        cursor = page["cursor"]
        if not page["has_more"]:
            assert cursor is not None
            return cursor


def _as_if_synced_like(db: Database, token: str, client: Api) -> None:
    """Give the session's device the bookkeeping of a client that has just synced, so
    that the quick poll (which leaves due bookkeeping to the route) would answer it."""
    assert client.token
    synced = _device(db, client.token)
    with db.write() as session:
        device = session.scalar(select(Device).where(Device.token_hash == token_hash(token)))
        assert device is not None
        device.last_seen_at = device.last_sync_at = utcnow()
        device.last_sync_seq = synced.last_sync_seq


# --- a dashboard session is no API credential --------------------------------------------


# (method, path, request options); BLOB and CURSOR are filled in per test.
API_REQUESTS = {
    "me": ("GET", "/me", {}),
    "admin-users": ("GET", "/admin/users", {}),
    "my-devices": ("GET", "/me/devices", {}),
    "first-poll": ("GET", "/sync/changes", {}),
    # Up to date: answered before routing (api/quick_poll.py) unless refused.
    "quick-poll": ("GET", "/sync/changes", {"params": {"cursor": "CURSOR"}}),
    # A plain download: answered before routing (api/quick_blob.py) unless refused.
    "quick-blob": ("GET", "/blobs/BLOB", {}),
    "quick-blob-range": ("GET", "/blobs/BLOB", {"headers": {"Range": "bytes=0-9"}}),
    "blob-route": ("GET", "/blobs/BLOB", {"headers": {"If-None-Match": '"other"'}}),
    "blob-head": ("HEAD", "/blobs/BLOB", {}),
    "blob-pack": ("POST", "/blobs/pack", {"json": {"files": ["BLOB"]}}),
}


def _filled(value: object, blob: str, cursor: str) -> object:
    if isinstance(value, str):
        return value.replace("BLOB", blob).replace("CURSOR", cursor)
    if isinstance(value, dict):
        return {k: _filled(v, blob, cursor) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, blob, cursor) for v in value]
    return value


@pytest.mark.parametrize("name", list(API_REQUESTS))
def test_a_dashboard_session_is_refused_on_the_api(
    live: LiveServer, db: Database, name: str
) -> None:
    blob = live.admin.upload(b"PK\x03\x04" + secrets.token_bytes(3000))
    cursor = _current_cursor(live.admin)
    method, path, options = API_REQUESTS[name]
    path, kwargs = _filled(path, blob, cursor), _filled(options, blob, cursor)
    assert isinstance(path, str) and isinstance(kwargs, dict)
    token = _sign_in(live)
    assert _dashboard(live, token).status_code == 200
    if name == "quick-poll":
        _as_if_synced_like(db, token, live.admin)
    # A client's token of the same account is served: only the kind differs.
    assert live.admin.request(method, path, **kwargs).is_success
    refused = Api(live.url, token).request(method, path, **kwargs)
    assert refused.status_code == 401
    if method != "HEAD":
        # Exactly an unknown token's answer: it tells nothing about the session.
        unknown = Api(live.url, "no-such-token").request(method, path, **kwargs)
        assert unknown.status_code == 401
        assert refused.json()["code"] == unknown.json()["code"] == "signed_out"
        assert refused.json()["detail"] == unknown.json()["detail"]


def test_a_dashboard_session_cannot_be_signed_out_through_the_api(live: LiveServer) -> None:
    token = _sign_in(live)
    assert Api(live.url, token).post("/auth/logout").status_code == 401
    assert _dashboard(live, token).status_code == 200


def test_a_client_token_is_no_dashboard_session(live: LiveServer) -> None:
    client, _ = live.new_user("sys")
    assert client.token
    refused = _dashboard(live, client.token)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/dashboard/login")
    assert client.get("/me").status_code == 200


# --- a dashboard session lasts its lifetime and ends when idle ---------------------------


def test_an_expired_session_is_refused_and_revoked(live: LiveServer, db: Database) -> None:
    token = _sign_in(live)
    now = utcnow()
    # Default lifetime 12 hours; in use a minute ago, so not idle.
    _age(db, token, created_at=now - timedelta(hours=13), last_seen_at=now - timedelta(minutes=1))
    refused = _dashboard(live, token)
    assert refused.status_code == 303
    assert "reason=login.expired" in refused.headers["location"]
    assert _device(db, token).revoked_at is not None
    # Revoked: even a session made young again stays refused.
    _age(db, token, created_at=now, last_seen_at=now)
    assert _dashboard(live, token).status_code == 303


def test_an_idle_session_is_refused_and_revoked(live: LiveServer, db: Database) -> None:
    token = _sign_in(live)
    now = utcnow()
    # Default idle timeout 60 minutes; signed in two hours ago, untouched since.
    _age(db, token, created_at=now - timedelta(hours=2), last_seen_at=now - timedelta(hours=2))
    refused = _dashboard(live, token)
    assert refused.status_code == 303
    assert "reason=login.expired" in refused.headers["location"]
    assert _device(db, token).revoked_at is not None


def test_using_the_dashboard_keeps_a_session_from_going_idle(
    live: LiveServer, db: Database
) -> None:
    token = _sign_in(live)
    now = utcnow()
    _age(db, token, created_at=now - timedelta(hours=1), last_seen_at=now - timedelta(minutes=50))
    assert _dashboard(live, token).status_code == 200
    seen = _device(db, token).last_seen_at
    assert seen is not None and seen >= now - timedelta(minutes=1)
    assert _device(db, token).revoked_at is None


def test_signing_out_revokes_the_session(live: LiveServer, db: Database) -> None:
    token = _sign_in(live)
    page = _dashboard(live, token)
    signed_out = httpx.post(
        f"{live.url}/dashboard/logout",
        data={"csrf": _csrf(page.text)},
        cookies={SESSION_COOKIE: token},
        trust_env=False,
        timeout=60,
    )
    assert signed_out.status_code == 303
    assert _device(db, token).revoked_at is not None
    assert _dashboard(live, token).status_code == 303
