"""An httpx transport over the standard library's HTTP/1.1 connections.

httpx's own transport parses responses in Python (httpcore and h11) 64 KiB at a time and
copies each piece several times: for the hundreds of megabytes of an initial sync that was
the client's largest cost, about three times the CPU of :mod:`http.client`, which reads
a body in C, a piece of up to 256 KiB at a time. Everything above the transport stays
httpx: requests, headers, timeouts, redirects, content decoding, the errors the
:class:`~docshelf.client.remote.Remote` turns into messages, and the proxies httpx mounts
from the environment (requests through a proxy never reach this transport).

Connections are kept alive in a small pool per origin and shared by the download threads.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import httpx

__all__ = ["StdlibTransport"]

# One read takes at most this much of what has arrived (into a fresh bytes object).
# Larger pieces cost more in fresh memory for each than they save in calls.
READ_SIZE = 256 * 1024
# Idle connections kept per origin (the downloads use three at a time).
_MAX_IDLE = 8
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})

Origin = tuple[str, str, int]


class _SendAgain(Exception):
    """The request didn't reach the server; sending it once more is safe."""


class StdlibTransport(httpx.BaseTransport):
    def __init__(self, *, max_idle: int = _MAX_IDLE) -> None:
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self._ssl: ssl.SSLContext | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin = _origin(request.url)
        timeouts = request.extensions.get("timeout", {})
        conn, reused = self._connection(origin, timeouts)
        # Taken now: http.client forgets it once an answer says the connection will close.
        sock = conn.sock
        try:
            # A kept-alive connection the server closed just as it was reused: the request
            # never reached it. Sent once more on a new connection if that is safe.
            again = reused and request.method in _IDEMPOTENT
            response = self._exchange_or_close(conn, request, timeouts, again)
        except _SendAgain:
            conn, _ = self._connection(origin, timeouts, fresh=True)
            sock = conn.sock
            response = self._exchange_or_close(conn, request, timeouts, False)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders()]

        def finished(reusable: bool) -> None:
            if reusable:
                self._release(origin, conn)
            else:
                conn.close()

        return httpx.Response(
            status_code=response.status,
            headers=headers,
            stream=_Body(response, finished, sock),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def _exchange_or_close(
        self,
        conn: http.client.HTTPConnection,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        again: bool,
    ) -> http.client.HTTPResponse:
        """The answer's head; on any failure the connection is closed. ``again``: a
        connection the server closed raises _SendAgain instead of an error."""
        try:
            return self._exchange(conn, request, timeouts)
        except _CLOSED_BY_SERVER as exc:
            conn.close()
            if again:
                raise _SendAgain from exc
            raise httpx.RemoteProtocolError(
                f"The server closed the connection ({type(exc).__name__})."
            ) from exc
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                conn.close()

    # --- connections ---------------------------------------------------------------------

    def _connection(
        self, origin: Origin, timeouts: dict[str, float | None], fresh: bool = False
    ) -> tuple[http.client.HTTPConnection, bool]:
        while not fresh:
            with self._lock:
                pool = self._idle.get(origin)
                kept = pool.pop() if pool else None
            if kept is None:
                break
            if _still_open(kept):
                return kept, True
            kept.close()
        scheme, host, port = origin
        connect_timeout = timeouts.get("connect")
        conn = (
            http.client.HTTPSConnection(
                host, port, timeout=connect_timeout, context=self._ssl_context()
            )
            if scheme == "https"
            else http.client.HTTPConnection(host, port, timeout=connect_timeout)
        )
        with _mapped(httpx.ConnectTimeout, httpx.ConnectError):
            conn.connect()
        return conn, False

    def _ssl_context(self) -> ssl.SSLContext:
        # Built on first use only: loading the CA bundle costs a tenth of a second, and a
        # server on plain http never needs it. The same trust as httpx's default.
        with self._lock:
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context()
            return self._ssl

    def _release(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            pool = self._idle.setdefault(origin, [])
            if len(pool) < self._max_idle:
                pool.append(conn)
                return
        conn.close()

    # --- one request ---------------------------------------------------------------------

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        request: httpx.Request,
        timeouts: dict[str, float | None],
    ) -> http.client.HTTPResponse:
        assert conn.sock is not None
        conn.sock.settimeout(timeouts.get("write"))
        with _mapped(httpx.WriteTimeout, httpx.WriteError, passing=_PASS_THROUGH):
            try:
                conn.putrequest(
                    request.method,
                    request.url.raw_path.decode("ascii"),
                    skip_host=True,
                    skip_accept_encoding=True,
                )
                for name, value in request.headers.raw:
                    conn.putheader(name.decode("latin-1"), value.decode("latin-1"))
            except ValueError as exc:  # a line break in a header, a bad method or path
                raise httpx.LocalProtocolError(str(exc)) from exc
            conn.endheaders()
            _send_body(conn, request.stream, request.headers)  # type: ignore[arg-type]
        conn.sock.settimeout(timeouts.get("read"))
        with _mapped(httpx.ReadTimeout, httpx.ReadError, passing=_PASS_THROUGH):
            try:
                return conn.getresponse()
            except http.client.RemoteDisconnected:
                raise
            except http.client.HTTPException as exc:
                raise httpx.RemoteProtocolError(f"Malformed answer: {exc!r}") from exc


class _Body(httpx.SyncByteStream):
    """A response body read straight into a buffer. ``finished(True)`` hands the connection
    back for the next request once the body was read to its end; a body left half-read, or
    a connection the server announced it will close, is closed instead.

    :meth:`close` may come from another thread while a read blocks (an endless answer such
    as the change-hint stream being given up): the socket is shut down first, which ends
    the blocked read at once; closing alone would leave it waiting for the next bytes."""

    def __init__(
        self,
        response: http.client.HTTPResponse,
        finished: Callable[[bool], None],
        sock: socket.socket | None = None,
    ) -> None:
        self._response = response
        self._finished: Callable[[bool], None] | None = finished
        self._sock = sock
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:
        with _mapped(httpx.ReadTimeout, httpx.ReadError):
            while True:
                try:
                    # What has arrived, up to READ_SIZE: progress as the bytes come in.
                    piece = self._response.read1(READ_SIZE)
                except (AttributeError, ValueError) as exc:
                    if self._finished is not None:
                        raise
                    # Closed by another thread meanwhile (http.client drops its file).
                    raise httpx.ReadError("The answer was closed while being read.") from exc
                except http.client.IncompleteRead as exc:
                    if self._finished is None:
                        raise httpx.ReadError("The answer was closed while being read.") from exc
                    raise httpx.RemoteProtocolError(
                        "The server closed the connection in the middle of an answer."
                    ) from exc
                if not piece:
                    if self._response.length:
                        # http.client ends quietly where the server broke off.
                        raise httpx.RemoteProtocolError(
                            f"The server closed the connection {self._response.length} bytes"
                            " before the end of an answer."
                        )
                    break
                yield piece

    def close(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, None
        if finished is None:
            return
        response = self._response
        # Read to its end: all of its length (read1 doesn't close the response then), or up
        # to the end of a chunked body (which does).
        done = response.length == 0 or response.isclosed()
        reusable = done and not response.will_close
        if not done and self._sock is not None:
            # Before close(): that waits for a read blocked in another thread to return.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        response.close()
        finished(reusable)


def _origin(url: httpx.URL) -> Origin:
    scheme = url.scheme
    port = url.port or (443 if scheme == "https" else 80)
    if scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {scheme!r}.")
    return scheme, url.host, port


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """A kept-alive connection is unusable once the server closed it; it is then readable
    (end of stream) although no request is outstanding."""
    sock = conn.sock
    if sock is None or sock.fileno() < 0:
        return False
    try:
        if hasattr(select, "poll"):  # any descriptor number, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _send_body(
    conn: http.client.HTTPConnection, stream: Iterable[bytes], headers: httpx.Headers
) -> None:
    """Send the body framed as its headers say: chunked, or exactly its Content-Length
    (more would be read as the next request, less would leave the server waiting)."""
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    declared = headers.get("content-length")
    left = int(declared) if declared is not None and declared.isdigit() else None
    for chunk in stream:
        if not chunk:
            continue
        if chunked:
            conn.send(b"%X\r\n" % len(chunk) + chunk + b"\r\n")
            continue
        if left is not None:
            if len(chunk) > left:
                raise httpx.LocalProtocolError(
                    f"The request body is longer than its Content-Length ({declared})."
                )
            left -= len(chunk)
        conn.send(chunk)
    if chunked:
        conn.send(b"0\r\n\r\n")
    elif left:
        raise httpx.LocalProtocolError(
            f"The request body ended {left} bytes short of its Content-Length ({declared})."
        )


# What a kept-alive connection the server has closed raises; handled by handle_request.
_CLOSED_BY_SERVER = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_PASS_THROUGH: tuple[type[BaseException], ...] = (*_CLOSED_BY_SERVER, httpx.HTTPError)


@contextmanager
def _mapped(
    timeout: type[httpx.TimeoutException],
    failure: type[httpx.TransportError],
    passing: tuple[type[BaseException], ...] = (httpx.HTTPError,),
) -> Iterator[None]:
    """Socket errors as the httpx errors callers handle (a timeout, a broken connection)."""
    try:
        yield
    except passing:
        raise
    except TimeoutError as exc:
        raise timeout(str(exc) or "timed out") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise failure(str(exc) or type(exc).__name__) from exc
