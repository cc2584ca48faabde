"""Tencent Cloud DataAgent: sessions of an instance, their records as transcripts, ChatAI to send and follow."""

from collections.abc import Mapping

from ...vendors import Account, VendorSpec
from .credentials import DEFAULT_REGION, from_env


def _options(env: Mapping[str, str]) -> dict[str, str]:
    refs = env.get("AGENT_THREADS_DATAAGENT_REFS")
    return {"seed_refs": refs} if refs else {}


ACCOUNT = Account(
    "tencent",
    secrets=("secret_id", "secret_key", "token"),
    required=("secret_id", "secret_key"),
    plain=("region", "endpoint"),
    region=DEFAULT_REGION,
    from_env=from_env,
)
SPEC = VendorSpec(
    __name__,
    families=("dataagent",),
    account=ACCOUNT,
    forms=("{family}:<instance>", "{family}:<instance>/<session>"),
    keeps_state=True,
    lists_what_it_reads=True,
    env_options=_options,
    rank=50,
)
