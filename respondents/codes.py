"""Invitation tokens and resume codes: random, shown once, stored only as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

# Crockford's base32 without I, L, O, U: easy to read aloud and type on a phone.
RESUME_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RESUME_LENGTH = 10  # 50 bits; guessing is throttled and codes only open in-progress responses
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def keyed_hash(purpose: str, secret: str) -> str:
    """HMAC-SHA256 of ``secret`` under VOLNA_TOKEN_KEY, separated by ``purpose``."""
    key = settings.VOLNA_TOKEN_KEY.encode()
    return hmac.new(key, f"{purpose}:{secret}".encode(), hashlib.sha256).hexdigest()


def new_invitation_token() -> str:
    """128 random bits in hex: URL-safe, and never starting with '-' or '=' in a spreadsheet."""
    return secrets.token_hex(16)


def invitation_hash(token: str) -> str:
    return keyed_hash("invitation", token)


def new_resume_code() -> str:
    raw = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_resume_code(typed: str) -> str | None:
    """The canonical form of what a respondent typed, or None if it cannot be a code."""
    cleaned = re.sub(r"[\s\-]", "", typed or "").upper().translate(_CONFUSABLE)
    if len(cleaned) != RESUME_LENGTH or any(c not in RESUME_ALPHABET for c in cleaned):
        return None
    return f"{cleaned[:5]}-{cleaned[5:]}"


def resume_hash(wave_id: int, code: str) -> str:
    return keyed_hash(f"resume:{wave_id}", code)
