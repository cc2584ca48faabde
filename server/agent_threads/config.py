"""Settings: the environment first (what Claude Desktop and manifest.json pass), then the vendors' credential files,
then the profiles file, merged under them.

A provider with no credentials is simply not offered; an empty string counts as unset.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import profiles, vendors
from .errors import ConfigError
from .http import Timeouts
from .index.config import IndexConfig, index_config
from .providers.base import ProviderSettings
from .vendors import Found, VendorSpec

log = logging.getLogger("agent_threads.config")
PROVIDERS_VAR = "AGENT_THREADS_PROVIDERS"
READ_ONLY_VAR = "AGENT_THREADS_READ_ONLY"


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
    """Accounts (or profile provider ids) that are not configured, with what they would need."""
    index: IndexConfig = IndexConfig("off")
    """The thread index (``AGENT_THREADS_INDEX``, ``AGENT_THREADS_INDEX_URL``); off unless read from an environment."""

    def missing_reason(self, provider_id: str) -> str:
        """What a provider id would need: its own entry, its family's or its kind of account's ("" if none)."""
        family = provider_id.split(".", 1)[0]
        account = vendors.account_of(family)
        keys = (provider_id, family, account.name if account else "")
        return next((self.missing[k] for k in keys if k in self.missing), "")


def load_settings(env: Mapping[str, str] | None = None, *, home: Path | None = None) -> Settings:
    env = {k: v for k, v in (os.environ if env is None else env).items() if v != ""}
    home = home or Path.home()
    state_dir = _state_dir(env)
    found, missing = _from_env(env, home, state_dir)
    settings = Settings(
        providers=tuple(found),
        read_only=_flag(env, READ_ONLY_VAR),
        redact=not _flag(env, "AGENT_THREADS_NO_REDACT"),
        read_ahead=not _flag(env, "AGENT_THREADS_NO_READ_AHEAD"),
        timeouts=_timeouts(env),
        state_dir=state_dir,
        sealed_cursors=bool(env.get("AGENT_THREADS_CURSOR_KEY")),
        missing=missing,
        index=index_config(env, state_dir),
    )
    return _with_profiles(settings, env, home)


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _timeouts(env: Mapping[str, str]) -> Timeouts:
    names = {"connect": "CONNECT", "read": "READ", "stream_idle": "STREAM_IDLE", "tool": "TOOL"}
    default = Timeouts()
    values = {
        key: seconds(env, f"AGENT_THREADS_{suffix}_TIMEOUT", getattr(default, key)) for key, suffix in names.items()
    }
    return Timeouts(**values)


def seconds(env: Mapping[str, str], name: str, default: float, *, allow_zero: bool = False) -> float:
    """A duration setting: a finite number of seconds, more than 0 (or 0 too, with ``allow_zero``). Raises
    ConfigError, one line naming the variable, for anything else (``nan``, ``inf``, negative, not a number)."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise ConfigError(f"{name} must be a number of seconds, {least}; got {raw!r}.")
    return value


def _state_dir(env: Mapping[str, str]) -> Path:
    if "AGENT_THREADS_STATE_DIR" in env:
        return Path(env["AGENT_THREADS_STATE_DIR"])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "agent-threads-mcp"


def _from_env(env: Mapping[str, str], home: Path, state_dir: Path) -> tuple[list[ProviderSettings], dict[str, str]]:
    """Every vendor's providers whose account the environment (or its own files) configures; what the others need."""
    found: list[ProviderSettings] = []
    missing: dict[str, str] = {}
    for account in vendors.accounts():
        result = account.from_env(env, home)
        if isinstance(result, str):
            missing[account.name] = result
            continue
        for spec in (s for s in vendors.specs() if s.account is account):
            found.extend(_provider(spec, family, result, env, state_dir) for family in spec.families)
    return found, missing


def _provider(
    spec: VendorSpec, family: str, account: Found, env: Mapping[str, str], state_dir: Path
) -> ProviderSettings:
    options = ({"state_dir": str(state_dir)} if spec.keeps_state else {}) | spec.env_options(env)
    endpoint = _endpoint(env, spec.endpoint_var_of(family))
    return ProviderSettings(family, family, endpoint, account.region, account.credentials, options, account.source)


def _endpoint(env: Mapping[str, str], var: str) -> str | None:
    url = env.get(var)
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{var} must be a full URL with scheme, got {url!r}.")
    return url


# ---- the profiles file, merged under the environment ------------------------------------------------------------


def _with_profiles(settings: Settings, env: Mapping[str, str], home: Path) -> Settings:
    """Settings with the profile's accounts and options merged in under the environment's, then gated."""
    found = profiles.load(env, home, settings.state_dir)
    merged = _merge(settings, found)
    if READ_ONLY_VAR not in env and found.read_only is not None:
        merged = replace(merged, read_only=found.read_only)
    wanted = split_ids(env[PROVIDERS_VAR]) if env.get(PROVIDERS_VAR) else found.providers
    return select(merged, wanted) if wanted else merged


def _merge(settings: Settings, found: profiles.Profiles) -> Settings:
    providers = list(settings.providers)
    missing = dict(settings.missing)
    for name, accounts in found.defaults.items():
        if name in missing:
            providers.extend(accounts)
            del missing[name]
        else:
            log.info("the environment configures %s; the profile's [%s] default account is not used", name, name)
    taken = {p.id for p in providers}
    for account in found.accounts:
        if account.id in taken:
            raise ConfigError(f"Provider id {account.id!r} is defined twice in {found.path}.")
        taken.add(account.id)
        providers.append(account)
    kinds = {a.name for a in vendors.accounts()}
    missing.update({k: v for k, v in found.missing.items() if k not in kinds or k in missing})
    return replace(settings, providers=tuple(providers), missing=missing)


def split_ids(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def select(settings: Settings, wanted: Sequence[str]) -> Settings:
    """Only the providers named (a family such as ``cms`` takes all its accounts). Raises ConfigError on a typo."""
    for name in wanted:
        family, dot, account = name.partition(".")
        if family not in vendors.families() or (dot and not profiles.ACCOUNT_NAME.match(account)):
            raise ConfigError(
                f"Unknown provider {name!r} in {PROVIDERS_VAR} / --providers.",
                hint=f"Use ids such as {', '.join(vendors.families())}, or an account id like cms.prod.",
            )

    def keep(provider_id: str) -> bool:
        return any(provider_id == w or provider_id.split(".", 1)[0] == w for w in wanted)

    providers = tuple(p for p in settings.providers if keep(p.id))
    missing = {k: v for k, v in settings.missing.items() if any(keep(f) for f in _families_of(k))}
    return replace(settings, providers=providers, missing=missing)


def _families_of(name: str) -> tuple[str, ...]:
    """The families a ``missing`` key stands for: an account kind's, else the id itself."""
    return tuple(f for s in vendors.specs() if s.account.name == name for f in s.families) or (name,)
