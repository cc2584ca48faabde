"""A sixth vendor, added the way a real one is: this package and its SPEC. ``tests/test_vendors.py`` registers it."""

from collections.abc import Mapping
from pathlib import Path

from agent_threads.vendors import Account, Found, VendorSpec


def _from_env(env: Mapping[str, str], home: Path) -> Found | str:
    token = env.get("TOY_TOKEN")
    return Found({"token": token}, region="toy-1") if token else "set TOY_TOKEN"


ACCOUNT = Account(
    "toyco", secrets=("token",), required=("token",), plain=("endpoint",), region="toy-1", from_env=_from_env
)
SPEC = VendorSpec(__name__, families=("toy",), account=ACCOUNT, forms=("{family}:<box>", "{family}:<box>/<thread>"))
