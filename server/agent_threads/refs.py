"""Thread refs: one string that names any container or thread, e.g. ``qoder:sess_1/sthr_2``.

A segment holding ``/``, ``%`` or whitespace is percent-encoded. Anything malformed is rejected with a
message that shows the accepted forms, before any vendor is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from . import vendors
from .errors import UsageError

_PROVIDER = re.compile(r"^([a-z][a-z0-9]*)(\.[A-Za-z0-9_-]{1,40})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1
_MAX_LEN = 1024


@dataclass(frozen=True)
class ThreadRef:
    provider: str
    parts: tuple[str, ...]

    @property
    def family(self) -> str:
        return self.provider.split(".", 1)[0]

    def __str__(self) -> str:
        return f"{self.provider}:" + "/".join(quote(p, safe="") if _needs_quote(p) else p for p in self.parts)

    def child(self, segment: str) -> ThreadRef:
        return ThreadRef(self.provider, (*self.parts, segment))


def accepted_forms() -> str:
    return "; ".join(vendors.all_forms())


def _needs_quote(segment: str) -> bool:
    return any(ch == "/" or ch == "%" or ch.isspace() or ch in ":?#" or not ch.isprintable() for ch in segment)


def parse_ref(text: str, *, depth: tuple[int, ...] | None = None) -> ThreadRef:
    """Parse and validate a ref. Raises UsageError naming the accepted forms."""
    if text.startswith("./"):
        raise UsageError(
            f"{text[:80]!r} is written relative to the thread it appeared in.",
            hint="Its full ref is that thread's ref with the last part replaced by what follows './'.",
        )
    provider, sep, rest = text.strip().partition(":")
    match = _PROVIDER.match(provider)
    if not sep or not match or vendors.spec_of(match.group(1)) is None or len(text) > _MAX_LEN:
        raise UsageError(f"Not a thread ref: {text[:80]!r}.", hint=f"Accepted forms: {accepted_forms()}.")
    parts = tuple(_segment(raw, text) for raw in rest.split("/"))
    family = match.group(1)
    forms = vendors.forms(family)
    allowed = depth or tuple(len(f.split("/")) for f in forms)
    if len(parts) not in allowed:
        raise UsageError(f"Wrong shape of ref {text[:80]!r}.", hint=f"Accepted forms: {', '.join(forms)}.")
    return ThreadRef(provider, parts)


def _segment(raw: str, whole: str) -> str:
    try:
        value = unquote(raw, errors="strict") if "%" in raw else raw
    except UnicodeDecodeError:
        value = ""  # percent-escapes that are not UTF-8
    bad = not value or value in (".", "..") or _CONTROL.search(value) or _CONTROL.search(raw) or raw != raw.strip()
    if bad:
        raise UsageError(
            f"Bad segment {raw[:40]!r} in ref {whole[:80]!r}: empty, '.', '..', control characters or not UTF-8.",
            hint=f"Accepted forms: {accepted_forms()}. Encode '/', '%' and spaces inside an id as %2F, %25, %20.",
        )
    return value


RESOURCE_TEMPLATE = "thread://{+ref}"
"""A thread as an MCP resource: reserved expansion, so a ref is written as it is."""


def thread_uri(ref: str) -> str:
    """The resource URI of a ref (``%`` encoded once more, since the URI is decoded once)."""
    return "thread://" + quote(ref, safe=":/")
