"""The one place that knows a vendor: each vendor package (``providers/<vendor>/__init__.py``) declares a ``SPEC``,
and refs, settings, profiles, the tools and the provider registry read it through this module.

Specs are found by looking at the packages under ``providers/`` (on first use, so start-up imports none of them
earlier than needed); ``register`` adds one from elsewhere.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Found:
    """An account as the environment (or the vendor's own credential files) gives it."""

    credentials: dict[str, str]
    region: str | None = None
    source: str = "env"


FromEnv = Callable[[Mapping[str, str], Path], "Found | str"]
"""The account from the environment (``home`` for the vendor's own files), else what is missing, for a person."""


@dataclass(frozen=True)
class Account:
    """A kind of account (its credentials), shared by every vendor that signs in the same way."""

    name: str
    """Its table in the profiles file (``[alibaba]``, ``[alibaba.prod]``) and its key in ``Settings.missing``."""
    secrets: tuple[str, ...]
    """Profiles keys that hold secrets (a literal value or ``env:NAME``)."""
    required: tuple[str, ...]
    """Secrets a profiles table must give."""
    plain: tuple[str, ...]
    """Other keys a profiles table may hold."""
    region: str | None
    """The default region (None where regions do not apply)."""
    from_env: FromEnv


def _no_options(env: Mapping[str, str]) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class VendorSpec:
    """What the rest of the server knows of one vendor package."""

    package: str
    """The vendor's package; its ``provider`` module has ``create(settings, timeouts, policy)``."""
    families: tuple[str, ...]
    """The provider ids it serves (a profile account adds ``.<name>``)."""
    account: Account
    forms: tuple[str, ...]
    """Its thread ref forms, ``{family}`` standing for the id: ``("{family}:<session>", ...)``."""
    endpoint_var: str = "AGENT_THREADS_{FAMILY}_ENDPOINT"
    """The environment variable that overrides a family's endpoint (``{FAMILY}``: the id in capitals)."""
    can: tuple[str, ...] = ("list", "read", "stream", "send")
    keeps_state: bool = False
    """Its providers get the state dir (``options["state_dir"]``) for files of their own."""
    lists_what_it_reads: bool = False
    """Its listing is this server's record of the threads it read (no list API): reading a thread changes how it
    is listed, so a sync keeps the thread as listed after its read."""
    env_options: Callable[[Mapping[str, str]], dict[str, str]] = field(default=_no_options)
    """Provider options from the environment."""
    rank: int = 100
    """Where it is listed among the vendors (list_providers, hints, the settings' order)."""

    def forms_of(self, family: str) -> tuple[str, ...]:
        return tuple(form.format(family=family) for form in self.forms)

    def endpoint_var_of(self, family: str) -> str:
        return self.endpoint_var.format(FAMILY=family.upper())


_registered: list[VendorSpec] = []


@functools.cache
def _builtin() -> tuple[VendorSpec, ...]:
    """The specs of the packages under ``providers/`` (a package without ``SPEC``, such as shared code, is skipped)."""
    found: list[VendorSpec] = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent / "providers")]):
        if info.ispkg:
            spec = getattr(importlib.import_module(f"{__package__}.providers.{info.name}"), "SPEC", None)
            if isinstance(spec, VendorSpec):
                found.append(spec)
    return tuple(found)


def register(spec: VendorSpec) -> None:
    """Add a vendor that lives outside ``providers/``."""
    if any(f in families() for f in spec.families):
        raise ValueError(f"a vendor already serves one of {spec.families}")
    _registered.append(spec)


def unregister(spec: VendorSpec) -> None:
    _registered.remove(spec)


def specs() -> tuple[VendorSpec, ...]:
    return tuple(sorted((*_builtin(), *_registered), key=lambda s: s.rank))


def spec_of(family: str) -> VendorSpec | None:
    return next((s for s in specs() if family in s.families), None)


def families() -> tuple[str, ...]:
    return tuple(f for s in specs() for f in s.families)


def accounts() -> tuple[Account, ...]:
    """Each kind of account once, in the order of the first vendor that uses it."""
    seen: dict[str, Account] = {}
    for spec in specs():
        seen.setdefault(spec.account.name, spec.account)
    return tuple(seen.values())


def account_of(family: str) -> Account | None:
    spec = spec_of(family)
    return spec.account if spec else None


def forms(family: str) -> tuple[str, ...]:
    spec = spec_of(family)
    return spec.forms_of(family) if spec else ()


def all_forms() -> list[str]:
    return [form for s in specs() for f in s.families for form in s.forms_of(f)]
