"""Credentials from the vendors' own CLI and SDK files, for when the environment holds none.

Alibaba Cloud: the CLI's ``~/.aliyun/config.json`` (current profile; AK and StsToken modes), then the SDK's
INI file ``~/.alibabacloud/credentials.ini`` (older tools: ``credentials``), ``ALIBABA_CLOUD_PROFILE`` picking the
profile — the order of ``alibabacloud-credentials``' default chain. Other modes (RAM role, ECS role, SSO) are not
read here: they need a token exchange.

Tencent Cloud: ``~/.tencentcloud/credentials`` (INI, else ``/etc/tencentcloud/credentials``), as the SDK's
``ProfileCredential`` reads it; ``TENCENTCLOUD_PROFILE`` may pick a section other than ``[default]``.
"""

from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

_CLI_MODES = {"AK": False, "StsToken": True}
TENCENT_SYSTEM_FILE = Path("/etc/tencentcloud/credentials")
_INI_TYPES = {"access_key": False, "sts": True}


def alibaba_from_files(home: Path, profile: str | None) -> dict[str, str] | None:
    """``access_key_id``, ``access_key_secret``, maybe ``security_token``/``region``, and ``source``; None if absent."""
    return _aliyun_cli(home / ".aliyun" / "config.json", profile) or _alibaba_ini(home / ".alibabacloud", profile)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _aliyun_cli(path: Path, profile: str | None) -> dict[str, str] | None:
    config = _read_json(path)
    if config is None:
        return None
    name = profile or config.get("current") or "default"
    entry = next((p for p in config.get("profiles") or [] if isinstance(p, dict) and p.get("name") == name), None)
    if entry is None or entry.get("mode") not in _CLI_MODES:
        return None
    found = {
        "access_key_id": str(entry.get("access_key_id") or ""),
        "access_key_secret": str(entry.get("access_key_secret") or ""),
        "security_token": str(entry.get("sts_token") or "") if _CLI_MODES[entry["mode"]] else "",
        "region": str(entry.get("region_id") or ""),
    }
    return _complete(found, f"~/.aliyun/config.json profile {name}")


def _alibaba_ini(folder: Path, profile: str | None) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    for path in (folder / "credentials.ini", folder / "credentials"):
        try:
            if not parser.read(path, encoding="utf-8"):
                continue
        except (configparser.Error, UnicodeDecodeError):
            continue
        section = profile or "default"
        if not parser.has_section(section):
            return None
        values = {k: v.split("#", 1)[0].strip() for k, v in parser.items(section)}
        kind = values.get("type") or "access_key"
        if kind not in _INI_TYPES or values.get("enable", "true").lower() == "false":
            return None
        found = {
            "access_key_id": values.get("access_key_id", ""),
            "access_key_secret": values.get("access_key_secret", ""),
            "security_token": values.get("security_token", "") if _INI_TYPES[kind] else "",
            "region": values.get("region_id", ""),
        }
        return _complete(found, f"~/.alibabacloud/{path.name} [{section}]")
    return None


def _complete(found: dict[str, str], source: str) -> dict[str, str] | None:
    if not (found["access_key_id"] and found["access_key_secret"]):
        return None
    return {k: v for k, v in found.items() if v} | {"source": source}


def tencent_from_files(
    home: Path, profile: str = "default", *, system: Path | None = TENCENT_SYSTEM_FILE
) -> dict[str, str] | None:
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
