"""Trees given as a child → parent mapping (units, template groups)."""

from __future__ import annotations

from collections.abc import Mapping

from docshelf.domain.errors import InvalidInput
from docshelf.domain.kinds import kind_label
from docshelf.i18n import tr


def chain_to_root(node: str, parents: Mapping[str, str | None]) -> list[str]:
    """The ids from ``node`` up to its root, ``node`` first."""
    chain: list[str] = []
    current: str | None = node
    while current is not None:
        if current in chain:
            raise InvalidInput(tr("The tree has a loop at {current!r}.", current=current))
        chain.append(current)
        current = parents.get(current)
    return chain


def would_create_cycle(
    node: str, new_parent: str | None, parents: Mapping[str, str | None]
) -> bool:
    """Would moving ``node`` under ``new_parent`` put it below itself?"""
    if new_parent is None:
        return False
    return node in chain_to_root(new_parent, parents)


def check_move(
    node: str, new_parent: str | None, parents: Mapping[str, str | None], what: str
) -> None:
    if would_create_cycle(node, new_parent, parents):
        raise InvalidInput(
            tr(
                "A {what} cannot be moved below itself or below one of its own "
                "children; choose another parent.",
                what=kind_label(what),
            )
        )


def descendants(node: str, parents: Mapping[str, str | None]) -> set[str]:
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found: set[str] = set()
    todo = list(children.get(node, ()))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found
