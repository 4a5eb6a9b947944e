"""The server's own configuration (environment ``DOCSHELF_*`` or command-line options).

These are settings of the installation. What administrators change at run time
and clients receive (the sync interval, ...) lives in the database instead, see
:mod:`docshelf.domain.settings`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCSHELF_", extra="ignore")

    data_dir: Path = Field(description="Directory for the SQLite database, files and logs.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite in the data dir. For PostgreSQL use"
        " postgresql+psycopg://user:password@host/db",
    )
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8470, ge=1, le=65535, description="Port to listen on.")
    blob_dir: Path | None = Field(
        default=None,
        description="Where files are stored, content-addressed. Several servers sharing one"
        " PostgreSQL must share this directory too. Default: <data dir>/blobs.",
    )
    blob_store: str | None = Field(
        default=None,
        description="Where files are stored: a directory (like blob_dir), or S3-compatible"
        " object storage as s3://BUCKET/PREFIX (endpoint from DOCSHELF_S3_ENDPOINT,"
        " credentials and region from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)."
        " Default: blob_dir.",
    )
    s3_endpoint: str | None = Field(
        default=None,
        description="URL of the S3-compatible service (MinIO, SeaweedFS, Ceph, ...);"
        " none: Amazon S3 itself.",
    )
    blob_redirect: bool = Field(
        default=False,
        description="Answer downloads of large files from object storage with a redirect to"
        " a short-lived presigned URL, so their bytes bypass the server (after the"
        " permission check).",
    )
    blob_redirect_min_bytes: int = Field(
        default=4 * MiB,
        ge=0,
        description="Files at least this large are redirected when blob_redirect is on"
        " (bytes); smaller ones cost less served directly than a second round trip.",
    )
    blob_redirect_seconds: int = Field(
        default=300,
        ge=10,
        le=7 * 24 * 3600,
        description="How long a redirect's presigned URL stays valid (seconds).",
    )
    max_json_bytes: int = Field(
        default=1 * MiB, ge=1024, description="Largest JSON request body accepted (bytes)."
    )
    max_upload_bytes: int = Field(
        default=512 * MiB, ge=1024, description="Largest file upload accepted (bytes)."
    )
    max_package_bytes: int = Field(
        default=512 * MiB,
        ge=1024,
        description="Largest package upload accepted (bytes); a package may unpack to four"
        " times as much.",
    )
    login_free_failures: int = Field(
        default=5, ge=1, description="Failed logins per account before logins slow down."
    )
    login_max_lockout_seconds: int = Field(
        default=900, ge=1, description="Longest wait after repeated failed logins (seconds)."
    )
    max_heavy_requests: int = Field(
        default=16,
        ge=1,
        description="Concurrent initial syncs and file downloads per process before 503.",
    )
    body_timeout_seconds: float = Field(
        default=30,
        gt=0,
        description="Longest wait for the next part of a request body, and the grace before"
        " min_body_bytes_per_second applies; a slower client gets 408 (seconds).",
    )
    min_body_bytes_per_second: float = Field(
        default=4096,
        ge=0,
        description="Slowest average pace a request body may arrive at after the grace;"
        " a slower client gets 408 (bytes per second, 0: no minimum).",
    )
    tombstone_retention_days: float = Field(
        default=90,
        ge=0,
        description="How long deletions are kept for clients that were offline (days).",
    )
    mutation_retention_days: float = Field(
        default=90,
        ge=1,
        description="How long the answers to uploaded edits are kept, so that a client"
        " repeating an upload gets the first answer (days). Keep it longer than clients"
        " stay offline with edits pending.",
    )
    dashboard_session_hours: float = Field(
        default=12,
        gt=0,
        description="How long a sign-in to the web dashboard lasts before it asks again (hours).",
    )
    dashboard_idle_minutes: float = Field(
        default=60,
        gt=0,
        description="How long a sign-in to the web dashboard may go unused before it asks"
        " again (minutes).",
    )
    activity_flush_seconds: float = Field(
        default=10,
        gt=0,
        description="How often a server process adds its count of completed syncs to the"
        " database, for the dashboard's chart (seconds).",
    )
    hint_heartbeat_seconds: float = Field(
        default=20,
        gt=0,
        description="How often a held change-hint stream carries a keepalive, so proxies keep"
        " it open and both ends notice a dead peer (seconds).",
    )
    hint_stream_seconds: float = Field(
        default=300,
        gt=0,
        description="How long a change-hint stream is held (give or take 10 %) before the"
        " server ends it and the client reconnects, so rights and load balancing stay"
        " fresh (seconds).",
    )
    hint_syncs_per_second: float = Field(
        default=100,
        gt=0,
        description="The pace of syncs a change hint may bring to one process: a change that"
        " concerns many clients spreads their syncs over a window this rate fills.",
    )
    hint_report_seconds: float = Field(
        default=15,
        gt=0,
        description="How often a server process writes the number of change-hint streams it"
        " holds into the database, for the dashboard (seconds); the dashboard counts the"
        " processes that reported within four times this, at least a minute.",
    )
    max_hint_streams: int = Field(
        default=10000,
        ge=0,
        description="Change-hint streams one process holds at most; beyond, 503 with"
        " Retry-After (clients then sync at their interval).",
    )
    password_time_cost: int = Field(default=3, ge=1, description="argon2id iterations.")
    password_memory_kib: int = Field(default=65536, ge=16, description="argon2id memory (KiB).")
    max_password_checks: int = Field(
        default=4,
        ge=1,
        description="Password checks (sign-ins) one process runs at once; beyond, a sign-in"
        " gets 429 with Retry-After at once, so a flood of sign-ins holds no worker thread"
        " and no memory that signed-in clients need.",
    )

    metrics_token: str | None = Field(
        default=None,
        description="Bearer token a scrape of /metrics must send. Without it (and without"
        " DOCSHELF_METRICS_NETWORKS) only this machine (127.0.0.1, ::1) may scrape.",
    )
    metrics_networks: str | None = Field(
        default=None,
        description="Addresses or networks (CIDR, comma-separated) that may scrape /metrics."
        " Default: loopback only without a token, any address with one.",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'docshelf.db').resolve()}"

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    def resolved_blob_store(self) -> str:
        """``s3://BUCKET/PREFIX`` or the directory of the files."""
        return self.blob_store or str(self.resolved_blob_dir())

    @property
    def log_path(self) -> Path:
        return self.data_dir / "logs" / "server.log"
