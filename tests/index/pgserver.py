"""A throwaway PostgreSQL server on loopback for tests and benchmarks: Debian's ``initdb`` + ``pg_ctl`` in a
temporary directory, UTF-8 (``C.UTF-8``), a free port, run as ``nobody`` when this process is root (the server
refuses to run as root), stopped and deleted on exit."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCALE = "C.UTF-8"
_names = itertools.count(1)


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's versioned directory (newest first), else pg_config's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return Path(found[0]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    return None


@dataclass(frozen=True)
class PgServer:
    port: int
    root: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, *, ctype: str = LOCALE) -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(_names)}"
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE {} LC_CTYPE {}").format(
            sql.Identifier(name), sql.Literal(ctype), sql.Literal(ctype)
        )
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(statement)
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextmanager
def running_postgres(bin_path: Path) -> Iterator[PgServer]:
    """Start a server; stop it and delete its files when the block ends."""
    root = Path(tempfile.mkdtemp(prefix="agent-threads-pg-"))
    owner = "nobody" if os.geteuid() == 0 else None
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", _free_port()
    initdb = [str(bin_path / "initdb"), "-D", str(data), "-E", "UTF8", f"--locale={LOCALE}", "-A", "trust"]
    pg_ctl = str(bin_path / "pg_ctl")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    try:
        _run(_as_owner([*initdb, "-U", "postgres", "--no-sync"], owner), cwd=root)
        _run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"], owner), root)
        yield PgServer(port, root)
    finally:
        if (data / "postmaster.pid").exists():
            _run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], owner), cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(
            f"{Path(command[-1]).name if command else ''}: {' '.join(command)} failed: {done.stderr[-2000:]}"
        )
