"""``agent-threads-mcp export REF``: a whole thread, every page followed through the provider (not the budgeted
tool), as Markdown, JSON Lines of normalized messages, OpenTelemetry GenAI messages or an OTLP/JSON trace.
Each format is a writer module of this package; every one writes times as ``iso_z`` does.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import anyio

from .. import providers
from ..config import Settings
from ..errors import AgentThreadsError, ConfigError, ProtocolError, ProviderConnectionError
from ..http import RetryPolicy
from ..providers.base import Batch, Provider
from ..redact import mask_secrets
from ..refs import ThreadRef, parse_ref
from ..shaping import scrub
from ..transcript import Message
from ..walk import Walk
from ..writethrough import Recorder, opened
from .base import Writer, iso_z
from .jsonl import JsonlWriter
from .markdown import MarkdownWriter
from .otel_messages import OtelMessagesWriter, otel_messages
from .otlp import OtlpWriter

if TYPE_CHECKING:
    from ..app import Factory

__all__ = ["FORMATS", "ExportFailed", "Format", "batches", "export", "iso_z", "otel_messages", "write_thread"]

Format = Literal["markdown", "jsonl", "otel-messages", "otlp"]
WRITERS: dict[Format, type[Writer]] = {
    "markdown": MarkdownWriter,
    "jsonl": JsonlWriter,
    "otel-messages": OtelMessagesWriter,
    "otlp": OtlpWriter,
}
FORMATS: tuple[Format, ...] = tuple(WRITERS)
PAGE_SIZE = 100
MAX_PAGES = 100_000


class ExportFailed(AgentThreadsError):
    """An export that could not finish; the message is already free of configured secrets."""


async def export(
    settings: Settings, ref_text: str, fmt: Format, output: str | None, factory: Factory = providers.create
) -> int:
    """Write the whole thread to ``output`` (stdout when None); returns the number of messages."""
    ref = parse_ref(ref_text)
    spec = next((p for p in settings.providers if p.id == ref.provider), None)
    if spec is None:
        configured = ", ".join(p.id for p in settings.providers) or "none"
        why = settings.missing_reason(ref.provider)
        raise ConfigError(
            f"Provider {ref.provider!r} is not configured{f' ({why})' if why else ''}; configured: {configured}."
        )
    provider = factory(spec, settings.timeouts, RetryPolicy())
    secrets = tuple(v for p in settings.providers for v in p.credentials.values())
    count, failed = 0, list[AgentThreadsError]()
    async with provider.client, AsyncExitStack() as stack, anyio.create_task_group() as tg:
        index, _ = await opened(settings, stack)  # the pages read are indexed too, alongside the writing
        reader = Recorder(index, tg).wrap(provider) if index is not None else provider
        try:
            with _opened(output) as out:
                count = await write_thread(reader, ref, fmt, out, redact=settings.redact, secrets=secrets)
        except AgentThreadsError as e:  # raised after the task group, so it is not wrapped in an ExceptionGroup
            failed.append(e)
    if failed:
        raise ExportFailed(mask_secrets(failed[0].for_model(), secrets)) from failed[0]
    return count


@contextmanager
def _opened(output: str | None) -> Iterator[TextIO]:
    """stdout (as UTF-8), or a file that appears only once the export is complete."""
    if output is None or output == "-":
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(encoding="utf-8")
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(output)
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as f:
            yield f
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


async def batches(provider: Provider, ref: ThreadRef, page_size: int = PAGE_SIZE) -> AsyncIterator[Batch]:
    """Every vendor page of the thread, in order, its messages numbered by their place in the thread (a vendor's
    own seq kept) and each id once (``Walk``: the first copy kept). Raises ProtocolError if the vendor's cursor
    goes round or its pages stay empty while saying more follows."""
    state: dict[str, Any] | None = None
    walk, first = Walk(), 0
    for _ in range(MAX_PAGES):
        batch = await provider.read(ref, state, page_size)
        if batch.incomplete:  # an export is the whole thread or nothing
            raise ProviderConnectionError(f"{ref} could not be read whole: {batch.incomplete}", provider=provider.id)
        numbered = [m if m.seq else m.model_copy(update={"seq": first + i}) for i, m in enumerate(batch.messages, 1)]
        messages, _ = walk.unique(numbered)
        yield replace(batch, messages=messages)
        if batch.next_state is None:
            return
        walk.step(batch.next_state, [m.id for m in messages], provider=provider.id)
        state, first = batch.next_state, first + len(batch.messages)
    raise ProtocolError(f"the thread has more than {MAX_PAGES} pages", provider=provider.id)


async def write_thread(
    provider: Provider, ref: ThreadRef, fmt: Format, out: TextIO, *, redact: bool = True, secrets: Sequence[str] = ()
) -> int:
    """The thread through ``fmt``'s writer; this server's ``secrets`` are masked always, credential-like strings
    when ``redact``, wherever they sit (text, parts, vendor extras). Returns the number of messages."""
    writer = WRITERS[fmt](out, str(ref))
    count, started = 0, False
    async for batch in batches(provider, ref):
        if not started:
            writer.start(*(scrub(x, redact=redact, secrets=secrets) for x in (batch.title, batch.status)))
            started = True
        for message in batch.messages:
            writer.message(scrubbed(message, redact=redact, secrets=secrets))
        count += len(batch.messages)
    writer.end(count)
    return count


def scrubbed(message: Message, *, redact: bool = True, secrets: Sequence[str] = ()) -> Message:
    """The message with control characters dropped and secrets masked (``shaping.scrub``), wherever they sit."""
    return Message.model_validate(scrub(message.model_dump(mode="json"), redact=redact, secrets=secrets))
