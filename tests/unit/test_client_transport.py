"""The client's httpx transport over http.client, against real HTTP servers on 127.0.0.1:
answers and bodies arrive whole, connections are kept alive and reused only while they are
sound, and every failure reaches the caller as the httpx error the Remote handles."""

from __future__ import annotations

import contextlib
import gzip
import random
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from docshelf.client.transport import StdlibTransport

HELLO = b"hello, world\n"
BIG = random.Random(20240501).randbytes(3 * 1024 * 1024)
CHUNKED_PIECES = [b"first ", b"second ", b"x" * 100_000, b" last"]
TEXT = b"a text that compresses well " * 200
TIMEOUT = httpx.Timeout(5.0)


# --- a real HTTP/1.1 server ----------------------------------------------------------------


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    connection: int

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Server(ThreadingHTTPServer):
    """Counts the connections it accepted and closed, and records every request."""

    daemon_threads = True
    block_on_close = False  # teardown ends the handlers itself, see close_all()

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.changed = threading.Condition()
        self.opened = 0
        self.closed = 0
        self.seen: list[Seen] = []
        self.errors: list[BaseException | None] = []
        self.sockets: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_until(self, ready: Callable[[], bool], timeout: float = 5.0) -> bool:
        with self.changed:
            return self.changed.wait_for(ready, timeout)

    def connections_of(self, path: str) -> list[int]:
        with self.changed:
            return [s.connection for s in self.seen if urlsplit(s.path).path == path]

    def shutdown_request(self, request: Any) -> None:
        # Called once a connection's handler ended, to close the socket.
        super().shutdown_request(request)
        with self.changed:
            self.closed += 1
            self.sockets.discard(request)
            self.changed.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that leaves in the middle of an answer is expected here; kept quiet.
        self.errors.append(sys.exc_info()[1])

    def close_all(self) -> None:
        with self.changed:
            sockets = list(self.sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: Server

    def setup(self) -> None:
        super().setup()
        self.requests_here = 0
        with self.server.changed:
            self.server.opened += 1
            self.number = self.server.opened
            self.server.sockets.add(self.connection)
            self.server.changed.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.answer()

    def do_HEAD(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def do_PUT(self) -> None:
        self.answer()

    def answer(self) -> None:
        self.requests_here += 1
        seen = Seen(self.command, self.path, list(self.headers.items()), self.read_body(), 0)
        seen.connection = self.number
        with self.server.changed:
            self.server.seen.append(seen)
            self.server.changed.notify_all()
        route = getattr(self, "route_" + urlsplit(self.path).path.strip("/").replace("-", "_"))
        route(seen)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            body += self.rfile.read(size)
            if self.rfile.read(2) != b"\r\n":
                raise ValueError("a request chunk without its CRLF")

    def send(
        self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = (), length: bool = True
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # --- routes ------------------------------------------------------------------------

    def route_hello(self, seen: Seen) -> None:
        headers = [
            ("Content-Type", "text/plain"),
            ("X-Dup", "one"),
            ("X-Dup", "two"),
            ("Set-Cookie", "a=1; Path=/"),
            ("Set-Cookie", "b=2; Path=/"),
        ]
        self.send(200, HELLO, headers)

    def route_echo(self, seen: Seen) -> None:
        self.send(200, seen.body, [("Content-Type", "application/octet-stream")])

    def route_big(self, seen: Seen) -> None:
        self.send(200, BIG)

    def route_chunked(self, seen: Seen) -> None:
        self.send(200, b"", [("Transfer-Encoding", "chunked")], length=False)
        for piece in CHUNKED_PIECES:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def route_range(self, seen: Seen) -> None:
        first, _, last = self.headers["Range"].removeprefix("bytes=").partition("-")
        start, end = int(first), int(last) if last else len(BIG) - 1
        content_range = f"bytes {start}-{end}/{len(BIG)}"
        self.send(206, BIG[start : end + 1], [("Content-Range", content_range)])

    def route_close_quietly(self, seen: Seen) -> None:
        # A server that ends kept-alive connections without saying so in the answer.
        self.send(200, HELLO)
        self.close_connection = True

    def route_close_header(self, seen: Seen) -> None:
        self.send(200, HELLO, [("Connection", "close")])

    def route_drop_reused(self, seen: Seen) -> None:
        # A request on a kept-alive connection, read and then dropped without an answer: what
        # a client sees when the server closed the idle connection just as it was reused.
        if self.requests_here > 1:
            self.close_connection = True
            return
        self.send(200, b"fresh")

    def route_gzip(self, seen: Seen) -> None:
        self.send(200, gzip.compress(TEXT), [("Content-Encoding", "gzip")])

    def route_no_content(self, seen: Seen) -> None:
        self.send(204, b"", length=False)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    yield srv
    srv.shutdown()
    srv.close_all()
    srv.server_close()
    thread.join(timeout=5)


def client(timeout: float | httpx.Timeout = TIMEOUT, **kwargs: Any) -> httpx.Client:
    return httpx.Client(transport=StdlibTransport(**kwargs), timeout=timeout)


# --- a raw socket server, for answers no well-behaved server gives ------------------------


Serve = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """Accepts connections and hands each socket to ``serve`` in its own thread."""

    def __init__(self, serve: Serve) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.02)
        self.serve = serve
        self.accepted = 0
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn, contextlib.suppress(OSError):
            self.serve(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()
        for thread in self.threads:
            thread.join(timeout=5)


StartRaw = Callable[[Serve], RawServer]


@pytest.fixture
def raw_server() -> Iterator[StartRaw]:
    servers: list[RawServer] = []

    def start(serve: Serve) -> RawServer:
        servers.append(RawServer(serve))
        return servers[-1]

    yield start
    for srv in servers:
        srv.close()


def read_request_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            break
        data += piece
    return data


# --- answers -------------------------------------------------------------------------------


def test_get_returns_status_headers_and_body(server: Server) -> None:
    with client() as http:
        response = http.get(server.url + "/hello?a=1&b=x%20y")
    assert response.status_code == 200
    assert response.http_version == "HTTP/1.1"
    assert response.content == HELLO
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["content-length"] == str(len(HELLO))
    # Repeated headers stay separate values, in order.
    assert response.headers.get_list("x-dup") == ["one", "two"]
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    # The target keeps its query string as sent.
    assert server.seen[0].path == "/hello?a=1&b=x%20y"


def test_request_headers_reach_the_server_once_each(server: Server) -> None:
    """http.client adds no Host or Accept-Encoding of its own next to httpx's; repeated
    request headers arrive as sent."""
    with client() as http:
        http.get(
            server.url + "/hello",
            headers=[("X-Multi", "a"), ("X-Multi", "b"), ("User-Agent", "tests")],
        )
    (seen,) = server.seen
    assert seen.header("host") == [server.url.removeprefix("http://")]
    assert len(seen.header("accept-encoding")) == 1
    assert seen.header("x-multi") == ["a", "b"]
    assert seen.header("user-agent") == ["tests"]


def test_large_body_streams_complete_and_identical(server: Server) -> None:
    with client() as http, http.stream("GET", server.url + "/big") as response:
        assert response.status_code == 200
        pieces = list(response.iter_bytes())
    assert len(pieces) > 1  # really streamed, not one read
    assert b"".join(pieces) == BIG


def test_chunked_response_is_decoded(server: Server) -> None:
    with client() as http:
        response = http.get(server.url + "/chunked")
        again = http.get(server.url + "/chunked")
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.content == b"".join(CHUNKED_PIECES)
    # Read to its last chunk, the connection was in step for the next answer.
    assert again.content == b"".join(CHUNKED_PIECES)
    assert server.opened == 1


def test_gzip_body_is_decoded_once_by_httpx(server: Server) -> None:
    with client() as http:
        response = http.get(server.url + "/gzip")
    assert response.content == TEXT


def test_range_request_and_partial_answer_pass_unchanged(server: Server) -> None:
    with client() as http:
        response = http.get(server.url + "/range", headers={"Range": "bytes=1000-1999"})
        rest = http.get(server.url + "/range", headers={"Range": f"bytes={len(BIG) - 10}-"})
    assert [s.header("range") for s in server.seen] == [
        ["bytes=1000-1999"],
        [f"bytes={len(BIG) - 10}-"],
    ]
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 1000-1999/{len(BIG)}"
    assert response.content == BIG[1000:2000]
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes {len(BIG) - 10}-{len(BIG) - 1}/{len(BIG)}"
    assert rest.content == BIG[-10:]


def test_head_and_no_content_answers_leave_the_connection_usable(server: Server) -> None:
    """Answers without a body (HEAD, 204) end without a read reaching the next answer."""
    with client() as http:
        head = http.head(server.url + "/hello")
        empty = http.get(server.url + "/no-content")
        after = http.get(server.url + "/hello")
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(HELLO))
    assert head.content == b""
    assert empty.status_code == 204
    assert empty.content == b""
    assert after.content == HELLO
    assert server.opened == 1


# --- request bodies --------------------------------------------------------------------------


def test_streamed_body_with_content_length_arrives_complete(server: Server) -> None:
    pieces = [BIG[i : i + 64 * 1024] for i in range(0, len(BIG), 64 * 1024)]
    with client() as http:
        response = http.post(
            server.url + "/echo",
            content=iter(pieces),
            headers={"Content-Length": str(len(BIG))},
        )
    (seen,) = server.seen
    assert seen.method == "POST"
    assert seen.header("content-length") == [str(len(BIG))]
    assert seen.header("transfer-encoding") == []
    assert seen.body == BIG
    assert response.content == BIG


def test_streamed_body_without_length_is_sent_chunked(server: Server) -> None:
    # Empty pieces must not go out as chunks: an empty chunk ends a chunked body.
    pieces = [b"alpha ", b"", b"beta " * 1000, b"", b"gamma"]
    with client() as http:
        response = http.put(server.url + "/echo", content=iter(pieces))
        after = http.get(server.url + "/hello")
    seen = server.seen[0]
    assert seen.method == "PUT"
    assert seen.header("transfer-encoding") == ["chunked"]
    assert seen.header("content-length") == []
    assert seen.body == b"".join(pieces)
    assert response.content == b"".join(pieces)
    # The terminating chunk was sent: the same connection serves the next request.
    assert after.content == HELLO
    assert server.opened == 1


def test_bytes_body_and_empty_post(server: Server) -> None:
    with client() as http:
        sized = http.post(server.url + "/echo", content=b"plain bytes")
        empty = http.post(server.url + "/echo")
    assert sized.content == b"plain bytes"
    assert empty.content == b""
    assert [s.body for s in server.seen] == [b"plain bytes", b""]
    assert server.seen[1].header("content-length") == ["0"]


def test_body_longer_than_its_content_length_is_refused(server: Server) -> None:
    with client() as http:
        with pytest.raises(httpx.TransportError):
            http.post(
                server.url + "/echo",
                content=iter([b"hello", b" world"]),
                headers={"Content-Length": "5"},
            )
        # Whatever happened to it, the next request gets its own answer.
        after = http.get(server.url + "/hello")
    assert after.status_code == 200
    assert after.content == HELLO


def test_body_shorter_than_its_content_length_is_refused(server: Server) -> None:
    with client(timeout=0.5) as http, pytest.raises(httpx.TransportError) as caught:
        http.post(server.url + "/echo", content=iter([b"hello"]), headers={"Content-Length": "20"})
    assert not isinstance(caught.value, httpx.TimeoutException)


# --- connections ---------------------------------------------------------------------------


def test_sequential_requests_share_one_connection(server: Server) -> None:
    with client() as http:
        first = http.get(server.url + "/hello")
        second = http.get(server.url + "/hello")
        third = http.post(server.url + "/echo", content=b"x")
    assert first.content == second.content == HELLO
    assert third.content == b"x"
    assert server.opened == 1
    assert server.connections_of("/hello") == [1, 1]


def test_connection_close_header_is_honoured(server: Server) -> None:
    with client() as http:
        first = http.get(server.url + "/close-header")
        second = http.get(server.url + "/hello")
    assert first.content == second.content == HELLO
    assert server.opened == 2
    assert server.connections_of("/hello") == [2]


def test_idle_connection_closed_by_server_is_not_reused(server: Server) -> None:
    """The server ends the connection after its answer without announcing it; once it has
    closed, the next request goes out on a new connection and succeeds."""
    with client() as http:
        first = http.get(server.url + "/close-quietly")
        assert server.wait_until(lambda: server.closed == 1)
        second = http.get(server.url + "/hello")
    assert first.content == second.content == HELLO
    assert server.opened == 2
    assert server.connections_of("/hello") == [2]


def test_get_dropped_on_a_reused_connection_is_sent_again(server: Server) -> None:
    """The server reads a GET on a kept-alive connection and closes without an answer: the
    transport sends it once more on a new connection."""
    with client() as http:
        first = http.get(server.url + "/drop-reused")
        second = http.get(server.url + "/drop-reused")
    assert first.content == second.content == b"fresh"
    assert server.connections_of("/drop-reused") == [1, 1, 2]
    assert server.opened == 2


def test_post_dropped_on_a_reused_connection_is_not_sent_again(server: Server) -> None:
    with client() as http:
        assert http.post(server.url + "/drop-reused", content=b"one").content == b"fresh"
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(server.url + "/drop-reused", content=b"two")
        # The broken connection is gone: the next request is served on a new one.
        assert http.get(server.url + "/hello").content == HELLO
    assert [s.body for s in server.seen if s.method == "POST"] == [b"one", b"two"]
    assert server.connections_of("/hello") == [2]


def test_stream_left_before_its_end_does_not_poison_the_pool(server: Server) -> None:
    with client() as http:
        with http.stream("GET", server.url + "/big") as response:
            first = next(response.iter_bytes())
        assert first == BIG[: len(first)]
        after = http.get(server.url + "/hello")
        big = http.get(server.url + "/big")
    assert after.content == HELLO
    assert big.content == BIG
    # The half-read connection was closed, not handed to the next request.
    assert server.connections_of("/hello") == [2]
    assert server.wait_until(lambda: server.closed >= 1)


def test_close_ends_idle_connections(server: Server) -> None:
    transport = StdlibTransport()
    http = httpx.Client(transport=transport, timeout=TIMEOUT)
    assert http.get(server.url + "/hello").content == HELLO
    # Idle in the pool, the connection stays open...
    assert not server.wait_until(lambda: server.closed > 0, timeout=0.1)
    http.close()
    # ...until the client closes: the server's read ends.
    assert server.wait_until(lambda: server.closed == 1)


def test_transport_close_then_new_requests_open_new_connections(server: Server) -> None:
    transport = StdlibTransport()
    with httpx.Client(transport=transport, timeout=TIMEOUT) as http:
        http.get(server.url + "/hello")
        transport.close()
        assert server.wait_until(lambda: server.closed == 1)
        assert http.get(server.url + "/hello").content == HELLO
    assert server.connections_of("/hello") == [1, 2]


def test_idle_connections_beyond_max_idle_are_closed(server: Server) -> None:
    with client(max_idle=1) as http:
        with (
            http.stream("GET", server.url + "/hello") as one,
            http.stream("GET", server.url + "/hello") as two,
        ):
            assert one.read() == two.read() == HELLO
        assert server.opened == 2
        # One went back to the pool, the other was closed.
        assert server.wait_until(lambda: server.closed == 1)
        assert http.get(server.url + "/hello").content == HELLO
        assert server.opened == 2
    assert server.wait_until(lambda: server.closed == 2)


def test_threads_share_the_pool(server: Server) -> None:
    """Several threads on one client: every answer right, and a new connection only when
    none was idle, so never more connections than threads."""
    bodies: list[bytes] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(http: httpx.Client) -> None:
        try:
            for _ in range(5):
                body = http.get(server.url + "/hello").content
                with lock:
                    bodies.append(body)
        except BaseException as exc:
            failures.append(exc)

    with client() as http:
        threads = [threading.Thread(target=work, args=(http,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert failures == []
    assert bodies == [HELLO] * 15
    assert 1 <= server.opened <= 3


# --- errors ----------------------------------------------------------------------------------


def test_nobody_listening_is_a_connect_error() -> None:
    # Bound but not listening: the port is taken, and connecting to it is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with client() as http, pytest.raises(httpx.ConnectError):
            http.get(f"http://127.0.0.1:{port}/")


def test_no_answer_is_a_read_timeout() -> None:
    # Listening but never accepting: the connection completes in the backlog, nobody reads.
    with socket.create_server(("127.0.0.1", 0)) as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        with client(timeout=0.5) as http, pytest.raises(httpx.ReadTimeout):
            http.get(url)


def test_body_stalling_is_a_read_timeout(raw_server: StartRaw) -> None:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart")
        stop.wait(5)

    srv = raw_server(serve)
    with (
        client(timeout=0.5) as http,
        http.stream("GET", srv.url + "/") as response,
        pytest.raises(httpx.ReadTimeout),
    ):
        for _ in response.iter_bytes():
            pass


def test_body_shorter_than_content_length_is_an_error(raw_server: StartRaw) -> None:
    """http.client's readinto() ends quietly where the server broke off; a body cut short of
    its Content-Length must still be an error, not a shorter body."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this much")

    srv = raw_server(serve)
    with client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(srv.url + "/")
        with (
            http.stream("GET", srv.url + "/") as response,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            for _ in response.iter_bytes():
                pass
    # The closed connection was not used again.
    assert srv.accepted == 2


def test_chunked_body_cut_short_is_an_error(raw_server: StartRaw) -> None:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")

    srv = raw_server(serve)
    with client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.get(srv.url + "/")


def test_connection_reset_during_body_is_a_transport_error(raw_server: StartRaw) -> None:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
        # Closing with SO_LINGER 0 resets the connection instead of ending it.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    srv = raw_server(serve)
    with client() as http, pytest.raises(httpx.TransportError):
        http.get(srv.url + "/")


def test_closed_without_answer_on_a_new_connection_is_not_retried(raw_server: StartRaw) -> None:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)

    srv = raw_server(serve)
    with client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.get(srv.url + "/")
    assert srv.accepted == 1


def test_malformed_status_line_is_a_protocol_error(raw_server: StartRaw) -> None:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"SMTP ready\r\n\r\n")

    srv = raw_server(serve)
    with client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.get(srv.url + "/")


def test_http10_body_until_close_is_read_whole(raw_server: StartRaw) -> None:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + TEXT)

    srv = raw_server(serve)
    with client() as http:
        first = http.get(srv.url + "/")
        second = http.get(srv.url + "/")
    assert first.content == second.content == TEXT
    # A body ended by closing leaves nothing to reuse.
    assert srv.accepted == 2


def test_unsupported_scheme() -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        StdlibTransport().handle_request(httpx.Request("GET", "ftp://127.0.0.1/file"))


def test_header_value_with_newline_is_an_httpx_error(server: Server) -> None:
    """http.client refuses it with a ValueError; callers handle httpx errors only."""
    with client() as http, pytest.raises(httpx.LocalProtocolError):
        http.get(server.url + "/hello", headers={"X-Bad": "a\r\nInjected: 1"})
    assert server.seen == []


# --- endless answers (the change-hint stream) -----------------------------------------------


def _endless(first: bytes, closing: bool = False) -> tuple[Serve, threading.Event]:
    """A chunked answer that sends ``first`` and then nothing until the test ends."""
    more = threading.Event()

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        if closing:
            head += b"Connection: close\r\n"
        conn.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
        conn.sendall(b"%X\r\n%s\r\n" % (len(first), first))
        while not (more.wait(0.05) or stop.is_set()):
            pass
        conn.sendall(b"5\r\nmore\n\r\n")
        stop.wait(10)

    return serve, more


def test_endless_body_arrives_piece_by_piece(raw_server: StartRaw) -> None:
    serve, more = _endless(b"event: ready\n\n")
    srv = raw_server(serve)
    with client() as http, http.stream("GET", srv.url + "/") as response:
        pieces = response.iter_bytes()
        # The first piece comes while the server still holds the rest back.
        assert next(pieces) == b"event: ready\n\n"
        more.set()
        assert next(pieces) == b"more\n"


@pytest.mark.parametrize("closing", [False, True], ids=["keep-alive", "connection-close"])
def test_closing_an_endless_body_from_another_thread_ends_the_read(
    raw_server: StartRaw, closing: bool
) -> None:
    """A listener thread blocked in a read must end when another thread closes the answer
    (the daemon stopping), not at the next keepalive or read timeout."""
    serve, _ = _endless(b"event: ready\n\n", closing)
    srv = raw_server(serve)
    outcome: list[BaseException | None] = []
    opened = threading.Event()
    with client(timeout=httpx.Timeout(5.0, read=None)) as http:
        response_box: list[httpx.Response] = []

        def read() -> None:
            try:
                with http.stream("GET", srv.url + "/") as response:
                    response_box.append(response)
                    pieces = response.iter_bytes()
                    next(pieces)
                    opened.set()
                    for _ in pieces:
                        pass
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert opened.wait(10)
        response_box[0].close()
        reader.join(10)
        assert not reader.is_alive(), "the read did not end when the answer was closed"
    assert outcome and (outcome[0] is None or isinstance(outcome[0], httpx.TransportError))
