"""The audience a change records (db/audience.py) and how streams are matched to it
(hints/match.py): before and after facts, read through the feed's visibility rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from docshelf.domain.accounts import Actor, Role
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Commit, Profile, Snippet, Template, Unit, User
from docshelf.server.hints.match import concerns

ANNA = Actor(user_id="anna", login="anna")
BERT = Actor(user_id="bert", login="bert", groups=frozenset({"g1"}))
LAYOUTER = Actor(user_id="lay", login="lay", roles=frozenset({Role.USER, Role.LAYOUTER}))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'audience.db'}")
    upgrade(database)
    with database.change("test") as change:
        for login in ("anna", "bert", "lay"):
            change.add(User(id=login, login=login, display_name=login), "user")
    yield database
    database.dispose()


def audience(db: Database, seq: int) -> Any:
    with db.read() as session:
        commit = session.get(Commit, seq)
        assert commit is not None
        return commit.audience


def add_template(db: Database, status: str = "released", use: list[str] | None = None) -> int:
    with db.change("test") as change:
        change.add(
            Template(id="t1", kind="docx", status=status, use_rights=use or ["*"]), "template"
        )
        return change.seq


def update(db: Database, cls: type[Any], row_id: str, **values: Any) -> int:
    with db.change("test") as change:
        row = change.session.get(cls, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        change.session.flush()  # a flush mid-change must not lose the before facts
        change.touch(row)
        return change.seq


def test_created_template_has_no_before(db: Database) -> None:
    seq = add_template(db)
    [entry] = audience(db, seq)
    assert entry["kind"] == "template"
    assert entry["before"] is None
    assert entry["after"]["use_rights"] == ["*"]
    assert concerns(ANNA, audience(db, seq))


def test_status_change_keeps_the_readers_it_had(db: Database) -> None:
    add_template(db)
    seq = update(db, Template, "t1", status="in_test")
    [entry] = audience(db, seq)
    assert entry["before"]["status"] == "released"
    assert entry["after"]["status"] == "in_test"
    # anna saw it before: she must learn it is gone from her view.
    assert concerns(ANNA, audience(db, seq))


def test_rights_change_concerns_old_and_new_holders(db: Database) -> None:
    add_template(db, use=["group:g1"])
    assert not concerns(ANNA, audience(db, 2))
    assert concerns(BERT, audience(db, 2))
    seq = update(db, Template, "t1", use_rights=["user:anna"])
    assert concerns(ANNA, audience(db, seq))
    assert concerns(BERT, audience(db, seq))
    other = update(db, Template, "t1", titles={"en": "x"})
    assert concerns(ANNA, audience(db, other))
    assert not concerns(BERT, audience(db, other))


def test_unreleased_template_concerns_only_layouters_with_change_rights(db: Database) -> None:
    seq = add_template(db, status="in_progress")
    assert not concerns(ANNA, audience(db, seq))
    seq = update(db, Template, "t1", change_rights=["*"])
    assert concerns(LAYOUTER, audience(db, seq))
    assert not concerns(ANNA, audience(db, seq))


def test_unshared_profile_concerns_whom_it_was_shared_with(db: Database) -> None:
    with db.change("test") as change:
        change.add(Profile(id="p1", owner_id="bert", title="B", shared_with=["anna"]), "profile")
    seq = update(db, Profile, "p1", shared_with=[])
    [entry] = audience(db, seq)
    assert entry["before"]["shared_with"] == ["anna"]
    assert entry["after"]["shared_with"] == []
    assert concerns(ANNA, audience(db, seq))
    seq = update(db, Profile, "p1", title="again")
    assert not concerns(ANNA, audience(db, seq))
    assert concerns(BERT, audience(db, seq))


def test_deleted_row_has_no_after(db: Database) -> None:
    add_template(db)
    with db.change("test") as change:
        change.delete(change.session.get_one(Template, "t1"), "template")
        seq = change.seq
    [entry] = audience(db, seq)
    assert entry["after"] is None
    assert concerns(ANNA, audience(db, seq))


def test_template_snippet_follows_its_template(db: Database) -> None:
    add_template(db, use=["group:g1"])
    with db.change("test") as change:
        change.add(Snippet(id="s1", kind="template", title="S", template_id="t1"), "snippet")
        seq = change.seq
    [entry] = audience(db, seq)
    assert entry["template"]["after"]["id"] == "t1"
    assert concerns(BERT, audience(db, seq))
    assert not concerns(ANNA, audience(db, seq))


def test_personal_snippet_concerns_its_owner_only(db: Database) -> None:
    with db.change("test") as change:
        change.add(Snippet(id="s2", kind="personal", title="S", owner_id="anna"), "snippet")
        seq = change.seq
    assert concerns(ANNA, audience(db, seq))
    assert not concerns(BERT, audience(db, seq))


def test_organisation_wide_kinds_concern_everyone(db: Database) -> None:
    with db.change("test") as change:
        change.add(Unit(id="u1", title="Unit"), "unit")
        unit_seq = change.seq
    assert audience(db, unit_seq) is None
    assert concerns(ANNA, None)
    seq = update(db, User, "anna", display_name="Anna")
    assert audience(db, seq) is None
    with db.read() as session:
        assert session.scalar(select(Commit.scope_changed).where(Commit.seq == seq))
        assert not session.scalar(select(Commit.scope_changed).where(Commit.seq == unit_seq))


def test_unreadable_audience_concerns_everyone() -> None:
    assert concerns(ANNA, [{"kind": "template", "before": {"bogus": 1}, "after": None}])
