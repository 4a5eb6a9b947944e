"""Who may see and change what: one case per rule of ``docshelf.domain.permissions``.

The cast: ``u1`` is in group A, and A is a member of group B, so ``u1`` holds every right
granted to ``group:B`` through nesting. ``u3`` is in no group at all. Rights granted to
``group:B`` therefore test the nested-group path, rights granted to ``*`` test EVERYONE.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from types import SimpleNamespace

import pytest

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor, Membership, actor_for
from docshelf.domain.errors import Forbidden
from docshelf.domain.principals import EVERYONE
from docshelf.domain.profiles import Profile
from docshelf.domain.snippets import Snippet, SnippetKind
from docshelf.domain.templates import PublicationStatus, Template
from docshelf.domain.units import Unit, effective_assignable_by

RELEASED = PublicationStatus.RELEASED
IN_TEST = PublicationStatus.IN_TEST
IN_PROGRESS = PublicationStatus.IN_PROGRESS

MEMBERSHIPS = (
    Membership("A", user_id="u1"),
    Membership("B", member_group_id="A"),  # A is a member of B: u1 is in B through A
    Membership("C", user_id="u2"),
)
NESTED_GROUP = "group:B"  # granted to B, held by u1 only through A


def make_actor(roles: Iterable[str] = (), user_id: str = "u1") -> Actor:
    return actor_for(user_id, user_id, roles, MEMBERSHIPS)


PLAIN = make_actor()
STRANGER = make_actor(user_id="u3")
LAYOUTER = make_actor(["layouter"])
LAYOUTER_OUTSIDE = make_actor(["layouter"], user_id="u3")
ORG = make_actor(["org"])
SYS = make_actor(["sys"], user_id="admin")

ACTORS = {
    "plain": PLAIN,
    "stranger": STRANGER,
    "layouter": LAYOUTER,
    "layouter_outside": LAYOUTER_OUTSIDE,
    "org": ORG,
    "sys": SYS,
}


def template(
    status: PublicationStatus = RELEASED,
    *,
    active: bool = True,
    use: tuple[str, ...] = (EVERYONE,),
    change: tuple[str, ...] = (),
    template_id: str = "t1",
) -> Template:
    return Template(
        id=template_id,
        group_id=None,
        kind="docx",
        status=status,
        active=active,
        use_rights=use,
        change_rights=change,
    )


def test_cast_holds_nested_group_through_membership() -> None:
    # The premise of every nested-group case below.
    assert PLAIN.groups == frozenset({"A", "B"})
    assert STRANGER.groups == frozenset()
    assert NESTED_GROUP in PLAIN.principals


def test_require_passes_when_allowed() -> None:
    rules.require(True, "unused")


def test_require_raises_forbidden_with_the_message() -> None:
    with pytest.raises(Forbidden, match="Only layouters may do this"):
        rules.require(False, "Only layouters may do this")


# --- templates: seeing ---------------------------------------------------------------

SEE_TEMPLATE_CASES = [
    pytest.param(PLAIN, template(), True, id="released_template_visible_to_everyone_by_default"),
    pytest.param(
        PLAIN,
        template(use=(NESTED_GROUP,)),
        True,
        id="released_template_visible_through_nested_group_use",
    ),
    pytest.param(
        PLAIN, template(use=("group:A",)), True, id="released_template_visible_through_direct_group"
    ),
    pytest.param(
        PLAIN, template(use=("user:u1",)), True, id="released_template_visible_to_named_user"
    ),
    pytest.param(
        STRANGER,
        template(use=(NESTED_GROUP,)),
        False,
        id="released_template_hidden_from_user_outside_use_groups",
    ),
    pytest.param(
        PLAIN,
        template(use=("user:u2",)),
        False,
        id="released_template_hidden_when_use_names_someone_else",
    ),
    pytest.param(
        PLAIN, template(use=()), False, id="released_template_without_use_rights_hidden_from_user"
    ),
    pytest.param(
        PLAIN, template(use=("group:C",)), False, id="released_template_hidden_from_other_group"
    ),
    pytest.param(
        PLAIN, template(IN_TEST), False, id="in_test_template_hidden_from_plain_user_with_use"
    ),
    pytest.param(
        PLAIN,
        template(IN_PROGRESS),
        False,
        id="in_progress_template_hidden_from_plain_user_with_use",
    ),
    pytest.param(
        PLAIN,
        template(IN_TEST, change=("user:u1",)),
        False,
        id="in_test_template_hidden_from_user_in_change_rights_without_layouter_role",
    ),
    pytest.param(
        ORG,
        template(IN_TEST, change=(NESTED_GROUP,)),
        False,
        id="in_test_template_hidden_from_org_in_change_rights",
    ),
    pytest.param(
        LAYOUTER,
        template(IN_TEST, change=(NESTED_GROUP,)),
        True,
        id="in_test_template_visible_to_layouter_holding_change_through_nested_group",
    ),
    pytest.param(
        LAYOUTER,
        template(IN_PROGRESS, change=("user:u1",)),
        True,
        id="in_progress_template_visible_to_layouter_named_in_change",
    ),
    pytest.param(
        LAYOUTER_OUTSIDE,
        template(IN_TEST, change=(NESTED_GROUP,)),
        False,
        id="in_test_template_hidden_from_layouter_without_change",
    ),
    pytest.param(
        LAYOUTER,
        template(IN_TEST, use=(EVERYONE,), change=()),
        False,
        id="in_test_template_hidden_from_layouter_holding_only_use",
    ),
    pytest.param(SYS, template(IN_TEST), True, id="in_test_template_visible_to_sys"),
    # Releasing a template must not hide it from Sys, who saw it while it was in test.
    pytest.param(
        SYS, template(use=("group:C",)), True, id="released_template_visible_to_sys_without_use"
    ),
    pytest.param(SYS, template(IN_PROGRESS), True, id="in_progress_template_visible_to_sys"),
    pytest.param(
        PLAIN, template(active=False), False, id="deactivated_template_hidden_from_plain_user"
    ),
    pytest.param(
        LAYOUTER,
        template(active=False, change=(NESTED_GROUP,)),
        False,
        id="deactivated_template_hidden_from_layouter_with_change",
    ),
    pytest.param(SYS, template(active=False), False, id="deactivated_template_hidden_from_sys"),
    pytest.param(
        SYS,
        template(IN_TEST, active=False),
        False,
        id="deactivated_unreleased_template_hidden_from_sys",
    ),
]


@pytest.mark.parametrize(("actor", "tpl", "expected"), SEE_TEMPLATE_CASES)
def test_can_see_template(actor: Actor, tpl: Template, expected: bool) -> None:
    assert rules.can_see_template(actor, tpl) is expected


def test_user_loses_template_when_leaving_the_group_that_gave_it() -> None:
    tpl = template(use=(NESTED_GROUP,))
    before = actor_for("u1", "u1", [], MEMBERSHIPS)
    after = actor_for("u1", "u1", [], [m for m in MEMBERSHIPS if m.group_id != "A"])
    assert rules.can_see_template(before, tpl)
    assert not rules.can_see_template(after, tpl)


def test_unnesting_a_group_removes_its_rights_from_members() -> None:
    tpl = template(use=(NESTED_GROUP,))
    unnested = actor_for("u1", "u1", [], [m for m in MEMBERSHIPS if m.group_id != "B"])
    assert not rules.can_see_template(unnested, tpl)


# --- templates: changing and administering -------------------------------------------

CHANGE_TEMPLATE_CASES = [
    pytest.param(SYS, template(), True, id="sys_changes_any_template"),
    pytest.param(SYS, template(active=False), True, id="sys_changes_deactivated_template"),
    pytest.param(
        LAYOUTER,
        template(change=(NESTED_GROUP,)),
        True,
        id="layouter_with_change_through_nested_group_changes_template",
    ),
    pytest.param(
        LAYOUTER,
        template(change=(EVERYONE,)),
        True,
        id="layouter_changes_template_whose_change_is_everyone",
    ),
    pytest.param(
        LAYOUTER_OUTSIDE,
        template(change=(NESTED_GROUP,)),
        False,
        id="layouter_without_change_may_not_change_template",
    ),
    pytest.param(
        LAYOUTER, template(change=()), False, id="layouter_may_not_change_template_without_change"
    ),
    pytest.param(
        PLAIN,
        template(change=("user:u1",)),
        False,
        id="user_in_change_rights_without_layouter_role_may_not_change",
    ),
    pytest.param(
        PLAIN,
        template(change=(EVERYONE,)),
        False,
        id="plain_user_may_not_change_template_even_if_change_is_everyone",
    ),
    pytest.param(
        ORG, template(change=(NESTED_GROUP,)), False, id="org_in_change_rights_may_not_change"
    ),
]


@pytest.mark.parametrize(("actor", "tpl", "expected"), CHANGE_TEMPLATE_CASES)
def test_can_change_template(actor: Actor, tpl: Template, expected: bool) -> None:
    assert rules.can_change_template(actor, tpl) is expected


def test_holds_change_requires_layouter_role_and_change_right() -> None:
    tpl = template(change=(NESTED_GROUP,))
    assert rules.holds_change(LAYOUTER, tpl)
    assert not rules.holds_change(PLAIN, tpl)  # right without role
    assert not rules.holds_change(LAYOUTER_OUTSIDE, tpl)  # role without right
    # Sys changes templates by its own rule, not because it "holds Change".
    assert not rules.holds_change(SYS, tpl)


ADMINISTER_CASES = [
    pytest.param(
        SYS, template(active=False), True, id="sys_sees_deactivated_template_in_administration"
    ),
    pytest.param(
        LAYOUTER,
        template(IN_PROGRESS, active=False, change=(NESTED_GROUP,)),
        True,
        id="layouter_with_change_sees_deactivated_template_in_administration",
    ),
    pytest.param(
        PLAIN,
        template(active=True),
        False,
        id="plain_user_does_not_administer_a_template_they_may_use",
    ),
    pytest.param(
        LAYOUTER_OUTSIDE,
        template(change=(NESTED_GROUP,)),
        False,
        id="layouter_without_change_does_not_administer_template",
    ),
]


@pytest.mark.parametrize(("actor", "tpl", "expected"), ADMINISTER_CASES)
def test_can_administer_template(actor: Actor, tpl: Template, expected: bool) -> None:
    assert rules.can_administer_template(actor, tpl) is expected


ROLE_ONLY_RULES = [
    # rule, the actors (by name) that pass it; every other actor must fail it
    pytest.param(rules.can_create_templates, {"sys", "layouter", "layouter_outside"}, id="create"),
    pytest.param(
        rules.can_manage_template_groups,
        {"sys", "layouter", "layouter_outside"},
        id="template_groups",
    ),
    pytest.param(rules.can_restore_or_purge_templates, {"sys"}, id="restore_or_purge_sys_only"),
    pytest.param(rules.can_manage_units, {"sys", "org"}, id="units_by_org_and_sys"),
    pytest.param(rules.can_manage_accounts, {"sys"}, id="accounts_sys_only"),
    pytest.param(rules.can_manage_settings, {"sys"}, id="settings_sys_only"),
    pytest.param(rules.can_manage_field_definitions, {"sys"}, id="field_definitions_sys_only"),
    pytest.param(rules.can_use_dashboard, {"sys", "org"}, id="dashboard_sys_and_org"),
    pytest.param(
        rules.can_use_packages, {"sys", "layouter", "layouter_outside"}, id="packages_by_layouters"
    ),
    pytest.param(rules.can_package_organisation, {"sys"}, id="organisation_packages_sys_only"),
]


@pytest.mark.parametrize(("rule", "allowed"), ROLE_ONLY_RULES)
@pytest.mark.parametrize("name", sorted(ACTORS))
def test_role_only_rules(rule: object, allowed: set[str], name: str) -> None:
    assert callable(rule)
    assert rule(ACTORS[name]) is (name in allowed)


def test_group_rights_do_not_make_a_plain_user_an_administrator() -> None:
    # Being in many groups never substitutes for the Sys role.
    crowded = Actor("u9", "u9", groups=frozenset({"sys", "admins", "A", "B"}))
    assert not rules.can_manage_accounts(crowded)
    assert not rules.can_manage_settings(crowded)
    assert not rules.can_manage_field_definitions(crowded)


# --- snippets ------------------------------------------------------------------------


def personal(owner: str = "u1") -> Snippet:
    return Snippet(id="s1", kind=SnippetKind.PERSONAL, title="Mine", owner_id=owner)


def shared(read: tuple[str, ...] = (), write: tuple[str, ...] = ()) -> Snippet:
    return Snippet(
        id="s2", kind=SnippetKind.SHARED, title="Ours", read_rights=read, write_rights=write
    )


def of_template(template_id: str = "t1") -> Snippet:
    return Snippet(id="s3", kind=SnippetKind.TEMPLATE, title="Part", template_id=template_id)


SEE_SNIPPET_CASES = [
    pytest.param(PLAIN, personal("u1"), None, True, id="personal_snippet_visible_to_owner"),
    pytest.param(PLAIN, personal("u2"), None, False, id="personal_snippet_hidden_from_other_user"),
    pytest.param(SYS, personal("u1"), None, False, id="personal_snippet_hidden_from_sys"),
    pytest.param(
        LAYOUTER_OUTSIDE,
        personal("u1"),
        None,
        False,
        id="personal_snippet_hidden_from_layouter",
    ),
    pytest.param(
        PLAIN,
        shared(read=(NESTED_GROUP,)),
        None,
        True,
        id="shared_snippet_visible_through_nested_read_group",
    ),
    pytest.param(
        PLAIN,
        shared(write=(NESTED_GROUP,)),
        None,
        True,
        id="shared_snippet_visible_to_holder_of_write_only",
    ),
    pytest.param(
        STRANGER,
        shared(read=(EVERYONE,)),
        None,
        True,
        id="shared_snippet_for_everyone_visible_to_anyone",
    ),
    pytest.param(
        STRANGER,
        shared(read=(NESTED_GROUP,), write=("group:A",)),
        None,
        False,
        id="shared_snippet_hidden_from_user_without_rights",
    ),
    pytest.param(SYS, shared(), None, True, id="shared_snippet_visible_to_sys_without_rights"),
    pytest.param(
        LAYOUTER_OUTSIDE,
        shared(read=(NESTED_GROUP,)),
        None,
        False,
        id="shared_snippet_hidden_from_layouter_without_rights",
    ),
    pytest.param(
        PLAIN, of_template(), template(), True, id="template_snippet_visible_with_its_template"
    ),
    pytest.param(
        PLAIN,
        of_template(),
        template(IN_TEST),
        False,
        id="template_snippet_of_in_test_template_hidden_from_plain_user",
    ),
    pytest.param(
        PLAIN,
        of_template(),
        template(use=("group:C",)),
        False,
        id="template_snippet_of_template_without_use_hidden",
    ),
    pytest.param(
        PLAIN,
        of_template(),
        template(active=False),
        False,
        id="template_snippet_of_deactivated_template_hidden",
    ),
    pytest.param(
        SYS, of_template(), None, False, id="template_snippet_of_absent_template_hidden_from_sys"
    ),
    pytest.param(
        PLAIN, of_template(), None, False, id="template_snippet_of_absent_template_hidden"
    ),
    pytest.param(
        LAYOUTER,
        of_template(),
        template(IN_TEST, change=(NESTED_GROUP,)),
        True,
        id="template_snippet_of_in_test_template_visible_to_its_layouter",
    ),
    pytest.param(
        PLAIN,
        of_template("t1"),
        template(template_id="t2"),
        False,
        id="template_snippet_does_not_follow_an_unrelated_template",
    ),
]


@pytest.mark.parametrize(("actor", "snippet", "tpl", "expected"), SEE_SNIPPET_CASES)
def test_can_see_snippet(
    actor: Actor, snippet: Snippet, tpl: Template | None, expected: bool
) -> None:
    assert rules.can_see_snippet(actor, snippet, tpl) is expected


CHANGE_SNIPPET_CASES = [
    pytest.param(PLAIN, personal("u1"), None, True, id="owner_changes_personal_snippet"),
    pytest.param(
        PLAIN, personal("u2"), None, False, id="other_user_may_not_change_personal_snippet"
    ),
    pytest.param(SYS, personal("u1"), None, False, id="sys_may_not_change_personal_snippet"),
    pytest.param(
        PLAIN,
        shared(write=(NESTED_GROUP,)),
        None,
        True,
        id="holder_of_write_through_nested_group_changes_shared_snippet",
    ),
    pytest.param(
        PLAIN,
        shared(read=(NESTED_GROUP,)),
        None,
        False,
        id="holder_of_read_only_may_not_change_shared_snippet",
    ),
    pytest.param(
        LAYOUTER,
        shared(read=(EVERYONE,)),
        None,
        False,
        id="layouter_without_write_may_not_change_shared_snippet",
    ),
    pytest.param(SYS, shared(), None, True, id="sys_changes_any_shared_snippet"),
    pytest.param(
        LAYOUTER,
        of_template(),
        template(change=(NESTED_GROUP,)),
        True,
        id="layouter_with_change_on_template_changes_its_snippet",
    ),
    pytest.param(
        PLAIN,
        of_template(),
        template(),
        False,
        id="user_who_may_use_template_may_not_change_its_snippet",
    ),
    pytest.param(
        PLAIN,
        of_template(),
        template(change=("user:u1",)),
        False,
        id="user_in_change_rights_without_layouter_may_not_change_template_snippet",
    ),
    pytest.param(SYS, of_template(), template(), True, id="sys_changes_template_snippet"),
    pytest.param(SYS, of_template(), None, False, id="nobody_changes_snippet_of_absent_template"),
    pytest.param(
        LAYOUTER,
        of_template("t1"),
        template(template_id="t2", change=(NESTED_GROUP,)),
        False,
        id="change_on_an_unrelated_template_does_not_cover_the_snippet",
    ),
]


@pytest.mark.parametrize(("actor", "snippet", "tpl", "expected"), CHANGE_SNIPPET_CASES)
def test_can_change_snippet(
    actor: Actor, snippet: Snippet, tpl: Template | None, expected: bool
) -> None:
    assert rules.can_change_snippet(actor, snippet, tpl) is expected


CREATE_SNIPPET_CASES = [
    pytest.param(STRANGER, SnippetKind.PERSONAL, None, True, id="anyone_creates_personal"),
    pytest.param(PLAIN, SnippetKind.SHARED, None, False, id="plain_user_may_not_create_shared"),
    pytest.param(ORG, SnippetKind.SHARED, None, False, id="org_may_not_create_shared"),
    pytest.param(LAYOUTER, SnippetKind.SHARED, None, True, id="layouter_creates_shared"),
    pytest.param(SYS, SnippetKind.SHARED, None, True, id="sys_creates_shared"),
    pytest.param(SYS, SnippetKind.TEMPLATE, None, False, id="no_template_snippet_without_template"),
    pytest.param(
        LAYOUTER,
        SnippetKind.TEMPLATE,
        template(change=(NESTED_GROUP,)),
        True,
        id="layouter_with_change_creates_template_snippet",
    ),
    pytest.param(
        LAYOUTER_OUTSIDE,
        SnippetKind.TEMPLATE,
        template(change=(NESTED_GROUP,)),
        False,
        id="layouter_without_change_may_not_create_template_snippet",
    ),
    pytest.param(
        PLAIN,
        SnippetKind.TEMPLATE,
        template(change=("user:u1",)),
        False,
        id="user_in_change_without_layouter_may_not_create_template_snippet",
    ),
]


@pytest.mark.parametrize(("actor", "kind", "tpl", "expected"), CREATE_SNIPPET_CASES)
def test_can_create_snippet(
    actor: Actor, kind: SnippetKind, tpl: Template | None, expected: bool
) -> None:
    assert rules.can_create_snippet(actor, kind, tpl) is expected


# --- profiles ------------------------------------------------------------------------

PROFILE = Profile(id="p1", owner_id="u1", unit_id=None, title="Work", shared_with=("u2",))
DEPUTY = make_actor(user_id="u2")

PROFILE_CASES = [
    # actor, may see, may change
    pytest.param(PLAIN, True, True, id="owner_sees_and_changes_profile"),
    pytest.param(DEPUTY, True, False, id="colleague_shared_with_sees_but_does_not_change"),
    pytest.param(STRANGER, False, False, id="unrelated_user_neither_sees_nor_changes"),
    pytest.param(
        make_actor(["org"], user_id="u3"), False, False, id="org_role_grants_nothing_on_profiles"
    ),
    pytest.param(
        make_actor(["layouter"], user_id="u3"), False, False, id="layouter_grants_nothing"
    ),
    pytest.param(SYS, False, True, id="sys_changes_profile_it_is_not_shared"),
]


@pytest.mark.parametrize(("actor", "may_see", "may_change"), PROFILE_CASES)
def test_profile_rules(actor: Actor, may_see: bool, may_change: bool) -> None:
    assert rules.can_see_profile(actor, PROFILE) is may_see
    assert rules.can_change_profile(actor, PROFILE) is may_change


def test_profile_shared_with_group_members_is_not_shared_with_the_group() -> None:
    # shared_with names users; a group id in it must not let the group's members in.
    profile = Profile(id="p2", owner_id="u2", unit_id=None, title="T", shared_with=("A",))
    assert not rules.can_see_profile(PLAIN, profile)


# --- units ---------------------------------------------------------------------------

ASSIGN_CASES = [
    pytest.param(PLAIN, (EVERYONE,), True, id="anyone_assigns_unit_assignable_by_everyone"),
    pytest.param(PLAIN, (NESTED_GROUP,), True, id="member_of_nested_group_assigns_restricted_unit"),
    pytest.param(STRANGER, (NESTED_GROUP,), False, id="outsider_may_not_assign_restricted_unit"),
    pytest.param(PLAIN, (), False, id="nobody_plain_assigns_unit_assignable_by_no_one"),
    pytest.param(
        LAYOUTER_OUTSIDE, (NESTED_GROUP,), False, id="layouter_role_does_not_assign_units"
    ),
    pytest.param(ORG, (), True, id="org_assigns_any_unit"),
    pytest.param(SYS, (), True, id="sys_assigns_any_unit"),
]


@pytest.mark.parametrize(("actor", "assignable_by", "expected"), ASSIGN_CASES)
def test_can_assign_unit(actor: Actor, assignable_by: tuple[str, ...], expected: bool) -> None:
    assert rules.can_assign_unit(actor, assignable_by) is expected


def test_assignment_right_is_inherited_down_the_unit_tree() -> None:
    units = {
        "root": Unit("root", None, "Company", assignable_by=(NESTED_GROUP,)),
        "dept": Unit("dept", "root", "Department"),
        "team": Unit("team", "dept", "Team"),
    }
    inherited = effective_assignable_by("team", units)
    assert rules.can_assign_unit(PLAIN, inherited)
    assert not rules.can_assign_unit(STRANGER, inherited)
    assert rules.can_assign_unit(make_actor(["org"], user_id="u3"), inherited)


def _as_row(entity: object) -> SimpleNamespace:
    """The entity as the server's feed hands it to the rules: a database row, whose kinds and
    statuses are plain strings and whose rights are lists."""
    values = {}
    for name, value in vars(entity).items():
        if isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        values[name] = value
    return SimpleNamespace(**values)


@pytest.mark.parametrize(("actor", "tpl", "expected"), SEE_TEMPLATE_CASES)
def test_template_rules_decide_alike_on_database_rows(
    actor: Actor, tpl: Template, expected: bool
) -> None:
    row = _as_row(tpl)
    assert type(row.status) is str
    assert rules.can_see_template(actor, row) is expected
    assert rules.can_change_template(actor, row) is rules.can_change_template(actor, tpl)


@pytest.mark.parametrize(("actor", "snippet", "tpl", "expected"), SEE_SNIPPET_CASES)
def test_snippet_rules_decide_alike_on_database_rows(
    actor: Actor, snippet: Snippet, tpl: Template | None, expected: bool
) -> None:
    parent = None if tpl is None else _as_row(tpl)
    assert rules.can_see_snippet(actor, _as_row(snippet), parent) is expected


@pytest.mark.parametrize(("actor", "may_see", "may_change"), PROFILE_CASES)
def test_profile_rules_decide_alike_on_database_rows(
    actor: Actor, may_see: bool, may_change: bool
) -> None:
    assert rules.can_see_profile(actor, _as_row(PROFILE)) is may_see
    assert rules.can_change_profile(actor, _as_row(PROFILE)) is may_change
