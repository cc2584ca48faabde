"""The Qoder sandbox's API, asked as a client with the sandbox's PAT."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agent_threads.sandbox import Sandbox


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {sandbox.ctx.creds.qoder_pat}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=sandbox.url("qoder") + "/api/v1/", headers=headers) as client:
        yield client
