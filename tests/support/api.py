"""Talking to a live docshelf server over HTTP, the way clients do."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from support.server import ServerProcess

API = "/api/v1"
PASSWORD = "pw-test-1234"
# Fast password hashing: tests log in hundreds of times; the algorithm stays argon2id.
FAST_HASHING = {"DOCSHELF_PASSWORD_TIME_COST": "1", "DOCSHELF_PASSWORD_MEMORY_KIB": "8192"}


# Makes the HTTP client of one Api from its base URL and headers: over the network, or
# in-process to an app (support.app).
Connect = Callable[[str, dict[str, str]], httpx.Client]


def network(base_url: str, headers: dict[str, str]) -> httpx.Client:
    # trust_env=False: an HTTP(S)_PROXY in the environment must not capture loopback calls.
    return httpx.Client(base_url=base_url, headers=headers, timeout=60, trust_env=False)


class Api:
    """An HTTP client for one signed-in device (or anonymous without token)."""

    def __init__(self, base_url: str, token: str | None = None, connect: Connect = network) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.token = token
        self.http = connect(base_url + API, headers)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Make a request that must succeed; returns the JSON body (None for 204)."""
        response = self.request(method, path, **kwargs)
        assert response.is_success, f"{method} {path} → {response.status_code}: {response.text}"
        return response.json() if response.content else None

    def upload(self, data: bytes) -> str:
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        self.ok("PUT", f"/blobs/{sha}", content=data)
        return sha

    def close(self) -> None:
        self.http.close()


def login(
    base_url: str,
    login_name: str,
    password: str = PASSWORD,
    device: str = "test",
    connect: Connect = network,
) -> Api:
    with connect(base_url + API, {}) as anon:
        response = anon.post(
            "/auth/login", json={"login": login_name, "password": password, "device_name": device}
        )
    assert response.status_code == 200, response.text
    return Api(base_url, response.json()["token"], connect)


def admin_cli(
    args: list[str], *, data_dir: str, database_url: str | None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``docshelf admin`` as a separate process, the way an administrator does."""
    target = ["--database-url", database_url] if database_url else ["--data-dir", data_dir]
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "admin", *target, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **FAST_HASHING},
    )


class ApiServer:
    """A docshelf server with a signed-in system administrator, reached through ``connect``."""

    def __init__(
        self,
        url: str,
        data_dir: Path,
        database_url: str | None,
        admin: Api,
        connect: Connect = network,
    ) -> None:
        self.url = url
        self.data_dir = data_dir  # the server's: files in blobs/, SQLite's database, logs/
        self.database_url = database_url
        self.admin = admin
        self.connect = connect
        self._clients: list[Api] = []

    def api(self, token: str | None = None) -> Api:
        """A client with this token (anonymous without), closed with the server."""
        client = Api(self.url, token, self.connect)
        self._clients.append(client)
        return client

    def anonymous(self) -> Api:
        return self.api()

    def login(self, login_name: str, password: str = PASSWORD, device: str = "test") -> Api:
        client = login(self.url, login_name, password, device, self.connect)
        self._clients.append(client)
        return client

    def new_user(
        self, *roles: str, login_name: str | None = None, **fields: Any
    ) -> tuple[Api, dict[str, Any]]:
        """Create a user with a fresh login and sign them in."""
        name = login_name or f"u{secrets.token_hex(4)}"
        record = self.admin.ok(
            "POST",
            "/admin/users",
            json={"login": name, "roles": list(roles or ("user",)), "password": PASSWORD, **fields},
        )
        return self.login(name), record

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.admin.close()


class LiveServer(ApiServer):
    """A running server process with a signed-in system administrator."""

    def __init__(self, process: ServerProcess, database_url: str | None, admin: Api) -> None:
        super().__init__(process.url, process.data_dir, database_url, admin)
        self.process = process


def start_live(server: ServerProcess) -> LiveServer:
    """Create the administrator ``root`` with the admin CLI, then sign in (server running)."""
    created = admin_cli(
        ["create-user", "root", "--role", "sys", "--password-stdin"],
        data_dir=str(server.data_dir),
        database_url=server.database_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    return LiveServer(server, server.database_url, login(server.url, "root"))
