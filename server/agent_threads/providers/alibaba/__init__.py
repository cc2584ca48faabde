"""What the Alibaba Cloud products (CMS and STAROps, DMS, RDS AI) share: their account, requests and error replies."""

from ...vendors import Account
from .credentials import DEFAULT_REGION, from_env

ACCOUNT = Account(
    "alibaba",
    secrets=("access_key_id", "access_key_secret", "security_token"),
    required=("access_key_id", "access_key_secret"),
    plain=("region", "products", "endpoint", "endpoints"),
    region=DEFAULT_REGION,
    from_env=from_env,
)
