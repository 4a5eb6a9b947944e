"""Who may scrape /metrics: the decision, for addresses a test can't connect from."""

from __future__ import annotations

import re

import pytest

from docshelf.domain.errors import ConfigurationError
from docshelf.server.metrics.access import MetricsAccess, Refusal

TOKEN = "s3cret-token"


def test_by_default_only_loopback_may_scrape() -> None:
    access = MetricsAccess.configure(None, None)
    assert access.decide("127.0.0.1", None) is None
    assert access.decide("::1", None) is None
    assert access.decide("::ffff:127.0.0.1", None) is None
    assert access.decide("10.1.2.3", None) is Refusal.NETWORK
    assert access.decide("192.168.1.20", f"Bearer {TOKEN}") is Refusal.NETWORK
    assert access.decide(None, None) is Refusal.NETWORK
    assert access.decide("testclient", None) is Refusal.NETWORK


def test_a_token_alone_opens_every_address_to_its_bearer() -> None:
    access = MetricsAccess.configure(TOKEN, None)
    assert access.decide("10.1.2.3", f"Bearer {TOKEN}") is None
    assert access.decide("10.1.2.3", f"bearer  {TOKEN} ") is None
    assert access.decide("127.0.0.1", None) is Refusal.TOKEN
    assert access.decide("10.1.2.3", "Bearer wrong") is Refusal.TOKEN
    assert access.decide("10.1.2.3", f"Basic {TOKEN}") is Refusal.TOKEN


def test_networks_and_a_token_are_both_required() -> None:
    access = MetricsAccess.configure(TOKEN, "10.0.0.0/8, 2001:db8::/32")
    assert access.decide("10.200.0.7", f"Bearer {TOKEN}") is None
    assert access.decide("2001:db8::5", f"Bearer {TOKEN}") is None
    assert access.decide("10.200.0.7", None) is Refusal.TOKEN
    # Loopback is not on the list, so not allowed either.
    assert access.decide("127.0.0.1", f"Bearer {TOKEN}") is Refusal.NETWORK


def test_networks_alone_need_no_token() -> None:
    access = MetricsAccess.configure(None, "192.168.5.10")
    assert access.decide("192.168.5.10", None) is None
    assert access.decide("192.168.5.11", None) is Refusal.NETWORK


def test_a_network_that_is_none_is_refused_at_start() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("«10.0.0.0/33»")):
        MetricsAccess.configure(None, "10.0.0.0/33")
