"""The DataAgent tests run against a sandbox serving DataAgent only."""

from __future__ import annotations

import pytest


@pytest.fixture
def cloud_families() -> list[str]:
    return ["dataagent"]
