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


def canonical_json(record: dict[str, Any]) -> str:
    """The record's JSON that its hash is taken of (keys sorted, no spaces)."""
    return _CANONICAL.encode(record)


def canonical_hash(canonical: str) -> str:
    """:func:`record_hash` of a record whose :func:`canonical_json` is at hand."""
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
