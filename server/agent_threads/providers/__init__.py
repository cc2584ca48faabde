"""The provider registry: a configured account's family names its vendor (``vendors.spec_of``), whose ``provider``
module is imported only now, when a provider of it is first built."""

from __future__ import annotations

import importlib

from .. import vendors
from ..errors import ConfigError
from ..http import RetryPolicy, Timeouts
from .base import Provider, ProviderSettings


def create(settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> Provider:
    """Build the provider for one configured account: ``create(settings, timeouts, policy)`` of its vendor."""
    spec = vendors.spec_of(settings.family)
    if spec is None:
        raise ConfigError(f"No vendor serves {settings.family!r}.", hint=f"Known: {', '.join(vendors.families())}.")
    provider: Provider = importlib.import_module(f"{spec.package}.provider").create(settings, timeouts, policy)
    return provider
