"""Tencent Cloud credentials: environment first, then the SDK's profile file (~/.tencentcloud/credentials)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_threads.config import load_settings
from agent_threads.errors import ConfigError
from agent_threads.providers.dataagent.credentials import from_files as tencent_from_files

PROFILE = """\
[default]
secret_id = AKIDdefault000000000000000
secret_key = default-key-0000

[prod]
secret_id = "AKIDprod0000000000000000000"
secret_key = 'prod%key-0000'
"""


def _home(tmp_path: Path, text: str = PROFILE) -> Path:
    folder = tmp_path / ".tencentcloud"
    folder.mkdir()
    (folder / "credentials").write_text(text, encoding="utf-8")
    return tmp_path


def _tencent(env: dict[str, str], home: Path):  # type: ignore[no-untyped-def]
    settings = load_settings({"AGENT_THREADS_STATE_DIR": str(home / "state"), **env}, home=home)
    return next((p for p in settings.providers if p.family == "dataagent"), None), settings.missing


def test_the_default_section_of_the_profile_file_is_read_as_the_sdk_reads_it(tmp_path: Path) -> None:
    found = tencent_from_files(_home(tmp_path), system=None)
    assert found == {"secret_id": "AKIDdefault000000000000000", "secret_key": "default-key-0000"}


def test_another_section_can_be_picked_and_quotes_and_percent_signs_are_kept_literal(tmp_path: Path) -> None:
    found = tencent_from_files(_home(tmp_path), "prod", system=None)
    assert found == {"secret_id": "AKIDprod0000000000000000000", "secret_key": "prod%key-0000"}


def test_a_missing_file_section_or_key_gives_nothing(tmp_path: Path) -> None:
    assert tencent_from_files(tmp_path, system=None) is None
    home = _home(tmp_path, "[default]\nsecret_id = AKIDonly\n")
    assert tencent_from_files(home, system=None) is None
    assert tencent_from_files(home, "absent", system=None) is None


def test_the_system_wide_file_is_the_fallback(tmp_path: Path) -> None:
    system = tmp_path / "etc-credentials"
    system.write_text(PROFILE, encoding="utf-8")
    assert tencent_from_files(tmp_path / "nohome", system=system) == {
        "secret_id": "AKIDdefault000000000000000",
        "secret_key": "default-key-0000",
    }


def test_the_environment_wins_over_the_profile_file_and_carries_the_sts_token(tmp_path: Path) -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": "AKIDenv",
        "TENCENTCLOUD_SECRET_KEY": "env-key",
        "TENCENTCLOUD_SECURITY_TOKEN": "sts",
    }
    provider, _ = _tencent(env, _home(tmp_path))
    assert provider is not None and provider.source == "env"
    assert provider.credentials == {"secret_id": "AKIDenv", "secret_key": "env-key", "token": "sts"}


def test_without_environment_credentials_the_profile_named_by_tencentcloud_profile_is_used(tmp_path: Path) -> None:
    provider, _ = _tencent({"TENCENTCLOUD_PROFILE": "prod", "TENCENTCLOUD_REGION": "ap-shanghai"}, _home(tmp_path))
    assert provider is not None and provider.source == "profile:prod" and provider.region == "ap-shanghai"
    assert provider.credentials["secret_id"] == "AKIDprod0000000000000000000"


def test_nothing_configured_says_what_to_set(tmp_path: Path) -> None:
    provider, missing = _tencent({}, tmp_path)
    assert provider is None and "TENCENTCLOUD_SECRET_ID" in missing["tencent"]


def test_the_endpoint_override_state_dir_and_seed_refs_reach_the_provider_options(tmp_path: Path) -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": "AKIDenv",
        "TENCENTCLOUD_SECRET_KEY": "env-key",
        "AGENT_THREADS_DATAAGENT_ENDPOINT": "http://127.0.0.1:9000",
        "AGENT_THREADS_DATAAGENT_REFS": "dataagent:ins-1/sess-1",
    }
    provider, _ = _tencent(env, tmp_path)
    assert provider is not None and provider.endpoint == "http://127.0.0.1:9000"
    assert provider.options == {"state_dir": str(tmp_path / "state"), "seed_refs": "dataagent:ins-1/sess-1"}
    assert provider.region == "ap-guangzhou"


def test_an_endpoint_without_scheme_is_rejected(tmp_path: Path) -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": "a",
        "TENCENTCLOUD_SECRET_KEY": "b",
        "AGENT_THREADS_DATAAGENT_ENDPOINT": "dataagent.local",
    }
    with pytest.raises(ConfigError):
        _tencent(env, tmp_path)
