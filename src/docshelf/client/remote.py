"""The server, as the client sees it: one adapter that turns HTTP into typed answers and errors.

The ``httpx.Client`` is injected: tests pass a ``MockTransport`` that drops, delays or
fails responses; integration tests and users talk to a real server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import httpx
from pydantic import BaseModel

import docshelf
from docshelf.client.errors import (
    HintsOff,
    HintsUnsupported,
    ProtocolMismatch,
    RemoteError,
    ServerBusy,
    ServerUnreachable,
    SignedOut,
    SyncRestart,
)
from docshelf.client.sse import Event, SseParser
from docshelf.client.transport import StdlibTransport
from docshelf.domain.errors import InvalidInput
from docshelf.domain.json_text import parse_json
from docshelf.i18n import current_language, tr
from docshelf.protocol import API_PREFIX, PROTOCOL_VERSION, client_error, pack
from docshelf.protocol.auth import LoginResponse, Me
from docshelf.protocol.mutations import MutationsAnswer
from docshelf.protocol.sync import (
    ChangesPage,
    ManifestPage,
    PageHead,
    RecordRef,
    RecordsAnswer,
)

log = logging.getLogger("docshelf.client.remote")
M = TypeVar("M", bound=BaseModel)
USER_AGENT = f"docshelf-client/{docshelf.__version__}"
CHUNK = 256 * 1024


def normalize_server_url(url: str) -> str:
    """The server's address without a trailing slash or API prefix. An address without
    ``http://`` or ``https://`` is refused: guessing one signs in to the wrong port or
    protocol as often as not, and the error would then speak of something else."""
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not (sep and scheme.lower() in ("http", "https") and rest):
        # ``ftp://host`` or ``://host``: the fix shown names the host, not the wrong scheme.
        bare = (rest if sep else url) or "''"
        raise InvalidInput(
            tr(
                "The server address {url} lacks its scheme: write http://{bare} or https://{bare}.",
                url=url or "''",
                bare=bare,
            ),
            title=tr("Incomplete server address"),
        )
    return url.removesuffix(API_PREFIX)


class Remote:
    def __init__(
        self,
        server_url: str,
        token: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.server_url = normalize_server_url(server_url)
        headers = {"User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = http or httpx.Client(
            timeout=timeout, follow_redirects=False, transport=StdlibTransport()
        )
        self._http.headers.update(headers)
        # Problem details come back in the language the front end speaks at the time of
        # each request (it may switch while this remote lives).
        hooks = self._http.event_hooks.get("request", [])
        if _accept_language not in hooks:
            self._http.event_hooks["request"] = [*hooks, _accept_language]
        self._base = self.server_url + API_PREFIX
        # The last failed sync's header value (protocol.client_error), sent with the next poll.
        self.error_to_report: str | None = None
        self.error_code_to_report: str | None = None

    def close(self) -> None:
        self._http.close()

    # --- requests ------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, self._base + path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServerUnreachable(
                tr("The server at {url} did not answer in time.", url=self.server_url)
            ) from exc
        except httpx.TransportError as exc:
            # Whether a local copy is there to work with is the caller's to say.
            log.info("server unreachable", extra={"event": "unreachable", "error": repr(exc)})
            raise ServerUnreachable(
                tr("Cannot reach the server at {url}.", url=self.server_url)
            ) from exc
        if response.status_code >= 400:
            raise _error_for(response, self.server_url)
        return response

    def _json(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = self._send(method, path, **kwargs)
        return _parse(model, response.content, self.server_url, path)

    def login(self, login: str, password: str, device_name: str) -> LoginResponse:
        body = {
            "login": login,
            "password": password,
            "device_name": device_name,
            "client_version": docshelf.__version__,
        }
        return self._json(LoginResponse, "POST", "/auth/login", json=body)

    def logout(self) -> None:
        self._send("POST", "/auth/logout")

    def me(self) -> Me:
        return self._json(Me, "GET", "/me")

    def changes(self, cursor: str | None, limit: int = 500) -> ChangesPage:
        return self.changes_unread(cursor, limit).read()

    def changes_unread(self, cursor: str | None, limit: int = 500) -> UnreadPage:
        """A page of changes with only its :class:`PageHead` read (see :class:`UnreadPage`)."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        headers = None
        if self.error_to_report:
            headers = {client_error.HEADER: self.error_to_report}
            if self.error_code_to_report:
                headers[client_error.CODE_HEADER] = self.error_code_to_report
        response = self._send("GET", "/sync/changes", params=params, headers=headers)
        head = _parse(PageHead, response.content, self.server_url, "/sync/changes")
        _check_protocol(head.protocol)
        # Told once: the server keeps it for the dashboard.
        self.error_to_report = self.error_code_to_report = None
        return UnreadPage(head, response.content, self.server_url)

    def manifest(self, cursor: str, limit: int = 1000) -> ManifestPage:
        page = self._json(
            ManifestPage, "GET", "/sync/manifest", params={"cursor": cursor, "limit": limit}
        )
        _check_protocol(page.protocol)
        return page

    def records(self, refs: list[tuple[str, str]]) -> RecordsAnswer:
        body = {"items": [RecordRef(kind=k, id=i).model_dump() for k, i in refs]}  # type: ignore[arg-type]
        return self._json(RecordsAnswer, "POST", "/sync/records", json=body)

    @contextmanager
    def fetch_file(self, sha256: str, offset: int = 0) -> Iterator[Iterator[bytes]]:
        """Stream a file from ``offset`` (``Range``), for the local file store to write."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        url = f"{self._base}/blobs/{sha256}"
        with self._download("GET", url, headers=headers) as response:
            if response.is_redirect:
                # --blob-redirect: the bytes come from object storage; checked as always.
                with self._redirected(response, headers) as moved:
                    if offset and moved.status_code != 206:
                        raise ProtocolMismatch("The server ignored a resumed download's Range.")
                    yield moved.iter_bytes()
                    return
            if offset and response.status_code != 206:
                raise ProtocolMismatch(tr("The server ignored a resumed download's Range."))
            yield response.iter_bytes()

    @contextmanager
    def _redirected(
        self, response: httpx.Response, headers: dict[str, str]
    ) -> Iterator[httpx.Response]:
        """Follow one redirect of a download: only to the http(s) URL the server gave, and
        without this device's token, which is none of the object store's business."""
        location = httpx.URL(response.headers.get("location", ""))
        if location.scheme not in ("http", "https") or not location.host:
            raise ProtocolMismatch(
                tr(
                    "The server at {url} sent a download elsewhere, to an address that is not"
                    " http(s); update docshelf or tell your administrator.",
                    url=self.server_url,
                )
            )
        request = self._http.build_request("GET", location, headers=headers)
        del request.headers["Authorization"]
        try:
            moved = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                tr(
                    "The file storage at {host} could not be reached during a download; the"
                    " next sync resumes it.",
                    host=location.host,
                )
            ) from exc
        try:
            if moved.status_code >= 400:
                # An expired or refused link: the next sync asks the server for a new one.
                raise ServerUnreachable(
                    tr(
                        "The file storage at {host} refused a download ({status}); the next"
                        " sync tries again.",
                        host=location.host,
                        status=moved.status_code,
                    )
                )
            yield moved
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                tr(
                    "The connection to the file storage at {host} broke during a download;"
                    " the next sync resumes it.",
                    host=location.host,
                )
            ) from exc
        finally:
            moved.close()

    @contextmanager
    def fetch_pack(self, hashes: list[str]) -> Iterator[Iterator[pack.Frame]]:
        """Several files in one answer (protocol/pack.py), each to be read before the next."""
        with self._download("POST", f"{self._base}/blobs/pack", json={"files": hashes}) as answer:
            yield pack.read_frames(answer.iter_bytes())

    @contextmanager
    def _download(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed answer with files: refused as the server says why, broken off as a
        download the next sync resumes."""
        try:
            with self._http.stream(method, url, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error_for(response, self.server_url)
                yield response
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                tr(
                    "The connection to {url} broke during a download; the next sync resumes it.",
                    url=self.server_url,
                )
            ) from exc

    @contextmanager
    def hints(self, cursor: str | None, read_timeout_s: float) -> Iterator[HintStream]:
        """The change-hint stream (Server-Sent Events), open until closed or broken off.

        ``read_timeout_s`` applies to each read, so a stream whose keepalives stop arriving
        counts as broken (about three heartbeats). Refusals raise: :class:`SignedOut`
        (401), :class:`HintsUnsupported` (an older server: 404/405), :class:`HintsOff`
        (503 ``hints_off``), :class:`ServerBusy` with the server's Retry-After (429/503).
        """
        params = {"cursor": cursor} if cursor else {}
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        timeout = httpx.Timeout(30.0, read=read_timeout_s)
        url = f"{self._base}/sync/hints"
        try:
            with self._http.stream(
                "GET", url, params=params, headers=headers, timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _hint_error(response, self.server_url)
                content_type = response.headers.get("content-type", "")
                if response.status_code != 200 or not content_type.startswith("text/event-stream"):
                    raise ProtocolMismatch(
                        tr(
                            "The server at {url} answered the change-hint stream with"
                            " {status} {content_type}; update docshelf or check the server"
                            " address.",
                            url=self.server_url,
                            status=response.status_code,
                            content_type=content_type or "-",
                        )
                    )
                yield HintStream(response, self.server_url)
        except httpx.TimeoutException as exc:
            raise ServerUnreachable(
                tr(
                    "The change-hint stream of {url} went silent; reconnecting.",
                    url=self.server_url,
                )
            ) from exc
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                tr("The change-hint stream of {url} broke off; reconnecting.", url=self.server_url)
            ) from exc

    def mutations(self, mutations: list[dict[str, Any]]) -> MutationsAnswer:
        """Upload edits; the answer has one result per edit, in order."""
        return self._json(MutationsAnswer, "POST", "/sync/mutations", json={"mutations": mutations})

    def upload_state(self, sha256: str) -> tuple[int, bool]:
        """(bytes of our unfinished upload the server kept, whether it needs none from us).

        ``complete`` only when the server holds the file *and* we may use it: knowing a
        hash is not enough, so a file someone else uploaded must still come from us."""
        path = f"/blobs/{sha256}/upload"
        answer = _parse_object(self._send("GET", path).content, self.server_url, path)
        return int(answer.get("offset", 0)), bool(answer.get("complete", False))

    def upload_file(self, sha256: str, source: IO[bytes], size: int, offset: int = 0) -> None:
        """Send a file from ``offset`` on; the server verifies the hash once it has it all."""
        source.seek(offset)

        def chunks() -> Iterator[bytes]:
            while chunk := source.read(CHUNK):
                yield chunk

        # Ranged from the first byte on, so that the server keeps what arrived if the
        # connection breaks, and the next sync sends only the rest.
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size - offset),
        }
        if size:
            headers["Content-Range"] = f"bytes {offset}-{size - 1}/{size}"
        self._send("PUT", f"/blobs/{sha256}", content=chunks(), headers=headers)


