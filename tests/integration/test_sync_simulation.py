"""The seeded sync simulation (architecture.md, "Testing the sync"; tests/support/simulation.py).

Several real clients follow a real server (SQLite and PostgreSQL, the ``live`` fixture)
through random administrator changes, ACL moves, crashes, lost answers and broken
downloads. After every round every client's cache must equal the server's view for its
user, every file it references must be on disk and verified, and no cursor may have
moved backwards.

``make test`` runs DEFAULT_SEEDS and REGRESSION_SEEDS, DEFAULT_ROUNDS rounds each. More::

    DOCSHELF_SIM_SEEDS=1-40 DOCSHELF_SIM_ROUNDS=10 pytest tests/integration/test_sync_simulation.py

Replay one seed (a failure prints this line with its seed and database)::

    pytest tests/integration/test_sync_simulation.py --sim-seed 7 --sim-rounds 6 -k sqlite

``--sim-seed``/``DOCSHELF_SIM_SEEDS`` take ``7``, ``1,2,3`` or ``1-30``; ``--sim-seed``
may be repeated. ``--sim-rounds``/``DOCSHELF_SIM_ROUNDS`` set the rounds per seed.
Seeds given explicitly replace the default and regression seeds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.api import LiveServer
from support.simulation import Simulation

DEFAULT_SEEDS = [1, 2, 3]
DEFAULT_ROUNDS = 6
# Seeds that found a bug (see each comment); they run in every `make test`.
REGRESSION_SEEDS: list[int] = []


def _parse_seeds(values: list[str]) -> list[int]:
    seeds: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            first, _, last = part.partition("-")
            seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def _seeds(config: pytest.Config) -> list[int]:
    given = config.getoption("sim_seed", default=None) or []
    if os.environ.get("DOCSHELF_SIM_SEEDS"):
        given = [*given, os.environ["DOCSHELF_SIM_SEEDS"]]
    if given:
        return _parse_seeds(given)
    return DEFAULT_SEEDS + [s for s in REGRESSION_SEEDS if s not in DEFAULT_SEEDS]


def _rounds(config: pytest.Config) -> int:
    rounds = config.getoption("sim_rounds", default=None)
    if rounds is None and os.environ.get("DOCSHELF_SIM_ROUNDS"):
        rounds = int(os.environ["DOCSHELF_SIM_ROUNDS"])
    return int(rounds or DEFAULT_ROUNDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sim_seed" in metafunc.fixturenames:
        seeds = _seeds(metafunc.config)
        metafunc.parametrize("sim_seed", seeds, ids=[f"seed{s}" for s in seeds])


def test_sync_simulation(
    live: LiveServer, tmp_path: Path, sim_seed: int, request: pytest.FixtureRequest
) -> None:
    seeds = _seeds(request.config)
    simulation = Simulation(
        sim_seed,
        live,
        tmp_path,
        clients=3,
        rounds=_rounds(request.config),
        # The seeds that ran before this one on the same server, for an exact replay.
        seeds_in_run=seeds[: seeds.index(sim_seed) + 1],
    )
    simulation.run()
