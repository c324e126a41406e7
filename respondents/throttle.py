"""Rate limits without tracking: counters in the cache (Redis) under a keyed, rotating hash.

The client address is read only to be hashed with a salt that changes every hour; neither the
address nor the hash is stored beyond the window, logged or linked to a response. When the cache is
down, limits fail open: respondents are never blocked by an outage.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _client_address(request: HttpRequest) -> str:
    """The client's address as the first trusted proxy saw it (VOLNA_TRUSTED_PROXIES hops)."""
    hops = settings.VOLNA_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def _client_key(request: HttpRequest, scope: str, window: int) -> str:
    # Anonymity: the address is used here only to count attempts (DESIGN.md §4), never stored.
    address = _client_address(request)
    period = int(time.time() // 3600)
    salt = hmac.new(settings.VOLNA_TOKEN_KEY.encode(), f"throttle:{period}".encode(), hashlib.sha256).digest()
    digest = hmac.new(salt, f"{scope}:{address}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"throttle:{scope}:{int(time.time() // window)}:{digest}"


def allow(request: HttpRequest, scope: str, *, limit: int, window: int) -> bool:
    """Count one attempt; False once ``limit`` attempts were made within ``window`` seconds."""
    key = _client_key(request, scope, window)
    try:
        if cache.add(key, 1, timeout=window):
            return True
        return cache.incr(key) <= limit
    except Exception:  # the cache is down or slow: fail open
        logger.warning("rate limit store unavailable; %s not limited", scope)
        return True


def exceeded(request: HttpRequest, scope: str, *, limit: int, window: int) -> bool:
    """Whether ``limit`` failures were recorded in ``scope`` within ``window`` seconds (counts nothing)."""
    try:
        return (cache.get(_client_key(request, scope, window)) or 0) >= limit
    except Exception:  # the cache is down or slow: fail open
        logger.warning("rate limit store unavailable; %s not limited", scope)
        return False


def record_failure(request: HttpRequest, scope: str, *, window: int) -> None:
    """Count one failed attempt (a wrong resume code, an unknown invitation token)."""
    key = _client_key(request, scope, window)
    try:
        if not cache.add(key, 1, timeout=window):
            cache.incr(key)
    except Exception:
        logger.warning("rate limit store unavailable; %s not counted", scope)
