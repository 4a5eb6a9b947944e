"""Requests are named by route template, also those answered before routing."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from docshelf.domain.errors import InvalidInput
from docshelf.server.app import create_app
from docshelf.server.blobstore import LocalBlobStore as BlobStore
from docshelf.server.config import ServerSettings
from docshelf.server.metrics.instruments import Metrics, is_blob_store_error
from docshelf.server.metrics.routes import OTHER, RouteNames


def _names() -> RouteNames:
    app = create_app(ServerSettings(data_dir=tempfile.mkdtemp()))
    metrics = next(m for m in _middleware_metrics(app))
    return metrics.routes


def _middleware_metrics(app: Any) -> list[Metrics]:
    return [m.kwargs["metrics"] for m in app.user_middleware if "metrics" in m.kwargs]


def _scope(path: str, method: str = "GET") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "query_string": b""}


def test_paths_are_named_by_their_template_without_routing() -> None:
    names = _names()
    sha = "a" * 64
    assert names.template(_scope("/api/v1/sync/changes")) == "/api/v1/sync/changes"
    assert names.template(_scope(f"/api/v1/blobs/{sha}")) == "/api/v1/blobs/{sha256}"
    assert names.template(_scope(f"/api/v1/blobs/{sha}/upload")) == "/api/v1/blobs/{sha256}/upload"
    assert names.template(_scope("/api/v1/blobs/pack", "POST")) == "/api/v1/blobs/pack"
    assert names.template(_scope("/dashboard/static/app.css")) == "/dashboard/static/{path}"
    assert names.template(_scope("/metrics")) == "/metrics"
    assert names.template(_scope("/wp-login.php")) == OTHER
    assert names.template(_scope("/api/v1/templates/x/y/z/w")) == OTHER


def test_a_file_store_error_is_an_oserror_or_raised_by_the_store() -> None:
    assert is_blob_store_error(OSError(5, "Input/output error"))
    assert not is_blob_store_error(ValueError("a bug elsewhere"))
    assert not is_blob_store_error(BrokenPipeError(32, "Broken pipe"))
    store = BlobStore(Path(tempfile.mkdtemp()))
    # Whatever the store raises counts (here InvalidInput, raised in the store's module).
    with pytest.raises(InvalidInput) as raised:
        store.partial_path("../x", "a" * 64)
    assert is_blob_store_error(raised.value)
