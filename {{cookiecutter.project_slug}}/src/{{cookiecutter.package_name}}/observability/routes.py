"""The route template a request matched{% if cookiecutter.database != "none" %}, such as `/api/v1/items/{item_id}`{% endif %}, never its raw path.

The access log labels requests with it{% if cookiecutter.metrics %}, and so do the metrics{% endif %}: the raw path holds ids, and
a label with one value per id grows without bound. The router leaves the matched endpoint in
the scope; the full template (with the prefixes of the routers that include it) comes from the
app's routes, looked up once per endpoint.
"""

from collections.abc import Callable
from re import Pattern
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.types import Scope

UNMATCHED = "<unmatched>"


class RouteTemplates:
    """Maps a handled request's scope to its route template; UNMATCHED when no route matched."""

    def __init__(self) -> None:
        self._templates: dict[Callable[..., Any], str] = {}
        # An endpoint mounted under several templates (one router included twice).
        self._shared: dict[Callable[..., Any], list[tuple[Pattern[str], str]]] = {}

    def __call__(self, scope: Scope) -> str:
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED
        template = self._templates.get(endpoint)
        if template is not None:
            return template
        return self._resolve(scope, endpoint)

    def _resolve(self, scope: Scope, endpoint: Callable[..., Any]) -> str:
        """The slow path: an endpoint seen for the first time, or one with several templates."""
        if endpoint not in self._shared:
            candidates = [
                (context.path_regex, context.path_format)
                for context in iter_route_contexts(scope["app"].routes)
                if context.endpoint == endpoint and context.path_format is not None
            ]
            if len({template for _, template in candidates}) == 1:
                self._templates[endpoint] = candidates[0][1]
                return candidates[0][1]
            self._shared[endpoint] = candidates
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        for regex, template in self._shared[endpoint]:
            if regex.match(path):
                return template
        return UNMATCHED
