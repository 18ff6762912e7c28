"""What readiness asks: one probe per dependency the service talks to."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Probe:
    """`check` raises when `name` does not answer. A required dependency that fails takes the
    service out of rotation (503); an optional one, such as a cache the service can do without,
    is reported as degraded and the service stays ready."""

    name: str
    check: Callable[[], Awaitable[None]]
    required: bool = True
