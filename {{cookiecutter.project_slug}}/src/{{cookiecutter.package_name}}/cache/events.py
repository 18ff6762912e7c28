"""What the Redis parts report as they work{% if cookiecutter.metrics %}: observability/cache_metrics.py counts it{% endif %}."""
{%- if cookiecutter.database != "none" %}

from typing import Literal

Lookup = Literal["hit", "miss"]
{%- endif %}


class CacheEvents:
    """Told of each {% if cookiecutter.database != "none" %}cache lookup, {% endif %}failed Redis call and refused request. This one ignores them;
    a subclass overrides what it wants to count."""
{%- if cookiecutter.database != "none" %}

    def lookup(self, result: Lookup) -> None:
        """A read found its value in Redis (`hit`) or had to load it (`miss`)."""
{%- endif %}

    def redis_error(self, operation: str) -> None:
        """A Redis call failed or timed out; the service went on without it."""

    def rate_limited(self) -> None:
        """A request was refused with 429."""
