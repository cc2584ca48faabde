from __future__ import annotations

import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from agent_threads.app import build_server
from agent_threads.config import Settings, load_settings, select
from agent_threads.errors import ConfigError
from agent_threads.profiles import profiles_path
from agent_threads.providers.base import ProviderSettings
from agent_threads.sandbox import Sandbox

from .conftest import register_secret, sandbox_settings
from .fakes import FakeProvider, fake_factory

CN_PAT = register_secret("qoder-cn-pat-0123456789")
PROD_SECRET = register_secret("prod-alibaba-secret-0123")

PROFILE = """
[settings]
read_only = true

[qoder.cn]
token = "env:QODER_CN_PAT"
endpoint = "https://api.qoder.cn/api/v1/cloud"

[alibaba.prod]
access_key_id = "LTAIprodkeyid000000"
access_key_secret = "env:PROD_SECRET"
region = "cn-shanghai"
products = ["cms", "dms"]
endpoints = { dms = "https://dms-vpc.cn-shanghai.aliyuncs.com" }

[dataagent.gz]
secret_id = "env:GZ_ID"
secret_key = "env:GZ_KEY"
"""


def _load(tmp_path: Path, text: str, **env: str) -> Settings:
    path = tmp_path / "profiles.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return load_settings({"AGENT_THREADS_CONFIG": str(path), **env}, home=tmp_path)


def _by_id(settings: Settings) -> dict[str, ProviderSettings]:
    return {p.id: p for p in settings.providers}


def test_each_profile_account_becomes_its_own_provider_id(tmp_path: Path) -> None:
    found = _by_id(_load(tmp_path, PROFILE, QODER_CN_PAT=CN_PAT, PROD_SECRET=PROD_SECRET))
    assert sorted(found) == ["cms.prod", "dms.prod", "qoder.cn"]
    assert found["qoder.cn"].credentials == {"token": CN_PAT}
    assert found["qoder.cn"].endpoint == "https://api.qoder.cn/api/v1/cloud"
    assert (found["cms.prod"].family, found["cms.prod"].region, found["cms.prod"].endpoint) == (
        "cms",
        "cn-shanghai",
        None,
    )
    assert found["dms.prod"].endpoint == "https://dms-vpc.cn-shanghai.aliyuncs.com"
    assert found["dms.prod"].credentials["access_key_secret"] == PROD_SECRET
    assert {p.source for p in found.values()} == {"profile"}


def test_an_account_whose_env_reference_is_unset_is_not_offered_and_says_which_variable(tmp_path: Path) -> None:
    settings = _load(tmp_path, PROFILE, QODER_CN_PAT=CN_PAT, PROD_SECRET=PROD_SECRET)
    assert "dataagent.gz" not in _by_id(settings)
    assert settings.missing["dataagent.gz"].startswith("set GZ_ID, GZ_KEY (")
    assert "[dataagent.gz]" in settings.missing["dataagent.gz"]


def test_the_environment_beats_the_profile_for_the_default_account(tmp_path: Path) -> None:
    profile = '[qoder]\ntoken = "profile-token-000000"\nendpoint = "https://profile.example/api/v1/cloud"\n'
    from_profile = _by_id(_load(tmp_path, profile))["qoder"]
    from_env = _by_id(_load(tmp_path, profile, QODER_PAT="env-token-0000000"))["qoder"]
    assert (from_profile.credentials["token"], from_profile.source) == ("profile-token-000000", "profile")
    assert (from_env.credentials["token"], from_env.source, from_env.endpoint) == ("env-token-0000000", "env", None)


def test_profile_settings_apply_unless_the_environment_sets_them(tmp_path: Path) -> None:
    profile = PROFILE.replace("read_only = true", 'read_only = true\nproviders = ["qoder"]')
    env = {"QODER_CN_PAT": CN_PAT, "PROD_SECRET": PROD_SECRET}
    plain = _load(tmp_path, profile, **env)
    overridden = _load(tmp_path, profile, **env, AGENT_THREADS_READ_ONLY="0", AGENT_THREADS_PROVIDERS="cms")
    assert (plain.read_only, sorted(_by_id(plain))) == (True, ["qoder.cn"])
    assert (overridden.read_only, sorted(_by_id(overridden))) == (False, ["cms.prod"])


async def test_command_line_flags_beat_the_environment_and_narrow_the_tool_surface() -> None:
    env = {**os.environ, "AGENT_THREADS_PROVIDERS": "cms", "AGENT_THREADS_READ_ONLY": "0"}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agent_threads", "--sandbox", "--providers", "qoder", "--read-only"],
        env=env,
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            info = (await client.call_tool("list_providers", {})).structured_content
            tools = {t.name: t for t in (await client.list_tools()).tools}
    assert [p["id"] for p in info["providers"]] == ["qoder"] and info["read_only"] is True
    assert tools["list_threads"].input_schema["properties"]["provider"]["description"] == "Provider id: qoder."
    assert tools["stream_chat"].annotations is not None and tools["stream_chat"].annotations.read_only_hint is True


