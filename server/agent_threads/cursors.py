"""Opaque, tamper-evident cursors.

A cursor is bound to the provider and thread it was made for, so a model can only pass it back untouched:
an edited cursor, or one used on another thread or provider, is rejected. A stdio server keeps the paging
state and hands out short handles (``CursorStore``); over HTTP, or when ``AGENT_THREADS_CURSOR_KEY`` is set,
the cursor carries the state itself, sealed with that key (``CursorCodec``), so replicas and restarts can
continue each other's cursors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import string
from collections import OrderedDict
from typing import Any

from .errors import UsageError

_KEY = os.environ.get("AGENT_THREADS_CURSOR_KEY", "").encode() or os.urandom(32)
_ALPHABET = string.ascii_letters + string.digits
_MAC_LEN = 9  # 72-bit tag: forging one is out of reach, and it costs the model 12 characters


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
        # bytes: compare_digest refuses non-ASCII str, and a pasted cursor may hold anything
        if not payload or not hmac.compare_digest(mac.encode(), self._mac(scope, payload).encode()):
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


class CursorStore:
    """Short cursors for a server that talks to one client (stdio): the state stays here and the model passes
    back a 10-character handle instead of ~150 tokens of sealed state. Handles are bound to their scope like
    sealed cursors; they live as long as the process (the newest ``size`` of them)."""

    def __init__(self, size: int = 20_000) -> None:
        self._states: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self._size = size

    def encode(self, scope: str, state: dict[str, Any]) -> str:
        handle = "c" + "".join(secrets.choice(_ALPHABET) for _ in range(9))
        self._states[handle] = (scope, state)
        while len(self._states) > self._size:
            self._states.popitem(last=False)
        return handle

    def decode(self, scope: str, cursor: str) -> dict[str, Any]:
        """The state behind a handle made for this scope. Raises UsageError otherwise."""
        found = self._states.get(cursor.strip())
        if found is None or found[0] != scope:
            raise UsageError(
                "This cursor is not valid here: it was edited, made for another thread or provider, or the server "
                "restarted since.",
                hint="Pass next_cursor back exactly as received, with the same thread/provider; omit it to start over.",
            )
        return found[1]


Codec = CursorCodec | CursorStore
