"""Alibaba Cloud digital employees: CMS and, the same API moved, STAROps."""

from ...vendors import VendorSpec
from ..alibaba import ACCOUNT

SPEC = VendorSpec(
    __name__,
    families=("cms", "starops"),
    account=ACCOUNT,
    forms=("{family}:<employee>", "{family}:<employee>/<thread>"),
    rank=20,
)
