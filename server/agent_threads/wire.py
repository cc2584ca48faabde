"""What every vendor's wire code does the same way: validating a reply into its model, compact JSON, a value as text."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ProtocolError

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, *, provider: str, what: str) -> M:
    """``data`` (JSON text or bytes, or decoded JSON) as ``model``. Raises ProtocolError naming ``what`` when it
    is not JSON or not in the expected shape."""
    try:
        if isinstance(data, (bytes, str)):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as e:
        if any(error["type"] == "json_invalid" for error in e.errors()):
            preview = data[:80] if isinstance(data, str) else data[:80].decode(errors="replace")
            raise ProtocolError(f"{what} is not JSON: {preview!r}", provider=provider) from e
        raise ProtocolError(f"unexpected {what}: {e.error_count()} invalid field(s)", provider=provider) from e


def compact_json(value: Any) -> str:
    """``value`` as JSON without spaces, non-ASCII kept as is (what the vendors send, and fewer tokens)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_text(value: Any) -> str:
    """A string as it is, nothing as ``""``, anything else as compact JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else compact_json(value)


def join_blocks(pieces: Iterable[str | None]) -> str:
    """One text from a message's blocks in order (None: a block that is not text). Adjacent text blocks are one
    text, as streaming and citations split sentences across them: they join with nothing between them; a line
    break marks only where a non-text block sat between two texts."""
    text, apart = "", False
    for piece in pieces:
        if piece is None:
            apart = True
            continue
        text += ("\n" if apart and text and piece else "") + piece
        apart = apart and not piece
    return text
