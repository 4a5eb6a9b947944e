"""Who may scrape ``/metrics``: a bearer token, an allowed network, or both.

Metrics tell how busy the server is and which routes fail: not for everyone, but not
worth an account either. Operators expect what Prometheus' own exporters do:

* nothing configured: only this machine (127.0.0.1, ::1) may scrape;
* a token (``DOCSHELF_METRICS_TOKEN``): a scrape must send it as a bearer token, from any
  address unless networks are given too;
* networks (``DOCSHELF_METRICS_NETWORKS``, addresses or CIDR networks separated by commas):
  only scrapes from there (and with the token, if one is configured).

The address is the TCP peer's: behind a reverse proxy it is the proxy's, so scrape each
process at its own address (as Prometheus scrapes targets one by one anyway).
"""

from __future__ import annotations

import enum
import hmac
import ipaddress
from dataclasses import dataclass

from docshelf.domain.errors import ConfigurationError
from docshelf.i18n import tr

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


class Refusal(enum.Enum):
    NETWORK = "network"  # the scrape comes from an address that may not scrape
    TOKEN = "token"  # the token is missing or wrong


@dataclass(frozen=True)
class MetricsAccess:
    token: str | None = None
    # None: any address (only when a token guards the metrics).
    networks: tuple[Network, ...] | None = LOOPBACK

    @classmethod
    def configure(cls, token: str | None, networks: str | None) -> MetricsAccess:
        token = token or None
        if networks is None or not networks.strip():
            return cls(token, None if token else LOOPBACK)
        return cls(token, parse_networks(networks))

    def decide(self, peer: str | None, authorization: str | None) -> Refusal | None:
        """None when a scrape from ``peer`` with this Authorization header may read."""
        if self.networks is not None and not _within(peer, self.networks):
            return Refusal.NETWORK
        if self.token is not None and not _bearer_matches(authorization, self.token):
            return Refusal.TOKEN
        return None


def parse_networks(text: str) -> tuple[Network, ...]:
    networks = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise ConfigurationError(
                tr(
                    "«{value}» in DOCSHELF_METRICS_NETWORKS is neither an address nor a"
                    " network (such as 10.0.0.0/8).",
                    value=part.strip(),
                )
            ) from None
    return tuple(networks)


def _within(peer: str | None, networks: tuple[Network, ...]) -> bool:
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _bearer_matches(authorization: str | None, token: str) -> bool:
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(), token.encode())
