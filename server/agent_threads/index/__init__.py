"""The thread index (placeholder docstring, rewritten below)."""

from .config import IndexConfig, index_config, open_index
from .model import (
    Coverage,
    Digest,
    FailureExample,
    FailureGroup,
    FailurePage,
    Hit,
    IndexedThread,
    IndexStoreError,
    ProviderCoverage,
    SearchPage,
    ThreadHits,
)
from .store import ThreadIndex

__all__ = [
    "Coverage",
    "Digest",
    "FailureExample",
    "FailureGroup",
    "FailurePage",
    "Hit",
    "IndexConfig",
    "IndexStoreError",
    "IndexedThread",
    "ProviderCoverage",
    "SearchPage",
    "ThreadHits",
    "ThreadIndex",
    "index_config",
    "open_index",
]
