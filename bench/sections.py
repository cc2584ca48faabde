"""A benchmark's own section of a Markdown file, between ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers,
replaced in place (or added at the end with its markers) while the rest of the file is left as it is."""

from __future__ import annotations

import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` between the ``name`` markers of ``path``."""
    begin, end = markers(name)
    section = f"{begin}\n{body.strip(chr(10))}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section + "\n"
    path.write_text(text, encoding="utf-8")


def marked(text: str) -> list[str]:
    """Every marked section of ``text``, markers included, in order: what a rewrite of the whole file keeps."""
    return [m.group(0) for m in re.finditer(r"<!-- (\w+):begin -->.*?<!-- \1:end -->", text, re.S)]
