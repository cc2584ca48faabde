"""Opaque, tamper-evident cursors.

A cursor carries a provider's paging state, bound to the provider and thread it was made for and signed
with the server's key, so a model can only pass it back untouched: an edited cursor, or one used on
another thread or provider, is rejected. Set ``AGENT_THREADS_CURSOR_KEY`` to share cursors between
replicas or across restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from .errors import UsageError

_KEY = os.environ.get("AGENT_THREADS_CURSOR_KEY", "").encode() or os.urandom(32)
_MAC_LEN = 12


class CursorCodec:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or _KEY

    def encode(self, scope: str, state: dict[str, Any]) -> str:
        body = json.dumps(state, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
        payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        return f"{payload}.{self._mac(scope, payload)}"

    def decode(self, scope: str, cursor: str) -> dict[str, Any]:
        """The state behind a cursor made for this scope. Raises UsageError otherwise."""
        payload, _, mac = cursor.strip().rpartition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise UsageError(
                "This cursor is not valid here: it was edited, or made for another thread, provider or server run.",
                hint="Pass next_cursor back exactly as received, with the same thread/provider; omit it to start over.",
            )
        try:
            state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError) as e:
            raise UsageError("Unreadable cursor.", hint="Omit cursor to start from the beginning.") from e
        if not isinstance(state, dict):
            raise UsageError("Unreadable cursor.", hint="Omit cursor to start from the beginning.")
        return state

    def _mac(self, scope: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{scope}\n{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_LEN]).decode()
