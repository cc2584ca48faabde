"""Qoder Cloud Agents: sessions and their threads, event pages as transcripts, SSE to follow and send."""

from collections.abc import Mapping
from pathlib import Path

from ...vendors import Account, Found, VendorSpec


def _from_env(env: Mapping[str, str], home: Path) -> Found | str:
    token = env.get("QODER_PAT")
    return Found({"token": token}) if token else "set QODER_PAT (a Qoder personal access token)"


ACCOUNT = Account(
    "qoder", secrets=("token",), required=("token",), plain=("endpoint",), region=None, from_env=_from_env
)
SPEC = VendorSpec(
    __name__,
    families=("qoder",),
    account=ACCOUNT,
    forms=("{family}:<session>", "{family}:<session>/<thread>"),
    endpoint_var="QODER_BASE_URL",
    rank=10,
)
