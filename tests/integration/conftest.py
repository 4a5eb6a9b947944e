"""Options of the sync simulation (see test_sync_simulation.py), and servers for the
admission tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.api import FAST_HASHING, LiveServer, start_live
from support.server import MakeServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docshelf sync simulation")
    group.addoption(
        "--sim-seed",
        action="append",
        default=None,
        help="Run the sync simulation with this seed (repeatable, or comma-separated, or a"
        " range like 1-30) instead of the default seeds; same as DOCSHELF_SIM_SEEDS.",
    )
    group.addoption(
        "--sim-rounds",
        type=int,
        default=None,
        help="Rounds per seed of the sync simulation; same as DOCSHELF_SIM_ROUNDS.",
    )


@pytest.fixture
def one_slot(make_server: MakeServer) -> Iterator[LiveServer]:
    """A server that admits one heavy request at a time (DOCSHELF_MAX_HEAVY_REQUESTS=1)."""
    server = make_server(None, env={**FAST_HASHING, "DOCSHELF_MAX_HEAVY_REQUESTS": "1"})
    live = start_live(server)
    try:
        yield live
    finally:
        live.close()