class HintStream:
    """An open change-hint stream: its events as they arrive, and a :meth:`close` another
    thread may call to end a read that blocks (the transport shuts the socket down)."""

    def __init__(self, response: httpx.Response, server_url: str) -> None:
        self._response = response
        self.server_url = server_url
        self.parser = SseParser()
        self._closed = False

    def events(self) -> Iterator[Event]:
        """Events until the server ends the stream; a broken stream raises (see hints()),
        one closed by :meth:`close` just ends."""
        try:
            for piece in self._response.iter_bytes():
                yield from self.parser.feed(piece)
        except httpx.HTTPError:
            if not self._closed:
                raise

    def close(self) -> None:
        self._closed = True
        self._response.close()


@dataclass(frozen=True)
class UnreadPage:
    """A page of changes as it came: about a tenth of the memory of the page read (a page of
    500 records is some 100 KB of JSON, about a megabyte as objects), for pages asked for
    ahead of the engine."""

    head: PageHead
    body: bytes
    server_url: str

    def read(self) -> ChangesPage:
        return _parse(ChangesPage, self.body, self.server_url, "/sync/changes")


def _parse(model: type[M], content: bytes, server_url: str, path: str) -> M:
    try:
        return model.model_validate_json(content)
    except ValueError as exc:
        raise ProtocolMismatch(_not_understood(server_url, path)) from exc


