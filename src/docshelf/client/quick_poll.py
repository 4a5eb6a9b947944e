"""A sync that finds nothing new, without the engine: one poll over the standard library.

Most syncs find nothing new. The engine answers that too, but it needs httpx, pydantic and
the wire models, which cost a command-line sync most of its time before it asks anything.
When the local copy is settled (:func:`settled_cursor`: no edit waits, no reconciliation or
clean-up is due, every file the templates need is here) the client first asks the feed
itself, as the engine would (same path, query and headers), and reads the answer with
:mod:`json`. Only a plain "nothing new" is taken from here (:func:`poll` returns True): the
page has no changes, no more to come, no reset, the same cursor and the settings the cache
holds, so the engine would have written nothing. Anything else, a failure included, returns
False and the engine runs the sync as always, asking again; the one exception is a server
that does not answer in time, reported like the engine reports it (asking again would
double the wait).
"""

from __future__ import annotations

import json
import os
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import docshelf
from docshelf.client.errors import ServerUnreachable
from docshelf.client.keys import CURSOR, DOCUMENT_FILES, SETTINGS, UNREPORTED_ERROR
from docshelf.i18n import current_language, tr
from docshelf.protocol import API_PREFIX, PROTOCOL_VERSION

if TYPE_CHECKING:
    from docshelf.client.files import FileStore
    from docshelf.client.store import LocalStore

# The engine's keys (client/engine.py; tests/unit/test_quick_poll_client.py keeps them equal):
# a reconciliation under way, files left out waiting for newer records, the clean-up done.
RECONCILE = "reconcile"
OWED = "owed"
FILES_CLEAN = "files_clean"
# What the engine's remote sends (client/remote.py: its User-Agent; httpx's defaults).
USER_AGENT = f"docshelf-client/{docshelf.__version__}"
TIMEOUT = 30.0
# A page with nothing new is some 500 bytes; a longer answer has changes for the engine.
MAX_ANSWER = 64 * 1024
# The settings as the engine keeps them (protocol.sync.SyncSettings, dumped): the optional
# ones with the defaults a server that sends none means.
_REQUIRED_SETTINGS = (
    "client_sync_interval_ms",
    "client_sync_max_delay_after_start_ms",
    "languages",
)
_DEFAULT_SETTINGS: dict[str, Any] = {
    "client_hint_max_delay_ms": 5_000,
    "client_hints_enabled": True,
}
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def settled_cursor(store: LocalStore, files: FileStore) -> str | None:
    """The cursor to poll from, when a page with nothing new leaves the engine nothing to
    do; else None (the engine syncs)."""
    cursor = store.get(CURSOR)
    if cursor is None or store.get(UNREPORTED_ERROR) is not None:
        return None
    if store.get(RECONCILE) is not None or store.get(FILES_CLEAN) is None or store.get_json(OWED):
        return None
    if store.has_outbox_entries() or store.get_json(SETTINGS) is None:
        return None
    known = store.get_json(DOCUMENT_FILES)
    if not isinstance(known, dict) or known.get("cursor") != cursor:
        return None
    if any(not files.has(sha) for sha in known.get("needed") or ()):
        return None
    if _has_partial_files(files):
        return None
    return cursor


def poll(
    server_url: str,
    token: str,
    cursor: str,
    settings: Any,
    *,
    limit: int = 500,
    timeout: float = TIMEOUT,
) -> bool:
    """True: the server has nothing new after ``cursor`` and its ``settings`` are those the
    cache holds. False: anything else (the engine syncs). Raises :class:`ServerUnreachable`
    when the server does not answer in time."""
    if _proxied():
        return False  # httpx would go through the proxy; the engine does
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return False
    query = urlencode({"limit": limit, "cursor": cursor})
    target = f"{parts.path}{API_PREFIX}/sync/changes?{query}"
    headers = {
        "Host": parts.netloc,
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate",
        "Connection": "keep-alive",
        "User-Agent": USER_AGENT,
        "Authorization": f"Bearer {token}",
        "Accept-Language": current_language(),
    }
    try:
        answer = _get(parts.scheme, parts.hostname, parts.port, target, headers, timeout)
        if answer is None:
            return False
        body = _decoded(answer[1], answer[0].get("content-encoding"))
    except TimeoutError as exc:
        raise ServerUnreachable(
            tr("The server at {url} did not answer in time.", url=server_url)
        ) from exc
    except (OSError, ValueError, zlib.error):
        return False  # refused, broken off, malformed: the engine asks again and says why
    return nothing_new(body, cursor, settings)


