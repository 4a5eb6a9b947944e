"""/readyz says whether this process can serve; /healthz only that it is up."""

from __future__ import annotations

from support.app import AppServer


def test_readyz_fails_while_the_blob_store_is_unusable(live: AppServer) -> None:
    root = live.state.blobs.root
    http = live.anonymous().http
    assert http.get(live.url + "/readyz").status_code == 200
    moved = root.with_name(root.name + "-away")
    root.rename(moved)  # as when the shared mount is gone
    try:
        answer = http.get(live.url + "/readyz")
        assert answer.status_code == 503
        assert int(answer.headers["Retry-After"]) > 0
        problem = answer.json()
        assert problem["code"] == "blob_store_unavailable"
        assert str(root) in problem["detail"]
        # The process itself is fine: a restart would not help, so liveness stays good.
        assert http.get(live.url + "/healthz").status_code == 200
    finally:
        moved.rename(root)
    assert http.get(live.url + "/readyz").status_code == 200