def _parse_object(content: bytes, server_url: str, path: str) -> dict[str, Any]:
    try:
        answer = parse_json(content, "The answer")
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ProtocolMismatch(_not_understood(server_url, path))
    return answer


def _not_understood(server_url: str, path: str) -> str:
    return tr(
        "The server at {url} answered {path} in a form this client does not understand;"
        " update docshelf or check the server address.",
        url=server_url,
        path=path,
    )


def _accept_language(request: httpx.Request) -> None:
    request.headers["Accept-Language"] = current_language()


def _check_protocol(version: int) -> None:
    if version != PROTOCOL_VERSION:
        raise ProtocolMismatch(
            tr(
                "The server speaks sync protocol {server}, this client {client}; update docshelf.",
                server=version,
                client=PROTOCOL_VERSION,
            )
        )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = parse_json(response.content, "The problem")
    except ValueError:  # not JSON, or nested too deep: the status tells enough
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "5")))
    except ValueError:
        return 5.0


def _hint_error(response: httpx.Response, server_url: str) -> Exception:
    status = response.status_code
    if status in (404, 405):
        return HintsUnsupported(
            tr(
                "The server at {url} sends no change hints (an older version);"
                " syncing on the interval.",
                url=server_url,
            )
        )
    if status == 503 and _problem(response).get("code") == "hints_off":
        return HintsOff(
            tr(
                "Change hints are turned off on {url} (ClientHintsEnabled);"
                " syncing on the interval.",
                url=server_url,
            )
        )
    return _error_for(response, server_url)


def _error_for(response: httpx.Response, server_url: str) -> Exception:
    problem = _problem(response)
    detail = str(problem.get("detail") or response.reason_phrase or tr("no details"))
    code = str(problem.get("code") or "")
    status = response.status_code
    if status == 401 and code != "login_failed":
        return SignedOut(
            tr(
                "The server at {url} signed this device out ({detail}). Run `docshelf login`"
                " (or sign in again in the app).",
                url=server_url,
                detail=detail,
            )
        )
    if status in (429, 503):
        return ServerBusy(
            tr("The server is busy: {detail}", detail=detail), retry_after=_retry_after(response)
        )
    if status == 409 and code == "sync_restart":
        return SyncRestart(detail)
    title = str(problem.get("title") or tr("Server refused"))
    return RemoteError(detail, title=title, status=status, code=code)
