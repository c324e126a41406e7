"""Every URL pattern of the site, walked from the resolver, and URLs built from them.

The security tests go through this list rather than a hand-kept one, so a view added tomorrow is
checked tomorrow; a pattern with a parameter nobody gave a value for fails the test that meets it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# Regular-expression patterns of the admin site, with a concrete path for each.
REGEX_PATHS = {
    "admin:app_list": "admin/surveys/",
    None: "admin/no-such-page/",  # the admin's final catch-all
}


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route, namespaced name, view and parameter names."""

    route: str
    name: str | None
    callback: Callable[..., Any]
    parameters: tuple[str, ...]
    is_regex: bool

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def admin_model(self) -> type[Model] | None:
        """The model of the ModelAdmin that serves ``admin/<app>/<model>/...``, if any."""
        parts = self.route.split("/")
        if len(parts) < 3 or parts[0] != "admin":
            return None
        for model in admin.site._registry:
            if (model._meta.app_label, model._meta.model_name) == (parts[1], parts[2]):
                return model
        return None

    def url(self, values: Mapping[str, object]) -> str:
        """The path with each ``<converter:name>`` replaced by ``values[name]``."""
        if self.is_regex:
            return "/" + REGEX_PATHS[self.name]
        missing = [name for name in self.parameters if name not in values]
        if missing:
            raise KeyError(f"no value for {missing} in {self.route} ({self.name})")
        return "/" + _PARAMETER.sub(lambda match: str(values[match["name"]]), self.route)

    def __str__(self) -> str:
        return f"{self.name or '(unnamed)'} {self.route}"


def _walk(patterns: list[Any], prefix: str, namespace: str | None, regex: bool) -> Iterator[Route]:
    for pattern in patterns:
        is_regex = regex or not isinstance(pattern.pattern, RoutePattern)
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, inner, is_regex)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            if namespace and not pattern.name:
                name = None
            parameters = tuple(match["name"] for match in _PARAMETER.finditer(route))
            yield Route(route, name, pattern.callback, parameters, is_regex)


def all_routes(urlconf: str | None = None) -> list[Route]:
    """Every URL pattern of ``urlconf`` (the site's ROOT_URLCONF by default)."""
    return list(_walk(get_resolver(urlconf).url_patterns, "", None, False))
