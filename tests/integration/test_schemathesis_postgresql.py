"""Property-based API testing on PostgreSQL: the tests of test_schemathesis.py (SQLite)
against a server on PostgreSQL. One module per database, so that the two test workers
share the work.
"""

from __future__ import annotations

from integration.test_schemathesis import (  # noqa: F401  (collected here too, on this module's database)
    target,
    test_no_request_makes_the_server_fail,
    test_the_live_server_serves_the_fuzzed_document,
    test_the_run_kept_its_administrator_signed_in,
)
from support.fuzzing import on_backend

pytestmark = on_backend("postgresql")