def nothing_new(body: bytes, cursor: str, settings: Any) -> bool:
    """The answer is a page with no changes, none to come, no reset, at ``cursor``, with
    ``settings`` (as the cache keeps them): the engine would store nothing of it."""
    try:
        page = json.loads(body)
    except ValueError:
        return False
    if not isinstance(page, dict):
        return False
    plain = (
        page.get("protocol") == PROTOCOL_VERSION
        and type(page.get("protocol")) is int
        and page.get("cursor") == cursor
        and page.get("changes") == []
        and page.get("has_more") is False
        and page.get("reset", False) is False
        and type(page.get("remaining", 0)) is int
        and isinstance(page.get("server_time"), str)
    )
    return plain and _settings_of(page.get("settings")) == settings


def _settings_of(sent: Any) -> dict[str, Any] | None:
    """The page's settings as the engine would keep them; None when it would not take them
    as they are (missing, or of another type)."""
    if not isinstance(sent, dict) or not all(key in sent for key in _REQUIRED_SETTINGS):
        return None
    kept = {key: sent[key] for key in _REQUIRED_SETTINGS}
    kept.update({key: sent.get(key, default) for key, default in _DEFAULT_SETTINGS.items()})
    numbers = [kept[key] for key in _REQUIRED_SETTINGS[:2]] + [kept["client_hint_max_delay_ms"]]
    if any(type(n) is not int for n in numbers) or type(kept["client_hints_enabled"]) is not bool:
        return None
    languages = kept["languages"]
    if not isinstance(languages, list) or any(type(x) is not str for x in languages):
        return None
    return kept


def _get(
    scheme: str,
    host: str,
    port: int | None,
    target: str,
    headers: dict[str, str],
    timeout: float,
) -> tuple[dict[str, str], bytes] | None:
    """One GET over a socket of its own: the answer's headers (names in lower case) and
    body when it is a 200 with a length of at most MAX_ANSWER, else None.

    Not http.client: it loads the email package (and ssl) for its headers, a fifth of a
    no-change sync's start; one short answer with a length needs none of that."""
    import socket

    port = port or (443 if scheme == "https" else 80)
    # An ASCII host as bytes: a str would load the IDNA codec (stringprep, unicodedata).
    address = host.encode("ascii") if host.isascii() else host
    sock = socket.create_connection((address, port), timeout=timeout)  # type: ignore[arg-type]
    try:
        if scheme == "https":
            sock = _ssl_context().wrap_socket(sock, server_hostname=host)
        lines = [f"GET {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        received = b""
        while b"\r\n\r\n" not in received:
            piece = sock.recv(16 * 1024)
            if not piece or len(received) > MAX_ANSWER:
                return None
            received += piece
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or rest[:4] != "200 ":
            return None
        answer_headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                return None
            answer_headers[name.strip().lower()] = value.strip()
        length = answer_headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_ANSWER:
            return None  # no length (chunked), or long: not a page with nothing new
        while len(body) < int(length):
            piece = sock.recv(int(length) - len(body))
            if not piece:
                return None
            body += piece
        return answer_headers, body[: int(length)]
    finally:
        sock.close()


def _ssl_context() -> Any:
    """The certificates httpx trusts (httpx.create_ssl_context with its defaults)."""
    import ssl

    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _decoded(body: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding == "gzip":
        return zlib.decompress(body, zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise ValueError(f"content encoding {encoding}")


def _proxied() -> bool:
    return any(value for key, value in os.environ.items() if key.lower() in _PROXY_VARIABLES)


def _has_partial_files(files: FileStore) -> bool:
    try:
        with os.scandir(files.partial_dir) as entries:
            return any(entry.name.endswith(".part") for entry in entries)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # the engine's clean-up looks at it
