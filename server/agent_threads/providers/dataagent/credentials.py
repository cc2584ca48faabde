"""A Tencent Cloud account: from the environment, else from ``~/.tencentcloud/credentials`` (INI, else
``/etc/tencentcloud/credentials``), as the SDK's ``ProfileCredential`` reads it; ``TENCENTCLOUD_PROFILE`` may pick
a section other than ``[default]``."""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from pathlib import Path

from ...vendors import Found

DEFAULT_REGION = "ap-guangzhou"
SYSTEM_FILE = Path("/etc/tencentcloud/credentials")


def from_env(env: Mapping[str, str], home: Path) -> Found | str:
    """The API key of the environment, else of the credentials file; what is missing otherwise."""
    creds = {
        "secret_id": env.get("TENCENTCLOUD_SECRET_ID", ""),
        "secret_key": env.get("TENCENTCLOUD_SECRET_KEY", ""),
        "token": env.get("TENCENTCLOUD_SECURITY_TOKEN", ""),
    }
    source = "env"
    if not (creds["secret_id"] and creds["secret_key"]):
        profile = env.get("TENCENTCLOUD_PROFILE", "default")
        found = from_files(home, profile)
        if found is None:
            return "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or write ~/.tencentcloud/credentials)"
        creds, source = found, f"profile:{profile}"
    region = env.get("TENCENTCLOUD_REGION", DEFAULT_REGION)
    return Found({k: v for k, v in creds.items() if v}, region, source)


def from_files(home: Path, profile: str = "default", *, system: Path | None = SYSTEM_FILE) -> dict[str, str] | None:
    """Tencent Cloud: ``secret_id``/``secret_key`` of the ``[profile]`` section of ``~/.tencentcloud/credentials``,
    else of ``/etc/tencentcloud/credentials`` (the SDK's ``ProfileCredential`` order); None when absent."""
    user = home / ".tencentcloud" / "credentials"
    path = user if user.is_file() else system if system is not None and system.is_file() else None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if path is None or not parser.read(path, encoding="utf-8") or not parser.has_section(profile):
            return None
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    found = {key: _unquote(parser.get(profile, key, fallback="")) for key in ("secret_id", "secret_key")}
    return found if all(found.values()) else None


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value
