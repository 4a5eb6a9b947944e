"""The demo content seeded by ``docshelf.server.demo.seed`` for ``docshelf demo``."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor, system_actor
from docshelf.domain.patches import UserPatch
from docshelf.domain.permissions import can_see_profile, can_see_snippet, can_see_template
from docshelf.domain.principals import group_principal
from docshelf.domain.templates import PublicationStatus
from docshelf.domain.trees import chain_to_root
from docshelf.domain.units import Unit, resolve_unit_fields
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore, LocalBlobStore, sha256_bytes
from docshelf.server.db.engine import Database, current_seq
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Group, Profile, Snippet, Template, User
from docshelf.server.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from docshelf.server.services import accounts, profiles
from docshelf.server.services.passwords import Passwords
from docshelf.server.services.units import all_units

EXPECTED_ROLES = {
    "admin": ["sys", "user"],
    "layouter": ["layouter", "user"],
    "org": ["org", "user"],
    "anna": ["user"],
    "ben": ["user"],
    "clara": ["user"],
    "david": ["user"],
    "eva": ["user"],
}
PLAIN_USERS = ["anna", "ben", "clara", "david", "eva"]


@dataclass
class Demo:
    db: Database
    blobs: BlobStore
    passwords: Passwords
    seeded: bool


def _passwords() -> Passwords:
    # The cheapest argon2 that works: with parallelism 2 it needs at least 16 KiB.
    return Passwords(time_cost=1, memory_kib=16)


def _empty_database(directory: Path) -> tuple[Database, BlobStore]:
    db = Database(f"sqlite:///{directory / 'docshelf.db'}")
    upgrade(db)
    return db, LocalBlobStore(directory / "blobs")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One seeded database for the whole module: seeding writes some fifty office files."""
    db, blobs = _empty_database(tmp_path_factory.mktemp("demo"))
    passwords = _passwords()
    seeded = seed_demo(db, blobs, passwords)
    yield Demo(db, blobs, passwords, seeded)
    db.dispose()


@pytest.fixture
def session(demo: Demo) -> Iterator[Session]:
    with demo.db.read() as session:
        yield session


def user(session: Session, login: str) -> User:
    return session.scalars(select(User).where(User.login == login)).one()


def actor(session: Session, login: str) -> Actor:
    return accounts.actor_of(session, user(session, login))


def all_templates(session: Session) -> list[Template]:
    return list(session.scalars(select(Template)))


def visible_templates(session: Session, login: str) -> set[str]:
    who = actor(session, login)
    return {t.id for t in all_templates(session) if can_see_template(who, convert.template(t))}


def group_id(session: Session, name: str) -> str:
    return session.scalars(select(Group.id).where(Group.name == name)).one()


def children(units: dict[str, Unit], parent_id: str | None) -> dict[str, str]:
    return {u.title: u.id for u in units.values() if u.parent_id == parent_id}


# --- seeding once ------------------------------------------------------------------------


def test_seeds_an_empty_database_once_and_then_changes_nothing(demo: Demo) -> None:
    assert demo.seeded is True
    with demo.db.read() as session:
        seq_before = current_seq(session)
        users_before = session.scalar(select(func.count()).select_from(User))

    assert seed_demo(demo.db, demo.blobs, demo.passwords) is False

    with demo.db.read() as session:
        assert current_seq(session) == seq_before
        assert session.scalar(select(func.count()).select_from(User)) == users_before
    assert seq_before == 1  # everything in one change: all or nothing


def test_does_not_seed_a_database_that_has_users_already(tmp_path: Path) -> None:
    db, blobs = _empty_database(tmp_path)
    with db.change("test") as change:
        accounts.create_user(change, system_actor(), UserPatch(login="someone"))
    with db.read() as session:
        seq_before = current_seq(session)

    assert seed_demo(db, blobs, _passwords()) is False

    with db.read() as session:
        assert current_seq(session) == seq_before
        assert session.scalars(select(Template)).first() is None
        assert [u.login for u in session.scalars(select(User))] == ["someone"]
    db.dispose()


# --- accounts ----------------------------------------------------------------------------


def test_demo_accounts_list_every_login_with_its_role_and_a_description() -> None:
    assert [login for login, _, _ in DEMO_ACCOUNTS] == list(EXPECTED_ROLES)
    labels = {login: label for login, label, _ in DEMO_ACCOUNTS}
    assert labels == {
        "admin": "Sys",
        "layouter": "Layouter",
        "org": "Org",
        **dict.fromkeys(PLAIN_USERS, "User"),
    }
    assert all(description.strip() for _, _, description in DEMO_ACCOUNTS)


