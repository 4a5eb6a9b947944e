"""Field values, their inheritance along the unit tree, and the tree rules themselves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docshelf.domain.errors import InvalidInput
from docshelf.domain.fields import (
    FieldDef,
    FieldScope,
    FieldType,
    ResolvedField,
    check_field_key,
    check_field_value,
    check_field_values,
    resolve_chain,
    resolve_profile_fields,
)
from docshelf.domain.principals import EVERYONE
from docshelf.domain.trees import chain_to_root, check_move, descendants, would_create_cycle
from docshelf.domain.units import Unit, effective_assignable_by, resolve_unit_fields

SHA = "0123456789abcdef" * 4

# --- field keys ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["name", "a", "street_2", "a" + "b" * 39])
def test_field_key_accepted(key: str) -> None:
    assert check_field_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("Name", id="upper_case"),
        pytest.param("1name", id="starts_with_digit"),
        pytest.param("_name", id="starts_with_underscore"),
        pytest.param("first-name", id="dash"),
        pytest.param("first name", id="space"),
        pytest.param("a" * 41, id="41_characters"),
    ],
)
def test_field_key_refused(key: str) -> None:
    with pytest.raises(InvalidInput, match="is not a field key"):
        check_field_key(key)


# --- field values --------------------------------------------------------------------

VALID_VALUES = [
    pytest.param(FieldType.TEXT, "Muster AG", id="text"),
    pytest.param(FieldType.TEXT, "tab\tinside", id="text_with_tab"),
    pytest.param(FieldType.TEXT, "x" * 500, id="text_500_chars"),
    pytest.param(FieldType.TEXT, "", id="text_empty"),
    pytest.param(FieldType.MULTILINE, "Bahnhofstr. 1\r\n8000 Zürich\nSchweiz", id="multiline"),
    pytest.param(FieldType.MULTILINE, "x" * 2000, id="multiline_2000_chars"),
    pytest.param(FieldType.EMAIL, "name@example.com", id="email"),
    pytest.param(FieldType.EMAIL, "first.last+tag@sub.example.ch", id="email_subdomain"),
    pytest.param(FieldType.EMAIL, "", id="email_empty_clears"),
    pytest.param(FieldType.PHONE, "+41 44 123 45 67", id="phone_international"),
    pytest.param(FieldType.PHONE, "(044) 123/45.67-8", id="phone_punctuation"),
    pytest.param(FieldType.PHONE, "", id="phone_empty_clears"),
    pytest.param(FieldType.URL, "https://example.com/path?q=1", id="url_https"),
    pytest.param(FieldType.URL, "http://intranet.local", id="url_http"),
    pytest.param(FieldType.URL, "", id="url_empty_clears"),
    pytest.param(FieldType.IMAGE, SHA, id="image_sha256"),
    pytest.param(FieldType.IMAGE, "", id="image_empty_clears"),
]


@pytest.mark.parametrize(("field_type", "value"), VALID_VALUES)
def test_field_value_accepted(field_type: FieldType, value: str) -> None:
    definition = FieldDef("f", FieldScope.UNIT, field_type)
    assert check_field_value(definition, value) == value


INVALID_VALUES = [
    pytest.param(FieldType.TEXT, "line\nbreak", "control characters", id="text_newline"),
    pytest.param(FieldType.TEXT, "carriage\rreturn", "control characters", id="text_cr"),
    pytest.param(FieldType.TEXT, "nul\x00byte", "control characters", id="text_nul"),
    pytest.param(FieldType.TEXT, "esc\x1b[31m", "control characters", id="text_escape"),
    pytest.param(FieldType.TEXT, "del\x7f", "control characters", id="text_delete"),
    pytest.param(FieldType.TEXT, "x" * 501, "at most 500", id="text_501_chars"),
    pytest.param(FieldType.MULTILINE, "bell\x07", "control characters", id="multiline_bell"),
    pytest.param(FieldType.MULTILINE, "nul\x00", "control characters", id="multiline_nul"),
    pytest.param(FieldType.MULTILINE, "x" * 2001, "at most 2000", id="multiline_2001_chars"),
    pytest.param(FieldType.EMAIL, "name", "e-mail address", id="email_no_at"),
    pytest.param(FieldType.EMAIL, "name@example", "e-mail address", id="email_no_dot"),
    pytest.param(FieldType.EMAIL, "a b@example.com", "e-mail address", id="email_space"),
    pytest.param(FieldType.EMAIL, "a@b@example.com", "e-mail address", id="email_two_ats"),
    pytest.param(FieldType.EMAIL, "a@x.ch\n", "control characters", id="email_newline"),
    pytest.param(FieldType.PHONE, "call me", "phone number", id="phone_letters"),
    pytest.param(FieldType.PHONE, "12", "phone number", id="phone_too_short"),
    pytest.param(FieldType.PHONE, "1" * 41, "phone number", id="phone_too_long"),
    pytest.param(FieldType.URL, "example.com", "web address", id="url_no_scheme"),
    pytest.param(FieldType.URL, "ftp://example.com", "web address", id="url_ftp"),
    pytest.param(FieldType.URL, "javascript:alert(1)", "web address", id="url_javascript"),
    pytest.param(FieldType.IMAGE, "logo.png", "SHA-256", id="image_filename"),
    pytest.param(FieldType.IMAGE, SHA.upper(), "SHA-256", id="image_upper_case_hex"),
    pytest.param(FieldType.IMAGE, SHA[:-1], "SHA-256", id="image_63_digits"),
    pytest.param(FieldType.IMAGE, SHA + "0", "SHA-256", id="image_65_digits"),
]


@pytest.mark.parametrize(("field_type", "value", "message"), INVALID_VALUES)
def test_field_value_refused(field_type: FieldType, value: str, message: str) -> None:
    definition = FieldDef("contact", FieldScope.USER, field_type)
    with pytest.raises(InvalidInput, match=message) as caught:
        check_field_value(definition, value)
    assert "'contact'" in str(caught.value)  # the message names the field


DEFINITIONS = {
    "first_name": FieldDef("first_name", FieldScope.USER),
    "email": FieldDef("email", FieldScope.USER, FieldType.EMAIL),
    "company": FieldDef("company", FieldScope.UNIT),
}


def test_check_field_values_returns_checked_values() -> None:
    values = {"first_name": "Anna", "email": "anna@example.com"}
    assert check_field_values(values, DEFINITIONS, FieldScope.USER) == values


def test_check_field_values_refuses_unknown_key() -> None:
    with pytest.raises(InvalidInput, match=r"There is no field 'nickname'; define it first\."):
        check_field_values({"nickname": "x"}, DEFINITIONS, None)


def test_check_field_values_refuses_field_of_the_other_scope() -> None:
    with pytest.raises(InvalidInput, match="There is no unit field 'first_name'"):
        check_field_values({"first_name": "Anna"}, DEFINITIONS, FieldScope.UNIT)


def test_check_field_values_without_scope_accepts_both_scopes() -> None:
    values = {"first_name": "Anna", "company": "Muster AG"}
    assert check_field_values(values, DEFINITIONS, None) == values


def test_check_field_values_checks_each_value_by_its_type() -> None:
    with pytest.raises(InvalidInput, match="e-mail address"):
        check_field_values({"email": "not-an-address"}, DEFINITIONS, FieldScope.USER)


# --- inheritance along the unit tree -------------------------------------------------


def test_resolve_chain_nearest_unit_wins() -> None:
    chain = [
        ("root", {"company": "Muster AG", "city": "Zürich", "logo": "root-logo"}),
        ("dept", {"city": "Bern"}),
        ("team", {"logo": "team-logo"}),
    ]
    resolved = resolve_chain(chain)
    assert resolved == {
        "company": ResolvedField("company", "Muster AG", "unit:root"),
        "city": ResolvedField("city", "Bern", "unit:dept"),
        "logo": ResolvedField("logo", "team-logo", "unit:team"),
    }


def test_resolve_chain_of_nothing_is_empty() -> None:
    assert resolve_chain([]) == {}


UNITS = {
    "root": Unit("root", None, "Muster AG", {"company": "Muster AG", "city": "Zürich"}),
    "dept": Unit("dept", "root", "Legal", {"city": "Bern"}),
    "team": Unit("team", "dept", "Contracts", {"phone": "+41 31 000 00 00"}),
}


def test_unit_inherits_from_grandparent_with_override_in_the_middle() -> None:
    resolved = resolve_unit_fields("team", UNITS)
    assert resolved["company"] == ResolvedField("company", "Muster AG", "unit:root")
    assert resolved["city"] == ResolvedField("city", "Bern", "unit:dept")
    assert resolved["phone"] == ResolvedField("phone", "+41 31 000 00 00", "unit:team")


def test_parent_does_not_inherit_from_child() -> None:
    resolved = resolve_unit_fields("dept", UNITS)
    assert "phone" not in resolved
    assert resolved["city"].source == "unit:dept"


def test_unit_with_missing_parent_resolves_its_own_fields() -> None:
    units = {"orphan": Unit("orphan", "gone", "Orphan", {"city": "Basel"})}
    assert resolve_unit_fields("orphan", units) == {
        "city": ResolvedField("city", "Basel", "unit:orphan")
    }


@pytest.mark.timeout(10)
def test_unit_loop_in_data_raises_invalid_input() -> None:
    units = {
        "a": Unit("a", "b", "A", {"x": "1"}),
        "b": Unit("b", "a", "B", {"x": "2"}),
    }
    with pytest.raises(InvalidInput, match="loop"):
        resolve_unit_fields("a", units)


# --- profile fields ------------------------------------------------------------------

PROFILE_DEFINITIONS = [
    FieldDef("company", FieldScope.UNIT, order=1),
    FieldDef("last_name", FieldScope.USER, order=0),
    FieldDef("first_name", FieldScope.USER, order=0),
    FieldDef("city", FieldScope.UNIT, order=2),
    FieldDef("fax", FieldScope.UNIT, order=3),
    FieldDef("title", FieldScope.USER, order=3),
]
USER_FIELDS = {"first_name": "Anna", "last_name": "Muster", "company": "user must not leak"}
UNIT_FIELDS = resolve_unit_fields("team", UNITS) | {
    "title": ResolvedField("title", "unit must not leak", "unit:team")
}


def resolved_profile(overrides: dict[str, str]) -> dict[str, ResolvedField]:
    fields = resolve_profile_fields(PROFILE_DEFINITIONS, USER_FIELDS, UNIT_FIELDS, overrides)
    return {f.key: f for f in fields}


def test_profile_fields_are_ordered_by_order_then_key() -> None:
    fields = resolve_profile_fields(PROFILE_DEFINITIONS, USER_FIELDS, UNIT_FIELDS, {})
    assert [f.key for f in fields] == ["first_name", "last_name", "company", "city", "fax", "title"]


@pytest.mark.parametrize(
    ("key", "overrides", "expected"),
    [
        pytest.param(
            "city",
            {"city": "Genève"},
            ResolvedField("city", "Genève", "profile"),
            id="override_of_unit_field_comes_from_profile",
        ),
        pytest.param(
            "first_name",
            {"first_name": "Anne"},
            ResolvedField("first_name", "Anne", "profile"),
            id="override_of_user_field_comes_from_profile",
        ),
        pytest.param(
            "first_name",
            {},
            ResolvedField("first_name", "Anna", "user"),
            id="user_field_comes_from_user",
        ),
        pytest.param(
            "city",
            {},
            ResolvedField("city", "Bern", "unit:dept"),
            id="unit_field_comes_from_nearest_unit",
        ),
        pytest.param(
            "fax", {}, ResolvedField("fax", None, "unset"), id="field_set_nowhere_is_unset"
        ),
        pytest.param(
            "company",
            {},
            ResolvedField("company", "Muster AG", "unit:root"),
            id="unit_field_ignores_user_value_of_same_key",
        ),
        pytest.param(
            "title",
            {},
            ResolvedField("title", None, "unset"),
            id="user_field_ignores_unit_value_of_same_key",
        ),
        pytest.param(
            "city",
            {"city": ""},
            ResolvedField("city", "", "profile"),
            id="empty_override_still_overrides",
        ),
    ],
)
def test_profile_field_source(key: str, overrides: dict[str, str], expected: ResolvedField) -> None:
    assert resolved_profile(overrides)[key] == expected


def test_only_profile_overrides_are_not_inherited() -> None:
    fields = resolved_profile({"city": "Genève"})
    assert fields["city"].inherited is False  # shown black
    assert fields["first_name"].inherited is True  # shown grey
    assert fields["company"].inherited is True
    assert fields["fax"].inherited is True


def test_override_without_definition_is_not_shown() -> None:
    fields = resolved_profile({"undefined_key": "x"})
    assert "undefined_key" not in fields


# --- who may assign a unit -----------------------------------------------------------


def assign_tree(
    root: tuple[str, ...] | None, dept: tuple[str, ...] | None, team: tuple[str, ...] | None
) -> dict[str, Unit]:
    return {
        "root": Unit("root", None, "Root", assignable_by=root),
        "dept": Unit("dept", "root", "Dept", assignable_by=dept),
        "team": Unit("team", "dept", "Team", assignable_by=team),
    }


@pytest.mark.parametrize(
    ("units", "unit_id", "expected"),
    [
        pytest.param(assign_tree(None, None, None), "team", (EVERYONE,), id="default_everyone"),
        pytest.param(
            assign_tree(("group:g1",), None, None),
            "team",
            ("group:g1",),
            id="inherited_from_root",
        ),
        pytest.param(
            assign_tree(("group:g1",), ("group:g2",), None),
            "team",
            ("group:g2",),
            id="nearest_override_wins",
        ),
        pytest.param(
            assign_tree(("group:g1",), ("group:g2",), ("user:u1",)),
            "team",
            ("user:u1",),
            id="own_setting_wins",
        ),
        pytest.param(
            assign_tree(None, ("group:g2",), None),
            "root",
            (EVERYONE,),
            id="parent_does_not_inherit_from_child",
        ),
        pytest.param(
            assign_tree(("group:g1",), (), None),
            "team",
            (),
            id="empty_setting_means_no_one_not_inherit",
        ),
    ],
)
def test_effective_assignable_by(
    units: dict[str, Unit], unit_id: str, expected: tuple[str, ...]
) -> None:
    assert effective_assignable_by(unit_id, units) == expected


# --- trees ---------------------------------------------------------------------------

#        root
#       /    \
#     a        b
#    / \
#  a1   a2
#   |
#  a11
PARENTS: dict[str, str | None] = {
    "root": None,
    "a": "root",
    "b": "root",
    "a1": "a",
    "a2": "a",
    "a11": "a1",
}


def test_chain_to_root_starts_at_the_node() -> None:
    assert chain_to_root("a11", PARENTS) == ["a11", "a1", "a", "root"]
    assert chain_to_root("root", PARENTS) == ["root"]


def test_chain_to_root_stops_at_unknown_parent() -> None:
    assert chain_to_root("x", {"x": "missing"}) == ["x", "missing"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "parents",
    [
        pytest.param({"a": "a"}, id="self_loop"),
        pytest.param({"a": "b", "b": "a"}, id="two_loop"),
        pytest.param({"x": "a", "a": "b", "b": "c", "c": "a"}, id="loop_above_node"),
    ],
)
def test_chain_to_root_refuses_loop_in_data(parents: dict[str, str | None]) -> None:
    start = "x" if "x" in parents else "a"
    with pytest.raises(InvalidInput, match="The tree has a loop"):
        chain_to_root(start, parents)


@pytest.mark.parametrize(
    ("node", "new_parent", "expected"),
    [
        pytest.param("a", "a", True, id="below_itself"),
        pytest.param("a", "a1", True, id="below_its_child"),
        pytest.param("a", "a11", True, id="below_its_grandchild"),
        pytest.param("root", "a11", True, id="root_below_a_leaf"),
        pytest.param("a", "b", False, id="below_a_sibling"),
        pytest.param("a11", "root", False, id="below_an_ancestor"),
        pytest.param("a1", "a2", False, id="below_a_cousin"),
        pytest.param("a", None, False, id="to_the_top"),
    ],
)
def test_would_create_cycle(node: str, new_parent: str | None, expected: bool) -> None:
    assert would_create_cycle(node, new_parent, PARENTS) is expected


def test_check_move_refuses_move_below_a_descendant_naming_the_kind() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_move("a", "a11", PARENTS, "unit")
    assert str(caught.value) == (
        "A unit cannot be moved below itself or below one of its own children;"
        " choose another parent."
    )


def test_check_move_allows_a_legal_move() -> None:
    check_move("a1", "b", PARENTS, "unit")  # no exception
    assert not would_create_cycle("a1", "b", PARENTS)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param("root", {"a", "b", "a1", "a2", "a11"}, id="root_has_all"),
        pytest.param("a", {"a1", "a2", "a11"}, id="subtree"),
        pytest.param("a1", {"a11"}, id="one_child"),
        pytest.param("a11", set(), id="leaf_has_none"),
        pytest.param("unknown", set(), id="unknown_node_has_none"),
    ],
)
def test_descendants(node: str, expected: set[str]) -> None:
    assert descendants(node, PARENTS) == expected


@pytest.mark.timeout(10)
def test_descendants_terminates_on_loop_in_data() -> None:
    assert descendants("a", {"a": "b", "b": "a"}) == {"a", "b"}


@st.composite
def random_trees(draw: st.DrawFn) -> dict[str, str | None]:
    """A random forest: node i's parent is None or an earlier node."""
    size = draw(st.integers(min_value=1, max_value=12))
    parents: dict[str, str | None] = {}
    for i in range(size):
        choice = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=max(i - 1, 0))))
        parents[f"n{i}"] = None if choice is None or i == 0 else f"n{choice}"
    return parents


