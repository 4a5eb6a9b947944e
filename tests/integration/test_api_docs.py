"""The API's description at /api/v1/docs works without internet: the page and everything
it loads come from this server, under a Content-Security-Policy that allows no other host."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from support.api import LiveServer

DOCS = "/api/v1/docs"
_ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", re.I)


def get(live: LiveServer, path: str) -> httpx.Response:
    # The API client's base is /api/v1; the docs page and its assets are reached from it.
    return live.anonymous().get(path.removeprefix("/api/v1"))


def test_the_docs_page_loads_only_from_this_server(live: LiveServer) -> None:
    page = get(live, DOCS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = _ASSET.findall(page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        parts = urlsplit(asset)
        assert not parts.scheme and not parts.netloc, f"{asset} is not on this server"
        assert get(live, asset).status_code == 200, asset
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    spec = get(live, "/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["openapi"].startswith("3.")


def test_the_docs_page_policy_allows_this_server_only(live: LiveServer) -> None:
    policy = get(live, DOCS).headers["content-security-policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    assert directives["default-src"] == "'none'"
    assert directives["script-src"].startswith("'self' 'sha256-")
    assert "unsafe" not in policy
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    # No host anywhere: only 'self', hashes and data: images.
    assert not re.search(r"https?:|\*", policy)
