"""What every tool shares: the lifespan's ``AppContext``, the boundary that turns project errors into tool errors
the model can act on, and how a result is built."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from ..config import Settings
from ..cursors import Codec, CursorStore
from ..errors import AgentThreadsError, ConfigError
from ..providers.base import Provider
from ..readahead import ReadAhead
from ..shaping import ERROR_TOKENS, error_text

if TYPE_CHECKING:
    from ..index import ThreadIndex
    from ..writethrough import Recorder


class Pool(Protocol):
    def ids(self) -> list[str]: ...
    def get(self, provider_id: str) -> Provider | None: ...
    def all(self) -> list[Provider]: ...


@dataclass
class AppContext:
    settings: Settings
    pool: Pool
    codec: Codec = field(default_factory=CursorStore)
    ahead: ReadAhead | None = None
    index: ThreadIndex | None = None
    index_off: str = ""
    """Why there is no index (switched off, or its store could not be opened): what the find tools say."""
    recorder: Recorder | None = None

    def provider(self, provider_id: str) -> Provider:
        """The configured provider. Raises ConfigError saying what an unconfigured one would need."""
        provider = self.pool.get(provider_id)
        if provider is not None:
            return provider
        family, dot, account = provider_id.partition(".")
        why = self.settings.missing_reason(provider_id)
        if dot:
            why = f"no account {account!r} for {family} in the profiles file"
        offered = ", ".join(sorted(self.pool.ids())) or "none"
        raise ConfigError(
            f"Provider {provider_id!r} is not configured{f' ({why})' if why else ''}.",
            hint=f"Configured providers: {offered}. list_providers shows what each needs.",
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for p in self.settings.providers for v in p.credentials.values())

    def error_text(self, error: AgentThreadsError, budget: int | None = None) -> str:
        """What the model reads of an error: masked (this server's credentials always), bounded, untrusted."""
        tokens = budget if budget is not None else ERROR_TOKENS
        return error_text(error.for_model(), redact=self.settings.redact, secrets=self.secrets(), tokens=tokens)


@dataclass
class Current:
    """The running server's AppContext, for the handlers the SDK calls without a request context (completions,
    the resource list); None while the server is not running."""

    app: AppContext | None = None


ToolContext = Context[AppContext]
"""The context the SDK hands a tool, typed with this server's lifespan context."""


def app_of(ctx: ToolContext) -> AppContext:
    return ctx.request_context.lifespan_context


@asynccontextmanager
async def tool_errors(app: AppContext, at_least: float = 0, budget: int | None = None) -> AsyncIterator[None]:
    """Turn project errors into ToolErrors with model-actionable, secret-free, bounded text (``shaping.error_text``,
    within ``budget`` tokens when the call has one), under the tool deadline."""
    deadline = max(app.settings.timeouts.tool, at_least)
    try:
        with anyio.fail_after(deadline):
            yield
    except AgentThreadsError as e:
        raise ToolError(app.error_text(e, budget)) from e
    except TimeoutError as e:
        raise ToolError(
            f"Gave up after {deadline:g}s (AGENT_THREADS_TOOL_TIMEOUT). Try a smaller limit, or retry later."
        ) from e


def result(text: str, model: BaseModel) -> CallToolResult:
    """The text for the model, and the model's fields as structuredContent."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json", exclude_none=True, exclude_defaults=False),
    )