def naive_below(node: str, parents: dict[str, str | None]) -> set[str]:
    """Fixpoint: every node whose parent is ``node`` or already below it."""
    below: set[str] = set()
    while True:
        more = {c for c, p in parents.items() if p == node or (p is not None and p in below)}
        if more <= below:
            return below
        below |= more


@given(random_trees(), st.data())
def test_would_create_cycle_agrees_with_naive_reachability(
    parents: dict[str, str | None], data: st.DataObject
) -> None:
    nodes = sorted(parents)
    node = data.draw(st.sampled_from(nodes))
    new_parent = data.draw(st.one_of(st.none(), st.sampled_from(nodes)))
    expected = new_parent is not None and (
        new_parent == node or new_parent in naive_below(node, parents)
    )
    assert would_create_cycle(node, new_parent, parents) is expected


@given(random_trees(), st.data())
def test_descendants_agrees_with_naive_reachability(
    parents: dict[str, str | None], data: st.DataObject
) -> None:
    node = data.draw(st.sampled_from(sorted(parents)))
    assert descendants(node, parents) == naive_below(node, parents)


class CountingUnits(dict[str, Unit]):
    """Units that count how many of them were looked at."""

    looked_at = 0

    def __getitem__(self, key: str) -> Unit:
        self.looked_at += 1
        return super().__getitem__(key)

    def values(self):  # type: ignore[no-untyped-def, override]
        self.looked_at += len(self)
        return super().values()

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.looked_at += len(self)
        return super().__iter__()


def test_a_units_fields_and_assigners_cost_its_depth_not_the_trees_size() -> None:
    """Listing every unit or profile resolves each: a walk over the whole tree per unit
    made that quadratic (seconds for a few thousand units)."""
    units = CountingUnits(
        {"root": Unit("root", None, "Root", {"city": "Bern"}, assignable_by=("admins",))}
    )
    for i in range(2_000):
        units[f"u{i}"] = Unit(f"u{i}", "root", f"Unit {i}", {"phone": str(i)})
    units.looked_at = 0
    resolved = resolve_unit_fields("u7", units)
    assert {k: f.value for k, f in resolved.items()} == {"city": "Bern", "phone": "7"}
    assert effective_assignable_by("u7", units) == ("admins",)
    assert units.looked_at < 20
