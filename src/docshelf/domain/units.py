"""The tree of organisational units: inherited fields and who may assign a unit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

from docshelf.domain.fields import ResolvedField, resolve_chain
from docshelf.domain.principals import EVERYONE
from docshelf.domain.trees import chain_to_root


class Unit(NamedTuple):
    id: str
    parent_id: str | None
    title: str
    fields: Mapping[str, str] = MappingProxyType({})
    # None: inherit from the parent; the root default lets everyone assign.
    assignable_by: tuple[str, ...] | None = None
    order: int = 0


def parents_of(units: Mapping[str, Unit]) -> Mapping[str, str | None]:
    """Each unit's parent, read from the units as asked: one unit's chain to the root costs
    its depth, not the size of the tree (listing every unit or profile resolves each)."""
    return _Parents(units)


class _Parents(Mapping[str, "str | None"]):
    def __init__(self, units: Mapping[str, Unit]) -> None:
        self._units = units

    def __getitem__(self, key: str) -> str | None:
        return self._units[key].parent_id

    def __iter__(self) -> Iterator[str]:
        return iter(self._units)

    def __len__(self) -> int:
        return len(self._units)


def resolve_unit_fields(unit_id: str, units: Mapping[str, Unit]) -> dict[str, ResolvedField]:
    """Field values of a unit with inheritance from its ancestors."""
    chain = reversed(chain_to_root(unit_id, parents_of(units)))
    return resolve_chain((u, units[u].fields) for u in chain if u in units)


def effective_assignable_by(unit_id: str, units: Mapping[str, Unit]) -> tuple[str, ...]:
    """Who may assign this unit to a profile: the nearest unit that says so, else everyone."""
    for current in chain_to_root(unit_id, parents_of(units)):
        unit = units.get(current)
        if unit is not None and unit.assignable_by is not None:
            return unit.assignable_by
    return (EVERYONE,)
