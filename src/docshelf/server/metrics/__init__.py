"""What operators scrape at ``/metrics``: the server's metrics in the Prometheus text format.

``instruments`` holds the metrics, ``routes`` names a request by its route template,
``access`` decides who may scrape, ``endpoint`` answers the scrape. See
docs/operations.md, "Metrics".
"""

from __future__ import annotations

from docshelf.server.metrics.access import MetricsAccess
from docshelf.server.metrics.instruments import Metrics

__all__ = ["Metrics", "MetricsAccess"]
