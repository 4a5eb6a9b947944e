"""The outbox's table (see client/outbox.py), apart from the module that reads and writes it:
the cache creates it on opening, and a command that only lists the local copy must not
load the outbox's edit types to do so."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    op TEXT NOT NULL,
    target TEXT NOT NULL,
    edit TEXT NOT NULL,
    files TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER,
    code TEXT,
    reason TEXT,
    theirs TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_target ON outbox (kind, target);
"""
# file_refs rows of this kind keep an edit's files in the file store until it is done.
FILE_REF_KIND = "outbox"