def test_every_account_exists_with_its_roles_fields_and_the_demo_password(
    demo: Demo, session: Session
) -> None:
    for login, roles in EXPECTED_ROLES.items():
        row = user(session, login)
        assert sorted(row.roles) == roles, login
        assert row.active
        assert row.display_name != login
        assert {"first_name", "last_name", "job_title", "phone", "email"} <= set(row.fields)
        assert demo.passwords.verify(row.password_hash, DEMO_PASSWORD), login
        assert not demo.passwords.verify(row.password_hash, "wrong"), login


# --- organisational units ----------------------------------------------------------------


def test_unit_tree_has_three_levels_and_departments_inherit_or_override(
    session: Session,
) -> None:
    units = all_units(session)
    parents = {u.id: u.parent_id for u in units.values()}
    assert max(len(chain_to_root(u, parents)) for u in units) == 3
    (root_id,) = children(units, None).values()
    zurich, bern = children(units, root_id)["Zürich"], children(units, root_id)["Bern"]

    sales_zh = resolve_unit_fields(children(units, zurich)["Verkauf"], units)
    root = resolve_unit_fields(root_id, units)
    assert sales_zh["logo"].source == f"unit:{root_id}"
    assert sales_zh["logo"].value == root["logo"].value
    assert sales_zh["company"].source == f"unit:{root_id}"
    assert sales_zh["street"].source == f"unit:{zurich}"  # the branch overrides the root
    assert sales_zh["street"].value != root["street"].value

    hr_bern_id = children(units, bern)["Personal"]
    hr_bern = resolve_unit_fields(hr_bern_id, units)
    assert hr_bern["street"].source == f"unit:{hr_bern_id}"  # the department overrides
    assert hr_bern["city"].source == f"unit:{bern}"


def test_root_logo_is_a_stored_png(demo: Demo, session: Session) -> None:
    units = all_units(session)
    (root_id,) = children(units, None).values()
    sha = units[root_id].fields["logo"]

    with demo.blobs.open(sha) as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


# --- templates ---------------------------------------------------------------------------


def test_about_25_templates_in_every_status_and_both_languages(session: Session) -> None:
    rows = all_templates(session)
    assert 20 <= len(rows) <= 30
    assert {t.status for t in rows} == {s.value for s in PublicationStatus}
    assert {f.lang for t in rows for f in t.files} == {"de", "en"}
    assert sum(1 for t in rows if {f.lang for f in t.files} == {"de", "en"}) > len(rows) / 2
    assert all(t.titles.keys() == {"de", "en"} for t in rows)
    assert all(t.descriptions.keys() == {"de", "en"} for t in rows)
    assert len({t.kind for t in rows}) >= 4
    assert all(t.group_id is not None for t in rows)


def _opens_as(kind: str, data: bytes) -> None:
    if kind == "docx":
        docx.Document(io.BytesIO(data))
    elif kind in ("xlsx", "xltx"):
        openpyxl.load_workbook(io.BytesIO(data))
    elif kind == "pptx":
        pptx.Presentation(io.BytesIO(data))
    else:  # python-docx and python-pptx refuse templates; check the package itself
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert "[Content_Types].xml" in archive.namelist()


def test_every_template_file_is_stored_and_opens_as_its_kind(demo: Demo, session: Session) -> None:
    for template in all_templates(session):
        assert template.files, template.titles
        for f in template.files:
            assert demo.blobs.has(f.sha256)
            with demo.blobs.open(f.sha256) as stored:
                data = stored.read()
            assert sha256_bytes(data) == f.sha256
            assert len(data) == f.size
            assert f.filename.endswith(f".{template.kind}")
            _opens_as(template.kind, data)


def test_one_stored_file_serves_two_templates(session: Session) -> None:
    users = Counter(f.sha256 for t in all_templates(session) for f in t.files)
    shared = [sha for sha, count in users.items() if count >= 2]
    assert shared


# --- who sees which template -------------------------------------------------------------


def test_anna_and_david_each_see_templates_the_other_does_not(session: Session) -> None:
    anna, david = visible_templates(session, "anna"), visible_templates(session, "david")

    assert anna - david
    assert david - anna
    assert anna & david  # the templates for everyone


