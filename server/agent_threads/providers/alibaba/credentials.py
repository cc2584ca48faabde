"""An Alibaba Cloud account: from the environment, else from the vendors' own files.

``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` (and ``_SECURITY_TOKEN``) first; else the CLI's
``~/.aliyun/config.json`` (current profile; AK and StsToken modes), then the SDK's INI file
``~/.alibabacloud/credentials.ini`` (older tools: ``credentials``), ``ALIBABA_CLOUD_PROFILE`` picking the profile:
the order of ``alibabacloud-credentials``' default chain. Other modes (RAM role, ECS role, SSO) are not read here:
they need a token exchange.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...vendors import Found

DEFAULT_REGION = "cn-hangzhou"
_CLI_MODES = {"AK": False, "StsToken": True}
_INI_TYPES = {"access_key": False, "sts": True}


def from_env(env: Mapping[str, str], home: Path) -> Found | str:
    """The account of the environment, else of the CLI or SDK files; what is missing otherwise."""
    creds = {
        "access_key_id": env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
        "access_key_secret": env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
        "security_token": env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
        "source": "env",
    }
    if not (creds["access_key_id"] or creds["access_key_secret"]):
        creds = from_files(home, env.get("ALIBABA_CLOUD_PROFILE")) or creds
    if not (creds["access_key_id"] and creds.get("access_key_secret")):
        return (
            "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure the aliyun CLI "
            "(~/.aliyun/config.json)"
        )
    source = creds.pop("source")
    region = env.get("ALIBABA_CLOUD_REGION_ID") or creds.pop("region", "") or DEFAULT_REGION
    return Found({k: v for k, v in creds.items() if v and k != "region"}, region, source)


def from_files(home: Path, profile: str | None) -> dict[str, str] | None:
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
    import configparser  # only for a start without the key in the environment

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
