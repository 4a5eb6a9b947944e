"""Property-based API testing: schemathesis fuzzes every operation of the live server.

The server runs as a real process on SQLite here; test_schemathesis_postgresql.py runs the
same tests on PostgreSQL (one module per database, so that the two test workers
share the work; the parts both use are in support/fuzzing.py). schemathesis sends
generated requests, valid and invalid, as a signed-in system administrator. Whatever the
input, the server must not answer with a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from support.api import LiveServer
from support.fuzzing import DOCUMENT, FuzzTarget, call_and_validate, fuzz_target, on_backend, schema

pytestmark = on_backend("sqlite")


@pytest.fixture(scope="module")
def target(live: LiveServer) -> Iterator[FuzzTarget]:
    yield from fuzz_target(live)


def test_the_live_server_serves_the_fuzzed_document(live: LiveServer) -> None:
    assert live.anonymous().ok("GET", "/openapi.json") == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
def test_no_request_makes_the_server_fail(case: schemathesis.Case, target: FuzzTarget) -> None:
    call_and_validate(case, target)


def test_the_run_kept_its_administrator_signed_in(live: LiveServer) -> None:
    """Otherwise the operations above were tried with 401s only, and proved little."""
    me = live.admin.ok("GET", "/me")
    assert "sys" in me["roles"]