def test_plain_users_see_only_released_templates(session: Session) -> None:
    unreleased = {t.id for t in all_templates(session) if t.status != "released"}
    assert unreleased
    for login in PLAIN_USERS:
        assert not visible_templates(session, login) & unreleased, login


def test_admin_sees_everything_and_layouter_through_the_groups_change_right(
    session: Session,
) -> None:
    rows = all_templates(session)
    layouters = group_principal(group_id(session, "Layouter"))
    layouter = actor(session, "layouter")

    assert visible_templates(session, "admin") == {t.id for t in rows}
    assert not layouter.is_sys
    for t in rows:
        # Granted to the group alone, so the layouter's view comes from membership.
        assert t.change_rights == [layouters]
        if t.status != "released":
            assert can_see_template(layouter, convert.template(t))


# --- snippets ----------------------------------------------------------------------------


def _snippet_visible(session: Session, who: Actor, snippet: Snippet) -> bool:
    parent = session.get(Template, snippet.template_id) if snippet.template_id else None
    return can_see_snippet(
        who, convert.snippet(snippet), convert.template(parent) if parent else None
    )


def test_personal_snippets_are_visible_to_their_owner_only(session: Session) -> None:
    personal = list(session.scalars(select(Snippet).where(Snippet.kind == "personal")))
    owners = {s.owner_id for s in personal}
    assert {user(session, "anna").id, user(session, "ben").id} <= owners

    for snippet in personal:
        for login in EXPECTED_ROLES:
            who = actor(session, login)
            assert _snippet_visible(session, who, snippet) == (who.user_id == snippet.owner_id)


def test_group_only_shared_snippet_reaches_members_not_others(session: Session) -> None:
    legal = group_principal(group_id(session, "Rechtsdienst Zürich"))
    shared = list(session.scalars(select(Snippet).where(Snippet.kind == "shared")))
    legal_only = [s for s in shared if s.read_rights == [legal]]
    for_everyone = [s for s in shared if s.read_rights == ["*"]]
    assert legal_only and for_everyone

    anna, david = actor(session, "anna"), actor(session, "david")
    assert all(_snippet_visible(session, anna, s) for s in legal_only)
    assert not any(_snippet_visible(session, david, s) for s in legal_only)
    assert all(_snippet_visible(session, david, s) for s in for_everyone)


def test_a_template_snippet_follows_its_template(session: Session) -> None:
    (snippet,) = session.scalars(select(Snippet).where(Snippet.kind == "template"))
    template = session.get(Template, snippet.template_id)
    assert template is not None
    for login in EXPECTED_ROLES:
        who = actor(session, login)
        assert _snippet_visible(session, who, snippet) == can_see_template(
            who, convert.template(template)
        )
    assert _snippet_visible(session, actor(session, "david"), snippet)
    assert not _snippet_visible(session, actor(session, "anna"), snippet)


# --- profiles ----------------------------------------------------------------------------


def test_every_user_has_a_profile_and_one_has_two(session: Session) -> None:
    counts = {
        login: len(profiles.profiles_of(session, user(session, login).id)) for login in PLAIN_USERS
    }
    assert all(n >= 1 for n in counts.values())
    assert max(counts.values()) >= 2


def test_annas_shared_profile_reaches_ben_not_clara(session: Session) -> None:
    anna = user(session, "anna")
    shared = [p for p in profiles.profiles_of(session, anna.id) if p.shared_with]
    assert shared
    profile = convert.profile(shared[0])

    assert can_see_profile(actor(session, "anna"), profile)
    assert can_see_profile(actor(session, "ben"), profile)
    assert not can_see_profile(actor(session, "clara"), profile)


def test_resolved_profile_fields_show_overrides_and_inherited_unit_fields(
    session: Session,
) -> None:
    anna = user(session, "anna")
    row: Profile = profiles.profiles_of(session, anna.id)[0]
    units = all_units(session)
    chain = chain_to_root(row.unit_id, {u.id: u.parent_id for u in units.values()})
    root_id = chain[-1]

    fields = {f.key: f for f in profiles.resolved_fields(session, row)}

    assert fields["phone"].source == "profile"
    assert fields["phone"].value != anna.fields["phone"]
    assert not fields["phone"].inherited
    assert fields["company"].source == f"unit:{root_id}"
    assert fields["company"].inherited
    assert fields["street"].source == f"unit:{chain[1]}"  # from the branch above the department
    assert fields["first_name"].source == "user"
