"""One error hierarchy for the whole server.

Providers map every vendor failure onto it at their boundary (``raise ... from e``); the tool layer turns
any ``AgentThreadsError`` into an MCP ``ToolError`` whose text says what failed, why, and what to do next.

    AgentThreadsError
     ├── UsageError                  bad ref, cursor, argument: the caller can fix it
     ├── ConfigError                 provider not configured, credentials missing or unreadable
     └── ProviderError               anything that happened talking to a vendor
          ├── ProviderAPIError       the vendor answered with an error (status, code, request id)
          │    ├── AuthError         401 / bad signature / unknown key
          │    ├── PermissionError_  403 / RAM / CAM denial
          │    ├── NotFoundError     404 / ResourceNotFound
          │    ├── ConflictError     409 / a turn is already in progress
          │    ├── RateLimitError    429 / Throttling* / RequestLimitExceeded   (retryable)
          │    └── ServerError       5xx                                         (retryable)
          ├── ProviderConnectionError  connect/read failures and timeouts        (retryable)
          └── ProtocolError          a reply that does not parse as the vendor's format
"""

from __future__ import annotations

MAYBE_DELIVERED = "The message may have been delivered: read the thread before sending again."
"""The hint of a send whose answer was lost after the vendor may have taken the message."""


class AgentThreadsError(Exception):
    """Base of every error this server raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    @property
    def retryable(self) -> bool:
        return False

    def for_model(self) -> str:
        """The text a model reads: what failed, and the next step."""
        return f"{self.message} {self.hint}".strip()


class UsageError(AgentThreadsError):
    """The call itself is wrong (malformed ref, foreign cursor, bad argument)."""


class ConfigError(AgentThreadsError):
    """The server is not configured for what was asked."""


class ProviderError(AgentThreadsError):
    """A failure talking to a vendor."""

    def __init__(self, message: str, *, provider: str, hint: str = "", request_id: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider
        self.request_id = request_id

    def for_model(self) -> str:
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.provider}: {self.message}{rid}. {self.hint}".strip()


class ProviderAPIError(ProviderError):
    """The vendor answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, provider=provider, hint=hint, request_id=request_id)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def for_model(self) -> str:
        what = ", ".join(str(x) for x in (self.status, self.code) if x)
        rid = f", request id {self.request_id}" if self.request_id else ""
        return f"{self.provider} error ({what}{rid}): {self.message}. {self.hint}".strip()


class AuthError(ProviderAPIError):
    hint = "Check the provider's credentials (list_providers shows which are configured)."


class PermissionError_(ProviderAPIError):
    hint = "The credentials are valid but lack permission for this resource; grant it or use another account."


class NotFoundError(ProviderAPIError):
    hint = "Check the ref; list_threads shows the threads that exist."


class ConflictError(ProviderAPIError):
    hint = "The thread is busy with a turn; wait for it to finish (stream_chat without message) and try again."


class RateLimitError(ProviderAPIError):
    @property
    def retryable(self) -> bool:
        return True

    def for_model(self) -> str:
        wait = f" Retry after {self.retry_after:g}s." if self.retry_after else " Retry in a few seconds."
        return super().for_model() + wait


class ServerError(ProviderAPIError):
    hint = "The vendor failed on its side; retry later."

    @property
    def retryable(self) -> bool:
        return True


class ProviderConnectionError(ProviderError):
    hint = "Check the network and the provider's endpoint; retry later."

    @property
    def retryable(self) -> bool:
        return True


class ProtocolError(ProviderError):
    hint = "The vendor's reply was not in the expected format; retry, and report it if it persists."


def for_status(status: int) -> type[ProviderAPIError]:
    """The error class for an HTTP status, when the body says nothing more specific."""
    if status == 401:
        return AuthError
    if status == 403:
        return PermissionError_
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status in (408,) or status >= 500:
        return ServerError
    return ProviderAPIError
