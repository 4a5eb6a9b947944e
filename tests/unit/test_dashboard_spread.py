"""The summary's figure for the newest change: who may see it, who has it, how fast it
spread (50 % / 95 %), the users' actors built from the membership edges, and durations
written for people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from docshelf.domain.accounts import Actor, Role
from docshelf.i18n import using
from docshelf.server.dashboard.spread import (
    CommitRow,
    DeviceState,
    actors,
    newest_spread,
    percentile,
    spread,
)
from docshelf.server.dashboard.texts import duration

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANNA = Actor(user_id="anna", login="anna")
BERT = Actor(user_id="bert", login="bert", groups=frozenset({"g1"}))


def template(use: list[str]) -> dict[str, Any]:
    facts = {"id": "t", "active": True, "status": "released", "use_rights": use}
    return {"kind": "template", "before": None, "after": {**facts, "change_rights": []}}


def device(actor: Actor, seq: int | None, after_s: float | None) -> DeviceState:
    reached = None if after_s is None else AT + timedelta(seconds=after_s)
    return DeviceState(actor, seq, reached)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_a_percentile_is_not_yet_while_fewer_than_its_share_reached() -> None:
    assert percentile([s(3)], 1, 50) == s(3)
    assert percentile([s(3)], 1, 95) == s(3)
    assert percentile([s(5), s(1)], 4, 50) == s(5)  # 2 of 4 is half
    assert percentile([s(1)], 4, 50) is None
    # 95 % of 20 is 19 devices; 18 is not enough.
    assert percentile([s(i) for i in range(18)], 20, 95) is None
    assert percentile([s(i) for i in range(19)], 20, 95) == s(18)
    assert percentile([], 0, 50) is None


def test_only_devices_whose_user_may_see_the_change_count() -> None:
    commit = CommitRow(10, AT, [template(["group:g1"])])
    devices = [
        device(ANNA, 10, 1),  # may not see it: left out though she synced
        device(BERT, 10, 2.5),
        device(BERT, 9, 1),  # bert's second device is behind
    ]
    found = spread(commit, devices)
    assert found is not None
    assert (found.seq, found.have, found.total, found.percent) == (10, 1, 2, 50)
    assert found.took == {50: s(2.5), 95: None}


def test_everyone_may_see_an_organisation_wide_change() -> None:
    found = spread(
        CommitRow(7, AT, None),
        [device(ANNA, 7, 4), device(BERT, 8, 1), device(BERT, None, None)],
    )
    assert found is not None
    assert (found.have, found.total, found.percent) == (2, 3, 66)
    assert found.took == {50: s(4), 95: None}


def test_a_device_reached_before_the_record_existed_counts_as_having_it_at_unknown_time() -> None:
    found = spread(CommitRow(7, AT, None), [device(ANNA, 7, None), device(BERT, 7, 2)])
    assert found is not None
    assert (found.have, found.total) == (2, 2)
    assert found.took == {50: s(2), 95: None}


def test_a_device_a_little_ahead_of_the_commit_clock_took_no_time() -> None:
    found = spread(CommitRow(7, AT, None), [device(ANNA, 7, -0.2)])
    assert found is not None and found.took == {50: s(0), 95: s(0)}


def test_the_newest_change_some_client_may_see_is_shown() -> None:
    hidden = CommitRow(12, AT, [template(["group:closed"])])
    seen = CommitRow(11, AT - s(60), [template(["*"])])
    found = newest_spread([hidden, seen], [device(ANNA, 12, 0)])
    assert found is not None and found.seq == 11
    assert found.took[50] == s(60)
    assert newest_spread([hidden], [device(ANNA, 12, 0)]) is None
    assert newest_spread([seen], []) is None


def test_actors_have_their_direct_and_nested_groups_and_their_roles() -> None:
    users = [("anna", "anna", ["layouter"]), ("bert", "bert", [])]
    edges: list[tuple[str, str | None, str | None]] = [
        ("team", "anna", None),
        ("dept", None, "team"),
        ("all", None, "dept"),
        ("team", None, "all"),  # a cycle (which group edits refuse) still ends
        ("other", "bert", None),
    ]
    found = actors(users, edges)
    assert found["anna"].groups == {"team", "dept", "all"}
    assert found["anna"].roles == {Role.USER, Role.LAYOUTER}
    assert found["bert"].groups == {"other"}
    assert found["bert"].roles == {Role.USER}


def test_durations_read_as_people_say_them() -> None:
    with using("de"):
        assert duration(s(3.24)) == "3,2 s"
        assert duration(s(0)) == "0,0 s"
        assert duration(s(9.97)) == "10 s"
        assert duration(s(42.4)) == "42 s"
        assert duration(s(65)) == "1 min 5 s"
        assert duration(s(2 * 3600 + 10 * 60 + 7)) == "2 h 10 min"
        assert duration(None) == "—"
    with using("en"):
        assert duration(s(3.24)) == "3.2 s"
        assert duration(s(120)) == "2 min"
        assert duration(s(3 * 86400 + 4 * 3600)) == "3 d 4 h"
