"""Provider registry. Vendor modules are imported only when a provider of theirs is configured."""

from __future__ import annotations

import importlib

from ..http import RetryPolicy, Timeouts
from .base import Provider, ProviderSettings

MODULES = {
    "qoder": "qoder.provider",
    "cms": "cms.provider",
    "starops": "cms.provider",
    "dms": "dms.provider",
    "rdsai": "rdsai.provider",
    "dataagent": "dataagent.provider",
}


def create(settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> Provider:
    """Build the provider for one configured account; each vendor module has ``create(settings, ...)``."""
    module = importlib.import_module(f"{__name__}.{MODULES[settings.family]}")
    return module.create(settings, timeouts, policy)
