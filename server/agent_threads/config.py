"""Settings: environment first (what Claude Desktop and manifest.json pass), then credential files.

A provider with no credentials is simply not offered; an empty string counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .providers.base import ProviderSettings, Timeouts

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
    timeouts: Timeouts = field(default_factory=Timeouts)
    state_dir: Path = field(default_factory=lambda: _state_dir({}))
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
    return Settings(
        providers=tuple(found),
        read_only=_flag(env, "AGENT_THREADS_READ_ONLY"),
        redact=not _flag(env, "AGENT_THREADS_NO_REDACT"),
        timeouts=_timeouts(env),
        state_dir=_state_dir(env),
        missing=missing,
    )


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
    }
    if not (creds["access_key_id"] and creds["access_key_secret"]):
        return "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    creds = {k: v for k, v in creds.items() if v}
    region = env.get("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
    return [
        ProviderSettings(fam, fam, endpoint=_endpoint(env, fam), region=region, credentials=creds)
        for fam in ("cms", "starops", "dms", "rdsai")
    ]


def _tencent(env: Mapping[str, str], home: Path) -> list[ProviderSettings] | str:
    creds = {
        "secret_id": env.get("TENCENTCLOUD_SECRET_ID", ""),
        "secret_key": env.get("TENCENTCLOUD_SECRET_KEY", ""),
        "token": env.get("TENCENTCLOUD_SECURITY_TOKEN", ""),
    }
    if not (creds["secret_id"] and creds["secret_key"]):
        return "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY"
    creds = {k: v for k, v in creds.items() if v}
    region = env.get("TENCENTCLOUD_REGION", "ap-guangzhou")
    return [ProviderSettings("dataagent", "dataagent", endpoint=_endpoint(env, "dataagent"), region=region, credentials=creds)]


_LOADERS = {"qoder": _qoder, "alibaba": _alibaba, "tencent": _tencent}
