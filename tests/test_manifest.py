from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import anyio
import pytest
from mcp import Client, StdioServerParameters

from agent_threads.app import build_server
from agent_threads.config import Settings, load_settings

from .node import MCPB, run_npx
from .uvtools import offline_env, uv_or_skip

ROOT = Path(__file__).resolve().parent.parent
MANIFEST: dict[str, Any] = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
sys.path.insert(0, str(ROOT / "scripts"))
import pack_mcpb  # noqa: E402  # pyright: ignore[reportMissingImports]  (a stdlib script, not a package)

DESIGN_ENV = {
    "QODER_PAT", "QODER_BASE_URL",
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_REGION_ID",
    "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SECURITY_TOKEN", "TENCENTCLOUD_REGION",
    "AGENT_THREADS_CMS_ENDPOINT", "AGENT_THREADS_STAROPS_ENDPOINT", "AGENT_THREADS_DMS_ENDPOINT",
    "AGENT_THREADS_RDSAI_ENDPOINT", "AGENT_THREADS_DATAAGENT_ENDPOINT", "AGENT_THREADS_READ_ONLY",
}  # fmt: skip
SECRET_ENV = {
    "QODER_PAT", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SECURITY_TOKEN",
}  # fmt: skip
PLACEHOLDER = re.compile(r"^\$\{user_config\.([a-z0-9_]+)\}$")


def _env_to_config_key() -> dict[str, str]:
    env: dict[str, str] = MANIFEST["server"]["mcp_config"]["env"]
    keys = {var: PLACEHOLDER.match(value) for var, value in env.items()}
    assert all(keys.values()), f"every env value is one user_config placeholder: {env}"
    return {var: match.group(1) for var, match in keys.items() if match}


def _substituted_env() -> dict[str, str]:
    """The environment a host passes when the user fills in nothing: each user_config default, as a string."""
    config = MANIFEST["user_config"]
    as_text = {True: "true", False: "false"}
    defaults = {var: config[key]["default"] for var, key in _env_to_config_key().items()}
    return {var: as_text.get(value, str(value)) for var, value in defaults.items()}


async def test_the_manifest_lists_exactly_the_servers_tools_with_their_descriptions() -> None:
    async with Client(build_server(Settings())) as client:
        tools = [{"name": t.name, "description": t.description} for t in (await client.list_tools()).tools]
    assert MANIFEST["tools"] == tools


def test_every_credential_endpoint_and_switch_comes_from_user_config() -> None:
    mapping = _env_to_config_key()
    assert DESIGN_ENV <= set(mapping)
    assert set(mapping.values()) == set(MANIFEST["user_config"]), "no unused or dangling user_config entry"


def test_secrets_are_sensitive_and_nothing_is_required() -> None:
    config = MANIFEST["user_config"]
    for var, key in _env_to_config_key().items():
        assert config[key].get("sensitive", False) is (var in SECRET_ENV), key
        assert config[key]["required"] is False and "default" in config[key], key


def test_values_left_empty_in_the_host_count_as_unset(tmp_path: Path) -> None:
    settings = load_settings(_substituted_env(), home=tmp_path)
    assert settings.providers == () and settings.read_only is False
    assert set(settings.missing) == {"qoder", "alibaba", "tencent"}


def test_the_manifest_starts_the_package_with_uv_and_without_dev_dependencies() -> None:
    server = MANIFEST["server"]
    assert (MANIFEST["manifest_version"], server["type"], server["mcp_config"]["command"]) == ("0.4", "uv", "uv")
    args = server["mcp_config"]["args"]
    assert args[:3] == ["run", "--directory", "${__dirname}"] and args[-1] == "agent-threads-mcp"
    assert {"--frozen", "--no-default-groups"} <= set(args)
    assert (ROOT / server["entry_point"]).is_file()


async def test_the_manifest_passes_the_mcpb_validator() -> None:
    out = await run_npx(MCPB, ["validate", "manifest.json"], cwd=ROOT)
    assert "validation passes" in out


def test_the_bundle_holds_the_manifest_the_lock_and_the_package_and_nothing_else(tmp_path: Path) -> None:
    bundle = pack_mcpb.pack(tmp_path / "agent-threads.mcpb")
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert json.loads(z.read("manifest.json")) == MANIFEST
        assert {z.getinfo(n).date_time for n in names} == {pack_mcpb.FIXED_TIME}
    assert {"manifest.json", "pyproject.toml", "uv.lock", "README.md", "LICENSE"} <= set(names)
    assert "server/agent_threads/__main__.py" in names
    assert "server/agent_threads/sandbox/core.py" in names
    assert all(n.startswith("server/agent_threads/") for n in names if "/" in n)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith(("tests/", ".venv/"))]
    assert names == sorted(names)


def test_the_licence_file_is_the_mit_licence_that_pyproject_and_the_manifest_declare() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert pyproject["project"]["license"] == MANIFEST["license"] == "MIT"
    assert licence.startswith("MIT License\n") and "WITHOUT WARRANTY OF ANY KIND" in licence


async def test_mcpb_pack_of_the_checkout_ships_exactly_the_files_the_pack_script_ships(tmp_path: Path) -> None:
    """`.mcpbignore` keeps .venv/, tests, benchmarks and caches out of `mcpb pack .`, whatever the checkout holds."""
    await run_npx(MCPB, ["pack", str(ROOT), str(tmp_path / "mcpb.mcpb")], cwd=tmp_path)
    with zipfile.ZipFile(tmp_path / "mcpb.mcpb") as z:
        packed = sorted(z.namelist())
    assert packed == [p.as_posix() for p in pack_mcpb.bundle_files(ROOT)]


def test_packing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = pack_mcpb.pack(tmp_path / "a.mcpb"), pack_mcpb.pack(tmp_path / "b.mcpb")
    assert first.read_bytes() == second.read_bytes()


def test_packing_refuses_a_manifest_whose_version_disagrees(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for rel in pack_mcpb.bundle_files(ROOT):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tree / rel)
    (tree / "manifest.json").write_text(json.dumps({**MANIFEST, "version": "9.9.9"}), encoding="utf-8")
    with pytest.raises(pack_mcpb.PackError):
        pack_mcpb.pack(tmp_path / "x.mcpb", root=tree)


async def test_the_unpacked_bundle_serves_the_tools_with_the_manifests_own_command(tmp_path: Path) -> None:
    uv = uv_or_skip()
    with zipfile.ZipFile(pack_mcpb.pack(tmp_path / "agent-threads.mcpb")) as z:
        z.extractall(tmp_path / "installed")
    config = MANIFEST["server"]["mcp_config"]
    args = [a.replace("${__dirname}", str(tmp_path / "installed")) for a in config["args"]]
    env = offline_env(**_substituted_env())
    params = StdioServerParameters(command=uv, args=args, env=env, cwd=str(tmp_path))
    with anyio.fail_after(180):
        async with Client(params) as client:
            tools = [{"name": t.name, "description": t.description} for t in (await client.list_tools()).tools]
            providers = await client.call_tool("list_providers", {})
    assert tools == MANIFEST["tools"]
    assert not providers.is_error and providers.structured_content["providers"] == []
