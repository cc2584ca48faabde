"""Alibaba DMS Data Agent: sessions, their history and the agent's live output."""

from collections.abc import Mapping

from ...vendors import VendorSpec
from ..alibaba import ACCOUNT


def _options(env: Mapping[str, str]) -> dict[str, str]:
    unit = env.get("AGENT_THREADS_DMS_UNIT")
    return {"dms_unit": unit} if unit else {}


SPEC = VendorSpec(
    __name__, families=("dms",), account=ACCOUNT, forms=("{family}:<session>",), env_options=_options, rank=30
)
