"""Masks credential-like strings inside vendor payloads before a model sees them."""

from __future__ import annotations

import re
from collections.abc import Sequence

_PATTERNS = [  # each with a substring it cannot match without (a plain `in` is far cheaper than a regex scan)
    # URL query values and key=value pairs whose name says "secret"
    (
        "=",
        re.compile(
            r"(?i)(?<![A-Za-z0-9])((?:access_?key(?:_?id|_?secret)?|secret(?:_?key|_?id)?|api_?key|key|token|"
            r"password|passwd|pwd|signature|sig|x-acs-security-token|security_?token|credential)=)([^&\s\"'<>]{4,})"
        ),
    ),
    (
        '"',
        re.compile(
            r"(?i)(\"(?:access_?key_?secret|secret_?key|password|api_?key|token|security_?token)\"\s*:\s*\")([^\"]{4,})"
        ),
    ),
    ("bearer", re.compile(r"(?i)(Bearer\s+)([A-Za-z0-9._~+/=-]{8,})")),
]
_BARE = re.compile(r"\b(LTAI[0-9A-Za-z]{12,30}|AKID[0-9A-Za-z]{16,40}|sk-[A-Za-z0-9_-]{16,})\b")
MASK = "***"


def mask(text: str) -> str:
    """Replace secrets in text with ``***``, keeping enough around them to show what was there."""
    if not text:
        return text
    folded = text.lower()
    for needle, pattern in _PATTERNS:
        if needle in folded:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
    if "ltai" in folded or "akid" in folded or "sk-" in folded:
        text = _BARE.sub(lambda m: m.group(1)[:4] + MASK, text)
    return text


def mask_secrets(text: str, secrets: Sequence[str]) -> str:
    """Remove exact configured secrets (credentials this server holds) from any text."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text
