"""Streamable HTTP as a service: bearer token, health probes, Host/Origin allow-lists, bounded event streams,
an access log, and SIGTERM draining calls in flight."""

from .options import ServiceOptions, is_loopback, load_options
from .run import Service, bound

__all__ = ["Service", "ServiceOptions", "bound", "is_loopback", "load_options"]
