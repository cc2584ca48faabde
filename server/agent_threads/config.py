"""Settings: environment first (what Claude Desktop and manifest.json pass), then credential files.

A provider with no credentials is simply not offered; an empty string counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import profiles
from .credentials import alibaba_from_files, tencent_from_files
from .errors import ConfigError
from .http import Timeouts
from .providers.base import ProviderSettings

ENDPOINT_VARS = {
    "cms": "AGENT_THREADS_CMS_ENDPOINT",
    "starops": "AGENT_THREADS_STAROPS_ENDPOINT",
    "dms": "AGENT_THREADS_DMS_ENDPOINT",
    "rdsai": "AGENT_THREADS_RDSAI_ENDPOINT",
    "dataagent": "AGENT_THREADS_DATAAGENT_ENDPOINT",
    "qoder": "QODER_BASE_URL",
}


@dataclass(frozen=True)
class Settings:
    providers: tuple[ProviderSettings, ...] = ()
    read_only: bool = False
    redact: bool = True
    read_ahead: bool = True
    """Fetch the vendor page a next_cursor points to while the model reads the current one."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    state_dir: Path = field(default_factory=lambda: _state_dir({}))
    sealed_cursors: bool = False
    """Self-contained cursors (HTTP replicas, restarts) instead of short handles kept by this process."""
    missing: dict[str, str] = field(default_factory=dict[str, str])
    """Families that are not configured, with what they would need."""


def load_settings(env: Mapping[str, str] | None = None, *, home: Path | None = None) -> Settings:
    env = {k: v for k, v in (os.environ if env is None else env).items() if v != ""}
    home = home or Path.home()
    found: list[ProviderSettings] = []
    missing: dict[str, str] = {}
    for family, loader in _LOADERS.items():
        result = loader(env, home)
        if isinstance(result, str):
            missing[family] = result
        else:
            found.extend(result)
    settings = Settings(
        providers=tuple(found),
        read_only=_flag(env, "AGENT_THREADS_READ_ONLY"),
        redact=not _flag(env, "AGENT_THREADS_NO_REDACT"),
        read_ahead=not _flag(env, "AGENT_THREADS_NO_READ_AHEAD"),
        timeouts=_timeouts(env),
        state_dir=_state_dir(env),
        sealed_cursors=bool(env.get("AGENT_THREADS_CURSOR_KEY")),
        missing=missing,
    )
    return profiles.apply(settings, env, home)


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _timeouts(env: Mapping[str, str]) -> Timeouts:
    names = {"connect": "CONNECT", "read": "READ", "stream_idle": "STREAM_IDLE", "tool": "TOOL"}
    values: dict[str, float] = {}
    for key, suffix in names.items():
        raw = env.get(f"AGENT_THREADS_{suffix}_TIMEOUT")
        if raw is None:
            continue
        try:
            values[key] = float(raw)
        except ValueError as e:
            raise ConfigError(f"AGENT_THREADS_{suffix}_TIMEOUT must be seconds, got {raw!r}.") from e
    return Timeouts(**values)


def _state_dir(env: Mapping[str, str]) -> Path:
    if "AGENT_THREADS_STATE_DIR" in env:
        return Path(env["AGENT_THREADS_STATE_DIR"])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "agent-threads-mcp"


def _endpoint(env: Mapping[str, str], family: str) -> str | None:
    url = env.get(ENDPOINT_VARS[family])
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{ENDPOINT_VARS[family]} must be a full URL with scheme, got {url!r}.")
    return url


def _qoder(env: Mapping[str, str], home: Path) -> list[ProviderSettings] | str:
    token = env.get("QODER_PAT")
    if not token:
        return "set QODER_PAT (a Qoder personal access token)"
    return [ProviderSettings("qoder", "qoder", endpoint=_endpoint(env, "qoder"), credentials={"token": token})]


def _alibaba(env: Mapping[str, str], home: Path) -> list[ProviderSettings] | str:
    creds = {
        "access_key_id": env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
        "access_key_secret": env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
        "security_token": env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
        "source": "env",
    }
    if not (creds["access_key_id"] or creds["access_key_secret"]):
        creds = alibaba_from_files(home, env.get("ALIBABA_CLOUD_PROFILE")) or creds
    if not (creds["access_key_id"] and creds.get("access_key_secret")):
        return "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure the aliyun CLI (~/.aliyun/config.json)"
    source = creds.pop("source")
    region = env.get("ALIBABA_CLOUD_REGION_ID") or creds.pop("region", "") or "cn-hangzhou"
    creds = {k: v for k, v in creds.items() if v and k != "region"}
    return [
        ProviderSettings(fam, fam, _endpoint(env, fam), region, creds, _alibaba_options(env, fam), source)
        for fam in ("cms", "starops", "dms", "rdsai")
    ]


def _alibaba_options(env: Mapping[str, str], family: str) -> dict[str, str]:
    unit = env.get("AGENT_THREADS_DMS_UNIT")
    return {"dms_unit": unit} if family == "dms" and unit else {}


def _tencent(env: Mapping[str, str], home: Path) -> list[ProviderSettings] | str:
    creds = {
        "secret_id": env.get("TENCENTCLOUD_SECRET_ID", ""),
        "secret_key": env.get("TENCENTCLOUD_SECRET_KEY", ""),
        "token": env.get("TENCENTCLOUD_SECURITY_TOKEN", ""),
    }
    source = "env"
    if not (creds["secret_id"] and creds["secret_key"]):
        profile = env.get("TENCENTCLOUD_PROFILE", "default")
        found = tencent_from_files(home, profile)
        if found is None:
            return "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or write ~/.tencentcloud/credentials)"
        creds, source = found, f"profile:{profile}"
    creds = {k: v for k, v in creds.items() if v}
    region = env.get("TENCENTCLOUD_REGION", "ap-guangzhou")
    options = {"state_dir": str(_state_dir(env))}
    if env.get("AGENT_THREADS_DATAAGENT_REFS"):
        options["seed_refs"] = env["AGENT_THREADS_DATAAGENT_REFS"]
    endpoint = _endpoint(env, "dataagent")
    return [ProviderSettings("dataagent", "dataagent", endpoint, region, creds, options, source)]


_LOADERS = {"qoder": _qoder, "alibaba": _alibaba, "tencent": _tencent}
