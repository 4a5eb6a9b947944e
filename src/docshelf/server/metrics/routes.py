"""A request's route template (``/api/v1/templates/{template_id}``), never its raw path:
a metric's labels must stay a small, fixed set whatever paths clients send."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Mount, Route, compile_path
from starlette.types import Scope

# A path no route serves (a typo, a scanner): one label for all of them.
OTHER = "other"


class RouteNames:
    """Learns the app's routes with the prefixes they are included under (the framework
    keeps included routers' full paths to itself), then names each request's route: by
    the route the router chose, or for a request answered before routing (a quick poll or
    download, a refusal) by matching its path the way the router would."""

    def __init__(self) -> None:
        # By id(): routes don't hash; kept alive in _known so that no id is reused.
        self._by_route: dict[int, str] = {}
        self._known: list[Any] = []
        self._by_path: dict[str, str] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] = []

    def learn(self, routes: Iterable[BaseRoute], prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                template = f"{prefix}{route.path}/{{path}}"
                key: Any = route.app  # a mount's scope names its app as the endpoint
                pattern = compile_path(f"{prefix}{route.path}/{{path:path}}")[0]
            elif isinstance(route, Route):
                template = prefix + route.path
                key = route
                pattern = compile_path(template)[0]
            else:
                continue  # an included router: learnt from its own routes and prefix
            self._known.append(key)
            self._by_route.setdefault(id(key), template)
            if "{" not in template:
                self._by_path.setdefault(template, template)
            else:
                self._patterns.append((pattern, template))

    def template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None and (known := self._by_route.get(id(route))) is not None:
            return known
        endpoint = scope.get("endpoint")
        if endpoint is not None and (known := self._by_route.get(id(endpoint))) is not None:
            return known
        path = str(scope.get("path", ""))
        if (known := self._by_path.get(path)) is not None:
            return known
        for pattern, template in self._patterns:
            if pattern.match(path):
                return template
        return OTHER
