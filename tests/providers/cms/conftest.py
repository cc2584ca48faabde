"""The CMS and STAROps tests run once per product, against a sandbox serving those two."""

from __future__ import annotations

import pytest


@pytest.fixture
def cloud_families() -> list[str]:
    return ["cms", "starops"]


@pytest.fixture(params=["cms", "starops"])
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)
