"""Seeded simulation of change hints: every change wakes exactly the users whose view it
changes (architecture property 11, issue #13).

Several users hold real hint streams on a real server (SQLite and PostgreSQL). A seed
draws random administrator changes: templates created, edited, released and taken back,
their Use and Change rights moved between groups and users; shared snippets and their
rights; profiles shared and unshared; users joining and leaving groups; units renamed.
After each change the test asks the server for every user's view (what their client must
hold) and reads every user's stream. A user whose view changed must have been hinted; a
user whose view did not change must not have been - a hint that wakes the wrong desks is
a stampede waiting to happen, a hint that misses one is a desk that waits 15 minutes.

Ordering without timing: the server logs how far each dispatch got ("hints dispatched",
through change N). Once the change is dispatched, each user's own marker (an edit of a
profile only they see) follows; a hint for the change, if any, arrives on that user's
stream before the marker's. No sleeps, and nothing depends on the machine's speed.

Replay a seed: ``DOCSHELF_HINT_SEEDS=7 pytest tests/integration/test_hints_simulation.py``.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from support.api import Api, LiveServer
from support.hints import HintReader, drain
from support.sync import server_view

SEEDS = [int(s) for s in os.environ.get("DOCSHELF_HINT_SEEDS", "1,2").split(",")]
STEPS = int(os.environ.get("DOCSHELF_HINT_STEPS", "25"))
DEADLINE = 60.0


@dataclass
class Person:
    login: str
    id: str
    api: Api
    marker: str  # a profile only this user sees
    stream: HintReader


class World:
    def __init__(self, live: LiveServer, rnd: random.Random, tag: str) -> None:
        self.live = live
        self.rnd = rnd
        self.tag = tag
        self.people: list[Person] = []
        self.groups: list[str] = []
        self.members: dict[str, set[str]] = {}
        self.templates: list[str] = []
        self.snippets: list[str] = []
        self.profiles: list[str] = []
        self.units: list[str] = []
        self.log: list[str] = []

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.live.admin.ok(method, path, **kwargs)

    def principals(self) -> list[str]:
        choices = ["*"] + [f"group:{g}" for g in self.groups]
        choices += [f"user:{p.id}" for p in self.people]
        return self.rnd.sample(choices, self.rnd.randint(0, 2))

    # --- the changes a seed draws from ---------------------------------------------------

    def new_template(self) -> str:
        body = {
            "kind": "docx",
            "titles": {"de": f"T {secrets.token_hex(2)}"},
            "status": self.rnd.choice(["released", "released", "in_test", "in_progress"]),
            "use_rights": self.principals(),
            "change_rights": self.principals(),
        }
        self.templates.append(self.ok("POST", "/admin/templates", json=body)["id"])
        return f"new template {body}"

    def edit_template(self) -> str:
        template = self.rnd.choice(self.templates)
        body: dict[str, Any] = self.rnd.choice(
            [
                {"titles": {"de": f"T {secrets.token_hex(2)}"}},
                {"use_rights": self.principals()},
                {"change_rights": self.principals()},
                {"status": self.rnd.choice(["released", "in_test", "in_progress"])},
            ]
        )
        self.ok("PATCH", f"/admin/templates/{template}", json=body)
        return f"template {template} {body}"

    def new_snippet(self) -> str:
        body = {
            "kind": "shared",
            "title": f"S {secrets.token_hex(2)}",
            "body": "Freundliche Grüsse",
            "read_rights": self.principals(),
            "write_rights": self.principals(),
        }
        self.snippets.append(self.ok("POST", "/admin/snippets", json=body)["id"])
        return f"new snippet {body}"

    def edit_snippet(self) -> str:
        snippet = self.rnd.choice(self.snippets)
        body: dict[str, Any] = self.rnd.choice(
            [{"title": f"S {secrets.token_hex(2)}"}, {"read_rights": self.principals()}]
        )
        self.ok("PATCH", f"/admin/snippets/{snippet}", json=body)
        return f"snippet {snippet} {body}"

    def share_profile(self) -> str:
        profile = self.rnd.choice(self.profiles)
        others = [p.id for p in self.people[1:]]
        shared = self.rnd.sample(others, self.rnd.randint(0, len(others)))
        self.ok("PATCH", f"/admin/profiles/{profile}", json={"shared_with": shared})
        return f"profile {profile} shared with {shared}"

    def move_member(self) -> str:
        group = self.rnd.choice(self.groups)
        person = self.rnd.choice(self.people)
        if person.id in self.members[group]:
            self.ok("DELETE", f"/admin/groups/{group}/members/users/{person.id}")
            self.members[group].discard(person.id)
            return f"{person.login} leaves {group}"
        self.ok("POST", f"/admin/groups/{group}/members", json={"user_id": person.id})
        self.members[group].add(person.id)
        return f"{person.login} joins {group}"

    def rename_unit(self) -> str:
        unit = self.rnd.choice(self.units)
        self.ok("PATCH", f"/admin/units/{unit}", json={"title": f"U {secrets.token_hex(2)}"})
        return f"unit {unit} renamed"

    def steps(self) -> list[tuple[int, Callable[[], str]]]:
        return [
            (3, self.new_template),
            (6, self.edit_template),
            (2, self.new_snippet),
            (3, self.edit_snippet),
            (3, self.share_profile),
            (2, self.move_member),
            (1, self.rename_unit),
        ]


def _dispatched_through(live: LiveServer) -> int:
    """How far the server's hint dispatch has got, from its log."""
    log = live.data_dir / "logs" / "server.log"
    through = 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"hints_dispatched"' in line:
            through = max(through, int(json.loads(line).get("through", 0)))
    return through


