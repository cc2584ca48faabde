"""The sandbox cloud: a loopback stand-in for all five vendors, for tests, benchmarks, demo and --sandbox."""

from .core import Credentials, Fault, Faults, Sandbox, SandboxContext

__all__ = ["Credentials", "Fault", "Faults", "Sandbox", "SandboxContext"]
