"""Principals: who a right is granted to.

``*`` (every signed-in user), ``user:<id>`` or ``group:<id>``. Apart from the accounts
(domain/accounts.py) that hold them, so that what only needs the names (the unit tree,
the templates' rights) does not load the accounts' types.
"""

from __future__ import annotations

from collections.abc import Iterable

from docshelf.domain.errors import InvalidInput
from docshelf.domain.ids import check_id
from docshelf.domain.kinds import kind_label
from docshelf.i18n import tr

EVERYONE = "*"


def user_principal(user_id: str) -> str:
    return f"user:{user_id}"


def group_principal(group_id: str) -> str:
    return f"group:{group_id}"


def check_principal(value: str) -> str:
    if value == EVERYONE:
        return value
    kind, sep, ident = value.partition(":")
    if not sep or kind not in ("user", "group"):
        raise InvalidInput(
            tr("{value!r} is not a principal; use '*', 'user:<id>' or 'group:<id>'.", value=value)
        )
    check_id(ident, tr("Id of the {kind}", kind=kind_label(kind)))
    return value


def check_principals(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({check_principal(v) for v in values}))
