""" "Why can't X see this?" agrees with the sync: against a `docshelf demo` server process,
every demo user's real client syncs into its own directory, and for every user × template
(and every snippet and profile any of them holds) the explanation's answer is whether
that object is in the user's local copy. Then the admin CLI answers the same in German,
with the group path and the remedies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from docshelf.client.app import Client
from docshelf.client.paths import Home
from docshelf.server.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from support.api import FAST_HASHING
from support.server import ServerProcess, demo_server

LOGINS = [login for login, _label, _about in DEMO_ACCOUNTS]
KINDS = ("template", "snippet", "profile")
GERMAN = {"LANG": "de_CH.UTF-8", "LANGUAGE": "", "LC_ALL": "de_CH.UTF-8", "LC_MESSAGES": ""}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with demo_server(tmp_path_factory.mktemp("demo"), env=FAST_HASHING) as server:
        yield server


def _api(demo: ServerProcess, login: str) -> httpx.Client:
    api = httpx.Client(base_url=f"{demo.url}/api/v1", trust_env=False, timeout=60)
    answer = api.post(
        "/auth/login",
        json={"login": login, "password": DEMO_PASSWORD, "device_name": f"{login}-explain"},
    )
    assert answer.status_code == 200, answer.text
    api.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return api


@pytest.fixture(scope="module")
def admin(demo: ServerProcess) -> Iterator[httpx.Client]:
    api = _api(demo, "admin")
    try:
        yield api
    finally:
        api.close()


def _template_id(admin: httpx.Client, title: str) -> str:
    for template in admin.get("/admin/templates").json():
        if title in template["titles"].values():
            return str(template["id"])
    raise AssertionError(f"no demo template {title!r}")


@pytest.fixture(scope="module")
def copies(
    demo: ServerProcess, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, set[str]]]:
    """Each demo user's local copy after a real sync: login -> kind -> ids."""
    # A deactivated template too, so that the rule that hides those is part of the check.
    gone = admin.post(f"/admin/templates/{_template_id(admin, 'Telefonnotiz')}/deactivate")
    assert gone.status_code == 200, gone.text
    held: dict[str, dict[str, set[str]]] = {}
    for login in LOGINS:
        client = Client(Home(tmp_path_factory.mktemp(login)))
        try:
            client.login(demo.url, login, DEMO_PASSWORD, device_name=f"{login}-laptop")
            result = client.sync()
            assert result.status == "ok", result.error
            held[login] = {k: {r["id"] for r in client.store.records(k)} for k in KINDS}
        finally:
            client.close()
    return held


def explain(admin: httpx.Client, login: str, kind: str, ref: str) -> dict[str, Any]:
    answer = admin.get("/admin/explain", params={"user": login, "kind": kind, "object": ref})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_every_template_is_explained_as_the_sync_decided(
    admin: httpx.Client, copies: dict[str, dict[str, set[str]]]
) -> None:
    templates = [t["id"] for t in admin.get("/admin/templates", params={"limit": 1000}).json()]
    assert len(templates) >= 20
    disagree = []
    for login in LOGINS:
        for template_id in templates:
            found = explain(admin, login, "template", template_id)
            synced = template_id in copies[login]["template"]
            if found["allowed"] != synced:
                disagree.append((login, found["title"], synced, found["steps"]))
    assert not disagree, disagree
    # The demo is varied enough for the check to mean something: both answers occur for a
    # plain user, and a template nobody but Sys and layouters sees.
    assert 0 < len(copies["anna"]["template"]) < len(templates)
    assert copies["admin"]["template"] > copies["anna"]["template"]


def test_every_snippet_and_profile_is_explained_as_the_sync_decided(
    admin: httpx.Client, copies: dict[str, dict[str, set[str]]]
) -> None:
    for kind in ("snippet", "profile"):
        every = set().union(*(held[kind] for held in copies.values()))
        assert every, kind
        disagree = [
            (login, kind, ident)
            for login in LOGINS
            for ident in sorted(every)
            if explain(admin, login, kind, ident)["allowed"] != (ident in copies[login][kind])
        ]
        assert not disagree, disagree


def test_a_refusal_names_the_failed_step_the_group_path_and_the_remedy(
    admin: httpx.Client, copies: dict[str, dict[str, set[str]]]
) -> None:
    refused = explain(admin, "anna", "template", "Offerte")
    assert not refused["allowed"]
    use = next(s for s in refused["steps"] if s["rule"] == "use")
    assert not use["held"]
    fixes = [[r["fix"] for r in need] for need in refused["needs"]]
    assert fixes == [["join_group", "grant_use"]]
    assert "«Verkauf»" in refused["needs"][0][0]["text"]

    granted = explain(admin, "david", "template", "Offerte")
    use = next(s for s in granted["steps"] if s["rule"] == "use")
    assert granted["allowed"] and use["held"]
    assert use["path"] == ["david", "Verkauf Zürich", "Verkauf"]
    assert granted["needs"] == []

    unreleased = explain(admin, "anna", "template", "Quartalsbericht")
    assert [[r["fix"] for r in need] for need in unreleased["needs"]] == [["release"]]


def test_only_sys_may_ask(demo: ServerProcess) -> None:
    api = _api(demo, "anna")
    try:
        answer = api.get("/admin/explain", params={"user": "ben", "object": "Brief"})
    finally:
        api.close()
    assert answer.status_code == 403, answer.text


def _cli(demo: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "docshelf", "admin", "--data-dir", str(demo.data_dir)]
    return subprocess.run(
        [*argv, "explain", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **GERMAN},
        stdin=subprocess.DEVNULL,
    )


def test_the_cli_explains_in_german_with_the_same_answer(
    demo: ServerProcess, admin: httpx.Client, copies: dict[str, dict[str, set[str]]]
) -> None:
    shown = _cli(demo, "anna", "Offerte")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "anna sieht die Vorlage «Offerte» nicht."
    assert "  ✓ Die Vorlage ist freigegeben." in lines
    assert any(line.startswith("  ✗ anna hat das Recht «Verwenden» nicht") for line in lines)
    assert lines[-1].startswith("Was es sichtbar machen würde: anna zur Gruppe «Verkauf» hinzu")

    path = _cli(demo, "eva", "Offerte")
    assert "über den Gruppenpfad eva → Verkauf Bern → Verkauf." in path.stdout, path.stdout

    as_json = _cli(demo, "ben", "Quartalsbericht", "--json")
    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)
    template_id = _template_id(admin, "Quartalsbericht")
    assert found["object_id"] == template_id
    assert found["allowed"] is (template_id in copies["ben"]["template"]) is False

    unit = _cli(demo, "clara", "Muster AG", "--kind", "unit")
    assert unit.returncode == 0, unit.stderr
    assert "clara sieht die Organisationseinheit «Muster AG»." in unit.stdout

    ambiguous = _cli(demo, "clara", "Verkauf", "--kind", "unit")
    assert ambiguous.returncode != 0
    assert "Mehrere Objekte dieser Art heissen «Verkauf»" in ambiguous.stderr


def test_a_deactivated_template_asks_for_its_restoration(
    admin: httpx.Client, copies: dict[str, dict[str, set[str]]]
) -> None:
    found = explain(admin, "anna", "template", "Telefonnotiz")
    assert not found["allowed"]
    assert [[r["fix"] for r in need] for need in found["needs"]] == [["activate"]]
