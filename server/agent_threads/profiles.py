"""The profiles file: several accounts, regions or base URLs per vendor, each offered as its own provider id.

``$AGENT_THREADS_CONFIG``, else ``$XDG_CONFIG_HOME/agent-threads-mcp/profiles.toml`` (``~/.config/...``)::

    [settings]                      # env vars and command-line flags override these
    providers = ["qoder", "cms.prod"]
    read_only = true

    [qoder.cn]                      # -> provider id qoder.cn
    token = "env:QODER_CN_PAT"      # "env:NAME" reads the secret from the environment
    endpoint = "https://api.qoder.com.cn/api/v1/cloud"

    [alibaba.prod]                  # -> cms.prod, starops.prod, dms.prod, rdsai.prod (or `products`)
    access_key_id = "env:PROD_AK_ID"
    access_key_secret = "env:PROD_AK_SECRET"
    region = "cn-shanghai"
    endpoints = { dms = "https://dms-vpc.cn-shanghai.aliyuncs.com" }

Keys directly under ``[qoder]``, ``[alibaba]`` or ``[tencent]`` describe the default account (ids ``qoder``,
``cms``…), used only when the environment configures none for that vendor. ``[cms.x]``-style tables name a
single product. Precedence: command line > environment > profile.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import vendors
from .errors import ConfigError
from .providers.base import ProviderSettings
from .vendors import Account

log = logging.getLogger("agent_threads.profiles")

CONFIG_VAR = "AGENT_THREADS_CONFIG"
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass
class Profiles:
    """What the profiles file adds: named accounts, default accounts by kind of account, and settings."""

    path: Path | None = None
    accounts: list[ProviderSettings] = field(default_factory=list[ProviderSettings])
    defaults: dict[str, list[ProviderSettings]] = field(default_factory=dict[str, list[ProviderSettings]])
    missing: dict[str, str] = field(default_factory=dict[str, str])
    read_only: bool | None = None
    providers: tuple[str, ...] | None = None


def profiles_path(env: Mapping[str, str], home: Path) -> tuple[Path, bool]:
    """The profiles file and whether it was named explicitly (then it must exist)."""
    if env.get(CONFIG_VAR):
        return Path(env[CONFIG_VAR]).expanduser(), True
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return base / "agent-threads-mcp" / "profiles.toml", False


def _toml(raw: bytes, path: Path) -> dict[str, Any]:
    """The file's tables (the parser loads only when there is a file: most starts have none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"Cannot read the profiles file {str(path)!r}: {e}.") from e


def load(env: Mapping[str, str], home: Path, state_dir: Path | None = None) -> Profiles:
    """Read and resolve the profiles file. Raises ConfigError naming the file, table and key at fault."""
    path, explicit = profiles_path(env, home)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        if explicit:
            raise ConfigError(f"{CONFIG_VAR} names {str(path)!r}, which does not exist.") from e
        return Profiles()
    except OSError as e:
        raise ConfigError(f"Cannot read the profiles file {str(path)!r}: {e}.") from e
    data = _toml(raw, path)
    reader = _Reader(Profiles(path=path), env, state_dir)
    for key, table in data.items():
        reader.table(key, table)
    log.info("profiles %s: %s", path, ", ".join(p.id for p in reader.found.accounts) or "no named accounts")
    return reader.found


@dataclass
class _Reader:
    found: Profiles
    env: Mapping[str, str]
    state_dir: Path | None

    def table(self, key: str, table: Any) -> None:
        where = f"{self.found.path} [{key}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table.")
        if key == "settings":
            _settings(self.found, table, where)
            return
        kinds = {a.name: a for a in vendors.accounts()}
        account = kinds.get(key) or vendors.account_of(key)
        if account is None:
            tables = ", ".join([*kinds, *vendors.families()])
            raise ConfigError(f"Unknown table {where}.", hint=f"Tables: settings, {tables}.")
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict) or k == "endpoints"}
        if scalars and key not in kinds:
            raise ConfigError(f"{where} holds keys but no account name.", hint=f"Name the account: [{key}.<name>].")
        if scalars:
            self.account(account, None, _families(account), scalars, where)
        for name, sub in table.items():
            if name not in scalars:
                families = _families(account) if key in kinds else (key,)
                self.account(account, name, families, sub, f"{self.found.path} [{key}.{name}]")

    def account(
        self, account: Account, name: str | None, families: tuple[str, ...], table: dict[str, Any], where: str
    ) -> None:
        """One account: its provider ids, or what it misses. ``name`` None is the vendor's default account."""
        _check_keys(account, name, table, where)
        families = _products(table, families, where)
        if "endpoint" in table and len(families) > 1:
            raise ConfigError(
                f"{where} serves several products: one endpoint cannot fit all.",
                hint='Use endpoints = { dms = "https://..." }.',
            )
        ids = [f if name is None else f"{f}.{name}" for f in families]
        creds, need = _credentials(account, table, self.env, where)
        _warn_if_exposed(self.found.path, account, table)
        if need:
            self.found.missing.update(dict.fromkeys(ids if name is not None else [account.name], need))
            return
        built = [
            _provider(account, pid, fam, table, creds, where, self.state_dir)
            for pid, fam in zip(ids, families, strict=True)
        ]
        if name is None:
            self.found.defaults[account.name] = built
        else:
            self.found.accounts.extend(built)


