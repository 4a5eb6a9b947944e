from support.api import LiveServer


def test_me(live: LiveServer) -> None:
    me = live.admin.ok("GET", "/me")
    assert me["login"] == "root"
    assert "sys" in me["roles"]
