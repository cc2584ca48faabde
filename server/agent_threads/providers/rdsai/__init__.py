"""Alibaba RDS AI assistant: conversations, their messages, and sending a query."""

from ...vendors import VendorSpec
from ..alibaba import ACCOUNT

SPEC = VendorSpec(__name__, families=("rdsai",), account=ACCOUNT, forms=("{family}:<conversation>",), rank=40)
