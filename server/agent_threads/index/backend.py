"""The one interface every index backend implements: run a plan in a transaction, hold a provider's sync lock."""

from __future__ import annotations

from typing import Protocol, TypeVar

from .sql import Dialect, Plan, PlanFactory, Row, Stmt

T = TypeVar("T")


class Backend(Protocol):
    dialect: Dialect
    where: str
    """Where the index lives, for messages (a path, or a database URL without its password)."""

    async def run(self, plan: PlanFactory[T], *, write: bool = False) -> T:
        """Run the plan in one transaction (writes serialized per process). Raises IndexStoreError."""
        ...

    async def try_lock(self, provider: str, owner: str, ttl: float) -> bool:
        """Take the provider's sync lock, or renew it when ``owner`` holds it; False while another holds it."""
        ...

    async def unlock(self, provider: str, owner: str) -> None: ...

    async def close(self) -> None: ...


def drive(plan: Plan[T], execute: Executor) -> T:
    """Run a plan synchronously: each statement's rows go back into the plan."""
    try:
        stmt = next(plan)
        while True:
            stmt = plan.send(execute(stmt))
    except StopIteration as stop:
        return stop.value


class Executor(Protocol):
    def __call__(self, stmt: Stmt) -> list[Row]: ...
