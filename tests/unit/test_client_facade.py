"""docshelf.client's public names: each one resolves, and importing one loads only its part."""

from __future__ import annotations

import subprocess
import sys

import pytest

import docshelf.client

_PROBE = """
import sys
from docshelf.client import {names}
loaded = [m for m, module in sys.modules.items() if module is not None]  # None: blocked
print(",".join(sorted(m for m in loaded if m.startswith(("httpx", "pydantic", "rich")))))
print(",".join(sorted(m for m in loaded if m.startswith("docshelf.client."))))
"""


@pytest.mark.parametrize("name", docshelf.client.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(docshelf.client, name) is not None
    assert name in dir(docshelf.client)


def test_the_public_names_are_the_exported_ones() -> None:
    assert sorted(docshelf.client.__all__) == sorted(docshelf.client._EXPORTS)
    with pytest.raises(AttributeError):
        _ = docshelf.client.NoSuchName  # type: ignore[attr-defined]


def _loaded(names: str) -> tuple[list[str], list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(names=names)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    heavy, client = (line.split(",") if line else [] for line in done.stdout.splitlines())
    return heavy, client


def test_the_client_for_the_local_copy_loads_no_http_stack_or_wire_models() -> None:
    heavy, client = _loaded("Client, Home, reading, SyncState")
    assert heavy == []
    assert "docshelf.client.engine" not in client and "docshelf.client.remote" not in client


def test_a_name_loads_its_own_module_only() -> None:
    _, client = _loaded("Home")
    assert client == ["docshelf.client.paths"]


def test_httpx_comes_without_its_command_line() -> None:
    """`docshelf sync` needs httpx, not the rich and pygments of httpx's own command."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, docshelf.client, httpx\n"
            "httpx.Client().close()\n"
            "print(sorted(m for m in sys.modules if m.startswith(('rich', 'pygments'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"