async def test_gated_tool_listings_are_smaller_than_the_full_one() -> None:
    every = Settings(
        providers=tuple(ProviderSettings(f, f) for f in ("qoder", "cms", "starops", "dms", "rdsai", "dataagent"))
    )
    gated = replace(select(every, ["qoder"]), read_only=True)
    sizes = []
    for settings in (every, gated):
        async with Client(
            build_server(settings, factory=fake_factory({p.id: FakeProvider(id=p.id) for p in every.providers}))
        ) as client:
            sizes.append(len((await client.list_tools()).model_dump_json(by_alias=True, exclude_none=True)))
    assert sizes[1] < sizes[0]


def test_a_provider_filter_keeps_families_with_all_their_accounts_or_one_account() -> None:
    ids = ["qoder", "qoder.cn", "cms", "cms.prod", "dms"]
    settings = Settings(
        providers=tuple(ProviderSettings(i, i.split(".")[0]) for i in ids), missing={"tencent": "x", "alibaba": "y"}
    )
    assert [p.id for p in select(settings, ["cms"]).providers] == ["cms", "cms.prod"]
    assert [p.id for p in select(settings, ["qoder.cn", "dms"]).providers] == ["qoder.cn", "dms"]
    assert select(settings, ["dataagent"]).missing == {"tencent": "x"}


@pytest.mark.parametrize("name", ["qodr", "cms.", "cms.bad name", "alibaba"])
def test_an_unknown_provider_in_the_filter_is_refused_with_the_accepted_ids(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        select(Settings(), [name])
    assert "qoder, cms, starops, dms, rdsai, dataagent" in caught.value.for_model()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[qoder.cn]\ntoken = 'x'\ncolour = 'blue'\n", "Unknown key(s) ['colour']"),
        ("[qoder.'c n']\ntoken = 'x'\n", "Bad account name"),
        ("[alibaba.prod]\naccess_key_id = 'x'\n", "needs access_key_secret"),
        ("[qoder.cn]\ntoken = 'x'\nendpoint = 'api.qoder.cn'\n", "full URL with scheme"),
        (
            "[alibaba.prod]\naccess_key_id = 'x'\naccess_key_secret = 'y'\nendpoint = 'https://a'\n",
            "one endpoint cannot fit",
        ),
        ("[alibaba.prod]\naccess_key_id = 'x'\naccess_key_secret = 'y'\nproducts = ['qoder']\n", "products must be"),
        ("[cms]\naccess_key_id = 'x'\n", "Name the account: [cms.<name>]"),
        ("[gemini.x]\ntoken = 'x'\n", "Unknown table"),
        ("[settings]\nread_only = 'yes'\n", "read_only must be true or false"),
        ("[qoder.cn\n", "Cannot read the profiles file"),
        (
            "[alibaba.p]\naccess_key_id = 'x'\naccess_key_secret = 'y'\n"
            "[cms.p]\naccess_key_id = 'x'\naccess_key_secret = 'y'\n",
            "defined twice",
        ),
    ],
)
def test_a_malformed_profiles_file_is_refused_naming_the_file_and_what_is_wrong(
    tmp_path: Path, text: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert says in caught.value.for_model()
    assert "profiles.toml" in caught.value.for_model()


def test_a_named_profiles_file_must_exist_but_the_default_one_may_be_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings({"AGENT_THREADS_CONFIG": str(tmp_path / "nope.toml")}, home=tmp_path)
    assert load_settings({}, home=tmp_path).providers == ()


def test_the_default_file_is_under_the_users_config_directory(tmp_path: Path) -> None:
    assert profiles_path({}, tmp_path) == (tmp_path / ".config" / "agent-threads-mcp" / "profiles.toml", False)
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert profiles_path(xdg, tmp_path) == (tmp_path / "xdg" / "agent-threads-mcp" / "profiles.toml", False)


def test_literal_secrets_in_a_file_others_can_read_draw_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[qoder.cn]\ntoken = 'literal-token-000000'\n", encoding="utf-8")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="agent_threads.profiles"):
        load_settings({"AGENT_THREADS_CONFIG": str(path)}, home=tmp_path)
    assert any("chmod 600" in r.getMessage() for r in caplog.records)
    assert not any("literal-token-000000" in r.getMessage() for r in caplog.records)


async def test_list_providers_shows_profile_accounts_and_they_work_but_no_secret_shows(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    if "qoder" not in sandbox.ports:
        pytest.skip("the sandbox does not serve qoder yet")
    env = sandbox.env()
    base_url = env["QODER_BASE_URL"]
    profile = f'[qoder.second]\ntoken = "env:SECOND_PAT"\nendpoint = "{base_url}"\n'
    path = tmp_path / "profiles.toml"
    path.write_text(profile, encoding="utf-8")
    settings = sandbox_settings(sandbox, AGENT_THREADS_CONFIG=str(path), SECOND_PAT=env["QODER_PAT"])
    async with Client(build_server(settings)) as client:
        info = await client.call_tool("list_providers", {})
        listing = await client.call_tool("list_threads", {"provider": "qoder.second"})
    text = info.content[0].text  # type: ignore[union-attr]
    assert "qoder.second: can " in text
    assert env["QODER_PAT"] not in text and env["QODER_PAT"] not in str(info.structured_content)
    assert not listing.is_error
    refs: list[Any] = [t["ref"] for t in listing.structured_content["threads"]]
    assert refs and all(r.startswith("qoder.second:") for r in refs)
