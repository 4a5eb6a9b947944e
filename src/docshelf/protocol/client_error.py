"""How a client tells the server about its last failed sync, for the dashboard.

A failed sync can't be reported while it fails (the server is often what is missing), so
the client sends it with the first poll that gets through, in one request header:
``<ISO-8601 time> <message as URL-safe base64 of UTF-8>``. Header values must be
ASCII, hence the encoding. The message is in the client's language; its error's code
(``offline``, ``server_busy``, ...) goes in a second header, so that the dashboard can
name the failure in its visitor's language (a server of an earlier version ignores it).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

HEADER = "X-Docshelf-Client-Error"
CODE_HEADER = "X-Docshelf-Client-Error-Code"
MAX_MESSAGE = 300
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def encode(at: datetime, message: str) -> str:
    text = message[:MAX_MESSAGE].encode()
    return f"{at.isoformat()} {base64.urlsafe_b64encode(text).decode('ascii')}"


def decode(value: str, now: datetime) -> tuple[datetime, str] | None:
    """The time and message of a header value; None when it is malformed. A time in the
    future (a client's clock ahead) is taken as ``now``."""
    stamp, _, encoded = value.strip().partition(" ")
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if at.tzinfo is None or not encoded:
        return None
    try:
        raw = base64.urlsafe_b64decode(encoded.encode("ascii"))
        message = raw.decode("utf-8", errors="replace")[:MAX_MESSAGE].strip()
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    if not message:
        return None
    return min(at.astimezone(UTC), now), message


def decode_code(value: str | None) -> str | None:
    """The error's code from its header; None when absent or not a code."""
    code = (value or "").strip()
    return code if _CODE.fullmatch(code) else None