def _settings(found: Profiles, table: dict[str, Any], where: str) -> None:
    unknown = set(table) - {"read_only", "providers"}
    if unknown:
        raise ConfigError(f"Unknown key(s) {sorted(unknown)} in {where}.", hint="Keys: read_only, providers.")
    if "read_only" in table:
        if not isinstance(table["read_only"], bool):
            raise ConfigError(f"{where} read_only must be true or false.")
        found.read_only = table["read_only"]
    if "providers" in table:
        value = table["providers"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} providers must be a list of provider ids.")
        found.providers = tuple(value)


def _families(account: Account) -> tuple[str, ...]:
    return tuple(f for s in vendors.specs() if s.account is account for f in s.families)


def _check_keys(account: Account, name: str | None, table: dict[str, Any], where: str) -> None:
    if name is not None and not ACCOUNT_NAME.match(name):
        raise ConfigError(f"Bad account name in {where}.", hint="Use 1-40 letters, digits, '_' or '-'.")
    unknown = set(table) - {*account.secrets, *account.plain}
    if unknown:
        keys = ", ".join([*account.secrets, *account.plain])
        raise ConfigError(f"Unknown key(s) {sorted(unknown)} in {where}.", hint=f"Keys: {keys}.")


def _products(table: dict[str, Any], families: tuple[str, ...], where: str) -> tuple[str, ...]:
    products = table.get("products")
    if products is None:
        return families
    if not isinstance(products, list) or not products or not set(products) <= set(families):
        raise ConfigError(f"{where} products must be a non-empty list drawn from {list(families)}.")
    return tuple(products)


def _credentials(
    account: Account, table: dict[str, Any], env: Mapping[str, str], where: str
) -> tuple[dict[str, str], str]:
    """The resolved secrets, and which environment variables are still unset ("" when none)."""
    absent = [k for k in account.required if not table.get(k)]
    if absent:
        raise ConfigError(
            f"{where} needs {', '.join(absent)}.", hint='Give the value, or "env:NAME" to read it from NAME.'
        )
    creds: dict[str, str] = {}
    unset: list[str] = []
    for key in account.secrets:
        raw = table.get(key)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise ConfigError(f'{where} {key} must be a string (the value, or "env:NAME").')
        name = raw[4:] if raw.startswith("env:") else None
        value = env.get(name, "") if name else raw
        if value:
            creds[key] = value
        elif name:
            unset.append(name)
    return creds, f"set {', '.join(unset)} ({where})" if unset else ""


def _provider(
    account: Account,
    provider_id: str,
    family: str,
    table: dict[str, Any],
    creds: dict[str, str],
    where: str,
    state_dir: Path | None,
) -> ProviderSettings:
    endpoints = table.get("endpoints") or {}
    if not isinstance(endpoints, dict) or not set(endpoints) <= set(_families(account)):
        raise ConfigError(f"{where} endpoints must map products {list(_families(account))} to URLs.")
    endpoint = endpoints.get(family) or table.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://"))):
        raise ConfigError(f"{where} endpoint must be a full URL with scheme, got {endpoint!r}.")
    region = table.get("region", account.region)
    if region is not None and not isinstance(region, str):
        raise ConfigError(f"{where} region must be a string.")
    spec = vendors.spec_of(family)
    options = {"state_dir": str(state_dir)} if spec is not None and spec.keeps_state and state_dir else {}
    return ProviderSettings(provider_id, family, endpoint, region, dict(creds), options, source="profile")


def _warn_if_exposed(path: Path | None, account: Account, table: dict[str, Any]) -> None:
    literal = any(isinstance(table.get(k), str) and not table[k].startswith("env:") for k in account.secrets)
    if literal and path is not None and os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning('%s holds literal secrets and other users can read it: chmod 600 it, or use "env:NAME".', path)