def _wait_dispatched(live: LiveServer, seq: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while _dispatched_through(live) < seq:
        assert time.monotonic() < deadline, f"change {seq} was never dispatched to hint streams"
        time.sleep(0.05)


def _newest_seq(live: LiveServer) -> int:
    from docshelf.protocol.cursor import Cursor

    return Cursor.decode(drain(live.admin)).seq


def _hinted_before_marker(world: World, person: Person, since: int) -> list[int]:
    """Touch the person's marker profile; return the hints their stream got for changes
    after ``since`` and before the marker's (the marker's own hint ends the wait).

    A change of groups ends every stream after its hint (bye "scope"): the person's client
    would reconnect, and so does this, from a cursor past the marker.
    """
    world.ok("PATCH", f"/admin/profiles/{person.marker}", json={"title": secrets.token_hex(3)})
    marker = _newest_seq(world.live)
    seen: list[int] = []
    while True:
        name, data = person.stream.next()
        if name == "bye":
            assert data["reason"] == "scope", f"{person.login}'s stream ended: {data}"
            person.stream.close()
            person.stream = HintReader(world.live.url, str(person.api.token), drain(person.api))
            person.stream.expect("ready")
            return [s for s in seen if s > since]
        if name == "eof":
            raise AssertionError(f"{person.login}'s stream broke off")
        if name != "hint":
            continue
        if data["seq"] >= marker:
            return [s for s in seen if s > since]
        seen.append(data["seq"])


@pytest.fixture
def world(live: LiveServer, request: pytest.FixtureRequest) -> Iterator[World]:
    seed = request.param
    w = World(live, random.Random(seed), secrets.token_hex(3))
    try:
        yield w
    finally:
        for person in w.people:
            person.stream.close()


def _setup(world: World) -> None:
    live, tag = world.live, world.tag
    for i in range(3):
        group = world.ok("POST", "/admin/groups", json={"name": f"g{i}-{tag}"})["id"]
        world.groups.append(group)
        world.members[group] = set()
    for i in range(3):
        world.units.append(world.ok("POST", "/admin/units", json={"title": f"U{i}-{tag}"})["id"])
    for i in range(4):
        roles = ["layouter"] if i == 3 else ["user"]
        api, record = live.new_user(*roles, login_name=f"h{i}{tag}")
        marker = world.ok(
            "POST", "/admin/profiles", json={"owner_id": record["id"], "title": "marker"}
        )["id"]
        shared = world.ok(
            "POST", "/admin/profiles", json={"owner_id": record["id"], "title": "shared"}
        )["id"]
        world.profiles.append(shared)
        stream = HintReader(live.url, str(api.token), drain(api))
        assert stream.expect("ready")
        world.people.append(Person(record["login"], record["id"], api, marker, stream))
    for _ in range(2):
        world.new_template()
        world.new_snippet()
    # Settle: every setup change is dispatched and each stream has passed its marker.
    since = _newest_seq(live)
    _wait_dispatched(live, since)
    for person in world.people:
        _hinted_before_marker(world, person, since)


@pytest.mark.parametrize("world", SEEDS, indirect=True, ids=lambda s: f"seed{s}")
def test_every_change_wakes_exactly_whom_it_concerns(world: World) -> None:
    live = world.live
    _setup(world)
    views = {p.id: server_view(live, p.id) for p in world.people}
    steps = world.steps()
    weights = [w for w, _ in steps]
    hinted_somebody = woke_nobody = 0
    for number in range(1, STEPS + 1):
        _, step = world.rnd.choices(steps, weights=weights)[0]
        before = _newest_seq(live)
        what = step()
        seq = _newest_seq(live)
        world.log.append(f"step {number}: change {seq}: {what}")
        after = {p.id: server_view(live, p.id) for p in world.people}
        _wait_dispatched(live, seq)
        woken = 0
        for person in world.people:
            hints = _hinted_before_marker(world, person, before)
            changed = after[person.id] != views[person.id]
            assert bool(hints) == changed, (
                f"{person.login}: view {'changed' if changed else 'unchanged'}, hints {hints}"
                " at " + "\n".join(world.log[-8:])
            )
            woken += bool(hints)
        hinted_somebody += woken > 0
        woke_nobody += woken == 0
        # The markers changed each owner's view; that is the baseline of the next step.
        views = {p.id: server_view(live, p.id) for p in world.people}
    # A seed that never tells the two cases apart would prove little.
    assert hinted_somebody and woke_nobody, (hinted_somebody, woke_nobody)
