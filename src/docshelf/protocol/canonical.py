"""A record's canonical JSON and its hash, apart from the wire models.

Standard library only: the client's local cache hashes records without loading pydantic
(reading commands must start fast); :mod:`docshelf.protocol.sync` re-exports these.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_hash", "canonical_json", "record_hash"]


def record_hash(record: dict[str, Any]) -> str:
    """A fingerprint of a record's content; versions alone repeat after a backup restore.

    Server and client compute it alike to tell whether a cached record is current.
    """
    return canonical_hash(canonical_json(record))


# One encoder for every record: json.dumps with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# The C encoder behind it, made once: JSONEncoder.encode makes a new one for every record,
# a third of the cost of encoding one (a first sync encodes 20 000). Same output: no
# circular check (records come from JSON), the same separators, sorting and escaping.
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_C_CANONICAL = (
    None
    if _make_encoder is None
    else _make_encoder(
        None, _CANONICAL.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )
)


def canonical_json(record: dict[str, Any]) -> str:
    """The record's JSON that its hash is taken of (keys sorted, no spaces)."""
    if _C_CANONICAL is None or not isinstance(record, dict):
        return _CANONICAL.encode(record)
    return "".join(_C_CANONICAL(record, 0))


def canonical_hash(canonical: str) -> str:
    """:func:`record_hash` of a record whose :func:`canonical_json` is at hand."""
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
