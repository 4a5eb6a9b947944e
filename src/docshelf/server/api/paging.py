"""Paging of list endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items.")]
