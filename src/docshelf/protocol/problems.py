"""Error bodies: RFC 9457 ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None
    retry_after: int | None = None
    request_id: str | None = None
