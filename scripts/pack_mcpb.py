#!/usr/bin/env python3
"""Build the MCP Bundle: a zip of ``manifest.json`` and what ``uv run`` needs to start the server.

    python scripts/pack_mcpb.py [-o dist/agent-threads-mcp-<version>.mcpb]

Standard library only (it runs before any environment exists). The bundle is reproducible: files are listed
explicitly, sorted, and stamped with a fixed time. It refuses to pack when manifest.json, pyproject.toml and
the package disagree on the version.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_FILES = ("manifest.json", "pyproject.toml", "uv.lock", "README.md", "LICENSE")
PACKAGE = Path("server") / "agent_threads"
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackError(Exception):
    """The tree cannot be packed as it is."""


def bundle_files(root: Path = ROOT) -> list[Path]:
    """Paths (relative to root) that go into the bundle, sorted."""
    missing = [name for name in TOP_FILES if not (root / name).is_file()]
    if missing:
        raise PackError(f"missing {', '.join(missing)} in {root}")
    files = [Path(name) for name in TOP_FILES]
    for path in (root / PACKAGE).rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and not SKIPPED_DIRS & set(rel.parts) and path.suffix not in SKIPPED_SUFFIXES:
            files.append(rel)
    return sorted(files, key=lambda p: p.as_posix())


def version(root: Path = ROOT) -> str:
    """The one version manifest.json, pyproject.toml and the package agree on. Raises PackError otherwise."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["version"]
    found = {
        "manifest.json": manifest,
        "pyproject.toml": _quoted(root / "pyproject.toml", r'^version\s*=\s*"([^"]+)"'),
        "agent_threads/__init__.py": _quoted(root / PACKAGE / "__init__.py", r'^__version__\s*=\s*"([^"]+)"'),
    }
    if len(set(found.values())) != 1:
        raise PackError(f"versions disagree: {found}")
    return manifest


def _quoted(path: Path, pattern: str) -> str | None:
    match = re.search(pattern, path.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1) if match else None


def pack(output: Path | None = None, root: Path = ROOT) -> Path:
    """Write the bundle and return its path."""
    release = version(root)  # checked even when an output path is given: never pack disagreeing versions
    output = output or root / "dist" / f"agent-threads-mcp-{release}.mcpb"
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for rel in bundle_files(root):
            info = zipfile.ZipInfo(rel.as_posix(), date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, (root / rel).read_bytes())
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pack agent-threads-mcp as an MCP Bundle (.mcpb).")
    parser.add_argument("-o", "--output", type=Path, help="bundle path (default dist/agent-threads-mcp-<version>.mcpb)")
    args = parser.parse_args(argv)
    try:
        path = pack(args.output)
    except PackError as e:
        sys.stderr.write(f"pack_mcpb: {e}\n")
        return 1
    sys.stdout.write(f"{path} ({len(bundle_files())} files, {path.stat().st_size} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
