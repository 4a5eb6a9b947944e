"""Property-based API testing with schemathesis, shared by the two test modules (one per
database, so that the two test workers can share the longest run of the suite).

pytest needs the operations at collection time, before any server runs, so the schema
comes from the app factory; ``test_the_live_server_serves_the_fuzzed_document`` proves
that it is the very document the live server publishes. (``schemathesis.pytest.
from_fixture`` would load it from the server, but fails on pytest 9.2: it writes
``Function._nodeid``, which pytest no longer has.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from docshelf.server.app import create_app
from docshelf.server.config import ServerSettings
from support.api import LiveServer

_FRAMING = frozenset(
    {"transfer-encoding", "content-length", "connection", "host", "te", "trailer", "upgrade"}
)

# Signing out revokes the token that every other request is sent with. The change-hint
# stream is held open for minutes by design (its refusals are tested in test_hints_server).
EXCLUDED_OPERATIONS = ["logout", "sync_hints"]

# These would sign out or demote the administrator the run is signed in as, once
# schemathesis reuses the ids it saw in earlier responses (GET /me, GET /me/devices).
# Only requests aimed at that administrator's own user or device are held back.
_SELF_HARMING = {
    "update_user": "user_id",
    "deactivate_user": "user_id",
    "purge_user": "user_id",
    "revoke_device": "device_id",
}


def _openapi_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(ServerSettings(data_dir=Path(data_dir), database_url=None))
        try:
            return app.openapi()
        finally:
            app.state.docshelf.db.dispose()


DOCUMENT = _openapi_document()
CONFIG = schemathesis.Config.from_dict(
    {
        "request-timeout": 30,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)
# The requirement is the first; the others check that every answer is one the document
# declares, in the declared content type and shape (errors as application/problem+json).
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    response_headers_conformance,
    content_type_conformance,
    status_code_conformance,
]
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG).exclude(
    operation_id=EXCLUDED_OPERATIONS
)


def on_backend(name: str) -> pytest.MarkDecorator:
    """A module's tests on one database only (the ``backend_url`` of tests/conftest.py)."""
    marks = [pytest.mark.postgres] if name == "postgresql" else []
    return pytest.mark.parametrize(
        "backend_url", [pytest.param(name, id=name, marks=marks)], indirect=True, scope="module"
    )


@dataclass(frozen=True)
class FuzzTarget:
    base_url: str
    headers: dict[str, str]
    protected_ids: frozenset[str]
    http: requests.Session


def fuzz_target(live: LiveServer) -> Iterator[FuzzTarget]:
    """The body of a module's ``target`` fixture: the live server, signed in."""
    me = live.admin.ok("GET", "/me")
    devices = live.admin.ok("GET", "/me/devices")
    http = requests.Session()
    http.trust_env = False  # loopback only: no proxy from the environment
    try:
        yield FuzzTarget(
            base_url=live.url,
            headers={"Authorization": f"Bearer {live.admin.token}"},
            protected_ids=frozenset({me["id"], *(d["id"] for d in devices)}),
            http=http,
        )
    finally:
        http.close()


def _harms_the_signed_in_admin(case: schemathesis.Case, protected: frozenset[str]) -> bool:
    parameter = _SELF_HARMING.get(case.operation.definition.raw.get("operationId", ""))
    return parameter is not None and (case.path_parameters or {}).get(parameter) in protected


def call_and_validate(case: schemathesis.Case, target: FuzzTarget) -> None:
    """One generated request against the live server, with every check."""
    if _harms_the_signed_in_admin(case, target.protected_ids):
        return
    if case.headers:
        # How a request is framed is the HTTP server's business (uvicorn): a generated
        # Transfer-Encoding such as "0l_D)N:MH4" gets its plain-text 400 before the
        # application sees the request, so these headers are not the API's to document.
        case.headers = {k: v for k, v in case.headers.items() if k.lower() not in _FRAMING}
    case.call_and_validate(
        base_url=target.base_url,
        session=target.http,
        headers=target.headers,
        checks=CHECKS,
    )
