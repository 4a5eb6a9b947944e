"""Which requests count against the cap on concurrent heavy requests."""

from __future__ import annotations

import pytest

from docshelf.server.api.admission import is_heavy

SHA = "a" * 64


@pytest.mark.parametrize(
    ("method", "path", "query", "heavy"),
    [
        ("GET", f"/api/v1/blobs/{SHA}", b"", True),
        ("PUT", f"/api/v1/blobs/{SHA}", b"", True),
        ("GET", f"/api/v1/blobs/{SHA}/upload", b"", False),
        ("POST", "/api/v1/blobs/missing", b"", False),
        ("GET", "/api/v1/sync/changes", b"", True),
        ("GET", "/api/v1/sync/changes", b"cursor=abc", False),
        ("GET", "/api/v1/sync/manifest", b"cursor=abc", True),
        ("POST", "/api/v1/sync/records", b"", True),
        ("POST", "/api/v1/sync/mutations", b"", False),
        ("GET", "/api/v1/me", b"", False),
        ("POST", "/api/v1/admin/packages/import", b"", True),
        ("POST", "/api/v1/admin/packages/export", b"", True),
    ],
)
def test_heavy_requests(method: str, path: str, query: bytes, heavy: bool) -> None:
    scope = {"type": "http", "method": method, "path": path, "query_string": query}
    assert is_heavy(scope) is heavy
