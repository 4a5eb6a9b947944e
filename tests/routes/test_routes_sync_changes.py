"""The change feed's paging (GET /sync/changes), in process."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from support.api import Api
from support.app import AppServer
from support.sync import make_template


def _pages(client: Api, limit: int, cursor: str | None = None) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.ok("GET", "/sync/changes", params=params)
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages
        assert len(pages) < 1000, "the feed never ends"


def _templates(pages: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for p in pages for c in p["changes"] if c["kind"] == "template"]


def test_small_pages_walk_the_whole_feed_once(live: AppServer) -> None:
    client, _ = live.new_user()
    tag = secrets.token_hex(3)
    made = [make_template(live, f"Brief {tag} {n}")["id"] for n in range(7)]
    whole = _pages(client, 5000)
    assert len(whole) == 1
    small = _pages(client, 2)
    assert len(small) >= 4 and all(len(p["changes"]) <= 2 for p in small)
    assert all(p["has_more"] for p in small[:-1])
    # Paged or not, the same changes in the same order, each once.
    assert _templates(small) == _templates(whole)
    assert set(made) <= set(_templates(small))
    assert len(set(_templates(small))) == len(_templates(small))
    # The last cursor is up to date: nothing more, until something changes.
    last = small[-1]["cursor"]
    assert _templates(_pages(client, 2, last)) == []
    newer = make_template(live, f"Brief {tag} new")["id"]
    assert _templates(_pages(client, 2, last)) == [newer]


def test_a_page_tells_how_many_changes_remain(live: AppServer) -> None:
    client, _ = live.new_user()
    for n in range(3):
        make_template(live, f"Memo {secrets.token_hex(3)} {n}")
    first = client.ok("GET", "/sync/changes", params={"limit": 1})
    assert first["has_more"] and first["remaining"] >= 1
    assert first["settings"]["client_sync_interval_ms"] > 0


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 5001}, 422),
        ({"limit": "many"}, 422),
        ({"cursor": "not a cursor!"}, 422),
    ],
)
def test_bad_paging_parameters_are_refused(
    live: AppServer, params: dict[str, Any], status: int
) -> None:
    response = live.admin.get("/sync/changes", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_feed_needs_a_signed_in_device(live: AppServer) -> None:
    response = live.anonymous().get("/sync/changes")
    assert response.status_code == 401
    assert response.json()["code"] == "signed_out"
