from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """A plain landing page: Volna has no public survey list (links are shared by researchers)."""
    return render(request, "home.html")
