"""Options of the sync simulation (see test_sync_simulation.py)."""

from __future__ import annotations

import pytest


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
