"""The real URLs plus the baseline view of the page benchmarks; never part of ``config.urls``."""

from django.urls import include, path

from bench.views import baseline_view

urlpatterns = [
    path("bench/baseline/", baseline_view, name="bench-baseline"),
    path("", include("config.urls")),
]
