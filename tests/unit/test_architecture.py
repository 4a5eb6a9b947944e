"""Imports point one way: domain ← protocol ← server/client ← desktop/cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "docshelf"
# What each layer may import from docshelf (besides itself).
# i18n (the message catalogues) is below everything: every layer speaks to people.
ALLOWED = {
    "i18n": set(),
    "domain": {"i18n"},
    "protocol": {"domain", "i18n"},
    "documents": {"domain", "i18n"},
    "server": {"domain", "protocol", "documents", "i18n"},
    "client": {"domain", "protocol", "documents", "i18n"},
    "desktop": {"domain", "protocol", "client", "i18n"},
    "cli": {"domain", "protocol", "server", "client", "i18n"},
}
# Pure layers use the standard library only.
PURE_THIRD_PARTY = {"domain": set(), "protocol": {"pydantic"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", [layer for layer in ALLOWED if (PACKAGE / layer).exists()])
def test_layer_imports_only_lower_layers(layer: str) -> None:
    wrong = []
    for path in _files(layer):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "docshelf" and len(parts) > 1 and parts[1] in ALLOWED:
                target = parts[1]
                if target != layer and target not in ALLOWED[layer]:
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer", list(PURE_THIRD_PARTY))
def test_pure_layers_do_no_io(layer: str) -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    io_modules = {"os", "socket", "sqlite3", "subprocess", "shutil", "pathlib", "io", "urllib"}
    wrong = []
    for path in _files(layer):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ("docshelf", "__future__"):
                continue
            if top in io_modules or (top not in stdlib and top not in PURE_THIRD_PARTY[layer]):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong, "\n".join(wrong)


# The desktop app and the CLI use the client through its facade, docshelf.client's public
# names, never its modules: the client may move things around below it.
FACADE_USERS = ("desktop", "cli")


def _client_imports(path: Path) -> list[str]:
    import docshelf.client

    tree = ast.parse(path.read_text(), str(path))
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            wrong += [a.name for a in node.names if a.name.startswith("docshelf.client.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("docshelf.client."):
                wrong.append(node.module)
            elif node.module == "docshelf.client":
                wrong += [
                    f"docshelf.client.{a.name}"
                    for a in node.names
                    if a.name not in docshelf.client.__all__
                ]
    return wrong


@pytest.mark.parametrize("layer", FACADE_USERS)
def test_desktop_and_cli_use_the_client_only_through_its_facade(layer: str) -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _files(layer)
        for name in _client_imports(path)
    ]
    assert not wrong, "\n".join(wrong)


def test_test_modules_have_names_of_their_own() -> None:
    # Test folders are no packages: pytest refuses a second module of the same name, and
    # only in a run that collects both (make test), not in the run that added it.
    tests = Path(__file__).resolve().parents[1]
    names: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
