"""Roles, logins, principals and nested groups (``docshelf.domain.accounts``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docshelf.domain.accounts import (
    Actor,
    Membership,
    Role,
    actor_for,
    creates_group_cycle,
    effective_groups,
    normalize_login,
    parse_roles,
    scope_of,
    system_actor,
)
from docshelf.domain.errors import InvalidInput
from docshelf.domain.principals import (
    EVERYONE,
    check_principal,
    check_principals,
    group_principal,
    user_principal,
)

# --- roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], {Role.USER}, id="no_roles_is_still_a_user"),
        pytest.param(["user"], {Role.USER}, id="user_alone"),
        pytest.param(["layouter"], {Role.USER, Role.LAYOUTER}, id="layouter_is_also_user"),
        pytest.param([" SYS ", "Org"], {Role.USER, Role.SYS, Role.ORG}, id="case_and_spaces"),
        pytest.param(["org", "org"], {Role.USER, Role.ORG}, id="duplicates_collapse"),
    ],
)
def test_parse_roles_always_includes_user(values: list[str], expected: set[Role]) -> None:
    assert parse_roles(values) == frozenset(expected)


def test_parse_roles_names_the_unknown_role_and_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_roles(["layouter", "admin"])
    assert str(caught.value) == "Unknown role 'admin'; known roles are user, layouter, org, sys."


# --- logins --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        pytest.param(" Alice.Smith ", "alice.smith", id="trimmed_and_lower_cased"),
        pytest.param("a", "a", id="single_character"),
        pytest.param("9lives", "9lives", id="may_start_with_digit"),
        pytest.param("j_doe-2", "j_doe-2", id="underscore_and_dash"),
        pytest.param("x" * 64, "x" * 64, id="64_characters"),
    ],
)
def test_normalize_login_accepts(login: str, expected: str) -> None:
    assert normalize_login(login) == expected


@pytest.mark.parametrize(
    "login",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("-bob", id="starts_with_dash"),
        pytest.param(".bob", id="starts_with_dot"),
        pytest.param("_bob", id="starts_with_underscore"),
        pytest.param("bob smith", id="inner_space"),
        pytest.param("bob@example.com", id="at_sign"),
        pytest.param("jürg", id="non_ascii"),
        pytest.param("x" * 65, id="65_characters"),
        pytest.param("bob/../root", id="slash"),
    ],
)
def test_normalize_login_refuses(login: str) -> None:
    with pytest.raises(InvalidInput, match="is not a valid login"):
        normalize_login(login)


# --- principals ----------------------------------------------------------------------


def test_principal_builders() -> None:
    assert user_principal("u1") == "user:u1"
    assert group_principal("g1") == "group:g1"


@pytest.mark.parametrize("value", [EVERYONE, "user:u1", "group:Team_A-1", "user:" + "a" * 64])
def test_check_principal_accepts(value: str) -> None:
    assert check_principal(value) == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("everyone", id="no_kind"),
        pytest.param("user", id="kind_without_id"),
        pytest.param("user:", id="empty_id"),
        pytest.param("role:sys", id="unknown_kind"),
        pytest.param("USER:u1", id="kind_is_case_sensitive"),
        pytest.param("group:a/b", id="slash_in_id"),
        pytest.param("user:a:b", id="colon_in_id"),
        pytest.param("group:" + "a" * 65, id="id_too_long"),
        pytest.param("**", id="double_star"),
    ],
)
def test_check_principal_refuses(value: str) -> None:
    with pytest.raises(InvalidInput):
        check_principal(value)


def test_check_principal_message_explains_the_forms() -> None:
    with pytest.raises(InvalidInput, match=r"use '\*', 'user:<id>' or 'group:<id>'"):
        check_principal("role:sys")


def test_check_principals_sorts_and_removes_duplicates() -> None:
    assert check_principals(["user:b", "group:a", "*", "user:b"]) == ("*", "group:a", "user:b")


def test_check_principals_refuses_if_any_is_bad() -> None:
    with pytest.raises(InvalidInput):
        check_principals(["user:ok", "nonsense"])


# --- nested groups -------------------------------------------------------------------


def user_in(group: str, user: str = "u1") -> Membership:
    return Membership(group, user_id=user)


def nest(member: str, group: str) -> Membership:
    """``member`` group becomes a member of ``group``."""
    return Membership(group, member_group_id=member)


EFFECTIVE_GROUP_CASES = [
    pytest.param([], set(), id="no_memberships"),
    pytest.param([user_in("A")], {"A"}, id="direct_member"),
    pytest.param([user_in("A", user="u2")], set(), id="other_users_membership_ignored"),
    pytest.param([user_in("A"), nest("A", "B")], {"A", "B"}, id="one_level_of_nesting"),
    pytest.param(
        [user_in("G0")] + [nest(f"G{i}", f"G{i + 1}") for i in range(30)],
        {f"G{i}" for i in range(31)},
        id="thirty_levels_deep",
    ),
    pytest.param(
        [user_in("A"), nest("A", "B"), nest("A", "C"), nest("B", "D"), nest("C", "D")],
        {"A", "B", "C", "D"},
        id="diamond",
    ),
    pytest.param(
        [user_in("A"), nest("A", "B"), nest("B", "A")], {"A", "B"}, id="cycle_in_data_terminates"
    ),
    pytest.param([user_in("A"), nest("A", "A")], {"A"}, id="self_loop_in_data_terminates"),
    pytest.param(
        [user_in("A"), nest("A", "B"), nest("B", "C"), nest("C", "A"), nest("C", "D")],
        {"A", "B", "C", "D"},
        id="three_cycle_with_exit",
    ),
    pytest.param(
        [user_in("A"), nest("B", "C")], {"A"}, id="nesting_of_groups_user_is_not_in_ignored"
    ),
    pytest.param(
        [user_in("A"), nest("B", "A")], {"A"}, id="members_of_my_group_do_not_lift_me_down"
    ),
    pytest.param([nest("u1", "G")], set(), id="group_named_like_the_user_gives_the_user_nothing"),
]


@pytest.mark.timeout(10)  # loops in the data must not hang
@pytest.mark.parametrize(("memberships", "expected"), EFFECTIVE_GROUP_CASES)
def test_effective_groups(memberships: list[Membership], expected: set[str]) -> None:
    assert effective_groups("u1", memberships) == frozenset(expected)


def naive_closure(user_id: str, memberships: list[Membership]) -> set[str]:
    """Fixpoint: keep adding groups that contain a group we already have."""
    groups = {m.group_id for m in memberships if m.user_id == user_id}
    while True:
        more = {
            m.group_id
            for m in memberships
            if m.member_group_id is not None and m.member_group_id in groups
        }
        if more <= groups:
            return groups
        groups |= more


GROUPS = st.sampled_from(["A", "B", "C", "D", "E", "F"])
USERS = st.sampled_from(["u1", "u2"])
MEMBERSHIP = st.one_of(
    st.builds(lambda g, u: Membership(g, user_id=u), GROUPS, USERS),
    st.builds(lambda g, m: Membership(g, member_group_id=m), GROUPS, GROUPS),
)


@given(st.lists(MEMBERSHIP, max_size=25))
def test_effective_groups_equals_naive_fixpoint_closure(memberships: list[Membership]) -> None:
    assert effective_groups("u1", memberships) == frozenset(naive_closure("u1", memberships))


CYCLE_CASES = [
    # group, new member, existing memberships, closes a loop?
    pytest.param("A", "A", [], True, id="group_into_itself"),
    pytest.param("B", "A", [nest("B", "A")], True, id="direct_back_edge"),
    pytest.param(
        "A", "C", [nest("B", "A"), nest("C", "B")], False, id="adding_a_grandchild_again_is_fine"
    ),
    pytest.param(
        "C", "A", [nest("B", "A"), nest("C", "B")], True, id="indirect_through_two_levels"
    ),
    pytest.param("A", "B", [], False, id="unrelated_groups"),
    pytest.param("A", "B", [nest("B", "A")], False, id="existing_edge_again"),
    pytest.param(
        "C",
        "D",
        [nest("B", "A"), nest("C", "A"), nest("D", "B")],
        False,
        id="diamond_is_not_a_cycle",
    ),
    pytest.param(
        "E", "F", [nest("X", "Y"), nest("Y", "X")], False, id="loop_elsewhere_in_data_terminates"
    ),
    pytest.param(
        "A", "X", [nest("X", "Y"), nest("Y", "X"), nest("A", "Y")], True, id="loop_in_data_found"
    ),
    pytest.param(
        "G",
        "M",
        [nest("N", "M"), nest("M", "N"), nest("O", "N")],
        False,
        id="loop_below_new_member_terminates",
    ),
    pytest.param("A", "B", [user_in("A"), user_in("B")], False, id="user_memberships_ignored"),
]


@pytest.mark.timeout(10)  # loops in the data must not hang
@pytest.mark.parametrize(("group", "member", "memberships", "expected"), CYCLE_CASES)
def test_creates_group_cycle(
    group: str, member: str, memberships: list[Membership], expected: bool
) -> None:
    assert creates_group_cycle(group, member, memberships) is expected


def has_cycle(edges: set[tuple[str, str]]) -> bool:
    """Naive: a cycle exists if some group reaches itself (member -> group edges)."""
    reach = set(edges)
    while True:
        more = {(a, d) for a, b in reach for c, d in reach if b == c}
        if more <= reach:
            return any(a == b for a, b in reach)
        reach |= more


@given(
    st.lists(st.tuples(GROUPS, GROUPS), max_size=12),
    GROUPS,
    GROUPS,
)
def test_creates_group_cycle_agrees_with_naive_cycle_check_on_acyclic_graphs(
    raw_edges: list[tuple[str, str]], group: str, member: str
) -> None:
    # Keep only edges member -> group with member < group: an acyclic starting graph.
    edges = {(m, g) for m, g in raw_edges if m < g}
    memberships = [nest(m, g) for m, g in edges]
    expected = has_cycle(edges | {(member, group)})
    assert creates_group_cycle(group, member, memberships) is expected


def closure(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    reach = set(edges)
    while True:
        more = {(a, d) for a, b in reach for c, d in reach if b == c}
        if more <= reach:
            return reach
        reach |= more


@pytest.mark.timeout(60)
@given(st.lists(st.tuples(GROUPS, GROUPS), max_size=12), GROUPS, GROUPS)
def test_creates_group_cycle_finds_group_below_new_member_even_in_cyclic_data(
    raw_edges: list[tuple[str, str]], group: str, member: str
) -> None:
    # Arbitrary data, loops included: a loop closes iff ``group`` already sits below ``member``.
    edges = set(raw_edges)
    expected = group == member or (group, member) in closure(edges)
    assert creates_group_cycle(group, member, [nest(m, g) for m, g in edges]) is expected


# --- actors --------------------------------------------------------------------------


def test_actor_principals_are_everyone_self_and_groups() -> None:
    actor = Actor("u1", "alice", groups=frozenset({"A", "B"}))
    assert actor.principals == frozenset({EVERYONE, "user:u1", "group:A", "group:B"})


@pytest.mark.parametrize(
    ("rights", "expected"),
    [
        pytest.param(["*"], True, id="everyone"),
        pytest.param(["user:u1"], True, id="named_user"),
        pytest.param(["group:B"], True, id="effective_group"),
        pytest.param(["user:u2", "group:B"], True, id="any_one_suffices"),
        pytest.param([], False, id="no_rights"),
        pytest.param(["user:u2"], False, id="other_user"),
        pytest.param(["group:C"], False, id="other_group"),
        pytest.param(["group:u1"], False, id="group_named_like_user"),
        pytest.param(["user:A"], False, id="user_named_like_group"),
    ],
)
def test_actor_holds(rights: list[str], expected: bool) -> None:
    actor = Actor("u1", "alice", groups=frozenset({"A", "B"}))
    assert actor.holds(rights) is expected


def test_actor_for_combines_roles_and_nested_groups() -> None:
    actor = actor_for("u1", "alice", ["layouter"], [user_in("A"), nest("A", "B")])
    assert actor.roles == frozenset({Role.USER, Role.LAYOUTER})
    assert actor.groups == frozenset({"A", "B"})
    assert actor.has_role(Role.LAYOUTER)
    assert not actor.is_sys
    assert actor.holds(["group:B"])


def test_default_actor_is_a_plain_user() -> None:
    actor = Actor("u1", "alice")
    assert actor.roles == frozenset({Role.USER})
    assert not actor.is_sys


def test_system_actor_holds_every_role() -> None:
    actor = system_actor()
    assert actor.is_sys
    assert all(actor.has_role(role) for role in Role)


def test_scope_of_is_sorted_roles_and_groups() -> None:
    actor = Actor("u1", "a", roles=frozenset({Role.SYS, Role.USER}), groups=frozenset({"b", "a"}))
    assert scope_of(actor) == (("sys", "user"), ("a", "b"))
