"""Alibaba Cloud credentials: environment first, then the aliyun CLI's config.json, then the SDK's INI file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent_threads.config import load_settings
from agent_threads.providers.alibaba.credentials import from_files as alibaba_from_files

from ...conftest import register_secret

CLI_SECRET = register_secret("cli-secret-0000")
STS_SECRET = register_secret("sts-secret-0000")
INI_SECRET = register_secret("ini-secret-0000")


def _cli(home: Path, current: str = "default", **extra: Any) -> Path:
    profiles = [
        {
            "name": "default",
            "mode": "AK",
            "access_key_id": "LTAIclidefault000000",
            "access_key_secret": CLI_SECRET,
            "region_id": "cn-shanghai",
        },
        {
            "name": "temp",
            "mode": "StsToken",
            "access_key_id": "STS.tempkey000000000",
            "access_key_secret": STS_SECRET,
            "sts_token": "sts-token-0000",
            "region_id": "ap-southeast-1",
        },
        {
            "name": "role",
            "mode": "RamRoleArn",
            "access_key_id": "LTAIrole000000000000",
            "access_key_secret": "x",
            "ram_role_arn": "acs:ram::1:role/r",
        },
    ]
    folder = home / ".aliyun"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps({"current": current, "profiles": profiles, **extra}), encoding="utf-8"
    )
    return home


def _ini(home: Path, name: str = "credentials.ini") -> Path:
    folder = home / ".alibabacloud"
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        "[default]\ntype = access_key\naccess_key_id = LTAIinidefault000000\naccess_key_secret = "
        + INI_SECRET
        + "  # comment\n\n"
        "[sts]\ntype = sts\naccess_key_id = STS.ini0000000000000\naccess_key_secret = "
        + STS_SECRET
        + "\nsecurity_token = ini-token\n\n"
        "[ecs]\ntype = ecs_ram_role\nrole_name = r\n"
    )
    (folder / name).write_text(text, encoding="utf-8")
    return home


def _alibaba(env: dict[str, str], home: Path) -> list[Any]:
    return [p for p in load_settings(env, home=home).providers if p.family in ("cms", "starops", "dms", "rdsai")]


def test_the_current_cli_profile_supplies_keys_and_region(tmp_path: Path) -> None:
    specs = _alibaba({}, _cli(tmp_path))
    assert [p.family for p in specs] == ["cms", "starops", "dms", "rdsai"]
    assert specs[0].credentials == {"access_key_id": "LTAIclidefault000000", "access_key_secret": CLI_SECRET}
    assert (specs[0].region, specs[0].source) == ("cn-shanghai", "~/.aliyun/config.json profile default")


def test_a_sts_token_profile_brings_its_security_token(tmp_path: Path) -> None:
    specs = _alibaba({}, _cli(tmp_path, current="temp"))
    assert specs[0].credentials["security_token"] == "sts-token-0000" and specs[0].region == "ap-southeast-1"


def test_alibaba_cloud_profile_picks_another_profile_and_the_env_region_wins(tmp_path: Path) -> None:
    specs = _alibaba({"ALIBABA_CLOUD_PROFILE": "temp", "ALIBABA_CLOUD_REGION_ID": "cn-beijing"}, _cli(tmp_path))
    assert specs[0].credentials["access_key_id"] == "STS.tempkey000000000" and specs[0].region == "cn-beijing"


def test_environment_keys_win_over_files(tmp_path: Path) -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv0000000000000",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": register_secret("env-secret-0000"),
    }
    specs = _alibaba(env, _cli(tmp_path))
    assert specs[0].credentials["access_key_id"] == "LTAIenv0000000000000"
    assert (specs[0].source, specs[0].region) == ("env", "cn-hangzhou")


def test_a_half_set_environment_is_reported_rather_than_mixed_with_a_file(tmp_path: Path) -> None:
    settings = load_settings({"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenv0000000000000"}, home=_cli(tmp_path))
    assert not [p for p in settings.providers if p.family == "cms"]
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in settings.missing["alibaba"]


def test_the_sdk_ini_file_is_read_when_there_is_no_cli_config(tmp_path: Path) -> None:
    home = _ini(tmp_path)
    assert alibaba_from_files(home, None) == {
        "access_key_id": "LTAIinidefault000000",
        "access_key_secret": INI_SECRET,
        "source": "~/.alibabacloud/credentials.ini [default]",
    }
    assert alibaba_from_files(home, "sts") == {
        "access_key_id": "STS.ini0000000000000",
        "access_key_secret": STS_SECRET,
        "security_token": "ini-token",
        "source": "~/.alibabacloud/credentials.ini [sts]",
    }


def test_the_older_ini_name_without_extension_is_read_too(tmp_path: Path) -> None:
    found = alibaba_from_files(_ini(tmp_path, "credentials"), None)
    assert found is not None and found["source"] == "~/.alibabacloud/credentials [default]"


def test_modes_that_need_a_token_exchange_are_not_used(tmp_path: Path) -> None:
    assert alibaba_from_files(_cli(tmp_path, current="role"), None) is None
    assert alibaba_from_files(_ini(tmp_path / "other"), "ecs") is None


def test_a_missing_or_broken_config_yields_nothing(tmp_path: Path) -> None:
    assert alibaba_from_files(tmp_path, None) is None
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text("{not json", encoding="utf-8")
    assert alibaba_from_files(tmp_path, None) is None
    settings = load_settings({}, home=tmp_path)
    assert "aliyun CLI" in settings.missing["alibaba"]


def test_the_dms_unit_comes_from_agent_threads_dms_unit() -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s",
        "AGENT_THREADS_DMS_UNIT": "ap-southeast-1",
    }
    settings = load_settings(env, home=Path("/nonexistent-home"))
    by_id = {p.id: p for p in settings.providers}
    assert by_id["dms"].options == {"dms_unit": "ap-southeast-1"} and by_id["cms"].options == {}
