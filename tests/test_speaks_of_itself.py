"""The project speaks of itself only: no tracked file points at an issue tracker, at files outside the
repository, or at the people and process that built it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = re.compile(
    r"""\bissues?\s*\#?\d+            # an issue number: "issue 6", "Issue #12"
      | \.\./shared | /work/ | \bshared/(?:reference|seeds)\b | \bDESIGN\.md\b | \bstyle-anchors\b
      | \bthe\ lead\b | \breport\ to\ the\b | \bthis\ round\b""",
    re.IGNORECASE | re.VERBOSE,
)
SKIPPED = {"uv.lock", Path(__file__).relative_to(ROOT).as_posix()}  # the lock is generated; this file names them


def _tracked_text() -> dict[str, str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    texts: dict[str, str] = {}
    for name in filter(None, listed.decode().split("\0")):
        path = ROOT / name
        if name in SKIPPED or not path.is_file():
            continue
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not a text file
    return texts


def test_no_tracked_file_refers_to_issues_outside_files_or_the_people_who_built_it() -> None:
    texts = _tracked_text()
    assert {"README.md", "docs/hosts.md", "bench/README.md", "server/agent_threads/__main__.py"} <= set(texts)
    found = [
        f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
        for name, text in texts.items()
        for m in OUTSIDE.finditer(text)
    ]
    assert found == []


def test_the_pattern_catches_what_it_is_for() -> None:
    caught = ["see issue 6", "Issue #12 asks", "read ../shared/notes", "ask the lead", "done in this round"]
    assert all(OUTSIDE.search(text) for text in caught)
    assert not [t for t in ("Weekly Report Bot", "issues a token", "saved the brief") if OUTSIDE.search(t)]
