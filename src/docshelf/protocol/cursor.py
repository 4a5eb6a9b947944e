"""The sync cursor: opaque to clients, a small base64url JSON object for the server.

A cursor says how far a client's cache has come: every change up to ``seq`` is
applied (and, when a page had to split a change, the items of change ``seq + 1``
up to ``(kind, id)`` as well). It also names the history it belongs to (database
``epoch`` and the ``nonce`` of commit ``seq``: a restored backup has other nonces),
the protocol version, and the fingerprint of the user's scope (roles and groups)
the cache was filled for. If any of these no longer hold, the server asks the
client to reconcile instead of trusting the cursor.

During a reconciliation the cursor carries ``reset_to``: the change number the
manifest was started at; manifest pages go through the view by ``(kind, id)``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass

from docshelf.domain.errors import InvalidInput
from docshelf.domain.json_text import NestedTooDeep, parse_json
from docshelf.i18n import tr

KINDS: tuple[str, ...] = (
    # Parents before children: a record only ever refers to kinds listed before it
    # or to itself (units, template groups).
    "field",
    "unit",
    "user",
    "group",
    "template_group",
    "template",
    "snippet",
    "profile",
)
KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Cursor:
    version: int
    epoch: str
    seq: int
    nonce: str
    scope: str
    # Inside change seq + 1: the last (kind index, id) already sent, when a page split it.
    kind: int | None = None
    item: str | None = None
    # Set while reconciling: the change number the manifest started at.
    reset_to: int | None = None

    def encode(self) -> str:
        raw = json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = parse_json(base64.urlsafe_b64decode(padded.encode()), "The sync cursor")
            cursor = cls(**data)
            _check(cursor)
            return cursor
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            # Too deep is damaged like any other garbage; _check's own messages stand.
            if isinstance(exc, InvalidInput) and not isinstance(exc, NestedTooDeep):
                raise
            raise InvalidInput(
                tr(
                    "The sync cursor is damaged; the client should start a full synchronisation.",
                )
            ) from None


def _check(cursor: Cursor) -> None:
    fields = (
        isinstance(cursor.version, int),
        isinstance(cursor.seq, int) and cursor.seq >= 0,
        isinstance(cursor.epoch, str) and isinstance(cursor.nonce, str),
        isinstance(cursor.scope, str),
        cursor.kind is None or (isinstance(cursor.kind, int) and 0 <= cursor.kind < len(KINDS)),
        cursor.item is None or isinstance(cursor.item, str),
        cursor.reset_to is None or (isinstance(cursor.reset_to, int) and cursor.reset_to >= 0),
    )
    if not all(fields):
        raise InvalidInput(tr("The sync cursor is damaged; start a full synchronisation."))
