"""The vendor registry: every vendor is one package and one spec, read by refs, settings, profiles, tools and the
provider registry; a sixth vendor (``tests/toyvendor``) plugs in the same way and nothing else changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

from agent_threads import providers, vendors
from agent_threads.app import build_server
from agent_threads.config import load_settings
from agent_threads.errors import UsageError
from agent_threads.http import RetryPolicy
from agent_threads.refs import accepted_forms, parse_ref

from . import toyvendor
from .fakes import result_text
from .toyvendor.provider import ToyProvider

HOME = Path("/nonexistent-home")


@pytest.fixture
def toy() -> Iterator[vendors.VendorSpec]:
    vendors.register(toyvendor.SPEC)
    yield toyvendor.SPEC
    vendors.unregister(toyvendor.SPEC)


def test_the_five_vendors_are_found_from_their_packages_in_their_listed_order() -> None:
    assert vendors.families() == ("qoder", "cms", "starops", "dms", "rdsai", "dataagent")
    assert [a.name for a in vendors.accounts()] == ["qoder", "alibaba", "tencent"]
    assert vendors.account_of("dms") is vendors.account_of("starops") and vendors.spec_of("nope") is None


def test_a_family_already_served_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError):
        vendors.register(vendors.specs()[0])


def test_refs_of_a_registered_vendor_parse_and_are_offered(toy: vendors.VendorSpec) -> None:
    assert parse_ref("toy:box/t1").parts == ("box", "t1")
    assert "toy:<box>/<thread>" in accepted_forms()
    with pytest.raises(UsageError):
        parse_ref("toy:box/t1/deeper")


def test_refs_of_an_unregistered_vendor_are_refused() -> None:
    with pytest.raises(UsageError):
        parse_ref("toy:box/t1")


def test_its_account_comes_from_the_environment_or_is_reported_missing(toy: vendors.VendorSpec) -> None:
    env = {"TOY_TOKEN": "toy-secret-1234", "AGENT_THREADS_TOY_ENDPOINT": "http://127.0.0.1:9"}
    (found,) = [p for p in load_settings(env, home=HOME).providers if p.family == "toy"]
    assert (found.id, found.endpoint, found.region, found.credentials) == (
        "toy",
        "http://127.0.0.1:9",
        "toy-1",
        {"token": "toy-secret-1234"},
    )
    assert load_settings({}, home=HOME).missing["toyco"] == "set TOY_TOKEN"


def test_its_profiles_table_names_more_accounts(toy: vendors.VendorSpec, tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text('[toyco.second]\ntoken = "env:SECOND_TOY"\n')
    settings = load_settings({"AGENT_THREADS_CONFIG": str(path), "SECOND_TOY": "other-toy-secret"}, home=HOME)
    (found,) = [p for p in settings.providers if p.family == "toy"]
    assert (found.id, found.source, found.credentials) == ("toy.second", "profile", {"token": "other-toy-secret"})


async def test_the_registry_builds_it_and_the_tools_read_through_it(toy: vendors.VendorSpec) -> None:
    settings = load_settings({"TOY_TOKEN": "toy-secret-1234"}, home=HOME)
    built = providers.create(next(p for p in settings.providers if p.id == "toy"), settings.timeouts, RetryPolicy())
    assert isinstance(built, ToyProvider)
    await built.client.aclose()
    async with Client(build_server(settings)) as client:
        listed = result_text(await client.call_tool("list_providers", {}))
        page = result_text(await client.call_tool("get_thread_messages", {"thread": "toy:box/t1"}))
    assert "toy: can list, read, stream, send" in listed and "toy:<box>/<thread>" in listed
    assert page.splitlines()[:3] == ["thread: toy thread", "#1 user: hello toy", "#2 assistant: hello human"]
