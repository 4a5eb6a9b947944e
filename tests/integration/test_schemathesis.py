"""Property-based API testing: schemathesis fuzzes every operation of the live server.

The server runs as a real process (SQLite and PostgreSQL, see the ``live`` fixture);
schemathesis reads its OpenAPI document and sends generated requests, valid and invalid,
as a signed-in system administrator. No input may make the server answer with a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: F401

from support.api import API, LiveServer

# Signing out revokes the token every other request runs with.
EXCLUDED_OPERATIONS = ["logout"]

# Operations that would sign out or demote the administrator the run is signed in as, when
# schemathesis feeds back the ids it saw in earlier responses (GET /me, /me/devices).
_SELF_HARMING = {
    "update_user": "user_id",
    "deactivate_user": "user_id",
    "purge_user": "user_id",
    "revoke_device": "device_id",
}


@dataclass(frozen=True)
class FuzzTarget:
    base_url: str
    token: str
    protected_ids: frozenset[str]
    http: requests.Session


@pytest.fixture(scope="module")
def fuzz_target(live: LiveServer) -> Iterator[FuzzTarget]:
    me = live.admin.ok("GET", "/me")
    devices = live.admin.ok("GET", "/me/devices")
    assert live.admin.token is not None
    http = requests.Session()
    http.trust_env = False  # loopback only: no proxy from the environment
    try:
        yield FuzzTarget(
            base_url=live.url,
            token=live.admin.token,
            protected_ids=frozenset({me["id"], *(d["id"] for d in devices)}),
            http=http,
        )
    finally:
        http.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_target: FuzzTarget) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "base-url": fuzz_target.base_url,
            "headers": {"Authorization": f"Bearer {fuzz_target.token}"},
            "request-timeout": 30,
            "phases": {"stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_url(
        f"{fuzz_target.base_url}{API}/openapi.json", config=config, timeout=30
    )


schema = schemathesis.pytest.from_fixture("api_schema").exclude(
    operation_id=EXCLUDED_OPERATIONS
)


def _harms_the_signed_in_admin(case: schemathesis.Case, protected: frozenset[str]) -> bool:
    parameter = _SELF_HARMING.get(case.operation.definition.raw.get("operationId", ""))
    return parameter is not None and (case.path_parameters or {}).get(parameter) in protected


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_no_request_makes_the_server_fail(
    case: schemathesis.Case, fuzz_target: FuzzTarget
) -> None:
    if _harms_the_signed_in_admin(case, fuzz_target.protected_ids):
        return
    case.call_and_validate(session=fuzz_target.http, checks=[not_a_server_error])
