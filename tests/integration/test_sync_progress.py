"""Progress in bytes as the desktop shows it ("Dateien laden 188,5 von 314,6 MB · 60 %"):
the total is known before the first byte and never shrinks, and the bytes done reach it,
also when a download resumes what an earlier sync left half-way."""

from __future__ import annotations

import secrets
from pathlib import Path

from docshelf.client.status import Phase, Status
from support.api import LiveServer
from support.sync import client_for, make_template

MiB = 1024 * 1024


def test_bytes_done_reach_a_stable_total_when_a_download_resumes(
    live: LiveServer, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    _, anna = live.new_user(login_name=f"anna{tag}")
    # Larger than a pack takes: fetched alone, resumed from its part file.
    data = b"PK\x03\x04" + secrets.token_bytes(6 * MiB - 4)
    template = make_template(live, f"Handbuch {tag}", use=["*"], data=data)
    sha = template["files"]["de"]["sha256"]
    client = client_for(live, tmp_path / "anna", anna["login"])
    # What an interrupted sync left: the first two MiB.
    client.files.partial_dir.mkdir(parents=True, exist_ok=True)
    (client.files.partial_dir / f"{sha}.part").write_bytes(data[: 2 * MiB])

    seen: list[Status] = []
    result = client.sync(listener=seen.append)

    assert result.status == "ok", result.error
    assert client.files.path(sha).read_bytes() == data
    files = [s for s in seen if s.phase is Phase.FILES]
    assert files, "no progress in files was published"
    assert all(s.bytes_total for s in files if s.bytes_done), "bytes came before their total"
    totals = [s.bytes_total or 0 for s in files]
    assert totals == sorted(totals), f"the total shrank: {totals}"
    last = files[-1]
    # Only what was still to come counts, so that the end is 100 %.
    assert last.bytes_total is not None and last.bytes_total >= 4 * MiB
    assert last.bytes_done == last.bytes_total
    assert last.percent == 100
