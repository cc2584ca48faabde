"""coldstart_vs_floor: spawn -> initialize -> tools/list answered, raw JSON-RPC over stdio, against a bare
MCPServer with three trivial tools importing httpx (bench/floor_server.py).

Rounds run the two back to back, alternating which goes first, so both see the same drift of the machine's
load; the figure is the ratio of the two medians. The children's CPU time (user + sys) is reported too: on a
noisy machine it is the steadier view of the same work.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass, field

from common import BENCH, median, server_process

from agent_threads.sandbox import Credentials

FAMILIES = ["qoder", "cms", "starops", "dms", "rdsai", "dataagent"]
FLOOR = [sys.executable, str(BENCH / "floor_server.py")]


def configured_env() -> dict[str, str]:
    """Every vendor configured (as a user of all five runs it); endpoints on a closed loopback port: nothing is
    contacted before the first tool call."""
    creds, dead = Credentials(), "http://127.0.0.1:9"
    env = {
        "QODER_PAT": creds.qoder_pat,
        "QODER_BASE_URL": f"{dead}/api/v1/cloud",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": creds.alibaba_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": creds.alibaba_key_secret,
        "TENCENTCLOUD_SECRET_ID": creds.tencent_secret_id,
        "TENCENTCLOUD_SECRET_KEY": creds.tencent_secret_key,
    }
    return env | {f"AGENT_THREADS_{f.upper()}_ENDPOINT": dead for f in FAMILIES if f != "qoder"}


@dataclass
class Sample:
    wall: float
    cpu: float


@dataclass
class ColdStart:
    ours: list[Sample] = field(default_factory=list[Sample])
    floor: list[Sample] = field(default_factory=list[Sample])
    tools: int = 0
    command: str = ""

    @property
    def ratio(self) -> float:
        return self.wall_ms() / self.wall_ms(ours=False)

    def wall_ms(self, ours: bool = True) -> float:
        return 1000 * median([s.wall for s in (self.ours if ours else self.floor)])

    def cpu_ms(self, ours: bool = True) -> float:
        return 1000 * median([s.cpu for s in (self.ours if ours else self.floor)])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _once(command: list[str], env: dict[str, str]) -> tuple[Sample, int]:
    cpu = _children_cpu()
    start = time.perf_counter()
    async with server_process(env, command) as client:  # spawn + initialize (+ notifications/initialized)
        listed = await client.request("tools/list")
        wall = time.perf_counter() - start
    return Sample(wall, _children_cpu() - cpu), len(listed.get("tools", []))


async def measure(rounds: int, command: list[str]) -> ColdStart:
    result = ColdStart(command=" ".join(c.removeprefix(str(BENCH.parent) + "/") for c in command[1:]))
    env = configured_env()
    await _once(command, env)  # warm the OS file cache and the bytecode of both, untimed
    await _once(FLOOR, {})
    for i in range(rounds):
        if i % 2:
            floor, _ = await _once(FLOOR, {})
            ours, result.tools = await _once(command, env)
        else:
            ours, result.tools = await _once(command, env)
            floor, _ = await _once(FLOOR, {})
        result.ours.append(ours)
        result.floor.append(floor)
    return result
