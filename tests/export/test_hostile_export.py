"""Exports of the sandbox's hostile Qoder sessions: the server's own credentials masked everywhere in the file,
a repeated event id written once (its first copy), pages that go round or stay empty ending in a clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent_threads.export import ExportFailed, export
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.hostile import FORGED, SID_E, SID_F, SID_G

from ..conftest import SECRETS, sandbox_settings


@pytest.fixture
def cloud_options() -> dict[str, Any]:
    return {"qoder.hostile": True}


@pytest.mark.parametrize("fmt", ["jsonl", "markdown", "otlp"])
async def test_an_export_masks_the_servers_own_credentials_in_text_and_vendor_extras(
    cloud: Sandbox, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / "out"
    await export(sandbox_settings(cloud), f"qoder:{SID_E}", fmt, str(target))  # type: ignore[arg-type]
    text = target.read_text(encoding="utf-8")
    assert "token *** and secret ***" in text
    assert [secret[:6] for secret in SECRETS if secret in text] == []


async def test_an_export_writes_a_repeated_event_id_once_with_its_first_copy(cloud: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    await export(sandbox_settings(cloud), f"qoder:{SID_E}", "jsonl", str(target))
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == len(rows)
    said = [r["text"] for r in rows if r["role"] == "assistant" and r.get("text")]
    assert said == [f"First answer: the disk filled up.{FORGED}"]
    dump = next(r for r in rows if r.get("vendor"))
    assert dump["vendor"]["env"] == {"QODER_PAT": "***", "SECRET": "***"}


@pytest.mark.parametrize(("sid", "said"), [(SID_F, "page cursor went round"), (SID_G, "20 empty pages in a row")])
async def test_an_export_of_pages_that_loop_fails_clearly_and_leaves_no_file(
    cloud: Sandbox, tmp_path: Path, sid: str, said: str
) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(ExportFailed, match=said):
        await export(sandbox_settings(cloud), f"qoder:{sid}", "jsonl", str(target))
    assert list(tmp_path.iterdir()) == []
